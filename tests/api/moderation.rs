//! Moderation that holds (an admin's hide is not undone by the owner), safe redirects after the
//! session forms, and operator hardening (metrics token, Secure / __Host- cookies).
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::*;

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

/// An item reported by a neighbour and hidden by an admin through `hide_item`.
async fn hidden_by_admin(app: &TestApp, owner: &User, admin: &User) -> i64 {
    let reporter = app.signup("reporter").await;
    let item = app
        .create_item(owner, json!({"title": "수상한 물건"}))
        .await;
    let id = item["id"].as_i64().unwrap();
    let (s, r) = app
        .post(
            &format!("/items/{id}/reports"),
            Some(&reporter.token),
            json!({"reason": "prohibited_item"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, b) = app
        .post(
            &format!("/admin/reports/{}/resolve", r["id"]),
            Some(&admin.token),
            json!({"action": "hide_item"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    id
}

#[tokio::test]
async fn owner_cannot_unhide_an_item_an_admin_hid_until_restored() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let admin = app.signup("moder").await;
    app.make_admin(&admin).await;
    let id = hidden_by_admin(&app, &owner, &admin).await;
    let path = format!("/items/{id}");

    // The owner sees why; the item is hidden.
    let (s, d) = app.get(&path, Some(&owner.token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(d["status"], "hidden");
    assert_eq!(d["moderation"], "hidden");

    // Putting it back in listings is refused, through the status field in any form.
    let (s, b) = app
        .patch(&path, Some(&owner.token), json!({"status": "available"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(b["error"]["code"], "forbidden");
    let (s, b) = app
        .patch(
            &path,
            Some(&owner.token),
            json!({"title": "평범한 물건", "status": "available"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    // Other edits are allowed and keep it hidden.
    let (s, b) = app
        .patch(&path, Some(&owner.token), json!({"title": "고친 제목"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "hidden");
    assert_eq!(b["moderation"], "hidden");
    let (s, b) = app
        .patch(&path, Some(&owner.token), json!({"status": "hidden"}))
        .await;
    assert_eq!(s, StatusCode::OK, "asking for hidden changes nothing: {b}");

    // Nobody else sees it, in detail or listings.
    let (s, _) = app.get(&path, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, page) = app.get("/items", None).await;
    assert!(!ids(&page).contains(&id));
    let (_, page) = app.get("/items?status=any", Some(&admin.token)).await;
    assert!(ids(&page).contains(&id), "admins still see it");

    // Only an admin restores it.
    let restore = format!("/admin/items/{id}/restore");
    let (s, b) = app.post(&restore, Some(&owner.token), json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(b["error"]["code"], "forbidden");
    let (s, b) = app
        .post("/admin/items/999999/restore", Some(&admin.token), json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (s, b) = app.post(&restore, Some(&admin.token), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["id"], id);
    assert_eq!(b["status"], "available");
    assert_eq!(b["moderation"], Value::Null);
    assert!(b.as_object().unwrap().contains_key("moderation"));

    // Listed at once (no stale micro-cache), and the owner is in charge again.
    let (_, page) = app.get("/items", None).await;
    assert!(ids(&page).contains(&id), "restored items are listed");
    let (s, b) = app
        .patch(&path, Some(&owner.token), json!({"status": "hidden"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["moderation"], Value::Null);
    let (s, b) = app
        .patch(&path, Some(&owner.token), json!({"status": "available"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "available");
    app.stop().await;
}

#[tokio::test]
async fn moderation_field_is_shown_only_to_owner_and_admins() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let other = app.signup("neighbour").await;
    let admin = app.signup("moder").await;
    app.make_admin(&admin).await;
    let item = app.create_item(&owner, json!({})).await;
    assert_eq!(item["moderation"], Value::Null, "creator sees null");
    assert!(item.as_object().unwrap().contains_key("moderation"));
    let path = format!("/items/{}", item["id"]);
    for token in [None, Some(other.token.as_str())] {
        let (s, d) = app.get(&path, token).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            !d.as_object().unwrap().contains_key("moderation"),
            "absent for others: {d}"
        );
    }
    for token in [&owner.token, &admin.token] {
        let (_, d) = app.get(&path, Some(token)).await;
        assert!(d.as_object().unwrap().contains_key("moderation"), "{d}");
        assert_eq!(d["moderation"], Value::Null);
    }
    let id = hidden_by_admin(&app, &owner, &admin).await;
    let (_, d) = app.get(&format!("/items/{id}"), Some(&admin.token)).await;
    assert_eq!(d["moderation"], "hidden");
    app.stop().await;
}

#[tokio::test]
async fn hide_then_restore_shows_at_once_in_cached_reads() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let admin = app.signup("moder").await;
    app.make_admin(&admin).await;
    let reporter = app.signup("reporter").await;
    let item = app.create_item(&owner, json!({})).await;
    let id = item["id"].as_i64().unwrap();
    let path = format!("/items/{id}");
    // Warm the listing and detail micro-caches.
    let (_, page) = app.get("/items", None).await;
    assert!(ids(&page).contains(&id));
    let (s, _) = app.get(&path, None).await;
    assert_eq!(s, StatusCode::OK);
    let (_, r) = app
        .post(
            &format!("/items/{id}/reports"),
            Some(&reporter.token),
            json!({"reason": "fraud"}),
        )
        .await;
    app.post(
        &format!("/admin/reports/{}/resolve", r["id"]),
        Some(&admin.token),
        json!({"action": "hide_item"}),
    )
    .await;
    let (s, _) = app.get(&path, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "hide shows at once");
    let (_, page) = app.get("/items", None).await;
    assert!(!ids(&page).contains(&id));
    let (s, _) = app
        .post(
            &format!("/admin/items/{id}/restore"),
            Some(&admin.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get(&path, None).await;
    assert_eq!(s, StatusCode::OK, "restore shows at once");
    let (_, page) = app.get("/items", None).await;
    assert!(ids(&page).contains(&id));
    app.stop().await;
}

#[tokio::test]
async fn restore_leaves_an_item_its_owner_hid_alone() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let admin = app.signup("moder").await;
    app.make_admin(&admin).await;
    let item = app.create_item(&owner, json!({})).await;
    let path = format!("/items/{}", item["id"]);
    let (s, _) = app
        .patch(&path, Some(&owner.token), json!({"status": "hidden"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = app
        .post(
            &format!("/admin/items/{}/restore", item["id"]),
            Some(&admin.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "hidden", "the owner's own choice stands");
    assert_eq!(b["moderation"], Value::Null);
    app.stop().await;
}
