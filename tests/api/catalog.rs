//! Items, photos, listing filters, search, bookmarks, reports and feedback.
use reqwest::{Method, StatusCode};
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

#[tokio::test]
async fn create_item_returns_detail_with_defaults() {
    let app = TestApp::spawn().await;
    let u = app.signup("lender").await;
    let item = app.create_item(&u, json!({"deposit": 20000})).await;
    assert_eq!(item["section"], "lend");
    assert_eq!(item["title"], "전동드릴");
    assert_eq!(item["price"], 5000);
    assert_eq!(item["price_unit"], "day");
    assert_eq!(item["deposit"], 20000);
    assert_eq!(item["category"]["slug"], "tools");
    assert_eq!(
        item["region"]["code"], SEOGYO,
        "region defaults to the owner's"
    );
    assert_eq!(item["status"], "available");
    assert_eq!(item["owner"]["id"], u.id);
    assert_eq!(item["images"], json!([]));
    assert_eq!(item["bookmarked"], false);
    assert_eq!(item["booked"], json!([]));
    assert!(item["thumbnail_url"].is_null());
    let free = app
        .create_item(
            &u,
            json!({"price": null, "price_unit": null, "section": "borrow"}),
        )
        .await;
    assert!(free["price"].is_null());
    assert!(free["price_unit"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn create_item_rejects_every_bad_field() {
    let app = TestApp::spawn().await;
    let u = app.signup("strict").await;
    let base = json!({"section": "lend", "category_id": 4, "title": "전동드릴", "price": 5000, "price_unit": "day"});
    let cases: Vec<(Value, &str)> = vec![
        (json!({"section": "rent"}), "section"),
        (json!({"title": "a"}), "title"),
        (json!({"title": "가".repeat(41)}), "title"),
        (json!({"description": "가".repeat(2001)}), "description"),
        (json!({"price": -1}), "price"),
        (json!({"price": 10_000_001}), "price"),
        (json!({"price": 1.5}), "price"),
        (json!({"price": "5000"}), "price"),
        (json!({"price_unit": "year"}), "price_unit"),
        (json!({"price_unit": null}), "price_unit"),
        (json!({"price": null}), "price"),
        (json!({"deposit": 10_000_001}), "deposit"),
        (json!({"category_id": 9999}), "category_id"),
        (json!({"category_id": "tools"}), "category_id"),
        (json!({"region_code": "1234"}), "region_code"),
        (json!({"price": 1e20}), "price"),
    ];
    for (over, field) in cases {
        let mut body = base.clone();
        for (k, v) in over.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, b) = app.post("/items", Some(&u.token), body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} → {b}");
        assert!(
            b["error"]["fields"][field].is_string(),
            "{body} should name {field}: {b}"
        );
    }
    let (s, _) = app.post("/items", None, base.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // A user without a neighbourhood must name one.
    let (_, nb) = app
        .post(
            "/auth/signup",
            None,
            json!({"email": "nr@example.com", "password": PASSWORD, "nickname": "noregion"}),
        )
        .await;
    let (s, b) = app.post("/items", nb["access_token"].as_str(), base).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b["error"]["fields"]["region_code"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn only_the_owner_edits_and_owner_or_admin_deletes() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let stranger = app.signup("stranger").await;
    let admin = app.signup("admin").await;
    app.make_admin(&admin).await;
    let item = app.create_item(&owner, json!({})).await;
    let path = format!("/items/{}", item["id"]);
    let (s, _) = app
        .patch(&path, Some(&stranger.token), json!({"title": "남의 물건"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.patch(&path, None, json!({"title": "익명"})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, b) = app
        .patch(
            &path,
            Some(&owner.token),
            json!({"title": "임팩트 드릴", "price": null}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["title"], "임팩트 드릴");
    assert!(b["price"].is_null() && b["price_unit"].is_null());
    let (s, b) = app
        .patch(&path, Some(&owner.token), json!({"status": "rented"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, _) = app
        .patch(&path, Some(&owner.token), json!({"title": "x"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app.delete(&path, Some(&stranger.token), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.delete(&path, Some(&admin.token), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(&path, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let other = app.create_item(&owner, json!({})).await;
    let (s, _) = app
        .delete(&format!("/items/{}", other["id"]), Some(&owner.token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get("/items/999999", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn hidden_items_are_404_to_others_and_never_listed() {
    let app = TestApp::spawn().await;
    let owner = app.signup("hider").await;
    let other = app.signup("looker").await;
    let admin = app.signup("modr").await;
    app.make_admin(&admin).await;
    let item = app.create_item(&owner, json!({})).await;
    let path = format!("/items/{}", item["id"]);
    let (s, b) = app
        .patch(&path, Some(&owner.token), json!({"status": "hidden"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["status"], "hidden");
    for token in [None, Some(other.token.as_str())] {
        let (s, _) = app.get(&path, token).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    let (s, _) = app.get(&path, Some(&owner.token)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get(&path, Some(&admin.token)).await;
    assert_eq!(s, StatusCode::OK);
    let (_, list) = app.get("/items", None).await;
    assert_eq!(list["total"], 0);
    let (_, list) = app.get("/items?status=hidden", Some(&other.token)).await;
    assert_eq!(list["total"], 0);
    let (_, list) = app.get("/items?status=hidden", Some(&owner.token)).await;
    assert_eq!(list["total"], 1);
    let (s, _) = app
        .put(&format!("{path}/bookmark"), Some(&other.token), json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.patch(&path, Some(&owner.token), json!({"status": "available"}))
        .await;
    let (_, list) = app.get("/items", None).await;
    assert_eq!(list["total"], 1);
    app.stop().await;
}

#[tokio::test]
async fn suspended_owners_items_leave_listings() {
    let app = TestApp::spawn().await;
    let owner = app.signup("bad").await;
    let admin = app.signup("boss").await;
    app.make_admin(&admin).await;
    app.create_item(&owner, json!({})).await;
    let (s, _) = app
        .post(
            &format!("/admin/users/{}/suspend", owner.id),
            Some(&owner.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post(
            &format!("/admin/users/{}/suspend", owner.id),
            Some(&admin.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, list) = app.get("/items", None).await;
    assert_eq!(list["total"], 0);
    let (s, _) = app
        .post(
            "/auth/login",
            None,
            json!({"email": owner.email, "password": PASSWORD}),
        )
        .await;
    assert!(s == StatusCode::FORBIDDEN || s == StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .post(
            "/auth/refresh",
            None,
            json!({"refresh_token": owner.refresh}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.post(
        &format!("/admin/users/{}/unsuspend", owner.id),
        Some(&admin.token),
        json!({}),
    )
    .await;
    let (_, list) = app.get("/items", None).await;
    assert_eq!(list["total"], 1);
    // A deleted account cannot be unsuspended, and its items stay out of listings.
    let gone = app.signup("gone").await;
    app.create_item(&gone, json!({})).await;
    let (s, _) = app
        .delete(
            "/me",
            Some(&gone.token),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert!(s.is_success(), "{s}");
    let (s, _) = app
        .post(
            &format!("/admin/users/{}/unsuspend", gone.id),
            Some(&admin.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = app.get("/items", None).await;
    assert_eq!(list["total"], 1);
    app.stop().await;
}

#[tokio::test]
async fn view_count_counts_others_not_the_owner() {
    let app = TestApp::spawn().await;
    let owner = app.signup("viewed").await;
    let other = app.signup("viewer").await;
    let item = app.create_item(&owner, json!({})).await;
    let path = format!("/items/{}", item["id"]);
    app.get(&path, Some(&owner.token)).await;
    app.get(&path, Some(&other.token)).await;
    app.get(&path, None).await;
    let (_, b) = app.get(&path, Some(&owner.token)).await;
    assert_eq!(b["view_count"], 2);
    egodaeyeo::catalog::service::flush_views(&app.state).await;
    let (_, b) = app.get(&path, Some(&owner.token)).await;
    assert_eq!(b["view_count"], 2, "flushed counts are the same");
    app.stop().await;
}

#[tokio::test]
async fn photos_upload_thumbnail_reorder_and_delete() {
    let app = TestApp::spawn().await;
    let owner = app.signup("photog").await;
    let other = app.signup("peeker").await;
    let item = app.create_item(&owner, json!({})).await;
    let path = format!("/items/{}/images", item["id"]);
    let (s, imgs) = app
        .upload(
            Method::POST,
            &path,
            &owner.token,
            vec![jpeg(1200, 800), png(300, 300), jpeg_with_exif()],
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{imgs}");
    let imgs = imgs.as_array().unwrap().clone();
    assert_eq!(imgs.len(), 3);
    // The thumbnail is at most 400 px on the long side and carries no metadata.
    let thumb = app
        .client
        .get(imgs[0]["thumbnail_url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let t = image::load_from_memory(&thumb).unwrap();
    assert_eq!((t.width(), t.height()), (400, 267));
    let exif_one = app
        .client
        .get(imgs[2]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(!contains(&exif_one, b"SECRET-LOCATION"));
    let (_, list) = app.get("/items", None).await;
    assert_eq!(list["items"][0]["thumbnail_url"], imgs[0]["thumbnail_url"]);
    let (s, _) = app
        .upload(Method::POST, &path, &other.token, vec![jpeg(10, 10)])
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = app
        .upload(
            Method::POST,
            &path,
            &owner.token,
            vec![b"GIF87a-but-not-really".to_vec()],
        )
        .await;
    assert!(s.is_client_error() && s != StatusCode::FORBIDDEN, "{s} {b}");
    let (s, _) = app
        .upload(
            Method::POST,
            &path,
            &owner.token,
            vec![b"%PDF-1.4".to_vec()],
        )
        .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Reorder: the new first image becomes the thumbnail.
    let order: Vec<i64> = imgs
        .iter()
        .rev()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    let (s, b) = app
        .put(
            &format!("{path}/order"),
            Some(&owner.token),
            json!({"ids": order}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b[0]["id"], imgs[2]["id"]);
    let (_, detail) = app.get(&format!("/items/{}", item["id"]), None).await;
    assert_eq!(detail["thumbnail_url"], imgs[2]["thumbnail_url"]);
    let (s, _) = app
        .put(
            &format!("{path}/order"),
            Some(&owner.token),
            json!({"ids": [order[0]]}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app
        .put(
            &format!("{path}/order"),
            Some(&other.token),
            json!({"ids": order}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .delete(
            &format!("{path}/{}", imgs[2]["id"]),
            Some(&other.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .delete(
            &format!("{path}/{}", imgs[2]["id"]),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .delete(
            &format!("{path}/{}", imgs[2]["id"]),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, detail) = app.get(&format!("/items/{}", item["id"]), None).await;
    assert_eq!(detail["images"].as_array().unwrap().len(), 2);
    assert_eq!(detail["thumbnail_url"], imgs[1]["thumbnail_url"]);
    app.stop().await;
}

#[tokio::test]
async fn at_most_ten_photos_per_item() {
    let app = TestApp::spawn().await;
    let owner = app.signup("many").await;
    let item = app.create_item(&owner, json!({})).await;
    let path = format!("/items/{}/images", item["id"]);
    let (s, _) = app
        .upload(
            Method::POST,
            &path,
            &owner.token,
            (0..8).map(|_| jpeg(20, 20)).collect(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, b) = app
        .upload(
            Method::POST,
            &path,
            &owner.token,
            (0..3).map(|_| jpeg(20, 20)).collect(),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, _) = app
        .upload(
            Method::POST,
            &path,
            &owner.token,
            (0..2).map(|_| jpeg(20, 20)).collect(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    app.stop().await;
}

#[tokio::test]
async fn listing_filters_sort_and_paginate() {
    let app = TestApp::spawn().await;
    let a = app.signup("seller").await;
    let b = app.signup_in("busan", HAEUNDAE).await;
    let cheap = app
        .create_item(
            &a,
            json!({"title": "캠핑 의자", "category_id": 3, "price": 1000}),
        )
        .await;
    let mid = app
        .create_item(
            &a,
            json!({"title": "텐트 빌려요", "section": "borrow", "category_id": 3, "price": 3000}),
        )
        .await;
    let dear = app
        .create_item(
            &a,
            json!({"title": "빔프로젝터", "category_id": 1, "price": 9000, "price_unit": "week"}),
        )
        .await;
    let nego = app
        .create_item(
            &a,
            json!({"title": "사다리", "price": null, "price_unit": null}),
        )
        .await;
    let far = app
        .create_item(
            &b,
            json!({"title": "해운대 서핑보드", "category_id": 10, "price": 2000}),
        )
        .await;
    let id = |v: &Value| v["id"].as_i64().unwrap();

    let (_, p) = app.get("/items", None).await;
    assert_eq!(
        ids(&p),
        vec![id(&far), id(&nego), id(&dear), id(&mid), id(&cheap)],
        "recent first"
    );
    assert_eq!(p["total"], 5);
    let (_, p) = app.get("/items?section=borrow", None).await;
    assert_eq!(ids(&p), vec![id(&mid)]);
    let (_, p) = app.get("/items?category=camping", None).await;
    assert_eq!(ids(&p), vec![id(&mid), id(&cheap)]);
    let (_, p) = app.get("/items?category=3", None).await;
    assert_eq!(p["total"], 2);
    let (_, p) = app.get("/items?min_price=2000&max_price=5000", None).await;
    assert_eq!(ids(&p), vec![id(&far), id(&mid)]);
    let (_, p) = app.get("/items?sort=price_asc", None).await;
    assert_eq!(
        ids(&p),
        vec![id(&cheap), id(&far), id(&mid), id(&dear), id(&nego)],
        "no price last"
    );
    let (_, p) = app.get("/items?sort=price_desc", None).await;
    assert_eq!(
        ids(&p),
        vec![id(&dear), id(&mid), id(&far), id(&cheap), id(&nego)]
    );
    // With a price range the order comes from the price indexes (no NULLs-last term).
    let (_, p) = app
        .get("/items?min_price=2000&max_price=5000&sort=price_asc", None)
        .await;
    assert_eq!(ids(&p), vec![id(&far), id(&mid)]);
    let (_, p) = app
        .get("/items?min_price=2000&max_price=5000&sort=price_desc", None)
        .await;
    assert_eq!(ids(&p), vec![id(&mid), id(&far)]);
    let (_, p) = app.get(&format!("/items?owner={}", b.id), None).await;
    assert_eq!(ids(&p), vec![id(&far)]);
    let (_, p) = app.get("/items?per_page=2&page=2", None).await;
    assert_eq!(ids(&p), vec![id(&dear), id(&mid)]);
    assert_eq!(
        (
            p["page"].as_i64(),
            p["per_page"].as_i64(),
            p["total"].as_i64()
        ),
        (Some(2), Some(2), Some(5))
    );
    // Popular: bookmarks + chats, ties newest first.
    app.put(
        &format!("/items/{}/bookmark", id(&cheap)),
        Some(&b.token),
        json!({}),
    )
    .await;
    let (_, p) = app.get("/items?sort=popular", None).await;
    assert_eq!(ids(&p)[0], id(&cheap));
    // Region: exact 동, 시군구 prefix, radius.
    let (_, p) = app.get(&format!("/items?region={SEOGYO}"), None).await;
    assert_eq!(p["total"], 4);
    let (_, p) = app.get("/items?region=1144000000", None).await;
    assert_eq!(p["total"], 4, "마포구 covers 서교동");
    let (_, p) = app
        .get(&format!("/items?region={HAPJEONG}&radius_km=5"), None)
        .await;
    assert_eq!(p["total"], 4, "서교동 is within 5 km of 합정동");
    let (_, p) = app
        .get(&format!("/items?region={HAEUNDAE}&radius_km=5"), None)
        .await;
    assert_eq!(ids(&p), vec![id(&far)]);
    for bad in [
        "sort=cheap",
        "page=abc",
        "page=0",
        "per_page=101",
        "radius_km=5",
        "region=0000&radius_km=5",
        &format!("region={SEOGYO}&radius_km=51"),
        "section=rent",
        "category=nope",
        "min_price=-1",
        "status=gone",
        "owner=x",
    ] {
        let (s, b) = app.get(&format!("/items?{bad}"), None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {b}");
        assert_eq!(b["error"]["code"], "validation_failed");
    }
    app.stop().await;
}

#[tokio::test]
async fn korean_substring_and_multi_word_search() {
    let app = TestApp::spawn().await;
    let a = app.signup("searcher").await;
    let drill = app
        .create_item(
            &a,
            json!({"title": "전동드릴 빌려드려요", "description": "보쉬 충전식, 배터리 두 개"}),
        )
        .await;
    let tent = app
        .create_item(
            &a,
            json!({"title": "4인용 텐트", "description": "원터치 텐트, 드릴 없이 설치"}),
        )
        .await;
    let camera = app
        .create_item(
            &a,
            json!({"title": "미러리스 카메라", "description": "Sony A7 렌즈 포함 100% 정상"}),
        )
        .await;
    let id = |v: &Value| v["id"].as_i64().unwrap();
    let q = |s: &str| {
        format!(
            "/items?q={}",
            url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
        )
    };
    let (_, p) = app.get(&q("드릴"), None).await;
    assert_eq!(
        ids(&p),
        vec![id(&tent), id(&drill)],
        "2-character word finds 전동드릴 and the description"
    );
    let (_, p) = app.get(&q("전동드릴"), None).await;
    assert_eq!(ids(&p), vec![id(&drill)]);
    let (_, p) = app.get(&q("텐트 드릴"), None).await;
    assert_eq!(ids(&p), vec![id(&tent)], "every word must match");
    let (_, p) = app.get(&q("sony"), None).await;
    assert_eq!(ids(&p), vec![id(&camera)], "case-insensitive");
    let (_, p) = app.get(&q("100%"), None).await;
    assert_eq!(ids(&p), vec![id(&camera)]);
    for literal in ["%%", "_", "\"", "' OR 1=1 --", "드릴\"", "NEAR(", "*"] {
        let (s, p) = app.get(&q(literal), None).await;
        assert_eq!(s, StatusCode::OK, "{literal}: {p}");
        assert_eq!(p["total"], 0, "{literal} is literal text: {p}");
    }
    let (_, p) = app.get(&q("배터리"), None).await;
    assert_eq!(ids(&p), vec![id(&drill)]);
    // Edits reach the index.
    app.patch(
        &format!("/items/{}", id(&camera)),
        Some(&a.token),
        json!({"title": "캐논 카메라"}),
    )
    .await;
    let (_, p) = app.get(&q("캐논"), None).await;
    assert_eq!(ids(&p), vec![id(&camera)]);
    app.stop().await;
}

#[tokio::test]
async fn bookmarks_are_idempotent_and_listed() {
    let app = TestApp::spawn().await;
    let owner = app.signup("bowner").await;
    let fan = app.signup("fan").await;
    let i1 = app.create_item(&owner, json!({"title": "첫 물건"})).await;
    let i2 = app.create_item(&owner, json!({"title": "둘째 물건"})).await;
    let p1 = format!("/items/{}/bookmark", i1["id"]);
    for _ in 0..2 {
        let (s, b) = app.put(&p1, Some(&fan.token), json!({})).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b, json!({"bookmarked": true, "bookmark_count": 1}));
    }
    app.put(
        &format!("/items/{}/bookmark", i2["id"]),
        Some(&fan.token),
        json!({}),
    )
    .await;
    let (_, d) = app
        .get(&format!("/items/{}", i1["id"]), Some(&fan.token))
        .await;
    assert_eq!(d["bookmarked"], true);
    assert_eq!(d["bookmark_count"], 1);
    let (_, d) = app.get(&format!("/items/{}", i1["id"]), None).await;
    assert_eq!(d["bookmarked"], false);
    let (s, mine) = app.get("/me/bookmarks", Some(&fan.token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        ids(&mine),
        vec![i2["id"].as_i64().unwrap(), i1["id"].as_i64().unwrap()]
    );
    for _ in 0..2 {
        let (s, b) = app.delete(&p1, Some(&fan.token), None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b, json!({"bookmarked": false, "bookmark_count": 0}));
    }
    let (_, mine) = app.get("/me/bookmarks", Some(&fan.token)).await;
    assert_eq!(mine["total"], 1);
    // The caller's own view of the detail follows at once (no stale cached bookmark).
    let (_, d) = app
        .get(&format!("/items/{}", i1["id"]), Some(&fan.token))
        .await;
    assert_eq!(d["bookmarked"], false);
    assert_eq!(d["bookmark_count"], 0);
    let (s, _) = app.put(&p1, None, json!({})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .put("/items/424242/bookmark", Some(&fan.token), json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn reports_once_per_user_and_admin_resolves() {
    let app = TestApp::spawn().await;
    let owner = app.signup("reported").await;
    let reporter = app.signup("reporter").await;
    let admin = app.signup("judge").await;
    app.make_admin(&admin).await;
    let item = app.create_item(&owner, json!({})).await;
    let path = format!("/items/{}/reports", item["id"]);
    let (s, b) = app
        .post(&path, Some(&reporter.token), json!({"reason": "spam"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b["error"]["fields"]["reason"].is_string());
    let (s, _) = app
        .post(
            &path,
            Some(&reporter.token),
            json!({"reason": "other", "detail": "가".repeat(501)}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app.post(&path, None, json!({"reason": "fraud"})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .post(&path, Some(&owner.token), json!({"reason": "fraud"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "own item");
    let (s, r) = app
        .post(
            &path,
            Some(&reporter.token),
            json!({"reason": "professional_seller", "detail": "업자 같아요"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, _) = app
        .post(&path, Some(&reporter.token), json!({"reason": "fraud"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app.get("/admin/reports", Some(&reporter.token)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, q) = app
        .get("/admin/reports?status=open", Some(&admin.token))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(q["total"], 1);
    assert_eq!(q["items"][0]["reason"], "professional_seller");
    let (s, b) = app
        .post(
            &format!("/admin/reports/{}/resolve", r["id"]),
            Some(&admin.token),
            json!({"action": "ban"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, _) = app
        .post(
            &format!("/admin/reports/{}/resolve", r["id"]),
            Some(&admin.token),
            json!({"action": "hide_item"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get(&format!("/items/{}", item["id"]), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "hidden by the moderator");
    let (s, _) = app
        .post(
            &format!("/admin/reports/{}/resolve", r["id"]),
            Some(&admin.token),
            json!({"action": "dismiss"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, q) = app
        .get("/admin/reports?status=resolved", Some(&admin.token))
        .await;
    assert_eq!(q["total"], 1);
    app.stop().await;
}

#[tokio::test]
async fn feedback_is_stored_for_admins() {
    let app = TestApp::spawn().await;
    let u = app.signup("helper").await;
    let admin = app.signup("inbox").await;
    app.make_admin(&admin).await;
    let (s, _) = app
        .post(
            "/feedback",
            Some(&u.token),
            json!({"title": "가".repeat(71), "content": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app
        .post(
            "/feedback",
            Some(&u.token),
            json!({"title": "제안", "content": "가".repeat(513)}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app
        .post(
            "/feedback",
            None,
            json!({"title": "제안", "content": "좋아요"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, f) = app
        .post(
            "/feedback",
            Some(&u.token),
            json!({"title": "제안", "content": "다크 모드 좋아요"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    let (_, inbox) = app.get("/admin/feedback", Some(&admin.token)).await;
    assert_eq!(inbox["items"][0]["content"], "다크 모드 좋아요");
    app.stop().await;
}

#[tokio::test]
async fn admin_manages_categories() {
    let app = TestApp::spawn().await;
    let admin = app.signup("curator").await;
    let user = app.signup("plain").await;
    app.make_admin(&admin).await;
    let (s, _) = app
        .post(
            "/admin/categories",
            Some(&user.token),
            json!({"slug": "music", "name": "악기"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, c) = app
        .post(
            "/admin/categories",
            Some(&admin.token),
            json!({"slug": "music", "name": "악기"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let (s, _) = app
        .post(
            "/admin/categories",
            Some(&admin.token),
            json!({"slug": "music", "name": "악기2"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app
        .post(
            "/admin/categories",
            Some(&admin.token),
            json!({"slug": "Bad Slug", "name": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, c2) = app
        .patch(
            &format!("/admin/categories/{}", c["id"]),
            Some(&admin.token),
            json!({"name": "악기/음향"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c2["name"], "악기/음향");
    let (s, _) = app
        .delete("/admin/categories/4", Some(&admin.token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "unused default category");
    app.create_item(&user, json!({"category_id": c["id"]}))
        .await;
    let (s, _) = app
        .delete(
            &format!("/admin/categories/{}", c["id"]),
            Some(&admin.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "in use");
    app.stop().await;
}

#[tokio::test]
async fn demo_seed_is_idempotent_and_searchable_by_korean_word_and_radius() {
    let app = TestApp::spawn().await;
    let first = egodaeyeo::seed::run(&app.state).await.unwrap();
    assert!(first.starts_with("seeded"), "{first}");
    let again = egodaeyeo::seed::run(&app.state).await.unwrap();
    assert!(again.contains("nothing to do"), "{again}");
    let (_, all) = app.get("/items?per_page=1", None).await;
    let total = all["total"].as_i64().unwrap();
    assert!(total >= 250, "a few hundred items: {total}");
    let (_, drills) = app
        .get("/items?q=%EB%93%9C%EB%A6%B4&per_page=100", None)
        .await; // 드릴
    let found = drills["items"].as_array().unwrap();
    assert!(!found.is_empty());
    assert!(found
        .iter()
        .any(|i| i["title"].as_str().unwrap().contains("전동드릴")));
    for i in found {
        let (_, d) = app.get(&format!("/items/{}", i["id"]), None).await;
        let text = format!("{} {}", d["title"], d["description"]);
        assert!(text.contains("드릴"), "every hit contains 드릴: {text}");
    }
    let (_, near) = app
        .get(
            &format!("/items?region={SEOGYO}&radius_km=5&per_page=1"),
            None,
        )
        .await;
    assert_eq!(
        near["total"].as_i64().unwrap(),
        total,
        "the demo 동네 lie within 5 km of 서교동"
    );
    let (_, far) = app
        .get(&format!("/items?region={HAEUNDAE}&radius_km=5"), None)
        .await;
    assert_eq!(far["total"], 0);
    let (s, login) = app
        .post(
            "/auth/login",
            None,
            json!({"email": "demo01@egodaeyeo.test", "password": "demo1234"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{login}");
    app.stop().await;
}
