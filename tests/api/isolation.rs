//! Reads that cannot be starved and a log that cannot fill the disk (issue #10 item 6): the slow
//! listing families share a few permits, listing statements have a time limit, and the SQLite
//! write-ahead log is truncated once it passes its threshold.
use std::time::{Duration, Instant};

use egodaeyeo::catalog::model::{ListQuery, Sort};
use egodaeyeo::catalog::service::{list_cost, ListCost};
use egodaeyeo::db::WAL_RESTART_AT;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::*;

/// GET with the response headers (the harness's `get` drops them).
async fn get_full(app: &TestApp, path: &str) -> (StatusCode, Option<String>, Value) {
    let resp = app
        .client
        .get(format!("{}{path}", app.api))
        .send()
        .await
        .expect("request");
    let status = resp.status();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, retry, resp.json().await.unwrap_or(Value::Null))
}

fn assert_unavailable(what: &str, (status, retry, body): &(StatusCode, Option<String>, Value)) {
    assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {body}");
    assert_eq!(body["error"]["code"], "unavailable", "{what}: {body}");
    assert!(retry.is_some(), "{what}: 503 without Retry-After");
}

fn query() -> ListQuery {
    ListQuery {
        limit: 20,
        ..ListQuery::default()
    }
}

#[test]
fn listing_families_that_read_every_match_are_classified_slow() {
    let cheap = query();
    assert_eq!(list_cost(&cheap), ListCost::Cheap);
    // A word's index gives every item that has it, and each is read to be re-checked.
    let slow = [
        ListQuery {
            words: vec!["없".into()],
            ..query()
        },
        ListQuery {
            words: vec!["드릴".into()],
            ..query()
        },
        ListQuery {
            words: vec!["프로젝터".into()],
            sort: Sort::Popular,
            ..query()
        },
        ListQuery {
            offset: 5_000,
            ..query()
        },
    ];
    for q in &slow {
        assert_eq!(list_cost(q), ListCost::Slow, "{q:?}");
    }
    // Counted up to the cap, and a page walks its sort's index or sorts at most the cap.
    let cheap = [
        ListQuery {
            region_codes: Some(vec!["1144066000".into(), "1144068000".into()]),
            ..query()
        },
        ListQuery {
            sort: Sort::Popular,
            category_id: Some(4),
            ..query()
        },
        ListQuery {
            sort: Sort::PriceAsc,
            ..query()
        },
        ListQuery {
            sort: Sort::Popular,
            ..query()
        },
        ListQuery {
            sort: Sort::PriceAsc,
            min_price: Some(1_000),
            ..query()
        },
        // One owner's items are few, whatever the sort or words.
        ListQuery {
            sort: Sort::Popular,
            owner_id: Some(7),
            words: vec!["드릴".into()],
            ..query()
        },
    ];
    for q in &cheap {
        assert_eq!(list_cost(q), ListCost::Cheap, "{q:?}");
    }
}

#[tokio::test]
async fn a_saturated_slow_listing_family_leaves_item_pages_and_cheap_listings_up() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Owner").await;
    let item = app.create_item(&owner, json!({})).await;
    let id = item["id"].as_i64().unwrap();

    // The slow family can never hold every reader connection.
    let slow = app.state.db.slow_reads.clone();
    let permits = slow.available_permits();
    let readers = app.state.db.read.options().get_max_connections() as usize;
    assert!(
        permits >= 1 && permits < readers,
        "{permits} slow permits for {readers} readers"
    );

    // Every slow permit taken, as a flood of slow listings would, with writes arriving: the
    // in-memory listing index is stale after each, so these listings go to SQL.
    let held = slow.acquire_many_owned(permits as u32).await.unwrap();
    app.state.writes.bump();
    let started = Instant::now();
    let refused = get_full(&app, "/items?q=%EB%93%9C%EB%A6%B4").await;
    assert_unavailable("slow listing while the family is saturated", &refused);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the refusal came only after {:?}",
        started.elapsed()
    );
    app.state.writes.bump();
    let deep = get_full(&app, "/items?page=500").await;
    assert_unavailable("deep page while the family is saturated", &deep);
    // The 동네 radius is counted up to the cap and walks an index now: not held up.
    let (s, radius) = app
        .get(&format!("/items?region={SEOGYO}&radius_km=5"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "radius listing: {radius}");

    let (s, detail) = app.get(&format!("/items/{id}"), None).await;
    assert_eq!(s, StatusCode::OK, "item detail: {detail}");
    let (s, page) = app.get("/items?section=lend", None).await;
    assert_eq!(s, StatusCode::OK, "cheap listing: {page}");
    assert_eq!(page["total"], 1);
    let (s, profile) = app.get(&format!("/users/{}", owner.id), None).await;
    assert_eq!(s, StatusCode::OK, "profile: {profile}");

    // Once the index is rebuilt it answers words and deep pages itself, without a permit.
    app.index_ready().await;
    let (s, page) = app
        .get("/items?q=%EB%93%9C%EB%A6%B4&sort=price_desc", None)
        .await;
    assert_eq!(
        (s, page["total"].clone()),
        (StatusCode::OK, json!(1)),
        "{page}"
    );
    let (s, page) = app.get("/items?page=500&sort=popular", None).await;
    assert_eq!(
        (s, page["total"].clone()),
        (StatusCode::OK, json!(1)),
        "{page}"
    );

    drop(held);
    app.state.writes.bump();
    let (s, page) = app.get("/items?sort=popular&category=tools", None).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "slow listing once permits are free: {page}"
    );
    assert_eq!(page["total"], 1);
    app.stop().await;
}

