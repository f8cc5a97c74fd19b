//! Redis going away: each instance keeps delivering to its own sockets, /readyz says 503, and
//! the broker reconnects by itself. Runs a private redis-server on a free port.
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;

/// A private redis-server, or `None` when it is not installed. A run that set `TEST_REDIS_URL`
/// (CI) must have it: there the Redis tests never pass by skipping.
fn start_redis(port: u16) -> Option<Child> {
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok();
    assert!(
        child.is_some() || redis_url().is_none(),
        "TEST_REDIS_URL is set but redis-server cannot be started"
    );
    child
}

async fn wait_ready(app: &TestApp, want: StatusCode) {
    for _ in 0..200 {
        if app.get("/readyz", None).await.0 == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("/readyz never became {want}");
}

#[tokio::test]
async fn redis_outage_keeps_local_delivery_and_recovers() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let Some(mut redis) = start_redis(port) else {
        eprintln!("redis-server not installed; skipping");
        return;
    };
    let url = format!("redis://127.0.0.1:{port}");
    // Wait until it accepts connections.
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let app = TestApp::spawn_with(fresh_database().await, Some(url), |_| {}).await;
    wait_ready(&app, StatusCode::OK).await;
    let owner = app.signup("redisowner").await;
    let guest = app.signup("redisguest").await;
    let item = app.create_item(&owner, json!({})).await;
    let (_, room) = app
        .post(
            &format!("/items/{}/chats", item["id"]),
            Some(&guest.token),
            json!({}),
        )
        .await;
    let room = room["id"].as_i64().unwrap();
    let mut ws = app.ws(&owner.token).await;
    let (s, _) = app
        .post(
            &format!("/chats/{room}/messages"),
            Some(&guest.token),
            json!({"body": "레디스 있을 때"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        ws.next_of("message").await["message"]["body"],
        "레디스 있을 때"
    );

    redis.kill().unwrap();
    redis.wait().unwrap();
    wait_ready(&app, StatusCode::SERVICE_UNAVAILABLE).await;
    let (s, b) = app.get("/readyz", None).await;
    assert_eq!(b["error"]["code"], "unavailable", "{s} {b}");
    let (s, _) = app
        .post(
            &format!("/chats/{room}/messages"),
            Some(&guest.token),
            json!({"body": "레디스 없을 때"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        ws.next_of("message").await["message"]["body"],
        "레디스 없을 때",
        "local sockets still served"
    );

    let mut redis = start_redis(port).expect("restart redis");
    wait_ready(&app, StatusCode::OK).await;
    let (s, _) = app
        .post(
            &format!("/chats/{room}/messages"),
            Some(&guest.token),
            json!({"body": "다시 연결"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(ws.next_of("message").await["message"]["body"], "다시 연결");
    app.stop().await;
    let _ = redis.kill();
    let _ = redis.wait();
}

#[tokio::test]
async fn server_starts_without_redis_and_connects_when_it_appears() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = TestApp::spawn_with(
        fresh_database().await,
        Some(format!("redis://127.0.0.1:{port}")),
        |_| {},
    )
    .await;
    let (s, _) = app.get("/healthz", None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get("/readyz", None).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    // Local delivery works meanwhile.
    let owner = app.signup("lateowner").await;
    let guest = app.signup("lateguest").await;
    let item = app.create_item(&owner, json!({})).await;
    let (_, room) = app
        .post(
            &format!("/items/{}/chats", item["id"]),
            Some(&guest.token),
            json!({}),
        )
        .await;
    let mut ws = app.ws(&owner.token).await;
    app.post(
        &format!("/chats/{}/messages", room["id"]),
        Some(&guest.token),
        json!({"body": "아직 레디스 없음"}),
    )
    .await;
    assert_eq!(
        ws.next_of("message").await["message"]["body"],
        "아직 레디스 없음"
    );
    let Some(mut redis) = start_redis(port) else {
        eprintln!("redis-server not installed; skipping the reconnect half");
        return;
    };
    wait_ready(&app, StatusCode::OK).await;
    app.stop().await;
    let _ = redis.kill();
    let _ = redis.wait();
}
