//! Rentals: the state machine, who may do what, the calendar, time (through the clock and the
//! scheduler), events in chat and notifications, and two-sided reviews.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::*;
use egodaeyeo::rentals::scheduler;

/// A lender with a `lend` item at 5,000 KRW/day and a would-be borrower.
async fn setup(app: &TestApp) -> (User, User, i64) {
    let lender = app.signup("lender").await;
    let borrower = app.signup("borrower").await;
    let item = app.create_item(&lender, json!({})).await;
    (lender, borrower, item["id"].as_i64().unwrap())
}

/// Requests `[now + from, now + to)` on an item.
async fn request(app: &TestApp, user: &User, item: i64, from: i64, to: i64) -> (StatusCode, Value) {
    // One reading of the clock, so the period is exactly `to - from` long.
    let now = app.state.clock.now_ms();
    app.post(
        &format!("/items/{item}/rentals"),
        Some(&user.token),
        json!({"start_at": iso(now + from), "end_at": iso(now + to)}),
    )
    .await
}

async fn requested(app: &TestApp, user: &User, item: i64, from: i64, to: i64) -> i64 {
    let (s, b) = request(app, user, item, from, to).await;
    assert_eq!(s, StatusCode::CREATED, "request: {b}");
    b["id"].as_i64().unwrap()
}

async fn act(app: &TestApp, user: &User, rental: i64, action: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/rentals/{rental}/{action}"),
        Some(&user.token),
        json!({}),
    )
    .await
}

async fn ok(app: &TestApp, user: &User, rental: i64, action: &str) -> Value {
    let (s, b) = act(app, user, rental, action).await;
    assert_eq!(s, StatusCode::OK, "{action}: {b}");
    b
}

