//! Backups: `egodaeyeo backup` while the server runs under chat load, `egodaeyeo restore` into an
//! empty data dir; PostgreSQL with the pg_dump / pg_restore recipe of docs/operations.md.
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::{Connection, Executor};

use crate::support::*;

/// Runs the binary with these arguments (off the test's runtime thread, so the chat load goes
/// on meanwhile); returns (success, stdout, stderr).
async fn run(args: Vec<String>, data_dir: &Path) -> (bool, String, String) {
    let data_dir = data_dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_egodaeyeo"))
            .args(&args)
            .arg("--data-dir")
            .arg(&data_dir)
            .env_remove("DATABASE_URL")
            .env_remove("MEDIA_URL")
            .env_remove("DATA_DIR")
            .env("RUST_BACKTRACE", "0")
            .output()
            .expect("run the binary");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    })
    .await
    .unwrap()
}

async fn upload_photo(base: &str, owner: &Account, item: i64) -> String {
    let form = reqwest::multipart::Form::new().part(
        "image",
        reqwest::multipart::Part::bytes(crate::common::jpeg(320, 240)).file_name("p.jpg"),
    );
    let resp = reqwest::Client::new()
        .post(format!("http://{base}/api/v1/items/{item}/images"))
        .bearer_auth(&owner.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let b: serde_json::Value = resp.json().await.unwrap();
    let url = b[0]["url"].as_str().unwrap();
    url[url.find("/media/").unwrap()..].to_string()
}

async fn get_bytes(base: &str, path: &str) -> (StatusCode, Vec<u8>) {
    let r = reqwest::get(format!("http://{base}{path}")).await.unwrap();
    (r.status(), r.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "deploy suite: bash .ci/deploy-tests.sh backup"]
async fn a_backup_during_chat_load_restores_every_message_acknowledged_before_it() {
    let dirs = Scratch::new("backup");
    let live = dirs.path("live");
    let server = Instance::start(&live, free_port(), &[("RATE_LIMIT", "off")]).await;
    let base = server.addr();
    let owner = signup(&base, "owner").await;
    let asker = signup(&base, "asker").await;
    let (item, room) = item_and_room(&base, &owner, &asker).await;
    let photo = upload_photo(&base, &owner, item).await;
    let owner_token = owner.token.clone();

    let control = Arc::new(Control::default());
    let mut logs = Vec::new();
    let mut tasks = Vec::new();
    for (who, label) in [(owner, "o"), (asker, "a")] {
        let log = Arc::new(Mutex::new(ChatLog::default()));
        logs.push(log.clone());
        tasks.push(tokio::spawn(chatter(
            base.clone(),
            who,
            room,
            label.into(),
            Duration::from_millis(3),
            control.clone(),
            log,
        )));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Everything acknowledged before the backup starts must be in it.
    let acked_before: BTreeMap<i64, String> = logs
        .iter()
        .flat_map(|l| l.lock().unwrap().acked.clone())
        .collect();
    assert!(
        acked_before.len() > 100,
        "a real load: {}",
        acked_before.len()
    );
    let file = dirs.path("egodaeyeo.backup");
    let (ok, out, err) = run(
        vec!["backup".into(), "--out".into(), file.display().to_string()],
        &live,
    )
    .await;
    assert!(ok, "backup failed: {err}");
    assert!(out.contains("backup written"), "{out}");
    let during = logs
        .iter()
        .map(|l| l.lock().unwrap().acked.len())
        .sum::<usize>();
    assert!(
        during > acked_before.len(),
        "the load went on while the backup ran"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    control.sending_stopped.store(true, Ordering::Relaxed);
    control.finish.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode, 0o600,
        "the backup holds secrets: only its owner reads it"
    );

    // Restore into a new data dir; a second restore into it is refused.
    let restored = dirs.path("restored");
    let (ok, out, err) = run(
        vec!["restore".into(), file.display().to_string()],
        &restored,
    )
    .await;
    assert!(ok, "restore failed: {err}");
    assert!(out.contains("integrity_check ok"), "{out}");
    let (ok, _, err) = run(
        vec!["restore".into(), file.display().to_string()],
        &restored,
    )
    .await;
    assert!(!ok, "a restore into a non-empty data dir is refused");
    assert!(err.contains("is not empty"), "{err}");

    let db = restored.join("egodaeyeo.db");
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", db.display()))
        .await
        .unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, body FROM messages")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let stored: BTreeMap<i64, String> = rows.into_iter().collect();
    for (id, body) in &acked_before {
        assert_eq!(
            stored.get(id),
            Some(body),
            "message {id} was acknowledged before the backup began"
        );
    }

    // The restored deployment runs: same signing key (old tokens work), same photo.
    drop(server);
    let again = Instance::start(&restored, free_port(), &[("RATE_LIMIT", "off")]).await;
    let (s, me) = call(
        &reqwest::Client::new(),
        &again.addr(),
        Method::GET,
        "/api/v1/me",
        Some(&owner_token),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{me}");
    let (s, bytes) = get_bytes(&again.addr(), &photo).await;
    assert_eq!(s, StatusCode::OK, "the photo came back with the backup");
    assert!(bytes.starts_with(&[0xFF, 0xD8]), "a JPEG");
}

/// The recipe of docs/operations.md, run as written: pg_dump in the custom format, a new
/// database, pg_restore --no-owner, and the server on the restored database.
#[tokio::test]
#[ignore = "deploy suite (PostgreSQL): bash .ci/deploy-tests.sh backup"]
async fn postgres_is_backed_up_and_restored_with_pg_dump_and_pg_restore() {
    let source = crate::common::fresh_database()
        .await
        .expect("this test needs TEST_DATABASE_URL (PostgreSQL)");
    let dirs = Scratch::new("pgdump");
    let server = Instance::start(
        &dirs.path("a"),
        free_port(),
        &[("DATABASE_URL", source.as_str()), ("RATE_LIMIT", "off")],
    )
    .await;
    let base = server.addr();
    let owner = signup(&base, "owner").await;
    let asker = signup(&base, "asker").await;
    let room = room(&base, &owner, &asker).await;
    let client = reqwest::Client::new();
    for i in 0..30 {
        let (s, b) = call(
            &client,
            &base,
            Method::POST,
            &format!("/api/v1/chats/{room}/messages"),
            Some(&asker.token),
            Some(json!({"body": format!("안녕하세요 {i}")})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let before = history(&base, &owner.token, room).await;

    // pg_dump while the server runs (one consistent snapshot).
    let dump = dirs.path("egodaeyeo.dump");
    let out = std::process::Command::new("pg_dump")
        .args(["--format=custom", "--no-owner", "--file"])
        .arg(&dump)
        .arg(&source)
        .output()
        .expect("pg_dump (installed with PostgreSQL)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let target_name = format!("egt_restore_{}", rand_suffix());
    let admin_url = std::env::var("TEST_DATABASE_URL").unwrap();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    admin
        .execute(format!("CREATE DATABASE {target_name}").as_str())
        .await
        .unwrap();
    let mut target = url::Url::parse(&admin_url).unwrap();
    target.set_path(&format!("/{target_name}"));
    let target = target.to_string();
    let out = std::process::Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname"])
        .arg(&target)
        .arg(&dump)
        .output()
        .expect("pg_restore");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let restored = Instance::start(
        &dirs.path("b"),
        free_port(),
        &[("DATABASE_URL", target.as_str()), ("RATE_LIMIT", "off")],
    )
    .await;
    let after = history(&restored.addr(), &owner.token, room).await;
    assert_eq!(after, before, "every message, same ids");
    let (s, b) = call(
        &client,
        &restored.addr(),
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"email": "asker@example.com", "password": PASSWORD})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // New rows continue after the restored ones (sequences came along).
    let (s, m) = call(
        &client,
        &restored.addr(),
        Method::POST,
        &format!("/api/v1/chats/{room}/messages"),
        Some(&owner.token),
        Some(json!({"body": "복원됐어요"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert!(m["id"].as_i64().unwrap() > *before.keys().last().unwrap());

    drop(restored);
    drop(server);
    for name in [
        target_name,
        url::Url::parse(&source).unwrap().path()[1..].to_string(),
    ] {
        admin
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await
            .unwrap();
    }
}
