//! 이웃 온도 (api.md, Trust and safety): 36.5 to start, moved by visible reviews, on-time and late
//! returns, cancelled accepted rentals and upheld reports; recomputed when those change.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{iso, TestApp, User, DAY, HOUR, PASSWORD};

async fn trust(app: &TestApp, user: i64) -> f64 {
    let (s, u) = app.get(&format!("/users/{user}"), None).await;
    assert_eq!(s, StatusCode::OK);
    u["trust"].as_f64().expect("trust is a number")
}

async fn rental(app: &TestApp, borrower: &User, item: i64, from: i64) -> i64 {
    let now = app.state.clock.now_ms();
    let (s, r) = app
        .post(
            &format!("/items/{item}/rentals"),
            Some(&borrower.token),
            json!({"start_at": iso(now + from), "end_at": iso(now + from + DAY)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    r["id"].as_i64().unwrap()
}

async fn act(app: &TestApp, user: &User, id: i64, action: &str) -> Value {
    let (s, b) = app
        .post(
            &format!("/rentals/{id}/{action}"),
            Some(&user.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{action}: {b}");
    b
}

async fn review(app: &TestApp, user: &User, id: i64, rating: i64) {
    let (s, b) = app
        .post(
            &format!("/rentals/{id}/reviews"),
            Some(&user.token),
            json!({"rating": rating, "content": "고마웠어요"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

#[tokio::test]
async fn returns_reviews_and_cancellations_move_it_when_they_happen() {
    let app = TestApp::spawn().await;
    let lender = app.signup("온도빌려줌").await;
    let borrower = app.signup("온도빌림").await;
    let item = app.create_item(&lender, json!({})).await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(trust(&app, borrower.id).await, 36.5);

    // Returned before the agreed end: +0.5 for the borrower.
    let id = rental(&app, &borrower, item, HOUR).await;
    act(&app, &lender, id, "accept").await;
    act(&app, &lender, id, "return").await;
    assert_eq!(trust(&app, borrower.id).await, 37.0);
    assert_eq!(trust(&app, lender.id).await, 36.5);

    // One review is not visible yet: nothing moves. The second makes both visible.
    review(&app, &borrower, id, 5).await;
    assert_eq!(trust(&app, lender.id).await, 36.5);
    review(&app, &lender, id, 2).await;
    assert_eq!(
        trust(&app, lender.id).await,
        37.5,
        "a visible 5-star review: +1.0"
    );
    assert_eq!(
        trust(&app, borrower.id).await,
        36.0,
        "a visible 2-star review: −1.0"
    );

    // Cancelling an accepted rental: −1.5 for whoever cancels.
    let id = rental(&app, &borrower, item, 2 * DAY).await;
    act(&app, &lender, id, "accept").await;
    act(&app, &lender, id, "cancel").await;
    assert_eq!(trust(&app, lender.id).await, 36.0);
    // Cancelling one's own request before it is accepted costs nothing.
    let id = rental(&app, &borrower, item, 4 * DAY).await;
    act(&app, &borrower, id, "cancel").await;
    assert_eq!(trust(&app, borrower.id).await, 36.0);
    app.stop().await;
}

#[tokio::test]
async fn a_review_that_becomes_visible_with_time_moves_it_on_the_schedulers_pass() {
    let app = TestApp::spawn().await;
    let lender = app.signup("늦은후기").await;
    let borrower = app.signup("늦은후기빌림").await;
    let item = app.create_item(&lender, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let id = rental(&app, &borrower, item, HOUR).await;
    act(&app, &lender, id, "accept").await;
    act(&app, &lender, id, "return").await;
    review(&app, &borrower, id, 4).await;
    assert_eq!(trust(&app, lender.id).await, 36.5);
    app.state.clock.advance_ms(14 * DAY + 12 * HOUR);
    egodaeyeo::rentals::scheduler::tick(&app.state)
        .await
        .unwrap();
    // +0.5 for the 4-star review, visible since half a day (14 days after the return).
    assert_eq!(trust(&app, lender.id).await, 37.0);
    app.stop().await;
}

#[tokio::test]
async fn an_upheld_report_lowers_it_and_a_dismissed_one_does_not() {
    let app = TestApp::spawn().await;
    let admin = app.signup("온도관리자").await;
    app.make_admin(&admin).await;
    // Sign in again so the token carries the admin role.
    let (_, login) = app
        .post(
            "/auth/login",
            None,
            json!({"email": admin.email, "password": PASSWORD}),
        )
        .await;
    let admin_token = login["access_token"].as_str().unwrap().to_string();
    let reporter = app.signup("온도신고자").await;
    let reported = app.signup("온도피신고").await;
    for (action, expected) in [("dismiss", 36.5), ("suspend_user", 33.5)] {
        let (s, r) = app
            .post(
                &format!("/users/{}/reports", reported.id),
                Some(&reporter.token),
                json!({"reason": "no_show"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let (s, b) = app
            .post(
                &format!("/admin/reports/{}/resolve", r["id"]),
                Some(&admin_token),
                json!({"action": action}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(trust(&app, reported.id).await, expected, "{action}");
    }
    app.stop().await;
}