async fn item_status(app: &TestApp, item: i64) -> Value {
    let (s, b) = app.get(&format!("/items/{item}"), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["status"].clone()
}

async fn rental(app: &TestApp, user: &User, id: i64) -> Value {
    let (s, b) = app.get(&format!("/rentals/{id}"), Some(&user.token)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

/// Notifications of one kind the user has (read or not).
async fn notes_of(app: &TestApp, user: &User, kind: &str) -> Vec<Value> {
    app.notifications(user, false).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == kind)
        .cloned()
        .collect()
}

async fn review(
    app: &TestApp,
    user: &User,
    rental: i64,
    rating: i64,
    content: &str,
) -> (StatusCode, Value) {
    app.post(
        &format!("/rentals/{rental}/reviews"),
        Some(&user.token),
        json!({"rating": rating, "content": content}),
    )
    .await
}

/// Requested, accepted and returned: ready for reviews.
async fn returned_rental(
    app: &TestApp,
    lender: &User,
    borrower: &User,
    item: i64,
    from: i64,
) -> i64 {
    let id = requested(app, borrower, item, from, from + DAY).await;
    ok(app, lender, id, "accept").await;
    ok(app, lender, id, "return").await;
    id
}

#[tokio::test]
async fn request_on_a_lend_item_makes_the_caller_the_borrower() {
    let app = TestApp::spawn_long_lived().await;
    let (lender, borrower, item) = setup(&app).await;
    let (s, r) = request(&app, &borrower, item, 2 * DAY, 3 * DAY).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["lender"]["id"], lender.id);
    assert_eq!(r["borrower"]["id"], borrower.id);
    assert_eq!(r["requested_by"], borrower.id);
    assert_eq!(r["item"]["id"], item);
    assert_eq!(r["status"], "requested");
    assert_eq!(r["total_price"], 5000);
    assert_eq!(r["in_progress"], false);
    assert_eq!(r["overdue"], false);
    assert_eq!(r["decided_at"], Value::Null);
    assert_eq!(r["returned_at"], Value::Null);
    assert!(r["start_at"].as_str().unwrap().ends_with('Z'));
    // Both parties may read it; nobody else (admins may).
    let id = r["id"].as_i64().unwrap();
    rental(&app, &lender, id).await;
    let stranger = app.signup("stranger").await;
    let (s, _) = app
        .get(&format!("/rentals/{id}"), Some(&stranger.token))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.make_admin(&stranger).await;
    let (s, _) = app
        .get(&format!("/rentals/{id}"), Some(&stranger.token))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get("/rentals/99999", Some(&lender.token)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn request_on_a_borrow_item_makes_the_caller_the_lender_and_the_owner_decides() {
    let app = TestApp::spawn_long_lived().await;
    let seeker = app.signup("seeker").await;
    let neighbour = app.signup("neighbour").await;
    let item = app.create_item(&seeker, json!({"section": "borrow", "title": "사다리 빌려요", "price": null, "price_unit": null})).await;
    let item = item["id"].as_i64().unwrap();
    let (s, r) = request(&app, &neighbour, item, DAY, 2 * DAY).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["lender"]["id"], neighbour.id);
    assert_eq!(r["borrower"]["id"], seeker.id);
    assert_eq!(r["requested_by"], neighbour.id);
    assert_eq!(r["total_price"], Value::Null);
    let id = r["id"].as_i64().unwrap();
    // The requester cannot decide their own offer; the owner can.
    let (s, _) = act(&app, &neighbour, id, "accept").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let r = ok(&app, &seeker, id, "accept").await;
    assert_eq!(r["status"], "accepted");
    // The return is confirmed by the lender, here the neighbour.
    let (s, _) = act(&app, &seeker, id, "return").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let r = ok(&app, &neighbour, id, "return").await;
    assert_eq!(r["status"], "returned");
    app.stop().await;
}

#[tokio::test]
async fn request_on_own_item_is_403() {
    let app = TestApp::spawn_long_lived().await;
    let (lender, _, item) = setup(&app).await;
    let (s, b) = request(&app, &lender, item, DAY, 2 * DAY).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(b["error"]["code"], "forbidden");
    app.stop().await;
}

#[tokio::test]
async fn request_period_rules_are_400() {
    let app = TestApp::spawn_long_lived().await;
    let (_, borrower, item) = setup(&app).await;
    let path = format!("/items/{item}/rentals");
    let same = app.at(2 * DAY);
    let cases = [
        (json!({"start_at": same, "end_at": same}), "end_at"),
        (
            json!({"start_at": app.at(2 * DAY), "end_at": app.at(DAY)}),
            "end_at",
        ),
        (
            json!({"start_at": app.at(-HOUR), "end_at": app.at(DAY)}),
            "start_at",
        ),
        (
            json!({"start_at": "tomorrow", "end_at": app.at(DAY)}),
            "start_at",
        ),
        (
            json!({"start_at": app.at(DAY), "end_at": "2026-13-01T00:00:00Z"}),
            "end_at",
        ),
        (json!({"start_at": app.at(DAY)}), "end_at"),
        (json!({"start_at": 5, "end_at": app.at(DAY)}), "start_at"),
    ];
    for (body, field) in cases {
        let (s, b) = app.post(&path, Some(&borrower.token), body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} → {b}");
        assert_eq!(b["error"]["code"], "validation_failed");
        assert!(
            b["error"]["fields"][field].is_string(),
            "{body} should name {field}: {b}"
        );
    }
    let (s, _) = app
        .raw(
            reqwest::Method::POST,
            &format!("/api/v1/items/{item}/rentals"),
            Some(&borrower.token),
            "{nope",
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Any offset is fine; it is the instant that counts.
    let start = app.state.clock.now_ms() + DAY;
    let (s, b) = app
        .post(
            &path,
            Some(&borrower.token),
            json!({"start_at": egodaeyeo::clock::format_ms(start).replace('Z', "+00:00"), "end_at": iso(start + HOUR)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, _) = request(&app, &borrower, 99999, DAY, 2 * DAY).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .post(
            &path,
            None,
            json!({"start_at": app.at(DAY), "end_at": app.at(2 * DAY)}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn request_overlapping_an_accepted_rental_is_409_but_touching_periods_are_fine() {
    let app = TestApp::spawn_long_lived().await;
    let (lender, borrower, item) = setup(&app).await;
    let other = app.signup("other").await;
    // Fixed instants, so touching periods touch to the millisecond.
    let t0 = app.state.clock.now_ms();
    let ask = |from: i64, to: i64| {
        let (app, other) = (&app, &other);
        async move {
            app.post(
                &format!("/items/{item}/rentals"),
                Some(&other.token),
                json!({"start_at": iso(t0 + from), "end_at": iso(t0 + to)}),
            )
            .await
        }
    };
    let id = requested(&app, &borrower, item, 2 * DAY, 4 * DAY).await;
    let accepted = ok(&app, &lender, id, "accept").await;
    let (start, end) = (
        accepted["start_at"].as_str().unwrap(),
        accepted["end_at"].as_str().unwrap(),
    );
    let t0 = egodaeyeo::clock::parse_rfc3339(start).unwrap() - 2 * DAY;
    assert_eq!(iso(t0 + 4 * DAY), end);
    for (from, to) in [
        (3 * DAY, 5 * DAY),
        (DAY, 3 * DAY),
        (2 * DAY, 4 * DAY),
        (5 * DAY / 2, 3 * DAY),
        (DAY, 5 * DAY),
    ] {
        let (s, b) = ask(from, to).await;
        assert_eq!(s, StatusCode::CONFLICT, "[{from}, {to}) → {b}");
        assert_eq!(b["error"]["code"], "conflict");
    }
    // Half-open periods: ending when another starts, or starting when it ends, is no overlap.
    let (s, before) = ask(DAY, 2 * DAY).await;
    assert_eq!(s, StatusCode::CREATED, "{before}");
    ok(&app, &other, before["id"].as_i64().unwrap(), "cancel").await;
    let (s, after) = ask(4 * DAY, 5 * DAY).await;
    assert_eq!(s, StatusCode::CREATED, "{after}");
    app.stop().await;
}

#[tokio::test]
async fn second_open_request_by_the_same_user_is_409() {
    let app = TestApp::spawn_long_lived().await;
    let (_, borrower, item) = setup(&app).await;
    let first = requested(&app, &borrower, item, DAY, 2 * DAY).await;
    let (s, b) = request(&app, &borrower, item, 5 * DAY, 6 * DAY).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    // Another user may ask for the same period: only accepted periods block.
    let other = app.signup("other").await;
    requested(&app, &other, item, DAY, 2 * DAY).await;
    // Once the first is no longer open, the user may ask again.
    ok(&app, &borrower, first, "cancel").await;
    requested(&app, &borrower, item, 5 * DAY, 6 * DAY).await;
    app.stop().await;
}

#[tokio::test]
async fn accept_and_reject_only_by_the_counterparty() {
    let app = TestApp::spawn_long_lived().await;
    let (lender, borrower, item) = setup(&app).await;
    let stranger = app.signup("stranger").await;
    let a = requested(&app, &borrower, item, DAY, 2 * DAY).await;
    for action in ["accept", "reject"] {
        let (s, _) = act(&app, &borrower, a, action).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "requester {action}");
        let (s, _) = act(&app, &stranger, a, action).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "stranger {action}");
    }
    let r = ok(&app, &lender, a, "accept").await;
    assert_eq!(r["status"], "accepted");
    assert!(r["decided_at"].is_string());
    let other = app.signup("other").await;
    let b = requested(&app, &other, item, 3 * DAY, 4 * DAY).await;
    let r = ok(&app, &lender, b, "reject").await;
    assert_eq!(r["status"], "rejected");
    assert!(r["decided_at"].is_string());
    let (s, _) = act(&app, &lender, a, "frobnicate").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = act(&app, &lender, 99999, "accept").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn every_transition_not_allowed_from_the_current_state_is_409() {
    let app = TestApp::spawn_long_lived().await;
    let (lender, borrower, item) = setup(&app).await;
    // requested: no return.
    let id = requested(&app, &borrower, item, DAY, 2 * DAY).await;
    assert_eq!(
        act(&app, &lender, id, "return").await.0,
        StatusCode::CONFLICT
    );
    // accepted: no second accept, no reject.
    ok(&app, &lender, id, "accept").await;
    assert_eq!(
        act(&app, &lender, id, "accept").await.0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        act(&app, &lender, id, "reject").await.0,
        StatusCode::CONFLICT
    );
    // returned: nothing.
    ok(&app, &lender, id, "return").await;
    for action in ["accept", "reject", "cancel", "return"] {
        let (s, b) = act(&app, &lender, id, action).await;
        assert_eq!(s, StatusCode::CONFLICT, "returned → {action}: {b}");
        assert_eq!(b["error"]["code"], "conflict");
    }
    // rejected: nothing.
    let id = requested(&app, &borrower, item, 3 * DAY, 4 * DAY).await;
    ok(&app, &lender, id, "reject").await;
    for (who, action) in [
        (&lender, "accept"),
        (&lender, "reject"),
        (&borrower, "cancel"),
        (&lender, "return"),
    ] {
        assert_eq!(
            act(&app, who, id, action).await.0,
            StatusCode::CONFLICT,
            "rejected → {action}"
        );
    }
    // cancelled: nothing.
    let id = requested(&app, &borrower, item, 3 * DAY, 4 * DAY).await;
    ok(&app, &borrower, id, "cancel").await;
    for (who, action) in [
        (&lender, "accept"),
        (&lender, "reject"),
        (&borrower, "cancel"),
        (&lender, "return"),
    ] {
        assert_eq!(
            act(&app, who, id, action).await.0,
            StatusCode::CONFLICT,
            "cancelled → {action}"
        );
    }
    // A request whose start has passed can no longer be accepted, even before the scheduler ran.
    let id = requested(&app, &borrower, item, 5 * DAY, 6 * DAY).await;
    app.state.clock.advance_ms(5 * DAY + HOUR);
    assert_eq!(
        act(&app, &lender, id, "accept").await.0,
        StatusCode::CONFLICT
    );
    // expired: nothing.
    scheduler::tick(&app.state).await.unwrap();
    assert_eq!(rental(&app, &lender, id).await["status"], "expired");
    for (who, action) in [
        (&lender, "accept"),
        (&lender, "reject"),
        (&borrower, "cancel"),
        (&lender, "return"),
    ] {
        assert_eq!(
            act(&app, who, id, action).await.0,
            StatusCode::CONFLICT,
            "expired → {action}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn cancel_rules_requester_while_requested_either_party_before_start() {
    let app = TestApp::spawn_long_lived().await;
    let (lender, borrower, item) = setup(&app).await;
    let stranger = app.signup("stranger").await;
    // requested: only the requester.
    let id = requested(&app, &borrower, item, DAY, 2 * DAY).await;
    assert_eq!(
        act(&app, &lender, id, "cancel").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        act(&app, &stranger, id, "cancel").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        ok(&app, &borrower, id, "cancel").await["status"],
        "cancelled"
    );
    // accepted and not started: either party.
    let id = requested(&app, &borrower, item, DAY, 2 * DAY).await;
    ok(&app, &lender, id, "accept").await;
    assert_eq!(
        act(&app, &stranger, id, "cancel").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(ok(&app, &lender, id, "cancel").await["status"], "cancelled");
    let id = requested(&app, &borrower, item, DAY, 2 * DAY).await;
    ok(&app, &lender, id, "accept").await;
    assert_eq!(
        ok(&app, &borrower, id, "cancel").await["status"],
        "cancelled"
    );
    // accepted and started: nobody.
    let id = requested(&app, &borrower, item, DAY, 2 * DAY).await;
    ok(&app, &lender, id, "accept").await;
    app.state.clock.advance_ms(DAY);
    for who in [&lender, &borrower] {
        let (s, b) = act(&app, who, id, "cancel").await;
        assert_eq!(s, StatusCode::CONFLICT, "{b}");
    }
    assert_eq!(rental(&app, &lender, id).await["status"], "accepted");
    app.stop().await;
}

#[tokio::test]
async fn return_only_by_the_lender_while_accepted() {
    let app = TestApp::spawn_long_lived().await;
    let (lender, borrower, item) = setup(&app).await;
    let id = requested(&app, &borrower, item, DAY, 2 * DAY).await;
    ok(&app, &lender, id, "accept").await;
    let (s, _) = act(&app, &borrower, id, "return").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let r = ok(&app, &lender, id, "return").await;
    assert_eq!(r["status"], "returned");
    assert!(r["returned_at"].is_string());
    assert_eq!(r["in_progress"], false);
    assert_eq!(r["overdue"], false);
    app.stop().await;
}

#[tokio::test]
async fn in_progress_overdue_and_item_status_follow_the_clock() {
    let app = TestApp::spawn_long_lived().await;
    let (lender, borrower, item) = setup(&app).await;
    let id = requested(&app, &borrower, item, DAY, 2 * DAY).await;
    ok(&app, &lender, id, "accept").await;
    let r = rental(&app, &borrower, id).await;
    assert_eq!(
        (r["in_progress"].clone(), r["overdue"].clone()),
        (json!(false), json!(false))
    );
    assert_eq!(item_status(&app, item).await, "available");
    // The period starts.
    app.state.clock.advance_ms(DAY + HOUR);
    let r = rental(&app, &borrower, id).await;
    assert_eq!(
        (r["in_progress"].clone(), r["overdue"].clone()),
        (json!(true), json!(false))
    );
    scheduler::tick(&app.state).await.unwrap();
    assert_eq!(item_status(&app, item).await, "rented");
    let (_, list) = app.get("/items?status=rented", None).await;
    assert_eq!(list["total"], 1);
    // The period ends without a return: overdue, still rented.
    app.state.clock.advance_ms(DAY);
    scheduler::tick(&app.state).await.unwrap();
    let r = rental(&app, &borrower, id).await;
    assert_eq!(
        (r["in_progress"].clone(), r["overdue"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(r["status"], "accepted");
    assert_eq!(item_status(&app, item).await, "rented");
    // Returned: available again.
    let r = ok(&app, &lender, id, "return").await;
    assert_eq!(r["overdue"], false);
    assert_eq!(item_status(&app, item).await, "available");
    app.stop().await;
}

#[tokio::test]
async fn booked_periods_show_on_detail_and_availability() {
    let app = TestApp::spawn_long_lived().await;
    let (lender, borrower, item) = setup(&app).await;
    let other = app.signup("other").await;
    let a = requested(&app, &borrower, item, 2 * DAY, 3 * DAY).await;
    let a = ok(&app, &lender, a, "accept").await;
    let b = requested(&app, &other, item, 10 * DAY, 12 * DAY).await;
    let b = ok(&app, &lender, b, "accept").await;
    // Requested only: not booked.
    let third = app.signup("third").await;
    requested(&app, &third, item, 5 * DAY, 6 * DAY).await;
    let (_, detail) = app.get(&format!("/items/{item}"), None).await;
    assert_eq!(
        detail["booked"],
        json!([{"start_at": a["start_at"], "end_at": a["end_at"]}, {"start_at": b["start_at"], "end_at": b["end_at"]}])
    );
    let (s, av) = app.get(&format!("/items/{item}/availability"), None).await;
    assert_eq!(s, StatusCode::OK, "{av}");
    assert_eq!(av, detail["booked"]);
    let q = format!(
        "/items/{item}/availability?from={}&to={}",
        app.at(4 * DAY),
        app.at(11 * DAY)
    );
    let (_, av) = app.get(&q.replace('+', "%2B"), None).await;
    assert_eq!(
        av,
        json!([{"start_at": b["start_at"], "end_at": b["end_at"]}])
    );
    let (s, _) = app
        .get(&format!("/items/{item}/availability?from=yesterday"), None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let q = format!(
        "/items/{item}/availability?from={}&to={}",
        app.at(4 * DAY),
        app.at(DAY)
    );
    let (s, _) = app.get(&q, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app.get("/items/99999/availability", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A cancelled booking frees its period.
    ok(&app, &borrower, a["id"].as_i64().unwrap(), "cancel").await;
    let (_, detail) = app.get(&format!("/items/{item}"), None).await;
    assert_eq!(detail["booked"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn total_price_counts_started_units_and_is_null_without_a_price() {
    let app = TestApp::spawn_long_lived().await;
    let lender = app.signup("lender").await;
    let cases = [
        (json!({"price": 5000, "price_unit": "day"}), DAY, Some(5000)),
        (
            json!({"price": 5000, "price_unit": "day"}),
            DAY + HOUR,
            Some(10000),
        ),
        (
            json!({"price": 1000, "price_unit": "hour"}),
            90 * 60 * 1000,
            Some(2000),
        ),
        (
            json!({"price": 20000, "price_unit": "week"}),
            8 * DAY,
            Some(40000),
        ),
        (
            json!({"price": 50000, "price_unit": "month"}),
            3 * DAY,
            Some(50000),
        ),
        (json!({"price": 0, "price_unit": "day"}), 3 * DAY, Some(0)),
        (json!({"price": null, "price_unit": null}), 3 * DAY, None),
    ];
    for (i, (price, len, expected)) in cases.into_iter().enumerate() {
        let item = app.create_item(&lender, price.clone()).await;
        let borrower = app.signup(&format!("bor{i}")).await;
        let (s, r) = request(
            &app,
            &borrower,
            item["id"].as_i64().unwrap(),
            DAY,
            DAY + len,
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        assert_eq!(r["total_price"], json!(expected), "{price} for {len} ms");
    }
    app.stop().await;
}

#[tokio::test]
async fn rentals_list_by_role_and_state() {
    let app = TestApp::spawn_long_lived().await;
    let (lender, borrower, item) = setup(&app).await;
    let wanted = app
        .create_item(
            &borrower,
            json!({"section": "borrow", "title": "카메라 빌려요"}),
        )
        .await;
    let wanted = wanted["id"].as_i64().unwrap();
    let pending = requested(&app, &borrower, item, DAY, 2 * DAY).await;
    let ongoing = {
        let other_item = app.create_item(&lender, json!({"title": "텐트"})).await;
        let id = requested(
            &app,
            &borrower,
            other_item["id"].as_i64().unwrap(),
            DAY,
            2 * DAY,
        )
        .await;
        ok(&app, &lender, id, "accept").await;
        id
    };
    // The lender offers on the borrower's `borrow` item, the borrower rejects: closed.
    let offered = requested(&app, &lender, wanted, DAY, 2 * DAY).await;
    ok(&app, &borrower, offered, "reject").await;
    let ids = |b: &Value| -> Vec<i64> {
        b["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    };
    let get = |q: &'static str, u: &User| {
        let token = u.token.clone();
        let app = &app;
        async move {
            let (s, b) = app.get(&format!("/rentals{q}"), Some(&token)).await;
            assert_eq!(s, StatusCode::OK, "{q}: {b}");
            b
        }
    };
    let all = get("", &borrower).await;
    assert_eq!(ids(&all), vec![offered, ongoing, pending]);
    assert_eq!(all["total"], 3);
    assert_eq!(all["page"], 1);
    assert_eq!(
        ids(&get("?role=borrower", &borrower).await),
        vec![offered, ongoing, pending]
    );
    assert_eq!(
        ids(&get("?role=lender", &borrower).await),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&get("?role=lender", &lender).await),
        vec![offered, ongoing, pending]
    );
    assert_eq!(ids(&get("?state=pending", &borrower).await), vec![pending]);
    assert_eq!(ids(&get("?state=ongoing", &borrower).await), vec![ongoing]);
    assert_eq!(ids(&get("?state=closed", &borrower).await), vec![offered]);
    assert_eq!(
        ids(&get("?role=any&state=ongoing", &lender).await),
        vec![ongoing]
    );
    let page = get("?per_page=2&page=2", &lender).await;
    assert_eq!(ids(&page), vec![pending]);
    assert_eq!(page["total"], 3);
    let stranger = app.signup("stranger").await;
    assert_eq!(get("", &stranger).await["total"], 0);
    for q in ["?role=owner", "?state=open", "?per_page=0"] {
        let (s, _) = app.get(&format!("/rentals{q}"), Some(&lender.token)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}");
    }
    let (s, _) = app.get("/rentals", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn accept_twice_overlapping_only_one_wins() {
    let app = TestApp::spawn_long_lived().await;
    let (lender, borrower, _) = setup(&app).await;
    let other = app.signup("other").await;
    for round in 0..5 {
        let item = app
            .create_item(&lender, json!({"title": format!("물건 {round}")}))
            .await;
        let item = item["id"].as_i64().unwrap();
        let a = requested(&app, &borrower, item, DAY, 3 * DAY).await;
        let b = requested(&app, &other, item, 2 * DAY, 4 * DAY).await;
        let (ra, rb) = tokio::join!(
            act(&app, &lender, a, "accept"),
            act(&app, &lender, b, "accept")
        );
        let mut statuses = [ra.0.as_u16(), rb.0.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "round {round}: {ra:?} {rb:?}");
        let (_, detail) = app.get(&format!("/items/{item}"), None).await;
        assert_eq!(
            detail["booked"].as_array().unwrap().len(),
            1,
            "round {round}"
        );
        let loser = if ra.0 == StatusCode::OK { b } else { a };
        assert_eq!(rental(&app, &lender, loser).await["status"], "requested");
    }
    app.stop().await;
}

#[tokio::test]
async fn unanswered_request_expires_at_its_start_exactly_once() {
    let app = TestApp::spawn_long_lived().await;
    let (lender, borrower, item) = setup(&app).await;
    let id = requested(&app, &borrower, item, 2 * DAY, 3 * DAY).await;
    app.state.clock.advance_ms(2 * DAY - 1000);
    scheduler::tick(&app.state).await.unwrap();
    assert_eq!(rental(&app, &lender, id).await["status"], "requested");
    app.state.clock.advance_ms(1000);
    scheduler::tick(&app.state).await.unwrap();
    scheduler::tick(&app.state).await.unwrap();
    let r = rental(&app, &lender, id).await;
    assert_eq!(r["status"], "expired");
    assert!(r["decided_at"].is_string());
    assert_eq!(notes_of(&app, &borrower, "rental_expired").await.len(), 1);
    let room = app.open_chat(&borrower, item).await;
    let expired: Vec<Value> = app
        .all_messages(&borrower, room)
        .await
        .into_iter()
        .filter(|m| m["event"]["type"] == "rental_expired")
        .collect();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0]["event"]["rental_id"], id);
    // The user may ask again.
    requested(&app, &borrower, item, DAY, 2 * DAY).await;
    app.stop().await;
}

/// A second instance on the same database (SQLite file or PostgreSQL), with its own clock.
async fn second_instance(app: &TestApp) -> TestApp {
    let url = app.database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            app.data_dir.join("egodaeyeo.db").display()
        )
    });
    TestApp::spawn_with(Some(url), None, long_lived).await
}

#[tokio::test]
async fn reminders_go_out_once_each_even_with_repeated_ticks_on_two_instances() {
    let app = TestApp::spawn_long_lived().await;
    let twin = second_instance(&app).await;
    let advance = |ms: i64| {
        app.state.clock.advance_ms(ms);
        twin.state.clock.advance_ms(ms);
    };
    let tick_both = || async {
        let (a, b) = tokio::join!(scheduler::tick(&app.state), scheduler::tick(&twin.state));
        a.unwrap() + b.unwrap()
    };
    let (lender, borrower, item) = setup(&app).await;
    let id = requested(&app, &borrower, item, 3 * DAY, 5 * DAY).await;
    ok(&app, &lender, id, "accept").await;
    let count = |kind: &'static str| {
        let (app, lender, borrower) = (&app, &lender, &borrower);
        async move {
            (
                notes_of(app, lender, kind).await.len(),
                notes_of(app, borrower, kind).await.len(),
            )
        }
    };
    // Nothing yet two days before the start.
    advance(DAY);
    tick_both().await;
    assert_eq!(count("rental_starts_soon").await, (0, 0));
    // A day before the start, both parties hear it, once.
    advance(DAY);
    assert_eq!(tick_both().await, 1);
    tick_both().await;
    assert_eq!(count("rental_starts_soon").await, (1, 1));
    // The start: the item is rented (one pass does it).
    advance(DAY);
    tick_both().await;
    assert_eq!(item_status(&app, item).await, "rented");
    // Not yet an hour before the end.
    advance(2 * DAY - HOUR - 1000);
    tick_both().await;
    assert_eq!(count("rental_return_due").await, (0, 0));
    // An hour before the end: the borrower is reminded, once.
    advance(1000);
    assert_eq!(tick_both().await, 1);
    tick_both().await;
    assert_eq!(count("rental_return_due").await, (0, 1));
    assert_eq!(count("rental_overdue").await, (0, 0));
    // The end without a return: overdue, once, to both.
    advance(HOUR);
    assert_eq!(tick_both().await, 1);
    tick_both().await;
    advance(DAY);
    tick_both().await;
    assert_eq!(count("rental_overdue").await, (1, 1));
    let r = rental(&app, &lender, id).await;
    assert_eq!(r["overdue"], true);
    // Reminders are notifications with a link to the rental.
    let n = &notes_of(&app, &borrower, "rental_return_due").await[0];
    assert_eq!(n["link"], format!("/rentals/{id}"));
    assert_eq!(n["body"], "전동드릴");
    twin.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn scheduler_catches_up_on_everything_due_after_a_long_pause() {
    let app = TestApp::spawn_long_lived().await;
    let (lender, borrower, item) = setup(&app).await;
    let other = app.signup("other").await;
    let open = requested(&app, &other, item, 5 * DAY, 6 * DAY).await;
    let id = requested(&app, &borrower, item, 2 * DAY, 3 * DAY).await;
    ok(&app, &lender, id, "accept").await;
    // The server was down for a week.
    app.state.clock.advance_ms(7 * DAY);
    scheduler::tick(&app.state).await.unwrap();
    assert_eq!(rental(&app, &other, open).await["status"], "expired");
    assert_eq!(item_status(&app, item).await, "rented");
    assert_eq!(notes_of(&app, &borrower, "rental_overdue").await.len(), 1);
    assert_eq!(scheduler::tick(&app.state).await.unwrap(), 0);
    app.stop().await;
}

/// The first frame of each of these types, whatever order they come in.
async fn frames_of(ws: &mut Ws, kinds: &[&str]) -> std::collections::HashMap<String, Value> {
    let mut got = std::collections::HashMap::new();
    while got.len() < kinds.len() {
        let f = ws.next().await;
        let kind = f["type"].as_str().unwrap().to_string();
        if kinds.contains(&kind.as_str()) && !got.contains_key(&kind) {
            got.insert(kind, f);
        }
    }
    got
}

#[tokio::test]
async fn every_rental_event_posts_a_system_message_and_notifies_the_other_party_live() {
    let app = TestApp::spawn_long_lived().await;
    let (lender, borrower, item) = setup(&app).await;
    let mut lender_ws = app.ws(&lender.token).await;
    let mut borrower_ws = app.ws(&borrower.token).await;
    // No room yet: the request creates it.
    let (_, rooms) = app.get("/chats", Some(&borrower.token)).await;
    assert_eq!(rooms, json!([]));
    let id = requested(&app, &borrower, item, DAY, 2 * DAY).await;
    let (_, rooms) = app.get("/chats", Some(&borrower.token)).await;
    assert_eq!(rooms.as_array().unwrap().len(), 1, "{rooms}");
    let room = rooms[0]["id"].as_i64().unwrap();
    assert_eq!(rooms[0]["item"]["id"], item);
    assert_eq!(rooms[0]["other_user"]["id"], lender.id);
    assert_eq!(rooms[0]["last_message"]["kind"], "system");
    // Live for the lender: the system message, the notification, the rental (in any order: the
    // message goes out after its commit, on the writer's delivery stage).
    let live = frames_of(&mut lender_ws, &["message", "notification", "rental"]).await;
    let m = &live["message"];
    assert_eq!(m["message"]["kind"], "system");
    assert_eq!(m["message"]["sender_id"], Value::Null);
    assert_eq!(
        m["message"]["event"],
        json!({"type": "rental_requested", "rental_id": id})
    );
    assert_eq!(m["message"]["room_id"], room);
    let n = &live["notification"];
    assert_eq!(n["notification"]["kind"], "rental_requested");
    assert_eq!(n["notification"]["link"], format!("/rentals/{id}"));
    assert_eq!(n["unread_count"], 1);
    let r = &live["rental"];
    assert_eq!(r["rental"]["id"], id);
    assert_eq!(r["rental"]["status"], "requested");
    assert_eq!(borrower_ws.next_of("rental").await["rental"]["id"], id);
    // The requester is not notified of their own action.
    assert!(notes_of(&app, &borrower, "rental_requested")
        .await
        .is_empty());
    // A system message counts as unread for both; it does not make a chat notification.
    let (_, r) = app
        .get(&format!("/chats/{room}"), Some(&lender.token))
        .await;
    assert_eq!(r["unread_count"], 1);

    ok(&app, &lender, id, "accept").await;
    let n = borrower_ws.next_of("notification").await;
    assert_eq!(n["notification"]["kind"], "rental_accepted");
    let r = borrower_ws.next_of("rental").await;
    assert_eq!(r["rental"]["status"], "accepted");
    ok(&app, &lender, id, "return").await;
    assert_eq!(
        borrower_ws.next_of("notification").await["notification"]["kind"],
        "rental_returned"
    );
    let (s, _) = review(&app, &borrower, id, 5, "친절하셨어요").await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        lender_ws.next_of("notification").await["notification"]["kind"],
        "review_received"
    );

    // A second request, rejected; a third, cancelled.
    let r2 = requested(&app, &borrower, item, 3 * DAY, 4 * DAY).await;
    ok(&app, &lender, r2, "reject").await;
    let r3 = requested(&app, &borrower, item, 3 * DAY, 4 * DAY).await;
    ok(&app, &borrower, r3, "cancel").await;

    let events: Vec<(String, i64)> = app
        .all_messages(&lender, room)
        .await
        .iter()
        .map(|m| {
            assert_eq!(m["kind"], "system");
            (
                m["event"]["type"].as_str().unwrap().to_string(),
                m["event"]["rental_id"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, i64)> = [
        ("rental_requested", id),
        ("rental_accepted", id),
        ("rental_returned", id),
        ("rental_reviewed", id),
        ("rental_requested", r2),
        ("rental_rejected", r2),
        ("rental_requested", r3),
        ("rental_cancelled", r3),
    ]
    .iter()
    .map(|(k, i)| (k.to_string(), *i))
    .collect();
    assert_eq!(events, expected);
    // One room for the pair, whatever happened.
    assert_eq!(
        app.get("/chats", Some(&lender.token))
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let kinds = |b: Value| -> Vec<String> {
        let mut k: Vec<String> = b["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["kind"].as_str().unwrap().to_string())
            .collect();
        k.sort();
        k
    };
    assert_eq!(
        kinds(app.notifications(&lender, false).await),
        vec![
            "rental_cancelled",
            "rental_requested",
            "rental_requested",
            "rental_requested",
            "review_received"
        ]
    );
    assert_eq!(
        kinds(app.notifications(&borrower, false).await),
        vec!["rental_accepted", "rental_rejected", "rental_returned"]
    );
    app.stop().await;
}

#[tokio::test]
async fn rental_events_on_a_borrow_item_land_in_the_room_of_the_owner_and_the_lender() {
    let app = TestApp::spawn_long_lived().await;
    let seeker = app.signup("seeker").await;
    let neighbour = app.signup("neighbour").await;
    let item = app
        .create_item(
            &seeker,
            json!({"section": "borrow", "title": "유모차 빌려요"}),
        )
        .await;
    let item = item["id"].as_i64().unwrap();
    // The neighbour had already asked in chat: the same room is used.
    let room = app.open_chat(&neighbour, item).await;
    app.say(&neighbour, room, "제가 빌려드릴게요").await;
    let id = requested(&app, &neighbour, item, DAY, 2 * DAY).await;
    ok(&app, &seeker, id, "accept").await;
    let msgs = app.all_messages(&seeker, room).await;
    let kinds: Vec<&str> = msgs.iter().map(|m| m["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["text", "system", "system"]);
    assert_eq!(
        msgs[2]["event"],
        json!({"type": "rental_accepted", "rental_id": id})
    );
    assert_eq!(notes_of(&app, &seeker, "rental_requested").await.len(), 1);
    assert_eq!(notes_of(&app, &neighbour, "rental_accepted").await.len(), 1);
    assert_eq!(
        app.get("/chats", Some(&seeker.token))
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn reviews_only_by_parties_after_return_once_each_and_validated() {
    let app = TestApp::spawn_long_lived().await;
    let (lender, borrower, item) = setup(&app).await;
    let stranger = app.signup("stranger").await;
    let id = requested(&app, &borrower, item, DAY, 2 * DAY).await;
    // Not before the return.
    let (s, b) = review(&app, &borrower, id, 5, "좋아요").await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    ok(&app, &lender, id, "accept").await;
    let (s, _) = review(&app, &lender, id, 5, "좋아요").await;
    assert_eq!(s, StatusCode::CONFLICT);
    ok(&app, &lender, id, "return").await;
    let (s, _) = review(&app, &stranger, id, 5, "구경꾼").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for (rating, content, field) in [
        (0, "별로", "rating"),
        (6, "최고", "rating"),
        (4, "가".repeat(301).leak() as &str, "content"),
    ] {
        let (s, b) = review(&app, &borrower, id, rating, content).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
        assert!(b["error"]["fields"][field].is_string(), "{b}");
    }
    let (s, b) = app
        .post(
            &format!("/rentals/{id}/reviews"),
            Some(&borrower.token),
            json!({"rating": "five"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let long = "가".repeat(300);
    let (s, r) = review(&app, &borrower, id, 4, &long).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["rental_id"], id);
    assert_eq!(r["item_id"], item);
    assert_eq!(r["author"]["id"], borrower.id);
    assert_eq!(r["subject"]["id"], lender.id);
    assert_eq!(r["rating"], 4);
    assert_eq!(r["content"], long.as_str());
    let (s, _) = review(&app, &borrower, id, 5, "한 번 더").await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, r) = review(&app, &lender, id, 5, "").await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, _) = review(&app, &lender, id, 5, "또").await;
    assert_eq!(s, StatusCode::CONFLICT);
    app.stop().await;
}

#[tokio::test]
async fn reviews_are_hidden_until_both_reviewed_and_count_in_score() {
    let app = TestApp::spawn_long_lived().await;
    let (lender, borrower, item) = setup(&app).await;
    let id = returned_rental(&app, &lender, &borrower, item, DAY).await;
    let (s, _) = review(&app, &borrower, id, 4, "깨끗했어요").await;
    assert_eq!(s, StatusCode::CREATED);
    let reviews_of = |u: i64, viewer: Option<&User>| {
        let token = viewer.map(|v| v.token.clone());
        let app = &app;
        async move {
            let (s, b) = app
                .get(&format!("/users/{u}/reviews"), token.as_deref())
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
            b
        }
    };
    // Hidden from everyone but its author, and not yet in the score.
    assert_eq!(reviews_of(lender.id, None).await["total"], 0);
    assert_eq!(reviews_of(lender.id, Some(&lender)).await["total"], 0);
    assert_eq!(reviews_of(lender.id, Some(&borrower)).await["total"], 1);
    let (_, u) = app.get(&format!("/users/{}", lender.id), None).await;
    assert_eq!(u["score"], Value::Null);
    assert_eq!(u["review_count"], 0);
    let (_, d) = app.get(&format!("/items/{item}"), None).await;
    assert_eq!(d["reviews"], json!([]));
    // Its author sees it on the item, others do not.
    let (_, d) = app
        .get(&format!("/items/{item}"), Some(&borrower.token))
        .await;
    assert_eq!(d["reviews"].as_array().unwrap().len(), 1);
    assert_eq!(d["reviews"][0]["content"], "깨끗했어요");
    let (_, d) = app
        .get(&format!("/items/{item}"), Some(&lender.token))
        .await;
    assert_eq!(d["reviews"], json!([]));
    // The other side reviews: both show.
    let (s, _) = review(&app, &lender, id, 5, "약속을 잘 지켜요").await;
    assert_eq!(s, StatusCode::CREATED);
    let page = reviews_of(lender.id, None).await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["rating"], 4);
    assert_eq!(page["items"][0]["content"], "깨끗했어요");
    assert_eq!(page["items"][0]["author"]["id"], borrower.id);
    assert_eq!(reviews_of(borrower.id, None).await["total"], 1);
    let (_, u) = app.get(&format!("/users/{}", lender.id), None).await;
    assert_eq!(u["score"], 80);
    assert_eq!(u["review_count"], 1);
    let (_, u) = app.get(&format!("/users/{}", borrower.id), None).await;
    assert_eq!(u["score"], 100);
    let (_, d) = app.get(&format!("/items/{item}"), None).await;
    assert_eq!(d["reviews"].as_array().unwrap().len(), 2);
    assert_eq!(d["owner"]["score"], 80);
    // More reviews: the mean × 20, rounded (5, 4, 5 → 93).
    let b2 = app.signup("bor2").await;
    let b3 = app.signup("bor3").await;
    for (b, rating, from) in [(&b2, 5, 3 * DAY), (&b3, 5, 5 * DAY)] {
        let id = returned_rental(&app, &lender, b, item, from).await;
        assert_eq!(review(&app, b, id, rating, "").await.0, StatusCode::CREATED);
        assert_eq!(
            review(&app, &lender, id, 3, "").await.0,
            StatusCode::CREATED
        );
    }
    let (_, u) = app.get(&format!("/users/{}", lender.id), None).await;
    assert_eq!(u["score"], 93);
    assert_eq!(u["review_count"], 3);
    let page = reviews_of(lender.id, None).await;
    assert_eq!(page["total"], 3);
    app.stop().await;
}

#[tokio::test]
async fn a_lone_review_shows_14_days_after_the_return() {
    let app = TestApp::spawn_long_lived().await;
    let (lender, borrower, item) = setup(&app).await;
    let id = returned_rental(&app, &lender, &borrower, item, DAY).await;
    app.state.clock.advance_ms(DAY);
    assert_eq!(
        review(&app, &borrower, id, 3, "보통이에요").await.0,
        StatusCode::CREATED
    );
    let total = || async {
        app.get(&format!("/users/{}/reviews", lender.id), None)
            .await
            .1["total"]
            .clone()
    };
    app.state.clock.advance_ms(12 * DAY);
    assert_eq!(total().await, 0);
    let (_, u) = app.get(&format!("/users/{}", lender.id), None).await;
    assert_eq!(u["score"], Value::Null);
    // 14 days after the return (not after the review).
    app.state.clock.advance_ms(DAY);
    assert_eq!(total().await, 1);
    let (_, u) = app.get(&format!("/users/{}", lender.id), None).await;
    assert_eq!(u["score"], 60);
    assert_eq!(u["review_count"], 1);
    let (_, d) = app.get(&format!("/items/{item}"), None).await;
    assert_eq!(d["reviews"][0]["content"], "보통이에요");
    // The other side may still answer; it shows at once (the window is over).
    assert_eq!(
        review(&app, &lender, id, 5, "").await.0,
        StatusCode::CREATED
    );
    let (_, u) = app.get(&format!("/users/{}", borrower.id), None).await;
    assert_eq!(u["score"], 100);
    app.stop().await;
}

#[tokio::test]
async fn every_rental_response_carries_the_callers_actions() {
    let app = TestApp::spawn().await;
    let (lender, borrower, item) = setup(&app).await;
    let mut lender_ws = app.ws(&lender.token).await;
    let id = requested(&app, &borrower, item, DAY, 2 * DAY).await;
    let actions = |v: &Value| v["actions"].clone();
    assert_eq!(
        actions(&rental(&app, &lender, id).await),
        json!(["accept", "reject"])
    );
    assert_eq!(
        actions(&rental(&app, &borrower, id).await),
        json!(["cancel"])
    );
    // The live frame is the receiver's own view.
    let frame = lender_ws.next_of("rental").await;
    assert_eq!(frame["rental"]["actions"], json!(["accept", "reject"]));

    let accepted = ok(&app, &lender, id, "accept").await;
    assert_eq!(
        actions(&accepted),
        json!(["return", "cancel", "handover_pickup"])
    );
    assert_eq!(
        actions(&rental(&app, &borrower, id).await),
        json!(["cancel", "extend", "handover_pickup"])
    );
    let (_, list) = app
        .get("/rentals?state=ongoing", Some(&borrower.token))
        .await;
    assert_eq!(
        list["items"][0]["actions"],
        json!(["cancel", "extend", "handover_pickup"])
    );

    // Returned: reviews, the return record (24 hours) and disputes (14 days).
    let returned = ok(&app, &lender, id, "return").await;
    assert_eq!(
        actions(&returned),
        json!(["review", "handover_return", "dispute"])
    );
    assert_eq!(
        review(&app, &borrower, id, 5, "좋아요").await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        actions(&rental(&app, &borrower, id).await),
        json!(["handover_return", "dispute"]),
        "reviewed once"
    );
    assert_eq!(
        actions(&rental(&app, &lender, id).await),
        json!(["review", "handover_return", "dispute"])
    );

    // An admin looking at it is not a party: no actions.
    let admin = app.signup("rentadmin").await;
    app.make_admin(&admin).await;
    assert_eq!(actions(&rental(&app, &admin, id).await), json!([]));
    app.stop().await;
}