#[tokio::test]
async fn a_listing_past_the_statement_time_limit_answers_503() {
    let db = fresh_database().await;
    // 1 ms: no scan of 20,000 rows fits in it, however fast the machine.
    let app = TestApp::spawn_with(db, None, |c| c.statement_timeout_ms = 1).await;
    let owner = app.signup("Owner").await;
    let item = app.create_item(&owner, json!({})).await;
    app.bulk_items(owner.id, 20_000).await;

    // A 1-character word matching nothing: LIKE over every row (no trigram or bigram applies;
    // two-character words have an index since #16).
    let timed_out = get_full(&app, "/items?q=%EC%97%86&sort=popular").await;
    assert_unavailable("listing past the time limit", &timed_out);
    // The cheap family (an indexed word, newest first) has the same limit: this one matches all
    // 20,000 rows, so counting and ordering them cannot fit in 1 ms either.
    app.state.writes.bump(); // the index rebuilt meanwhile would answer it without SQL
    let timed_out = get_full(&app, "/items?q=bulk").await;
    assert_unavailable("cheap listing past the time limit", &timed_out);

    // The cancelled (PostgreSQL) or abandoned (SQLite) statement leaves the other reads working.
    let (s, detail) = app
        .get(&format!("/items/{}", item["id"].as_i64().unwrap()), None)
        .await;
    assert_eq!(s, StatusCode::OK, "item detail after a timeout: {detail}");
    app.stop().await;
}

fn wal_size(app: &TestApp) -> u64 {
    std::fs::metadata(app.data_dir.join("egodaeyeo.db-wal")).map_or(0, |m| m.len())
}

/// Appends about 1 MiB to the log in one write transaction.
async fn write_mib(app: &TestApp, batch: i64) {
    sqlx::query(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 256) \
         INSERT INTO settings (key, value) SELECT 'bulk-' || $1 || '-' || x, hex(randomblob(2048)) FROM n",
    )
    .bind(batch)
    .execute(&app.state.db.write)
    .await
    .expect("write 1 MiB");
}

#[tokio::test]
async fn the_sqlite_log_is_truncated_once_readers_let_go() {
    // The write-ahead log is SQLite's: this test runs on SQLite whatever TEST_DATABASE_URL says.
    let app = TestApp::spawn_with(None, None, |_| {}).await;
    app.signup("Writer").await;

    // A reader in the middle of a transaction keeps the log in use: no checkpoint can finish.
    let mut reader = app.state.db.read.acquire().await.unwrap();
    sqlx::query("BEGIN").execute(&mut *reader).await.unwrap();
    sqlx::query("SELECT COUNT(*) FROM users")
        .fetch_one(&mut *reader)
        .await
        .unwrap();

    let target = WAL_RESTART_AT / (1024 * 1024) + 16;
    for batch in 0..target as i64 {
        write_mib(&app, batch).await;
    }
    let grown = wal_size(&app);
    assert!(
        grown > WAL_RESTART_AT,
        "the log grew to only {grown} bytes with a reader holding it"
    );

    // Past the threshold the maintenance checkpoint waits for readers, but only briefly: writes
    // still go through while this reader holds on.
    let started = Instant::now();
    write_mib(&app, 1_000).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a write waited {:?} behind the checkpoint",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(600)).await;

    sqlx::query("ROLLBACK").execute(&mut *reader).await.unwrap();
    drop(reader);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut size = wal_size(&app);
    while size >= WAL_RESTART_AT && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        size = wal_size(&app);
    }
    assert!(
        size < WAL_RESTART_AT,
        "the log is still {size} bytes (it had grown to {grown})"
    );
    app.stop().await;
}
