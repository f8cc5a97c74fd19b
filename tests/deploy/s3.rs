//! Media on a real S3-protocol server (moto in server mode, `TEST_S3_ENDPOINT`): the local
//! store's media tests (upload, thumbnail, serve, delete → 404) with `MEDIA_URL=s3://…`, the
//! objects themselves checked in the bucket, and a backup's media manifest.
use std::sync::Arc;

use futures_util::StreamExt;
use object_store::ObjectStore;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::{jpeg, png, TestApp};

/// The S3 endpoint and a fresh bucket on it. The credentials are moto's "anything goes"; the
/// server reads them (and the endpoint) from the usual AWS_* variables, as in production.
async fn bucket() -> String {
    let endpoint = std::env::var("TEST_S3_ENDPOINT")
        .expect("this suite needs TEST_S3_ENDPOINT (moto_server): run .ci/deploy-tests.sh s3");
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "egodaeyeo-test"),
        ("AWS_SECRET_ACCESS_KEY", "egodaeyeo-test"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ALLOW_HTTP", "true"),
    ] {
        std::env::set_var(k, v);
    }
    std::env::set_var("AWS_ENDPOINT", &endpoint);
    let name = format!("egd-{}", crate::support::rand_suffix());
    let r = reqwest::Client::new()
        .put(format!("{endpoint}/{name}"))
        .send()
        .await
        .expect("S3 server reachable");
    assert!(r.status().is_success(), "create bucket: {}", r.status());
    name
}

fn store(bucket: &str) -> Arc<dyn ObjectStore> {
    Arc::new(
        object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .unwrap(),
    )
}

/// Object keys in the bucket under `prefix`.
async fn objects(bucket: &str, prefix: &str) -> Vec<String> {
    let s = store(bucket);
    let prefix = object_store::path::Path::from(prefix);
    let mut out: Vec<String> = s
        .list(Some(&prefix))
        .map(|m| m.unwrap().location.to_string())
        .collect()
        .await;
    out.sort();
    out
}

async fn spawn_on(bucket: &str) -> TestApp {
    spawn_with_db(bucket, crate::common::fresh_database().await).await
}

async fn spawn_with_db(bucket: &str, db: Option<String>) -> TestApp {
    let url = format!("s3://{bucket}/media");
    TestApp::spawn_with(db, None, move |c| c.media_url = Some(url)).await
}

async fn fetch(app: &TestApp, url: &str) -> (StatusCode, Option<String>, Vec<u8>) {
    let r = app.client.get(url).send().await.unwrap();
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    (status, ct, r.bytes().await.unwrap().to_vec())
}

fn urls(img: &Value) -> [String; 2] {
    [
        img["url"].as_str().unwrap().to_string(),
        img["thumbnail_url"].as_str().unwrap().to_string(),
    ]
}

