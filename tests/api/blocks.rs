//! Blocks (api.md, Trust and safety): both directions, everywhere two users meet; what already
//! runs keeps working; unblocking restores everything.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{iso, TestApp, User, DAY, HOUR, PASSWORD};

async fn block(app: &TestApp, who: &User, whom: i64) -> StatusCode {
    app.put(&format!("/me/blocks/{whom}"), Some(&who.token), json!({}))
        .await
        .0
}

async fn unblock(app: &TestApp, who: &User, whom: i64) -> StatusCode {
    app.delete(&format!("/me/blocks/{whom}"), Some(&who.token), None)
        .await
        .0
}

fn owners(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn block_routes_follow_the_contract() {
    let app = TestApp::spawn().await;
    let a = app.signup("차단하는이").await;
    let b = app.signup("차단되는이").await;
    // Oneself: 400; unknown user: 404; anonymous: 401.
    let (s, body) = app
        .put(&format!("/me/blocks/{}", a.id), Some(&a.token), json!({}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(block(&app, &a, 999_999).await, StatusCode::NOT_FOUND);
    assert_eq!(unblock(&app, &a, 999_999).await, StatusCode::NOT_FOUND);
    let (s, _) = app
        .put(&format!("/me/blocks/{}", b.id), None, json!({}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Idempotent.
    assert_eq!(block(&app, &a, b.id).await, StatusCode::NO_CONTENT);
    assert_eq!(block(&app, &a, b.id).await, StatusCode::NO_CONTENT);
    let (s, list) = app.get("/me/blocks", Some(&a.token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], b.id);
    assert_eq!(list[0]["blocked"], true);
    // `blocked` on profiles: the caller's own block only; absent for anonymous callers.
    let (_, p) = app.get(&format!("/users/{}", b.id), Some(&a.token)).await;
    assert_eq!(p["blocked"], true);
    let (_, p) = app.get(&format!("/users/{}", a.id), Some(&b.token)).await;
    assert_eq!(p["blocked"], false);
    let (_, p) = app.get(&format!("/users/{}", b.id), None).await;
    assert!(p.get("blocked").is_none(), "{p}");
    // The other side's list is empty.
    let (_, list) = app.get("/me/blocks", Some(&b.token)).await;
    assert_eq!(list, json!([]));
    assert_eq!(unblock(&app, &a, b.id).await, StatusCode::NO_CONTENT);
    assert_eq!(unblock(&app, &a, b.id).await, StatusCode::NO_CONTENT);
    let (_, list) = app.get("/me/blocks", Some(&a.token)).await;
    assert_eq!(list, json!([]));
    let (_, p) = app.get(&format!("/users/{}", b.id), Some(&a.token)).await;
    assert_eq!(p["blocked"], false);
    app.stop().await;
}

#[tokio::test]
async fn listings_leave_out_blocked_owners_in_sql_both_ways_and_caches_never_mix_viewers() {
    let app = TestApp::spawn().await;
    let a = app.signup("목록에이").await;
    let b = app.signup("목록비").await;
    let c = app.signup("목록씨").await;
    let mut mine = std::collections::HashMap::new();
    for (u, n) in [(&a, 3), (&b, 3), (&c, 2)] {
        for i in 0..n {
            let it = app
                .create_item(u, json!({"title": format!("캠핑 의자 {} {i}", u.nickname)}))
                .await;
            mine.insert(it["id"].as_i64().unwrap(), u.id);
        }
    }
    let url = "/items?q=캠핑&per_page=2";
    // C's page is computed and cached first.
    let (_, first) = app.get(url, Some(&c.token)).await;
    assert_eq!(first["total"], 8);
    assert_eq!(block(&app, &a, b.id).await, StatusCode::NO_CONTENT);
    // A sees no B items: full pages, right total, searched in SQL.
    for (viewer, hidden) in [(&a, b.id), (&b, a.id)] {
        let mut seen = Vec::new();
        for page in 1..=4 {
            let (s, p) = app
                .get(&format!("{url}&page={page}"), Some(&viewer.token))
                .await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(p["total"], 5, "{} page {page}: {p}", viewer.nickname);
            if page <= 2 {
                assert_eq!(p["items"].as_array().unwrap().len(), 2, "pages stay full");
            }
            seen.extend(owners(&p));
        }
        assert_eq!(seen.len(), 5);
        assert!(seen.iter().all(|id| mine[id] != hidden), "{seen:?}");
    }
    // C and anonymous still see everything: the filtered pages were not shared.
    let (_, p) = app.get(url, Some(&c.token)).await;
    assert_eq!(p["total"], 8);
    let (_, p) = app.get(url, None).await;
    assert_eq!(p["total"], 8);
    // And A's page, asked again after C's was cached, is still A's.
    let (_, p) = app.get(url, Some(&a.token)).await;
    assert_eq!(p["total"], 5);
    // Unblocking restores.
    assert_eq!(unblock(&app, &a, b.id).await, StatusCode::NO_CONTENT);
    let (_, p) = app.get(url, Some(&a.token)).await;
    assert_eq!(p["total"], 8);
    app.stop().await;
}

#[tokio::test]
async fn blocked_items_are_404_and_chats_and_requests_are_403_both_ways() {
    let app = TestApp::spawn().await;
    let a = app.signup("상세에이").await;
    let b = app.signup("상세비").await;
    let a_item = app.create_item(&a, json!({})).await["id"].as_i64().unwrap();
    let b_item = app.create_item(&b, json!({})).await["id"].as_i64().unwrap();
    // B already talks with A about A's item, and B's socket is open.
    let room = app.open_chat(&b, a_item).await;
    app.say(&b, room, "안녕하세요").await;
    let mut ws = app.ws(&b.token).await;
    ws.send(json!({"type": "send", "room_id": room, "body": "소켓으로", "client_id": 1}))
        .await;
    let ack = ws.next_of("ack").await;
    assert_eq!(ack["client_id"], 1);

    assert_eq!(block(&app, &b, a.id).await, StatusCode::NO_CONTENT);
    // Item detail is 404 both ways; others still see it.
    for (viewer, item) in [(&a, b_item), (&b, a_item)] {
        let (s, _) = app
            .get(&format!("/items/{item}"), Some(&viewer.token))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    let (s, _) = app.get(&format!("/items/{a_item}"), None).await;
    assert_eq!(s, StatusCode::OK);
    // No chat opens, even the existing room; no message over REST, either way.
    for (who, item) in [(&b, a_item), (&a, b_item)] {
        let (s, body) = app
            .post(&format!("/items/{item}/chats"), Some(&who.token), json!({}))
            .await;
        assert!(
            s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
            "{s} {body}"
        );
    }
    let (s, body) = app
        .post(&format!("/items/{a_item}/chats"), Some(&b.token), json!({}))
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "an existing room does not reopen: {body}"
    );
    for who in [&a, &b] {
        let (s, body) = app
            .post(
                &format!("/chats/{room}/messages"),
                Some(&who.token),
                json!({"body": "들리나요"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"]["code"], "forbidden");
    }
    // The open socket re-checks: its next send is refused with `forbidden`.
    ws.send(json!({"type": "send", "room_id": room, "body": "아직?", "client_id": 2}))
        .await;
    let err = ws.next_of("error").await;
    assert_eq!(err["code"], "forbidden", "{err}");
    assert_eq!(err["client_id"], 2);
    // The room leaves both chat lists.
    for who in [&a, &b] {
        let (_, rooms) = app.get("/chats", Some(&who.token)).await;
        assert!(
            rooms.as_array().unwrap().iter().all(|r| r["id"] != room),
            "{rooms}"
        );
    }
    // History stays readable.
    let (s, _) = app
        .get(&format!("/chats/{room}/messages"), Some(&a.token))
        .await;
    assert_eq!(s, StatusCode::OK);
    // No rental request on the other's item.
    let now = app.state.clock.now_ms();
    let period = json!({"start_at": iso(now + DAY), "end_at": iso(now + 2 * DAY)});
    let (s, body) = app
        .post(
            &format!("/items/{a_item}/rentals"),
            Some(&b.token),
            period.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");

    // Unblocking restores everything.
    assert_eq!(unblock(&app, &b, a.id).await, StatusCode::NO_CONTENT);
    let (s, _) = app.get(&format!("/items/{a_item}"), Some(&b.token)).await;
    assert_eq!(s, StatusCode::OK);
    app.say(&b, room, "다시 안녕하세요").await;
    let (_, rooms) = app.get("/chats", Some(&a.token)).await;
    assert!(rooms.as_array().unwrap().iter().any(|r| r["id"] == room));
    ws.send(json!({"type": "send", "room_id": room, "body": "소켓도", "client_id": 3}))
        .await;
    assert_eq!(ws.next_of("ack").await["client_id"], 3);
    let (s, body) = app
        .post(&format!("/items/{a_item}/rentals"), Some(&b.token), period)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn an_accepted_rental_goes_on_across_a_block() {
    let app = TestApp::spawn().await;
    let lender = app.signup("계속빌려줌").await;
    let borrower = app.signup("계속빌림").await;
    let item = app.create_item(&lender, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let rental = app
        .accepted_rental(&lender, &borrower, item, HOUR, DAY)
        .await;
    assert_eq!(
        block(&app, &lender, borrower.id).await,
        StatusCode::NO_CONTENT
    );
    // Both still read it and the lender confirms the return.
    let (s, _) = app
        .get(&format!("/rentals/{rental}"), Some(&borrower.token))
        .await;
    assert_eq!(s, StatusCode::OK);
    app.state.clock.advance_ms(2 * HOUR);
    // Two hours on, the access token has expired: sign in again.
    let (_, login) = app
        .post(
            "/auth/login",
            None,
            json!({"email": lender.email, "password": PASSWORD}),
        )
        .await;
    let token = login["access_token"].as_str().unwrap();
    let (s, body) = app
        .post(&format!("/rentals/{rental}/return"), Some(token), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_blocked_viewers_pages_follow_every_sort_exactly() {
    let app = TestApp::spawn().await;
    let a = app.signup("정렬에이").await;
    let b = app.signup("정렬비").await;
    let c = app.signup("정렬씨").await;
    let mut owner_of = std::collections::HashMap::new();
    for (i, u) in [&b, &c, &b, &c, &c, &b, &c].iter().enumerate() {
        let it = app
            .create_item(
                u,
                json!({"title": format!("정렬 텐트 {i}"), "price": 1000 * (7 - i as i64)}),
            )
            .await;
        owner_of.insert(it["id"].as_i64().unwrap(), u.id);
    }
    assert_eq!(block(&app, &a, b.id).await, StatusCode::NO_CONTENT);
    for sort in ["recent", "price_asc", "price_desc", "popular"] {
        let (_, all) = app
            .get(&format!("/items?q=텐트&sort={sort}&per_page=100"), None)
            .await;
        let expected: Vec<i64> = owners(&all)
            .into_iter()
            .filter(|id| owner_of[id] != b.id)
            .collect();
        let mut seen = Vec::new();
        for page in 1..=3 {
            let (_, p) = app
                .get(
                    &format!("/items?q=텐트&sort={sort}&per_page=2&page={page}"),
                    Some(&a.token),
                )
                .await;
            assert_eq!(p["total"], expected.len(), "{sort}");
            seen.extend(owners(&p));
        }
        assert_eq!(seen, expected, "{sort}");
    }
    app.stop().await;
}

/// Every listing of a user carries their block list: one user may block at most 1,000 others
/// (409 past that; blocking someone already blocked stays 204; unblocking makes room).
#[tokio::test]
async fn one_user_blocks_at_most_1000_others() {
    let app = TestApp::spawn().await;
    let a = app.signup("천명차단").await;
    let extra = app.signup("천한번째").await;
    // 1,000 accounts and blocks written straight to the database (sign-ups would take minutes).
    let now = app.state.clock.now_ms();
    let mut first = 0;
    for i in 0..1000 {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, password_hash, nickname, created_at) VALUES ($1, '', $2, $3) RETURNING id",
        )
        .bind(format!("bulk{i}@example.com"))
        .bind(format!("bulk{i}"))
        .bind(now)
        .fetch_one(&app.state.db.write)
        .await
        .unwrap();
        if i == 0 {
            first = id;
        }
        sqlx::query(
            "INSERT INTO user_blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, $3)",
        )
        .bind(a.id)
        .bind(id)
        .bind(now)
        .execute(&app.state.db.write)
        .await
        .unwrap();
    }
    let (s, body) = app
        .put(
            &format!("/me/blocks/{}", extra.id),
            Some(&a.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        block(&app, &a, first).await,
        StatusCode::NO_CONTENT,
        "already blocked"
    );
    assert_eq!(unblock(&app, &a, first).await, StatusCode::NO_CONTENT);
    assert_eq!(block(&app, &a, extra.id).await, StatusCode::NO_CONTENT);
    // Listings still work with the full list.
    let (s, _) = app.get("/items?q=텐트", Some(&a.token)).await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}

/// Counts are cached by what a listing matches and shared by every sort, page and viewer (issue
/// #16): each write that changes the matches (a new item, an item hidden or deleted, a block) is
/// seen at once by a listing that was never asked before, on every sort.
#[tokio::test]
async fn shared_counts_follow_every_write_that_changes_what_matches() {
    let app = TestApp::spawn().await;
    let a = app.signup("카운트에이").await;
    let b = app.signup("카운트비").await;
    let mut sorts = ["recent", "popular", "price_asc", "price_desc"]
        .iter()
        .cycle();
    let mut page = 0;
    // A listing URL never asked before (its page is not cached), over the same matches.
    let mut total = |viewer: Option<String>| {
        page += 1;
        let url = format!("/items?q=텐트&sort={}&page={page}", sorts.next().unwrap());
        let app = &app;
        async move {
            let (s, p) = app.get(&url, viewer.as_deref()).await;
            assert_eq!(s, StatusCode::OK, "{p}");
            assert_eq!(p["total_exact"], true);
            p["total"].as_i64().unwrap()
        }
    };
    let first = app.create_item(&a, json!({"title": "텐트 하나"})).await;
    assert_eq!(total(None).await, 1);
    let second = app.create_item(&b, json!({"title": "텐트 둘"})).await;
    assert_eq!(total(None).await, 2, "a new item");
    // Content-only writes keep the count, and it stays right.
    let (s, _) = app
        .put(
            &format!("/items/{}/bookmark", second["id"]),
            Some(&a.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(total(None).await, 2);
    assert_eq!(total(Some(a.token.clone())).await, 2);
    // A block: the blocker's total leaves B's item out, everyone else's does not.
    assert_eq!(block(&app, &a, b.id).await, StatusCode::NO_CONTENT);
    assert_eq!(total(Some(a.token.clone())).await, 1);
    assert_eq!(total(None).await, 2);
    let _third = app.create_item(&b, json!({"title": "텐트 셋"})).await;
    assert_eq!(
        total(Some(a.token.clone())).await,
        1,
        "the blocked owner's new item"
    );
    assert_eq!(total(None).await, 3);
    // Hidden by its owner, then deleted.
    let (s, _) = app
        .patch(
            &format!("/items/{}", second["id"]),
            Some(&b.token),
            json!({"status": "hidden"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(total(None).await, 2, "hidden");
    let (s, _) = app
        .delete(&format!("/items/{}", first["id"]), Some(&a.token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(total(None).await, 1, "deleted");
    assert_eq!(total(Some(a.token.clone())).await, 0);
    app.stop().await;
}

/// Past 500 blocked matches the page leaves the blocked owners out by owner instead of by id
/// (`store::EXCLUDE_BY_ID_UP_TO`): pages stay full, in order, without their items, and the total
/// stays right.
#[tokio::test]
async fn a_prolific_blocked_owner_is_left_out_of_every_page() {
    let app = TestApp::spawn().await;
    let a = app.signup("많이차단").await;
    let b = app.signup("물건부자").await;
    let c = app.signup("이웃씨").await;
    let mut theirs = Vec::new();
    for i in 0..30 {
        let it = app
            .create_item(&c, json!({"title": format!("이웃 물건 {i}")}))
            .await;
        theirs.push(it["id"].as_i64().unwrap());
    }
    app.bulk_items(b.id, 600).await;
    assert_eq!(block(&app, &a, b.id).await, StatusCode::NO_CONTENT);
    let (_, all) = app.get("/items?per_page=100", None).await;
    assert_eq!(all["total"], 630);
    let mut seen = Vec::new();
    for page in 1..=2 {
        let (s, p) = app
            .get(&format!("/items?per_page=20&page={page}"), Some(&a.token))
            .await;
        assert_eq!(s, StatusCode::OK, "{p}");
        assert_eq!(p["total"], 30, "{p}");
        seen.extend(owners(&p));
    }
    // Newest first: C's 30 items, the first page full, nothing of B's.
    theirs.reverse();
    assert_eq!(seen, theirs);
    app.stop().await;
}
