//! Keyword alerts and borrow requests reaching lenders (api.md, Trust and safety): keyword CRUD
//! rules, one `keyword_match` per user and item (live on the socket) within the user's radius,
//! `borrow_nearby` to nearby lenders of the category; never one's own, never across a block,
//! never a kind turned off, capped per day. The fan-out is asynchronous: negatives are checked
//! after a sentinel user (signed up later, so fanned out later) got the same item's alert.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::*;

const YEOKSAM: &str = "1168064000"; // 서울 강남구 역삼1동, ~12 km from 서교동

async fn add(app: &TestApp, user: &User, keyword: &str) -> (StatusCode, Value) {
    app.post(
        "/me/keywords",
        Some(&user.token),
        json!({ "keyword": keyword }),
    )
    .await
}

async fn keyword(app: &TestApp, user: &User, k: &str) -> i64 {
    let (s, b) = add(app, user, k).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_i64().unwrap()
}

fn of_kind(notes: &Value, kind: &str) -> Vec<Value> {
    notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == kind)
        .cloned()
        .collect()
}

fn count_for(notes: &Value, kind: &str, item: i64) -> usize {
    of_kind(notes, kind)
        .iter()
        .filter(|n| n["link"] == format!("/items/{item}"))
        .count()
}

async fn kinds(app: &TestApp, user: &User, kind: &str) -> Vec<Value> {
    of_kind(&app.notifications(user, false).await, kind)
}

/// Waits until `user` has the alert of `kind` for `item`.
async fn wait_alert(app: &TestApp, user: &User, kind: &str, item: i64) -> Value {
    let b = app
        .wait_notifications(user, false, |b| count_for(b, kind, item) > 0)
        .await;
    of_kind(&b, kind)
        .into_iter()
        .find(|n| n["link"] == format!("/items/{item}"))
        .unwrap()
}

async fn post_item(app: &TestApp, user: &User, body: Value) -> i64 {
    app.create_item(user, body).await["id"].as_i64().unwrap()
}