#[tokio::test]
#[ignore = "deploy suite (an S3 server): bash .ci/deploy-tests.sh s3"]
async fn photos_are_stored_thumbnailed_served_and_deleted_on_s3() {
    let bucket = bucket().await;
    let app = spawn_on(&bucket).await;
    let owner = app.signup("tidy").await;
    let item = app.create_item(&owner, json!({})).await;
    let path = format!("/items/{}/images", item["id"]);
    let (s, imgs) = app
        .upload(
            Method::POST,
            &path,
            &owner.token,
            vec![jpeg(800, 600), jpeg(640, 480), png(100, 100)],
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{imgs}");
    let imgs = imgs.as_array().unwrap().clone();
    assert_eq!(
        objects(&bucket, "media/items").await.len(),
        6,
        "three photos and three thumbnails in the bucket"
    );
    for img in &imgs {
        let [full, thumb] = urls(img);
        let (s, ct, full_bytes) = fetch(&app, &full).await;
        assert_eq!(s, StatusCode::OK, "{full}");
        let want = if full.ends_with(".png") {
            "image/png"
        } else {
            "image/jpeg"
        };
        assert_eq!(ct.as_deref(), Some(want), "{full}");
        let (s, _, thumb_bytes) = fetch(&app, &thumb).await;
        assert_eq!(s, StatusCode::OK, "{thumb}");
        assert!(thumb_bytes.len() < full_bytes.len() || full_bytes.len() < 20_000);
        let decoded = image::load_from_memory(&thumb_bytes).unwrap();
        assert!(decoded.width() <= 400 && decoded.height() <= 400);
    }
    let r = app.client.get(&urls(&imgs[0])[0]).send().await.unwrap();
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );

    let (s, _) = app
        .delete(
            &format!("{path}/{}", imgs[0]["id"]),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    for url in urls(&imgs[0]) {
        assert_eq!(fetch(&app, &url).await.0, StatusCode::NOT_FOUND, "{url}");
    }
    for url in urls(&imgs[1]) {
        assert_eq!(fetch(&app, &url).await.0, StatusCode::OK, "{url}");
    }
    assert_eq!(objects(&bucket, "media/items").await.len(), 4);
    let (s, _) = app
        .delete(&format!("/items/{}", item["id"]), Some(&owner.token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    for img in &imgs[1..] {
        for url in urls(img) {
            assert_eq!(fetch(&app, &url).await.0, StatusCode::NOT_FOUND, "{url}");
        }
    }
    assert_eq!(
        objects(&bucket, "media/items").await,
        Vec::<String>::new(),
        "nothing left in the bucket"
    );
    app.stop().await;
}

#[tokio::test]
#[ignore = "deploy suite (an S3 server): bash .ci/deploy-tests.sh s3"]
async fn an_avatar_on_s3_replaces_the_previous_one() {
    let bucket = bucket().await;
    let app = spawn_on(&bucket).await;
    let user = app.signup("face").await;
    let mut previous: Option<String> = None;
    for size in [(300, 300), (200, 260)] {
        let (s, me) = app
            .upload(
                Method::PUT,
                "/me/avatar",
                &user.token,
                vec![jpeg(size.0, size.1)],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{me}");
        let url = me["avatar_url"].as_str().unwrap().to_string();
        assert_eq!(fetch(&app, &url).await.0, StatusCode::OK);
        if let Some(old) = previous.replace(url) {
            assert_eq!(fetch(&app, &old).await.0, StatusCode::NOT_FOUND, "{old}");
        }
    }
    assert_eq!(objects(&bucket, "media/avatars").await.len(), 1);
    app.stop().await;
}

#[tokio::test]
#[ignore = "deploy suite (an S3 server): bash .ci/deploy-tests.sh s3"]
async fn a_backup_with_media_on_s3_lists_them_and_restore_checks_the_bucket() {
    let bucket = bucket().await;
    // `egodaeyeo backup` is for SQLite deployments (PostgreSQL: pg_dump), media on S3 or not.
    let app = spawn_with_db(&bucket, None).await;
    let owner = app.signup("lister").await;
    let item = app.create_item(&owner, json!({})).await;
    let (s, imgs) = app
        .upload(
            Method::POST,
            &format!("/items/{}/images", item["id"]),
            &owner.token,
            vec![jpeg(120, 90)],
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{imgs}");
    let scratch = crate::support::Scratch::new("s3-backup");
    let file = scratch.path("backup.tar");
    let info = egodaeyeo::ops::backup::backup(&app.state.config, &file)
        .await
        .unwrap();
    assert_eq!(info.media_store, "s3");
    assert_eq!((info.media_objects, info.media_included), (2, 0));

    let mut config = app.state.config.clone();
    config.data_dir = scratch.path("restored");
    let restored = egodaeyeo::ops::backup::restore(&config, &file)
        .await
        .unwrap();
    assert_eq!(restored.integrity, "ok");
    assert!(
        restored.media_missing.is_empty(),
        "{:?}",
        restored.media_missing
    );

    // An object lost from the bucket since is reported by the next restore.
    let key = objects(&bucket, "media/items").await.remove(0);
    store(&bucket)
        .delete(&object_store::path::Path::from(key.as_str()))
        .await
        .unwrap();
    config.data_dir = scratch.path("restored-again");
    let restored = egodaeyeo::ops::backup::restore(&config, &file)
        .await
        .unwrap();
    assert_eq!(
        restored.media_missing,
        vec![key.trim_start_matches("media/").to_string()]
    );
    app.stop().await;
}
