//! Two instances on PostgreSQL + Redis behind Debian's nginx with `deploy/nginx.conf`.
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

/// Two instances (each on its own data dir, both on one database and one Redis) and nginx.
pub struct Stack {
    pub a: Instance,
    pub b: Instance,
    pub nginx: Nginx,
    _dirs: Scratch,
}

impl Stack {
    pub async fn start(extra: &[(&str, &str)]) -> Stack {
        let (db, redis) = postgres_and_redis().await;
        let dirs = Scratch::new("stack");
        // Media shared by both instances (a directory here; S3 in production, see s3.rs).
        let media = dirs.path("media").display().to_string();
        let mut env = vec![
            ("DATABASE_URL", db.as_str()),
            ("REDIS_URL", redis.as_str()),
            ("TRUSTED_PROXIES", "127.0.0.1"),
            ("MEDIA_URL", media.as_str()),
        ];
        env.extend_from_slice(extra);
        // The first migrates; the second starts on the migrated database.
        let a = Instance::start(&dirs.path("a"), free_port(), &env).await;
        let b = Instance::start(&dirs.path("b"), free_port(), &env).await;
        let nginx = Nginx::start([a.port, b.port]).await;
        Stack {
            a,
            b,
            nginx,
            _dirs: dirs,
        }
    }
}

