//! Borrowing rules (api.md, Items and Rentals): `min_days`/`max_days` on lend items, enforced on
//! requests (400 naming the field); a borrower with an overdue rental gets 409 on new requests.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{iso, TestApp, User, DAY, HOUR, PASSWORD};

async fn request(
    app: &TestApp,
    u: &User,
    token: &str,
    item: i64,
    from: i64,
    len: i64,
) -> (StatusCode, Value) {
    let now = app.state.clock.now_ms();
    let _ = u;
    app.post(
        &format!("/items/{item}/rentals"),
        Some(token),
        json!({"start_at": iso(now + from), "end_at": iso(now + from + len)}),
    )
    .await
}

async fn relogin(app: &TestApp, u: &User) -> String {
    let (s, b) = app
        .post(
            "/auth/login",
            None,
            json!({"email": u.email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn items_carry_valid_rules_on_lend_items_only() {
    let app = TestApp::spawn().await;
    let owner = app.signup("규칙주인").await;
    let item = app
        .create_item(&owner, json!({"min_days": 2, "max_days": 5}))
        .await;
    assert_eq!(item["min_days"], 2);
    assert_eq!(item["max_days"], 5);
    let id = item["id"].as_i64().unwrap();
    let (_, d) = app.get(&format!("/items/{id}"), None).await;
    assert_eq!(
        (d["min_days"].clone(), d["max_days"].clone()),
        (json!(2), json!(5))
    );
    for (body, field) in [
        (json!({"min_days": 0}), "min_days"),
        (json!({"max_days": 366}), "max_days"),
        (json!({"min_days": 5, "max_days": 2}), "max_days"),
        (json!({"section": "borrow", "min_days": 2}), "min_days"),
    ] {
        let mut b = json!({"section": "lend", "category_id": 4, "title": "규칙 검사", "price": 1000, "price_unit": "day"});
        for (k, v) in body.as_object().unwrap() {
            b[k] = v.clone();
        }
        let (s, r) = app.post("/items", Some(&owner.token), b).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
        assert!(r["error"]["fields"][field].is_string(), "{field}: {r}");
    }
    // null clears a rule.
    let (s, r) = app
        .patch(
            &format!("/items/{id}"),
            Some(&owner.token),
            json!({"max_days": null}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["max_days"], Value::Null);
    assert_eq!(r["min_days"], 2);
    app.stop().await;
}

#[tokio::test]
async fn requests_outside_the_rules_are_400_naming_the_rule() {
    let app = TestApp::spawn().await;
    let owner = app.signup("일수주인").await;
    let borrower = app.signup("일수빌림").await;
    let id = app
        .create_item(&owner, json!({"min_days": 2, "max_days": 5}))
        .await["id"]
        .as_i64()
        .unwrap();
    let t = borrower.token.clone();
    let (s, b) = request(&app, &borrower, &t, id, HOUR, DAY).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b["error"]["fields"]["min_days"].is_string(), "{b}");
    // Five days and an hour is six started days.
    let (s, b) = request(&app, &borrower, &t, id, HOUR, 5 * DAY + HOUR).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b["error"]["fields"]["max_days"].is_string(), "{b}");
    let (s, b) = request(&app, &borrower, &t, id, HOUR, 3 * DAY).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    app.stop().await;
}

#[tokio::test]
async fn an_overdue_borrower_cannot_request_until_the_return() {
    let app = TestApp::spawn().await;
    let owner = app.signup("연체주인").await;
    let borrower = app.signup("연체빌림").await;
    let first = app.create_item(&owner, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let second = app
        .create_item(&owner, json!({"title": "두번째 물건"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let (s, r) = request(&app, &borrower, &borrower.token, first, HOUR, DAY).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let rental = r["id"].as_i64().unwrap();
    let (s, _) = app
        .post(
            &format!("/rentals/{rental}/accept"),
            Some(&owner.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // Past the end, not returned: overdue.
    app.state.clock.advance_ms(DAY + 2 * HOUR);
    let bt = relogin(&app, &borrower).await;
    let ot = relogin(&app, &owner).await;
    let (s, b) = request(&app, &borrower, &bt, second, HOUR, DAY).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("반납"));
    let (s, _) = app
        .post(&format!("/rentals/{rental}/return"), Some(&ot), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = request(&app, &borrower, &bt, second, HOUR, DAY).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    app.stop().await;
}
