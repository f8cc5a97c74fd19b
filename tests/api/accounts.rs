//! Accounts, regions, categories, health and the error contract.
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn signup_returns_private_user_and_tokens() {
    let app = TestApp::spawn().await;
    let (s, b) = app
        .post("/auth/signup", None, json!({"email": "Kim@Example.com", "password": PASSWORD, "nickname": "김이웃", "region_code": SEOGYO}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["user"]["email"], "kim@example.com");
    assert_eq!(b["user"]["nickname"], "김이웃");
    assert_eq!(b["user"]["region"]["code"], SEOGYO);
    assert_eq!(b["user"]["score"], serde_json::Value::Null);
    assert_eq!(b["user"]["review_count"], 0);
    assert_eq!(b["expires_in"], 900);
    assert!(b["access_token"].as_str().unwrap().split('.').count() == 3);
    let (s, me) = app.get("/me", b["access_token"].as_str()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["email"], "kim@example.com");
    app.stop().await;
}

#[tokio::test]
async fn signup_rejects_bad_fields_naming_each() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"email": "nope", "password": PASSWORD, "nickname": "abc"}),
            "email",
        ),
        (
            json!({"email": "a@b.co", "password": "short1", "nickname": "abc"}),
            "password",
        ),
        (
            json!({"email": "a@b.co", "password": "allletters", "nickname": "abc"}),
            "password",
        ),
        (
            json!({"email": "a@b.co", "password": "12345678", "nickname": "abc"}),
            "password",
        ),
        (
            json!({"email": "a@b.co", "password": PASSWORD, "nickname": "a"}),
            "nickname",
        ),
        (
            json!({"email": "a@b.co", "password": PASSWORD, "nickname": "너무긴닉네임이에요열한"}),
            "nickname",
        ),
        (
            json!({"email": "a@b.co", "password": PASSWORD, "nickname": "bad name"}),
            "nickname",
        ),
        (
            json!({"email": "a@b.co", "password": PASSWORD, "nickname": "abc", "region_code": "999"}),
            "region_code",
        ),
        (
            json!({"email": "a@b.co", "password": PASSWORD, "nickname": "abc", "region_code": "1100000000"}),
            "region_code",
        ),
        (json!({"password": PASSWORD, "nickname": "abc"}), "email"),
        (
            json!({"email": 5, "password": PASSWORD, "nickname": "abc"}),
            "email",
        ),
    ];
    for (body, field) in cases {
        let (s, b) = app.post("/auth/signup", None, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} → {b}");
        assert_eq!(b["error"]["code"], "validation_failed");
        assert!(
            b["error"]["fields"][field].is_string(),
            "{body} should name {field}: {b}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn duplicate_email_any_case_and_nickname_conflict() {
    let app = TestApp::spawn().await;
    app.signup("dup1").await;
    let (s, b) = app
        .post(
            "/auth/signup",
            None,
            json!({"email": "DUP1@example.com", "password": PASSWORD, "nickname": "other"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["error"]["code"], "conflict");
    let (s, _) = app
        .post(
            "/auth/signup",
            None,
            json!({"email": "x@example.com", "password": PASSWORD, "nickname": "dup1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    app.stop().await;
}

#[tokio::test]
async fn malformed_json_and_unknown_routes_follow_the_error_contract() {
    let app = TestApp::spawn().await;
    let (s, b) = app
        .raw(Method::POST, "/api/v1/auth/login", None, "{not json")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["code"], "validation_failed");
    let (s, b) = app
        .raw(Method::POST, "/api/v1/auth/signup", None, "[1,2]")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, b) = app.get("/no/such/route", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(b["error"]["code"], "not_found");
    let (s, b) = app.get("/users/abc", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (s, b) = app.get("/users/99999", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(b["error"]["code"], "not_found");
    // A known route with a method it does not take: 405 in the same error shape.
    let (s, b) = app
        .raw(Method::DELETE, "/api/v1/auth/login", None, "")
        .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{b}");
    assert_eq!(b["error"]["code"], "method_not_allowed");
    assert!(b["error"]["message"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn login_failure_is_the_same_for_unknown_email_and_wrong_password() {
    let app = TestApp::spawn().await;
    let u = app.signup("loginer").await;
    let (s1, b1) = app
        .post(
            "/auth/login",
            None,
            json!({"email": u.email, "password": "wrongpass1"}),
        )
        .await;
    let (s2, b2) = app
        .post(
            "/auth/login",
            None,
            json!({"email": "ghost@example.com", "password": "wrongpass1"}),
        )
        .await;
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!(s2, StatusCode::UNAUTHORIZED);
    assert_eq!(b1, b2);
    let (s, b) = app
        .post(
            "/auth/login",
            None,
            json!({"email": u.email.to_uppercase(), "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(b["refresh_token"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn repeated_failed_logins_are_throttled() {
    let app = TestApp::spawn().await;
    let u = app.signup("throttle").await;
    for _ in 0..5 {
        let (s, _) = app
            .post(
                "/auth/login",
                None,
                json!({"email": u.email, "password": "wrongpass1"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, b) = app
        .post(
            "/auth/login",
            None,
            json!({"email": u.email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    assert_eq!(b["error"]["code"], "rate_limited");
    app.stop().await;
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_login() {
    let app = TestApp::spawn().await;
    let u = app.signup("rotator").await;
    let (s, r1) = app
        .post("/auth/refresh", None, json!({"refresh_token": u.refresh}))
        .await;
    assert_eq!(s, StatusCode::OK, "{r1}");
    let second = r1["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(second, u.refresh);
    let (s, me) = app.get("/me", r1["access_token"].as_str()).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    // The rotated token comes back: the whole login ends, the newest token included.
    let (s, _) = app
        .post("/auth/refresh", None, json!({"refresh_token": u.refresh}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .post("/auth/refresh", None, json!({"refresh_token": second}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .post("/auth/refresh", None, json!({"refresh_token": "garbage"}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn logout_ends_the_refresh_token() {
    let app = TestApp::spawn().await;
    let u = app.signup("leaver").await;
    let (s, _) = app
        .post("/auth/logout", None, json!({"refresh_token": u.refresh}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .post("/auth/refresh", None, json!({"refresh_token": u.refresh}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn me_requires_a_valid_token() {
    let app = TestApp::spawn().await;
    let (s, b) = app.get("/me", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(b["error"]["code"], "unauthenticated");
    let (s, _) = app.get("/me", Some("a.b.c")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn access_tokens_expire() {
    let app = TestApp::spawn().await;
    let u = app.signup("expirer").await;
    // Used once first, so the server remembers it as verified: it expires all the same.
    let (s, _) = app.get("/me", Some(&u.token)).await;
    assert_eq!(s, StatusCode::OK);
    app.state.clock.advance_ms(16 * 60 * 1000);
    let (s, _) = app.get("/me", Some(&u.token)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn patch_me_validates_and_updates_profile() {
    let app = TestApp::spawn().await;
    let u = app.signup("patcher").await;
    let other = app.signup("taken").await;
    let (s, b) = app
        .patch(
            "/me",
            Some(&u.token),
            json!({"nickname": "새이름", "bio": "안녕하세요", "region_code": HAPJEONG}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["nickname"], "새이름");
    assert_eq!(b["bio"], "안녕하세요");
    assert_eq!(b["region"]["code"], HAPJEONG);
    let (s, _) = app
        .patch("/me", Some(&u.token), json!({"nickname": other.nickname}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, b) = app
        .patch("/me", Some(&u.token), json!({"bio": "가".repeat(301)}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b["error"]["fields"]["bio"].is_string());
    let (s, _) = app
        .patch("/me", Some(&u.token), json!({"region_code": "0000000000"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, b) = app
        .patch("/me", Some(&u.token), json!({"region_code": null}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(b["region"].is_null());
    let (s, pub_) = app.get(&format!("/users/{}", u.id), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(pub_["nickname"], "새이름");
    assert!(
        pub_.get("email").is_none(),
        "public profile must not leak the email"
    );
    app.stop().await;
}

#[tokio::test]
async fn avatar_is_reencoded_without_metadata() {
    let app = TestApp::spawn().await;
    let u = app.signup("avatar").await;
    let upload = jpeg_with_exif();
    assert!(contains(&upload, b"SECRET-LOCATION"));
    let (s, b) = app
        .upload(Method::PUT, "/me/avatar", &u.token, vec![upload])
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let url = b["avatar_url"].as_str().unwrap().to_string();
    let resp = app.client.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert!(resp.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age=31536000"));
    let bytes = resp.bytes().await.unwrap();
    assert!(!contains(&bytes, b"SECRET-LOCATION"));
    assert!(!contains(&bytes, b"Exif"));
    app.stop().await;
}

#[tokio::test]
async fn avatar_refuses_non_images_and_huge_files() {
    let app = TestApp::spawn().await;
    let u = app.signup("refuser").await;
    let (s, b) = app
        .upload(
            Method::PUT,
            "/me/avatar",
            &u.token,
            vec![b"<svg>not an image</svg>".to_vec()],
        )
        .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{b}");
    assert_eq!(b["error"]["code"], "unsupported_media_type");
    let mut big = jpeg(16, 16);
    big.resize(10 * 1024 * 1024 + 10, 0);
    let (s, _) = app
        .upload(Method::PUT, "/me/avatar", &u.token, vec![big])
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    app.stop().await;
}

#[tokio::test]
async fn decompression_bombs_are_refused_by_pixel_count() {
    let app = TestApp::spawn().await;
    let u = app.signup("bomber").await;
    // A valid PNG header claiming 20000×20000 pixels.
    let img = image::GrayImage::new(1, 1);
    let mut png_bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut png_bytes),
        image::ImageFormat::Png,
    )
    .unwrap();
    png_bytes[16..20].copy_from_slice(&20000u32.to_be_bytes());
    png_bytes[20..24].copy_from_slice(&20000u32.to_be_bytes());
    let (s, b) = app
        .upload(Method::PUT, "/me/avatar", &u.token, vec![png_bytes])
        .await;
    assert!(
        s == StatusCode::PAYLOAD_TOO_LARGE || s == StatusCode::BAD_REQUEST,
        "{s} {b}"
    );
    app.stop().await;
}

#[tokio::test]
async fn password_change_checks_current_and_revokes_refresh_tokens() {
    let app = TestApp::spawn().await;
    let u = app.signup("changer").await;
    let (s, b) = app
        .post(
            "/me/password",
            Some(&u.token),
            json!({"current_password": "wrongpass1", "new_password": "newpass123"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b["error"]["fields"]["current_password"].is_string());
    let (s, _) = app
        .post(
            "/me/password",
            Some(&u.token),
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app
        .post(
            "/me/password",
            Some(&u.token),
            json!({"current_password": PASSWORD, "new_password": "newpass123"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .post("/auth/refresh", None, json!({"refresh_token": u.refresh}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .post(
            "/auth/login",
            None,
            json!({"email": u.email, "password": "newpass123"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn deleted_account_cannot_log_in_and_its_items_leave_listings() {
    let app = TestApp::spawn().await;
    let u = app.signup("goner").await;
    let item = app.create_item(&u, json!({"title": "사라질 물건"})).await;
    let (s, _) = app
        .delete(
            "/me",
            Some(&u.token),
            Some(json!({"password": "wrongpass1"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app
        .delete("/me", Some(&u.token), Some(json!({"password": PASSWORD})))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .post(
            "/auth/login",
            None,
            json!({"email": u.email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.get("/me", Some(&u.token)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (_, list) = app.get("/items", None).await;
    assert_eq!(list["total"], 0);
    let (s, _) = app.get(&format!("/items/{}", item["id"]), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, p) = app.get(&format!("/users/{}", u.id), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["nickname"], "탈퇴한 사용자");
    app.stop().await;
}

#[tokio::test]
async fn reviews_received_is_an_empty_page_for_a_new_user() {
    let app = TestApp::spawn().await;
    let u = app.signup("fresh").await;
    let (s, b) = app.get(&format!("/users/{}/reviews", u.id), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["items"], json!([]));
    assert_eq!(b["total"], 0);
    assert_eq!(b["page"], 1);
    assert_eq!(b["per_page"], 12);
    app.stop().await;
}

#[tokio::test]
async fn regions_search_and_lookup() {
    let app = TestApp::spawn().await;
    let (s, b) = app.get("/regions?q=서교&level=3", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b[0]["code"], SEOGYO);
    assert_eq!(b[0]["name"], "서울특별시 마포구 서교동");
    assert!(b[0]["lat"].as_f64().unwrap() > 37.0);
    let (_, all) = app.get("/regions?q=동", None).await;
    assert_eq!(all.as_array().unwrap().len(), 50);
    let (_, sido) = app.get("/regions?level=1", None).await;
    assert_eq!(sido.as_array().unwrap().len(), 17);
    let (s, one) = app.get(&format!("/regions/{SEOGYO}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(one["level"], 3);
    let (s, _) = app.get("/regions/0000", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get("/regions?level=9", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    app.stop().await;
}

#[tokio::test]
async fn categories_have_the_default_set() {
    let app = TestApp::spawn().await;
    let (s, b) = app.get("/categories", None).await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<&str> = b
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for want in [
        "디지털기기",
        "가구/인테리어",
        "캠핑/레저",
        "공구",
        "유아동",
        "의류/잡화",
        "도서",
        "게임/취미",
        "생활가전",
        "스포츠",
        "반려동물용품",
        "기타",
    ] {
        assert!(names.contains(&want), "missing {want}");
    }
    app.stop().await;
}

#[tokio::test]
async fn health_readiness_metrics_and_openapi() {
    let app = TestApp::spawn().await;
    let (s, _) = app.get("/healthz", None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get("/readyz", None).await;
    assert_eq!(s, StatusCode::OK);
    let resp = app
        .client
        .get(format!("{}/metrics", app.addr))
        .send()
        .await
        .unwrap();
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("egd_http_requests_total"));
    let (s, doc) = app.get("/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/items/{id}"]["patch"].is_object());
    app.stop().await;
}

#[tokio::test]
async fn admin_grant_and_revoke_through_the_cli() {
    let app = TestApp::spawn().await;
    let u = app.signup("operator").await;
    let run = |action: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_egodaeyeo"));
        cmd.args(["admin", action, &u.email, "--data-dir"])
            .arg(&app.data_dir);
        if let Some(url) = &app.database_url {
            cmd.env("DATABASE_URL", url);
        } else {
            cmd.env_remove("DATABASE_URL");
        }
        cmd.output().expect("run cli")
    };
    let out = run("grant");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, me) = app.get("/me", Some(&u.token)).await;
    assert_eq!(me["role"], "admin");
    let (s, _) = app.get("/admin/feedback", Some(&u.token)).await;
    assert_eq!(s, StatusCode::OK);
    let out = run("revoke");
    assert!(out.status.success());
    // Signed-in callers' account state is remembered for a moment (accounts::access): a change
    // made outside the server applies within 2 seconds.
    let revoked = std::time::Instant::now();
    loop {
        let (s, _) = app.get("/admin/feedback", Some(&u.token)).await;
        if s == StatusCode::FORBIDDEN {
            break;
        }
        assert_eq!(s, StatusCode::OK);
        assert!(
            revoked.elapsed() < std::time::Duration::from_secs(2),
            "the CLI's revoke applies within 2 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn an_ended_login_is_refused_at_once_on_every_instance_despite_the_account_cache() {
    let app = TestApp::spawn().await;
    let u = app.signup("cached").await;
    assert_eq!(app.get("/me", Some(&u.token)).await.0, StatusCode::OK);
    let (s, _) = app
        .post("/auth/logout", None, json!({"refresh_token": u.refresh}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/me", Some(&u.token)).await.0,
        StatusCode::UNAUTHORIZED,
        "at once on the instance that ended it"
    );
    app.stop().await;
    // Two instances (shared PostgreSQL + Redis): the other one forgets it when the broker's
    // EndSessions arrives, at once.
    let (Some(db), Some(redis)) = (fresh_database().await, redis_url()) else {
        return;
    };
    let a = TestApp::spawn_with(Some(db.clone()), Some(redis.clone()), |_| {}).await;
    let b = TestApp::spawn_with(Some(db), Some(redis), |_| {}).await;
    let u = a.signup("cached2").await;
    assert_eq!(a.get("/me", Some(&u.token)).await.0, StatusCode::OK);
    assert_eq!(b.get("/me", Some(&u.token)).await.0, StatusCode::OK);
    let (s, _) = a
        .post("/auth/logout", None, json!({"refresh_token": u.refresh}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let ended = std::time::Instant::now();
    while b.get("/me", Some(&u.token)).await.0 != StatusCode::UNAUTHORIZED {
        assert!(
            ended.elapsed() < std::time::Duration::from_millis(100),
            "the other instance still believes the ended login"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn instances_sharing_a_database_share_the_signing_key() {
    let db = fresh_database().await;
    let dir = std::env::temp_dir().join(format!("egd-shared-{}", std::process::id()));
    let shared_sqlite = db.clone().or_else(|| {
        Some(format!(
            "sqlite://{}?mode=rwc",
            dir.join("shared.db").display()
        ))
    });
    std::fs::create_dir_all(&dir).unwrap();
    let a = TestApp::spawn_with(shared_sqlite.clone(), None, |_| {}).await;
    let b = TestApp::spawn_with(shared_sqlite, None, |_| {}).await;
    let u = a.signup("shared").await;
    let (s, _) = b.get("/me", Some(&u.token)).await;
    assert_eq!(s, StatusCode::OK);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn non_multipart_uploads_and_plain_requests_to_the_socket_get_the_error_shape() {
    let app = TestApp::spawn().await;
    let u = app.signup("shape").await;
    let (s, b) = app.put("/me/avatar", Some(&u.token), json!({})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["code"], "validation_failed", "{b}");
    let item = app.create_item(&u, json!({})).await;
    let (s, b) = app
        .post(
            &format!("/items/{}/images", item["id"]),
            Some(&u.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["code"], "validation_failed", "{b}");
    let (s, b) = app.get(&format!("/ws?token={}", u.token), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["code"], "validation_failed", "{b}");
    app.stop().await;
}
