//! Reports on users (issue #14): who may report whom, one open report per reporter and user, and
//! the admins' one queue of item and user reports with dismiss / suspend_user.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::*;

fn report_path(user: &User) -> String {
    format!("/users/{}/reports", user.id)
}

async fn report(app: &TestApp, by: &User, on: &User, body: Value) -> (StatusCode, Value) {
    app.post(&report_path(on), Some(&by.token), body).await
}

async fn resolve(app: &TestApp, admin: &User, id: &Value, action: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/admin/reports/{id}/resolve"),
        Some(&admin.token),
        json!({ "action": action }),
    )
    .await
}

/// A page fetched as a browser would, signed in through the access cookie or anonymous.
async fn page(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut req = app.client.get(format!("{}{path}", app.addr));
    if let Some(t) = token {
        req = req.header("cookie", format!("egd_access={t}"));
    }
    let resp = req.send().await.expect("page");
    (resp.status(), resp.text().await.unwrap())
}

#[tokio::test]
async fn a_user_report_is_made_once_while_open_and_again_after_resolution() {
    let app = TestApp::spawn().await;
    let reporter = app.signup("reporter").await;
    let target = app.signup("target").await;
    let admin = app.signup("judge").await;
    app.make_admin(&admin).await;

    let (s, r) = report(
        &app,
        &reporter,
        &target,
        json!({"reason": "no_show", "detail": "  약속 장소에 오지 않았어요  "}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["reason"], "no_show");
    assert_eq!(r["detail"], "약속 장소에 오지 않았어요");
    assert_eq!(r["status"], "open");
    assert_eq!(r["reporter_id"], reporter.id);
    assert_eq!(r["target"], json!({"type": "user", "id": target.id}));
    assert_eq!(r["target_nickname"], "target");
    assert!(r["item_id"].is_null());

    // While it is open, another one from the same reporter is 409, whatever the reason.
    let (s, b) = report(&app, &reporter, &target, json!({"reason": "spam"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["error"]["code"], "conflict");
    // Someone else may report the same user.
    let other = app.signup("other").await;
    let (s, b) = report(&app, &other, &target, json!({"reason": "abusive"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    // Dismissed: the report is resolved with its action, and the reporter may report again.
    let (s, d) = resolve(&app, &admin, &r["id"], "dismiss").await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["status"], "resolved");
    assert_eq!(d["action"], "dismiss");
    assert_eq!(d["target"], json!({"type": "user", "id": target.id}));
    let (s, _) = resolve(&app, &admin, &r["id"], "dismiss").await;
    assert_eq!(s, StatusCode::CONFLICT, "already resolved");
    let (s, b) = report(&app, &reporter, &target, json!({"reason": "fraud"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // The dismissed report did nothing to the user.
    let (s, _) = app.get("/me", Some(&target.token)).await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn user_reports_refuse_oneself_unknown_users_bad_input_and_strangers() {
    let app = TestApp::spawn().await;
    let reporter = app.signup("reporter").await;
    let target = app.signup("target").await;
    let path = report_path(&target);

    let (s, b) = report(&app, &reporter, &reporter, json!({"reason": "fraud"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "oneself: {b}");
    assert_eq!(b["error"]["code"], "validation_failed");

    let (s, b) = app
        .post(
            "/users/999999/reports",
            Some(&reporter.token),
            json!({"reason": "fraud"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "unknown user: {b}");

    let gone = app.signup("gone").await;
    let (s, _) = app
        .delete(
            "/me",
            Some(&gone.token),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert!(s.is_success(), "{s}");
    let (s, b) = report(&app, &reporter, &gone, json!({"reason": "fraud"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "deleted user: {b}");

    // An item reason is not a user reason.
    for reason in ["prohibited_item", "ban", ""] {
        let (s, b) = report(&app, &reporter, &target, json!({ "reason": reason })).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{reason}: {b}");
        assert!(b["error"]["fields"]["reason"].is_string(), "{b}");
    }
    let (s, b) = report(
        &app,
        &reporter,
        &target,
        json!({"reason": "other", "detail": "가".repeat(501)}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b["error"]["fields"]["detail"].is_string(), "{b}");

    let (s, _) = app.post(&path, None, json!({"reason": "fraud"})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // None of the refusals made a report: the first real one is still accepted.
    let (s, b) = report(&app, &reporter, &target, json!({"reason": "fraud"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    // Non-admins cannot see or resolve it.
    let (s, _) = app.get("/admin/reports", Some(&reporter.token)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = resolve(&app, &target, &b["id"], "dismiss").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = resolve(&app, &reporter, &b["id"], "suspend_user").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn the_admin_queue_holds_item_and_user_reports_and_suspends_users() {
    let app = TestApp::spawn().await;
    let reporter = app.signup("reporter").await;
    let owner = app.signup("owner").await;
    let target = app.signup("target").await;
    let admin = app.signup("judge").await;
    app.make_admin(&admin).await;

    let item = app.create_item(&owner, json!({})).await;
    let (s, ir) = app
        .post(
            &format!("/items/{}/reports", item["id"]),
            Some(&reporter.token),
            json!({"reason": "not_a_rental"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ir}");
    assert_eq!(ir["target"], json!({"type": "item", "id": item["id"]}));
    let (s, ur) = report(&app, &reporter, &target, json!({"reason": "not_returned"})).await;
    assert_eq!(s, StatusCode::CREATED, "{ur}");

    let (s, q) = app
        .get("/admin/reports?status=open", Some(&admin.token))
        .await;
    assert_eq!(s, StatusCode::OK, "{q}");
    assert_eq!(q["total"], 2);
    let items = q["items"].as_array().unwrap();
    // Newest first: the user report, then the item report with every field it had.
    assert_eq!(items[0]["id"], ur["id"]);
    assert_eq!(items[0]["target"], json!({"type": "user", "id": target.id}));
    assert_eq!(items[0]["reason"], "not_returned");
    assert_eq!(items[0]["target_nickname"], "target");
    assert_eq!(items[1]["id"], ir["id"]);
    assert_eq!(
        items[1]["target"],
        json!({"type": "item", "id": item["id"]})
    );
    assert_eq!(items[1]["item_id"], item["id"]);
    assert_eq!(items[1]["item_title"], item["title"]);
    assert_eq!(items[1]["owner_id"], owner.id);
    assert_eq!(items[1]["reason"], "not_a_rental");
    // Paginated as before.
    let (_, p) = app
        .get(
            "/admin/reports?status=open&per_page=1&page=2",
            Some(&admin.token),
        )
        .await;
    assert_eq!(p["total"], 2);
    assert_eq!(p["items"][0]["id"], ir["id"]);

    // hide_item is for item reports only, and refusing it leaves the report open.
    let (s, b) = resolve(&app, &admin, &ur["id"], "hide_item").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b["error"]["fields"]["action"].is_string(), "{b}");

    // suspend_user on a user report suspends the reported user: their token stops working and
    // they cannot log in again.
    let (s, _) = app.get("/me", Some(&target.token)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, d) = resolve(&app, &admin, &ur["id"], "suspend_user").await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["action"], "suspend_user");
    assert_eq!(d["status"], "resolved");
    let (s, _) = app.get("/me", Some(&target.token)).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "the access token stops working"
    );
    let (s, b) = app
        .post(
            "/auth/login",
            None,
            json!({"email": target.email, "password": PASSWORD}),
        )
        .await;
    assert!(s.is_client_error(), "suspended login: {s} {b}");
    let (s, _) = app
        .post(
            "/auth/refresh",
            None,
            json!({"refresh_token": target.refresh}),
        )
        .await;
    assert!(s.is_client_error(), "suspended refresh: {s}");
    // The item owner is untouched.
    let (s, _) = app.get("/me", Some(&owner.token)).await;
    assert_eq!(s, StatusCode::OK);

    // The queues: one open (the item report), one resolved (the upheld user report).
    let (_, open) = app
        .get("/admin/reports?status=open", Some(&admin.token))
        .await;
    assert_eq!(open["total"], 1);
    assert_eq!(open["items"][0]["id"], ir["id"]);
    let (_, done) = app
        .get("/admin/reports?status=resolved", Some(&admin.token))
        .await;
    assert_eq!(done["total"], 1);
    assert_eq!(done["items"][0]["id"], ur["id"]);
    assert_eq!(done["items"][0]["action"], "suspend_user");
    assert_eq!(
        done["items"][0]["target"],
        json!({"type": "user", "id": target.id})
    );
    app.stop().await;
}

#[tokio::test]
async fn the_admin_page_shows_user_reports_and_the_profile_offers_reporting() {
    let app = TestApp::spawn().await;
    let reporter = app.signup("reporter").await;
    let target = app.signup("target").await;
    let admin = app.signup("judge").await;
    app.make_admin(&admin).await;
    let (s, _) = report(&app, &reporter, &target, json!({"reason": "abusive"})).await;
    assert_eq!(s, StatusCode::CREATED);

    let (s, html) = page(&app, "/admin", Some(&admin.token)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("욕설·비매너"), "{html}");
    assert!(html.contains(&format!("href=\"/users/{}\">target</a>", target.id)));
    assert!(html.contains("이용 정지"));

    let profile = format!("/users/{}", target.id);
    let (_, html) = page(&app, &profile, Some(&reporter.token)).await;
    assert!(html.contains("id=\"report-user\""), "another user sees it");
    assert!(html.contains("약속 불이행(노쇼)"));
    let (_, html) = page(&app, &profile, Some(&target.token)).await;
    assert!(
        !html.contains("id=\"report-user\""),
        "not on one's own profile"
    );
    let (_, html) = page(&app, &profile, None).await;
    assert!(
        !html.contains("id=\"report-user\""),
        "not for anonymous visitors"
    );
    app.stop().await;
}

#[tokio::test]
async fn reports_sent_at_once_make_one_open_report() {
    let app = TestApp::spawn().await;
    let reporter = app.signup("reporter").await;
    let target = app.signup("target").await;
    let tries = (0..8).map(|_| report(&app, &reporter, &target, json!({"reason": "spam"})));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(tries)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let conflicts = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, conflicts), (1, 7), "{statuses:?}");
    app.stop().await;
}
