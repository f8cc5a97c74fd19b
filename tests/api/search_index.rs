//! Search on an index at any word length (issue #16): two-character Korean words through the
//! bigram index on both backends, with the same matching as before (substring, every word,
//! wildcards literal, edits seen at once), and query plans that do not scan the items table.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::*;
use egodaeyeo::catalog::model::ListQuery;
use egodaeyeo::catalog::store::list_sql_for_explain;
use egodaeyeo::db::{Arg, Backend};

async fn titles(app: &TestApp, q: &str) -> Vec<String> {
    let (s, b) = app
        .get(&format!("/items?per_page=100&q={}", urlencode(q)), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{q}: {b}");
    let mut out: Vec<String> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    assert_eq!(b["total"], out.len(), "{q}: total agrees");
    out
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn two_character_words_match_substrings_through_the_bigram_index() {
    let app = TestApp::spawn().await;
    let u = app.signup("searcher").await;
    for (title, description) in [
        ("보쉬 전동드릴", "충전식이에요"),
        ("캠핑 텐트", "4인용 돔텐트"),
        ("텐트 팩", "드릴로 박는 팩"),
        ("Coleman 랜턴", "AA 건전지 100% 충전"),
        ("의자 두 개", "캠핑의자예요"),
    ] {
        app.create_item(&u, json!({"title": title, "description": description}))
            .await;
    }
    assert_eq!(titles(&app, "드릴").await, ["보쉬 전동드릴", "텐트 팩"]);
    assert_eq!(titles(&app, "텐트").await, ["캠핑 텐트", "텐트 팩"]);
    // Every word must match; the order of words does not matter.
    assert_eq!(titles(&app, "팩 드릴").await, ["텐트 팩"]);
    assert_eq!(titles(&app, "캠핑 의자").await, ["의자 두 개"]);
    // Case-insensitive for Latin letters, wildcards literal.
    assert_eq!(titles(&app, "co").await, ["Coleman 랜턴"]);
    assert_eq!(titles(&app, "aa").await, ["Coleman 랜턴"]);
    assert_eq!(titles(&app, "0%").await, ["Coleman 랜턴"]);
    assert!(titles(&app, "%%").await.is_empty());
    assert!(titles(&app, "_드").await.is_empty());
    // Not across a space inside the text.
    assert!(titles(&app, "핑텐").await.is_empty());
    // One character still works (no index), three and more as before.
    assert_eq!(titles(&app, "팩").await, ["텐트 팩"]);
    assert_eq!(titles(&app, "돔텐트").await, ["캠핑 텐트"]);
    // An edit is searchable at once, and the old words are gone.
    let (_, list) = app.get("/items?q=%EB%9E%9C%ED%84%B4", None).await;
    let lantern = list["items"][0]["id"].as_i64().unwrap();
    let (s, _) = app
        .patch(
            &format!("/items/{lantern}"),
            Some(&u.token),
            json!({"title": "코베아 버너", "description": "가스 버너"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(titles(&app, "랜턴").await.is_empty());
    assert_eq!(titles(&app, "버너").await, ["코베아 버너"]);
    app.stop().await;
}

#[tokio::test]
async fn rows_stored_before_the_index_are_backfilled_and_found() {
    let app = TestApp::spawn().await;
    let u = app.signup("backfill").await;
    let item: Value = app
        .create_item(
            &u,
            json!({"title": "오래된 드릴", "description": "예전에 올린 글"}),
        )
        .await;
    // As a row from before the migration: no bigrams yet.
    sqlx::query("UPDATE items SET grams = NULL WHERE id = $1")
        .bind(item["id"].as_i64().unwrap())
        .execute(&app.state.db.write)
        .await
        .unwrap();
    assert!(titles(&app, "드릴").await.is_empty());
    let n = egodaeyeo::catalog::service::backfill_grams(&app.state)
        .await
        .unwrap();
    assert_eq!(n, 1);
    // (Another spelling of the same search: the first answer is in the 3-second micro-cache.)
    assert_eq!(titles(&app, " 드릴").await, ["오래된 드릴"]);
    assert_eq!(
        egodaeyeo::catalog::service::backfill_grams(&app.state)
            .await
            .unwrap(),
        0
    );
    app.stop().await;
}

async fn ids_of_first(app: &TestApp) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT MIN(id) FROM items")
        .fetch_one(&app.state.db.read)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// The query plan of `sql` (arguments written in), one line per step: SQLite's
/// `EXPLAIN QUERY PLAN` details or PostgreSQL's `EXPLAIN` lines.
async fn plan_lines(db: &egodaeyeo::db::Db, sql: &str) -> Vec<String> {
    use sqlx::Row;
    let (explain, column) = match db.backend {
        Backend::Sqlite => ("EXPLAIN QUERY PLAN", 3),
        Backend::Postgres => ("EXPLAIN", 0),
    };
    sqlx::query(&format!("{explain} {sql}"))
        .fetch_all(&db.read)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>(column).unwrap())
        .collect()
}

/// The listing SQL with its arguments written in, for EXPLAIN.
fn inline(sql: &str, args: &[Arg], backend: Backend) -> String {
    let mut out = String::new();
    let mut n = 0;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        let placeholder = match backend {
            Backend::Sqlite => c == '?',
            Backend::Postgres => c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()),
        };
        if !placeholder {
            out.push(c);
            continue;
        }
        if backend == Backend::Postgres {
            while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                chars.next();
            }
        }
        match &args[n] {
            Arg::Int(i) => out.push_str(&i.to_string()),
            Arg::Text(t) => out.push_str(&format!("'{}'", t.replace('\'', "''"))),
        }
        n += 1;
    }
    out
}

#[tokio::test]
async fn a_two_character_search_does_not_scan_the_items_table() {
    let app = TestApp::spawn().await;
    let u = app.signup("planner").await;
    for i in 0..30 {
        app.create_item(
            &u,
            json!({"title": format!("물건 {i}"), "description": if i % 10 == 0 { "드릴 있어요" } else { "없어요" }}),
        )
        .await;
    }
    let db = &app.state.db;
    let q = ListQuery {
        words: vec!["드릴".into()],
        ..ListQuery::default()
    };
    let (sql, args) = list_sql_for_explain(db, &q);
    let sql = inline(&sql, &args, db.backend);
    if db.backend == Backend::Postgres {
        // A table big enough for the planner to care (3,000 rows without the word), with
        // its statistics, so the plan is the one a real listing gets.
        let filler = ids_of_first(&app).await;
        sqlx::query(
            "INSERT INTO items (owner_id, section, category_id, title, description, price, price_unit, deposit, region_code, hidden, created_at, updated_at, grams) \
             SELECT owner_id, section, category_id, title, '없어요', price, price_unit, deposit, region_code, hidden, created_at, updated_at, $1 \
             FROM items, generate_series(1, 3000) WHERE items.id = $2",
        )
        .bind(egodaeyeo::db::grams_column("물건", "없어요"))
        .bind(filler)
        .execute(&db.write)
        .await
        .unwrap();
        sqlx::query("ANALYZE items")
            .execute(&db.write)
            .await
            .unwrap();
    }
    let plan = plan_lines(db, &sql).await;
    let text = plan.join("\n");
    match db.backend {
        Backend::Sqlite => {
            assert!(text.contains("items_grams VIRTUAL TABLE"), "{text}");
            assert!(
                !plan
                    .iter()
                    .any(|l| l.starts_with("SCAN i") && !l.contains("VIRTUAL")),
                "{text}"
            );
        }
        Backend::Postgres => {
            assert!(text.contains("items_grams"), "{text}");
            assert!(!text.contains("Seq Scan on items"), "{text}");
        }
    }
    // And the search itself finds the three.
    assert_eq!(titles(&app, "드릴").await.len(), 3);
    app.stop().await;
}

#[tokio::test]
async fn the_popular_listing_walks_its_index_instead_of_sorting_every_item() {
    let app = TestApp::spawn().await;
    let u = app.signup("popular").await;
    app.create_item(&u, json!({"title": "인기 물건"})).await;
    let db = &app.state.db;
    let (sql, args) = list_sql_for_explain(
        db,
        &ListQuery {
            sort: egodaeyeo::catalog::model::Sort::Popular,
            ..ListQuery::default()
        },
    );
    let sql = inline(&sql, &args, db.backend);
    // 3,000 more available items with scores, and the planner's statistics (the server keeps
    // them with `Db::analyze`), so the plan is the one a real listing gets.
    let first = ids_of_first(&app).await;
    let filler = match db.backend {
        Backend::Sqlite => "WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < 3000) \
             INSERT INTO items (owner_id, section, category_id, title, description, price, price_unit, deposit, region_code, hidden, created_at, updated_at, bookmark_count) \
             SELECT owner_id, section, category_id, title, description, price, price_unit, deposit, region_code, hidden, created_at, updated_at, g % 50 \
             FROM items, n WHERE items.id = $1",
        Backend::Postgres => "INSERT INTO items (owner_id, section, category_id, title, description, price, price_unit, deposit, region_code, hidden, created_at, updated_at, bookmark_count) \
             SELECT owner_id, section, category_id, title, description, price, price_unit, deposit, region_code, hidden, created_at, updated_at, g % 50 \
             FROM items, generate_series(1, 3000) AS g WHERE items.id = $1",
    };
    sqlx::query(filler)
        .bind(first)
        .execute(&db.write)
        .await
        .unwrap();
    db.analyze().await.unwrap();
    let text = plan_lines(db, &sql).await.join("\n");
    assert!(text.contains("items_avail_popular"), "{text}");
    assert!(!text.contains("TEMP B-TREE FOR ORDER BY"), "{text}");
    assert!(!text.contains("Sort Key"), "{text}");
    let (s, b) = app.get("/items?sort=popular", None).await;
    // 3,001 match: counting stops past 1,000 and the page says so.
    assert_eq!(
        (s, b["total"].clone(), b["total_exact"].clone()),
        (StatusCode::OK, json!(1000), json!(false))
    );
    assert_eq!(
        b["items"][0]["bookmark_count"], 49,
        "the highest score first"
    );
    app.stop().await;
}

/// With more matches than the count cap, a page walks its sort's index and stops instead of
/// sorting every match (SQLite is told; PostgreSQL's planner weighs it), and the pages it gives
/// are the ones a full sort gives.
#[tokio::test]
async fn a_listing_with_many_matches_walks_its_sort_index() {
    let app = TestApp::spawn().await;
    let u = app.signup("walker").await;
    let first = app
        .create_item(&u, json!({"title": "걷는 물건", "price": 5000}))
        .await;
    let db = &app.state.db;
    let filler = match db.backend {
        Backend::Sqlite => "WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < 1500) \
             INSERT INTO items (owner_id, section, category_id, title, description, price, price_unit, deposit, region_code, created_at, updated_at, bookmark_count) \
             SELECT owner_id, section, category_id, title, description, CASE WHEN g % 7 = 0 THEN NULL ELSE g % 97 * 100 END, price_unit, deposit, region_code, created_at, updated_at, g % 13 \
             FROM items, n WHERE items.id = $1",
        Backend::Postgres => "INSERT INTO items (owner_id, section, category_id, title, description, price, price_unit, deposit, region_code, created_at, updated_at, bookmark_count) \
             SELECT owner_id, section, category_id, title, description, CASE WHEN g % 7 = 0 THEN NULL ELSE g % 97 * 100 END, price_unit, deposit, region_code, created_at, updated_at, g % 13 \
             FROM items, generate_series(1, 1500) AS g WHERE items.id = $1",
    };
    sqlx::query(filler)
        .bind(first["id"].as_i64().unwrap())
        .execute(&db.write)
        .await
        .unwrap();
    db.analyze().await.unwrap();
    app.state.writes.bump();
    use egodaeyeo::catalog::model::Sort;
    for (sort, index, key) in [
        (Sort::PriceAsc, "items_avail_price_asc", "price_asc"),
        (Sort::PriceDesc, "items_avail_price_desc", "price_desc"),
        (Sort::Popular, "items_avail_popular", "popular"),
    ] {
        let q = ListQuery {
            sort,
            category_id: Some(first["category"]["id"].as_i64().unwrap()),
            ..ListQuery::default()
        };
        if db.backend == Backend::Sqlite {
            let (sql, args) = list_sql_for_explain(db, &q);
            let sql = inline(&sql, &args, db.backend);
            let plan = plan_lines(db, &sql).await.join("\n");
            assert!(plan.contains(index), "{plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        }
        // The walked pages are the sorted ones: every page in order, nothing twice.
        let (_, all) = app
            .get(&format!("/items?sort={key}&per_page=100&page=3"), None)
            .await;
        assert_eq!(
            (all["total"].clone(), all["total_exact"].clone()),
            (json!(1000), json!(false))
        );
        let values: Vec<Option<i64>> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| match key {
                "popular" => {
                    Some(i["bookmark_count"].as_i64().unwrap() + i["chat_count"].as_i64().unwrap())
                }
                _ => i["price"].as_i64(),
            })
            .collect();
        let mut expected = values.clone();
        match key {
            // Items without a price last; then cheapest (or dearest) first.
            "price_asc" => expected.sort_by_key(|p| (p.is_none(), *p)),
            "price_desc" => expected.sort_by_key(|p| (p.is_none(), std::cmp::Reverse(*p))),
            _ => expected.sort_by_key(|p| std::cmp::Reverse(*p)),
        }
        assert_eq!(values, expected, "{key}");
        assert_eq!(values.len(), 100);
    }
    app.stop().await;
}