#[tokio::test]
#[ignore = "deploy suite (nginx, PostgreSQL, Redis): bash .ci/deploy-tests.sh nginx"]
async fn two_users_on_different_instances_chat_through_nginx_and_nothing_is_lost() {
    let stack = Stack::start(&[]).await;
    let base = stack.nginx.addr();
    let owner = signup(&base, "owner").await;
    let asker = signup(&base, "asker").await;
    let room = room(&base, &owner, &asker).await;
    let control = Arc::new(Control::default());
    control
        .paused
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let mut logs = Vec::new();
    let mut tasks = Vec::new();
    // nginx takes turns between the two instances: two sockets opened one after the other
    // land on different ones (checked below on each instance's own metrics).
    for (who, label) in [(owner, "owner"), (asker, "asker")] {
        let log = Arc::new(Mutex::new(ChatLog::default()));
        let token = who.token.clone();
        tasks.push(tokio::spawn(chatter(
            base.clone(),
            who,
            room,
            label.into(),
            Duration::from_millis(10),
            control.clone(),
            log.clone(),
        )));
        for _ in 0..200 {
            if log.lock().unwrap().connected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(log.lock().unwrap().connected, "{label} never connected");
        logs.push((log, token));
    }
    assert_eq!(
        (stack.a.sockets().await, stack.b.sockets().await),
        (1, 1),
        "the two sockets landed on different instances"
    );
    start_when_connected(&control, &logs.iter().map(|(l, _)| l).collect::<Vec<_>>()).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    control
        .sending_stopped
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let all = wait_until_everyone_has_everything(&base, room, &logs).await;
    control
        .finish
        .store(true, std::sync::atomic::Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let mut acked = 0;
    for (log, _) in &logs {
        let l = log.lock().unwrap();
        assert_eq!(l.connects, 1, "no socket was dropped: {l:?}");
        for (id, body) in &l.acked {
            assert_eq!(
                all.get(id),
                Some(body),
                "acknowledged message {id} is stored"
            );
        }
        acked += l.acked.len();
    }
    assert_eq!(acked, all.len(), "every stored message was acknowledged");
    assert!(all.len() > 200, "a real load: {} messages", all.len());
}

/// Waits until every client has every message of the room (the last frames may still travel),
/// and returns the room's history.
pub async fn wait_until_everyone_has_everything(
    base: &str,
    room: i64,
    logs: &[(Arc<Mutex<ChatLog>>, String)],
) -> std::collections::BTreeMap<i64, String> {
    // Let the last acks arrive before reading the history.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let all = history(base, &logs[0].1, room).await;
    for _ in 0..200 {
        if logs.iter().all(|(l, _)| {
            let l = l.lock().unwrap();
            all.keys().all(|id| l.seen.contains_key(id))
        }) {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (l, _) in logs {
        let l = l.lock().unwrap();
        let missing: Vec<&i64> = all.keys().filter(|id| !l.seen.contains_key(id)).collect();
        assert!(
            missing.is_empty(),
            "a client never got {} message(s), e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(5)]
        );
    }
    all
}

fn client_from(addr: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(addr.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
#[ignore = "deploy suite (nginx, PostgreSQL, Redis): bash .ci/deploy-tests.sh nginx"]
async fn login_throttling_sees_each_client_address_through_nginx() {
    let stack = Stack::start(&[]).await;
    let base = stack.nginx.addr();
    let me = signup(&base, "neighbour").await;
    let login =
        |email: String, password: &'static str| json!({"email": email, "password": password});
    // Two clients behind the same nginx, from two loopback addresses.
    let guesser = client_from("127.0.0.2");
    let other = client_from("127.0.0.3");
    // 20 failures per client address in 15 minutes (each email a new one, so only the
    // per-address limit counts).
    for i in 0..20 {
        let (s, b) = call(
            &guesser,
            &base,
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(login(format!("nobody{i}@example.com"), "wrong-pass1")),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "attempt {i}: {b}");
    }
    let (s, b) = call(
        &guesser,
        &base,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(login("nobody99@example.com".into(), "wrong-pass1")),
    )
    .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    // A forged X-Forwarded-For does not make the guesser someone else: nginx appends the real
    // address, and only that entry (from our trusted proxy) is believed.
    let resp = guesser
        .post(format!("http://{base}/api/v1/auth/login"))
        .header("x-forwarded-for", "127.0.0.3")
        .json(&login("neighbour@example.com".into(), PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    // The other address is not limited: its wrong password is a plain 401, its right one a login.
    let (s, _) = call(
        &other,
        &base,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(login("neighbour@example.com".into(), "wrong-pass1")),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, b) = call(
        &other,
        &base,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(login("neighbour@example.com".into(), PASSWORD)),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["user"]["id"], me.id);
}

#[tokio::test]
#[ignore = "deploy suite (nginx, PostgreSQL, Redis): bash .ci/deploy-tests.sh nginx"]
async fn nginx_caches_media_keeps_metrics_private_and_passes_request_ids() {
    let stack = Stack::start(&[]).await;
    let base = stack.nginx.addr();
    let owner = signup(&base, "photo").await;
    let client = reqwest::Client::new();
    let (s, item) = call(
        &client,
        &base,
        Method::POST,
        "/api/v1/items",
        Some(&owner.token),
        Some(json!({"section": "lend", "category_id": 4, "title": "캠핑 의자", "description": "접이식"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{item}");
    let form = reqwest::multipart::Form::new().part(
        "image",
        reqwest::multipart::Part::bytes(crate::common::jpeg(640, 480)).file_name("a.jpg"),
    );
    let resp = client
        .post(format!("http://{base}/api/v1/items/{}/images", item["id"]))
        .bearer_auth(&owner.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let images: serde_json::Value = resp.json().await.unwrap();
    let url = images[0]["url"].as_str().unwrap();
    let path = &url[url.find("/media/").unwrap()..];
    let mut cache = Vec::new();
    for _ in 0..2 {
        let r = client
            .get(format!("http://{base}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        cache.push(r.headers()["x-cache-status"].to_str().unwrap().to_string());
    }
    assert_eq!(cache, ["MISS", "HIT"]);
    // /metrics is for the scraper on each instance, not for the internet.
    let (s, b) = call(&client, &base, Method::GET, "/metrics", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(b["error"]["code"], "not_found");
    // nginx's request id reaches the instance, which sends it back.
    let r = client
        .get(format!("http://{base}/healthz"))
        .send()
        .await
        .unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 32, "nginx's $request_id: {id}");
    // A body over the JSON limit is refused by nginx in front, before any instance.
    let big = "x".repeat(3 * 1024 * 1024);
    let r = client
        .post(format!("http://{base}/api/v1/feedback"))
        .bearer_auth(&owner.token)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