async fn block(app: &TestApp, who: &User, whom: &User) {
    let (s, _) = app
        .put(
            &format!("/me/blocks/{}", whom.id),
            Some(&who.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn keyword_crud_follows_the_contract() {
    let app = TestApp::spawn().await;
    let a = app.signup("kwa").await;
    let b = app.signup("kwb").await;
    let (s, _) = app.get("/me/keywords", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .post("/me/keywords", None, json!({"keyword": "텐트"}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let (s, k) = add(&app, &a, "  텐트 ").await;
    assert_eq!(s, StatusCode::CREATED, "{k}");
    assert_eq!(k["keyword"], "텐트");
    assert!(k["id"].as_i64().is_some() && k["created_at"].is_string());
    let (s, _) = add(&app, &a, "텐트").await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, k2) = add(&app, &a, "Camping").await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = add(&app, &a, "cAMPING").await;
    assert_eq!(s, StatusCode::CONFLICT, "duplicates are case-insensitive");
    // Someone else may have the same keyword.
    let (s, _) = add(&app, &b, "텐트").await;
    assert_eq!(s, StatusCode::CREATED);

    for bad in ["", "   ", &"가".repeat(21)] {
        let (s, body) = add(&app, &a, bad).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
    }
    let (s, _) = add(&app, &a, &"가".repeat(20)).await;
    assert_eq!(s, StatusCode::CREATED, "20 characters are fine");

    let (s, list) = app.get("/me/keywords", Some(&a.token)).await;
    assert_eq!(s, StatusCode::OK);
    let words: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["keyword"].as_str().unwrap())
        .collect();
    assert_eq!(words, vec!["텐트", "Camping", &"가".repeat(20)]);

    // Someone else's keyword is 404 and stays.
    let id = k2["id"].as_i64().unwrap();
    let (s, _) = app
        .delete(&format!("/me/keywords/{id}"), Some(&b.token), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .delete(&format!("/me/keywords/{id}"), Some(&a.token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .delete(&format!("/me/keywords/{id}"), Some(&a.token), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // At most 30: a's three, then up to 30, then 400.
    for i in 0..28 {
        let (s, body) = add(&app, &a, &format!("단어{i}")).await;
        assert_eq!(s, StatusCode::CREATED, "{i}: {body}");
    }
    let (s, body) = add(&app, &a, "하나더").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let (_, list) = app.get("/me/keywords", Some(&a.token)).await;
    assert_eq!(list.as_array().unwrap().len(), 30);
    app.stop().await;
}

#[tokio::test]
async fn a_matching_item_nearby_makes_one_live_alert() {
    let app = TestApp::spawn().await;
    let poster = app.signup("kposter").await;
    let near = app.signup_in("knear", HAPJEONG).await;
    let far = app.signup_in("kfar", YEOKSAM).await;
    let plain = app.signup("kplain").await; // no matching keyword
    keyword(&app, &near, "텐트").await;
    keyword(&app, &near, "캠핑").await; // two matching keywords: still one alert
    keyword(&app, &far, "텐트").await;
    keyword(&app, &plain, "자전거").await;
    keyword(&app, &poster, "텐트").await; // never for one's own item
    let mut ws = app.ws(&near.token).await;

    let item = post_item(
        &app,
        &poster,
        json!({"title": "캠핑 텐트 빌려드려요", "description": "4인용", "category_id": 5}),
    )
    .await;
    let frame = ws.next_of("notification").await;
    assert_eq!(frame["notification"]["kind"], "keyword_match");
    assert_eq!(frame["notification"]["link"], format!("/items/{item}"));
    let body = frame["notification"]["body"].as_str().unwrap();
    assert!(body == "텐트" || body == "캠핑", "{body}");
    assert!(frame["notification"]["title"]
        .as_str()
        .unwrap()
        .contains(&format!("'{body}'")));
    let n = wait_alert(&app, &near, "keyword_match", item).await;
    assert_eq!(n["link"], format!("/items/{item}"));
    // A sentinel signed up after everyone: once it has the alert, the fan-out is done.
    let sentinel = app.signup_in("ksentinel", SEOGYO).await;
    keyword(&app, &sentinel, "텐트").await;
    let item2 = post_item(&app, &poster, json!({"title": "텐트 팩 세트"})).await;
    wait_alert(&app, &sentinel, "keyword_match", item2).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let notes = app.notifications(&near, false).await;
    assert_eq!(count_for(&notes, "keyword_match", item), 1, "{notes}");
    assert_eq!(
        kinds(&app, &far, "keyword_match").await.len(),
        0,
        "12 km away at 3 km"
    );
    assert_eq!(kinds(&app, &plain, "keyword_match").await.len(), 0);
    assert_eq!(
        kinds(&app, &poster, "keyword_match").await.len(),
        0,
        "own items"
    );

    // A wider radius reaches the far user; a case-insensitive Latin keyword matches too.
    let (s, _) = app
        .patch(
            "/me/notification-settings",
            Some(&far.token),
            json!({"alert_radius_km": 20}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    keyword(&app, &far, "coleman").await;
    let item3 = post_item(
        &app,
        &poster,
        json!({"title": "버너", "description": "COLEMAN 투버너"}),
    )
    .await;
    let n = wait_alert(&app, &far, "keyword_match", item3).await;
    assert_eq!(n["body"], "coleman");
    app.stop().await;
}

#[tokio::test]
async fn no_alerts_across_a_block_or_when_turned_off() {
    let app = TestApp::spawn().await;
    let poster = app.signup("bposter").await;
    let blocker = app.signup("bblocker").await; // blocked the poster
    let blocked = app.signup("bblocked").await; // the poster blocked them
    let off = app.signup("boff").await; // turned keyword_match off
    let no_region = app
        .post(
            "/auth/signup",
            None,
            json!({"email": "bnoregion@example.com", "password": PASSWORD, "nickname": "bnoregion"}),
        )
        .await;
    assert_eq!(no_region.0, StatusCode::CREATED, "{}", no_region.1);
    let no_region_token = no_region.1["access_token"].as_str().unwrap().to_string();
    let (s, _) = app
        .post(
            "/me/keywords",
            Some(&no_region_token),
            json!({"keyword": "텐트"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    for u in [&blocker, &blocked, &off] {
        keyword(&app, u, "텐트").await;
    }
    block(&app, &blocker, &poster).await;
    block(&app, &poster, &blocked).await;
    let (s, _) = app
        .patch(
            "/me/notification-settings",
            Some(&off.token),
            json!({"kinds": {"keyword_match": false}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let sentinel = app.signup("bsentinel").await;
    keyword(&app, &sentinel, "텐트").await;

    let item = post_item(&app, &poster, json!({"title": "텐트"})).await;
    wait_alert(&app, &sentinel, "keyword_match", item).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        kinds(&app, &blocker, "keyword_match").await.is_empty(),
        "blocker"
    );
    assert!(
        kinds(&app, &blocked, "keyword_match").await.is_empty(),
        "blocked"
    );
    assert!(
        kinds(&app, &off, "keyword_match").await.is_empty(),
        "turned off"
    );
    let (_, notes) = app.get("/notifications", Some(&no_region_token)).await;
    assert!(of_kind(&notes, "keyword_match").is_empty(), "no 동네");

    // Unblocking restores alerts.
    let (s, _) = app
        .delete(
            &format!("/me/blocks/{}", poster.id),
            Some(&blocker.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let item2 = post_item(&app, &poster, json!({"title": "텐트 두 번째"})).await;
    wait_alert(&app, &blocker, "keyword_match", item2).await;
    app.stop().await;
}

#[tokio::test]
async fn keyword_alerts_are_capped_per_day() {
    let app = TestApp::spawn_long_lived().await;
    let poster = app.signup("cposter").await;
    let watcher = app.signup("cwatcher").await;
    keyword(&app, &watcher, "텐트").await;
    for i in 0..20 {
        let item = post_item(&app, &poster, json!({"title": format!("텐트 {i}")})).await;
        wait_alert(&app, &watcher, "keyword_match", item).await;
    }
    let sentinel = app.signup("csentinel").await;
    keyword(&app, &sentinel, "텐트").await;
    let item = post_item(&app, &poster, json!({"title": "텐트 21"})).await;
    wait_alert(&app, &sentinel, "keyword_match", item).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let notes = app.notifications(&watcher, false).await;
    assert_eq!(
        count_for(&notes, "keyword_match", item),
        0,
        "the 21st in a day"
    );
    assert_eq!(notes["total"], 20);
    // A day later the cap has room again.
    app.state.clock.advance_ms(DAY + 1);
    let item = post_item(&app, &poster, json!({"title": "텐트 다음 날"})).await;
    wait_alert(&app, &watcher, "keyword_match", item).await;
    app.stop().await;
}

/// A lender with an available lend item in `category`.
async fn lender(app: &TestApp, name: &str, region: &str, category: i64) -> User {
    let u = app.signup_in(name, region).await;
    post_item(
        app,
        &u,
        json!({"title": "빌려드려요 물건", "category_id": category}),
    )
    .await;
    u
}

#[tokio::test]
async fn borrow_requests_reach_nearby_lenders_of_the_category() {
    let app = TestApp::spawn().await;
    let poster = app.signup("rposter").await;
    lender_item_for(&app, &poster).await; // the poster lends in the category too: never reached
    let near = lender(&app, "rnear", HAPJEONG, 4).await;
    let far = lender(&app, "rfar", YEOKSAM, 4).await;
    let other_cat = lender(&app, "rother", SEOGYO, 5).await;
    let blocker = lender(&app, "rblocker", SEOGYO, 4).await;
    let blocked = lender(&app, "rblocked", SEOGYO, 4).await;
    let off = lender(&app, "roff", SEOGYO, 4).await;
    block(&app, &blocker, &poster).await;
    block(&app, &poster, &blocked).await;
    let (s, _) = app
        .patch(
            "/me/notification-settings",
            Some(&off.token),
            json!({"kinds": {"borrow_nearby": false}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let sentinel = lender(&app, "rsentinel", HAPJEONG, 4).await;
    let mut ws = app.ws(&near.token).await;

    let item = post_item(
        &app,
        &poster,
        json!({"section": "borrow", "title": "드릴 빌려주실 분", "price": null, "price_unit": null}),
    )
    .await;
    let frame = ws.next_of("notification").await;
    assert_eq!(frame["notification"]["kind"], "borrow_nearby");
    assert_eq!(frame["notification"]["link"], format!("/items/{item}"));
    assert_eq!(frame["notification"]["title"], "근처에서 빌리고 싶어 해요");
    wait_alert(&app, &near, "borrow_nearby", item).await;
    wait_alert(&app, &sentinel, "borrow_nearby", item).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    for (u, why) in [
        (&far, "far"),
        (&other_cat, "other category"),
        (&blocker, "blocker"),
        (&blocked, "blocked"),
        (&off, "turned off"),
        (&poster, "poster"),
    ] {
        assert!(kinds(&app, u, "borrow_nearby").await.is_empty(), "{why}");
    }
    // A lend item reaches no one.
    let lend = post_item(&app, &poster, json!({"title": "드릴"})).await;
    let fresh = lender(&app, "rfresh", SEOGYO, 4).await;
    let borrow2 = post_item(
        &app,
        &poster,
        json!({"section": "borrow", "title": "드릴 또 빌려요", "price": null, "price_unit": null}),
    )
    .await;
    wait_alert(&app, &fresh, "borrow_nearby", borrow2).await;
    assert_eq!(
        count_for(
            &app.notifications(&near, false).await,
            "borrow_nearby",
            lend
        ),
        0
    );
    app.stop().await;
}

async fn lender_item_for(app: &TestApp, user: &User) {
    post_item(app, user, json!({"title": "공구 세트", "category_id": 4})).await;
}

#[tokio::test]
async fn borrow_alerts_are_capped_at_five_a_day() {
    let app = TestApp::spawn().await;
    let poster = app.signup("xposter").await;
    let l = lender(&app, "xlender", HAPJEONG, 4).await;
    for i in 0..5 {
        let item = post_item(
            &app,
            &poster,
            json!({"section": "borrow", "title": format!("빌려요 {i}"), "price": null, "price_unit": null}),
        )
        .await;
        wait_alert(&app, &l, "borrow_nearby", item).await;
    }
    let sentinel = lender(&app, "xsentinel", HAPJEONG, 4).await;
    let item = post_item(
        &app,
        &poster,
        json!({"section": "borrow", "title": "빌려요 여섯", "price": null, "price_unit": null}),
    )
    .await;
    wait_alert(&app, &sentinel, "borrow_nearby", item).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let notes = app.notifications(&l, false).await;
    assert_eq!(
        count_for(&notes, "borrow_nearby", item),
        0,
        "the 6th in a day"
    );
    assert_eq!(of_kind(&notes, "borrow_nearby").len(), 5);
    app.stop().await;
}

#[tokio::test]
async fn a_second_run_of_the_fan_out_changes_nothing() {
    let app = TestApp::spawn().await;
    let poster = app.signup("dposter").await;
    let watcher = app.signup_in("dwatcher", HAPJEONG).await;
    keyword(&app, &watcher, "텐트").await;
    let l = lender(&app, "dlender", HAPJEONG, 4).await;
    keyword(&app, &l, "텐트").await;
    let item = app
        .create_item(
            &poster,
            json!({"section": "borrow", "title": "텐트 빌려요", "price": null, "price_unit": null}),
        )
        .await;
    let id = item["id"].as_i64().unwrap();
    wait_alert(&app, &watcher, "keyword_match", id).await;
    wait_alert(&app, &l, "borrow_nearby", id).await;
    // Another instance (or a retry) running the same fan-out again.
    let posted = egodaeyeo::events::PostedItem {
        id,
        owner_id: poster.id,
        section: egodaeyeo::catalog::model::Section::Borrow,
        category_id: 4,
        title: "텐트 빌려요".into(),
        description: String::new(),
        region_code: SEOGYO.into(),
    };
    egodaeyeo::events::item_posted(app.state.clone(), posted.clone()).await;
    egodaeyeo::events::item_posted(app.state.clone(), posted).await;
    let notes = app.notifications(&watcher, false).await;
    assert_eq!(count_for(&notes, "keyword_match", id), 1);
    let notes = app.notifications(&l, false).await;
    assert_eq!(count_for(&notes, "keyword_match", id), 1);
    assert_eq!(count_for(&notes, "borrow_nearby", id), 1);
    app.stop().await;
}

#[tokio::test]
async fn the_settings_page_lists_keywords_before_blocked_users() {
    let app = TestApp::spawn().await;
    let u = app.signup("pagekw").await;
    keyword(&app, &u, "캠핑의자").await;
    let html = reqwest::Client::new()
        .get(format!("{}/me/settings", app.addr))
        .header(reqwest::header::COOKIE, format!("egd_access={}", u.token))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let section = html
        .find("id=\"keyword-alerts\"")
        .expect("키워드 알림 section");
    let blocked = html.find("id=\"blocked-users\"").expect("blocked users");
    assert!(section < blocked);
    assert!(html.contains("키워드 알림"));
    assert!(html.contains("캠핑의자"));
    assert!(html.contains("data-keyword-delete="));
    assert!(html.contains("id=\"keyword-form\""));
    app.stop().await;
}

#[tokio::test]
async fn a_borrow_request_reaches_at_most_twenty_lenders() {
    let app = TestApp::spawn_with(fresh_database().await, None, |c| c.rate_limit = false).await;
    let poster = app.signup("tposter").await;
    let mut lenders = Vec::new();
    for i in 0..21 {
        lenders.push(lender(&app, &format!("tl{i}"), HAPJEONG, 4).await);
    }
    let item = post_item(
        &app,
        &poster,
        json!({"section": "borrow", "title": "사다리 빌려요", "price": null, "price_unit": null}),
    )
    .await;
    // The 20 nearest (here: the first 20 by id, all in one 동네) are reached.
    wait_alert(&app, &lenders[19], "borrow_nearby", item).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut reached = 0;
    for l in &lenders {
        reached += count_for(&app.notifications(l, false).await, "borrow_nearby", item);
    }
    assert_eq!(reached, 20);
    app.stop().await;
}
