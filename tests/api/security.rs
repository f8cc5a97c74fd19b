//! Trust under attack: sockets end with the login, throttles that hold, bounded inputs.
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as WsMsg;

use crate::common::*;

/// Waits for the server to close the socket; the close code and reason, or `None` when it
/// stayed open for `ms` (frames in between are skipped).
async fn closed_within(ws: &mut Ws, ms: u64) -> Option<(u16, String)> {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.stream.next())
            .await
            .ok()?;
        match msg {
            Some(Ok(WsMsg::Close(Some(f)))) => return Some((f.code.into(), f.reason.to_string())),
            Some(Ok(WsMsg::Close(None))) | None | Some(Err(_)) => return Some((0, String::new())),
            Some(Ok(_)) => continue,
        }
    }
}

async fn assert_session_ended(ws: &mut Ws) {
    let closed = closed_within(ws, 2000).await;
    assert_eq!(
        closed,
        Some((4401, "session_ended".to_string())),
        "the socket is closed with 4401 within 2 s"
    );
}

async fn login(app: &TestApp, email: &str) -> (String, String) {
    let (s, b) = app
        .post(
            "/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    (
        b["access_token"].as_str().unwrap().to_string(),
        b["refresh_token"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn logout_closes_only_that_logins_sockets_and_ends_its_access_tokens() {
    let app = TestApp::spawn().await;
    let u = app.signup("logouter").await;
    let (phone_token, _) = login(&app, &u.email).await;
    let mut laptop = app.ws(&u.token).await;
    let mut phone = app.ws(&phone_token).await;
    let (s, _) = app
        .post("/auth/logout", None, json!({"refresh_token": u.refresh}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_session_ended(&mut laptop).await;
    // The other login is untouched.
    phone.send(json!({"type": "ping"})).await;
    assert_eq!(phone.next_of("pong").await["type"], "pong");
    // The ended login's access token stops working at once, not in 15 minutes.
    let (s, _) = app.get("/me", Some(&u.token)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.get("/me", Some(&phone_token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.ws_status(&format!("?token={}", u.token)).await, 401);
    app.stop().await;
}

#[tokio::test]
async fn password_change_suspension_and_deletion_close_every_socket_of_the_user() {
    let app = TestApp::spawn().await;
    let admin = app.signup("sockadmin").await;
    app.make_admin(&admin).await;

    // Password change: every login ends, the one that changed it included.
    let u = app.signup("changer").await;
    let (other_token, _) = login(&app, &u.email).await;
    let mut a = app.ws(&u.token).await;
    let mut b = app.ws(&other_token).await;
    let (s, body) = app
        .post(
            "/me/password",
            Some(&u.token),
            json!({"current_password": PASSWORD, "new_password": "newpassw0rd"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    assert_session_ended(&mut a).await;
    assert_session_ended(&mut b).await;

    // Suspension: the socket closes, and nothing more can be sent or stored.
    let v = app.signup("suspendee").await;
    let owner = app.signup("chatowner").await;
    let item = app.create_item(&owner, json!({})).await;
    let room = app.open_chat(&v, item["id"].as_i64().unwrap()).await;
    let mut ws = app.ws(&v.token).await;
    let (s, _) = app
        .post(
            &format!("/admin/users/{}/suspend", v.id),
            Some(&admin.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_session_ended(&mut ws).await;
    let (s, _) = app
        .post(
            &format!("/chats/{room}/messages"),
            Some(&v.token),
            json!({"body": "after suspension"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(app.ws_status(&format!("?token={}", v.token)).await, 401);
    assert!(app
        .all_messages(&owner, room)
        .await
        .iter()
        .all(|m| m["body"] != "after suspension"));

    // Deletion.
    let d = app.signup("deleter").await;
    let mut ws = app.ws(&d.token).await;
    let (s, _) = app
        .call(
            reqwest::Method::DELETE,
            "/me",
            Some(&d.token),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_session_ended(&mut ws).await;
    app.stop().await;
}

#[tokio::test]
async fn refresh_token_reuse_ends_every_login_and_its_sockets() {
    let app = TestApp::spawn().await;
    let u = app.signup("replayed").await;
    let (other_token, other_refresh) = login(&app, &u.email).await;
    let mut ws = app.ws(&other_token).await;
    let (s, _) = app
        .post("/auth/refresh", None, json!({"refresh_token": u.refresh}))
        .await;
    assert_eq!(s, StatusCode::OK);
    // A stolen copy of the rotated token comes back.
    let (s, _) = app
        .post("/auth/refresh", None, json!({"refresh_token": u.refresh}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_session_ended(&mut ws).await;
    let (s, _) = app
        .post(
            "/auth/refresh",
            None,
            json!({"refresh_token": other_refresh}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "every login of the user ended");
    app.stop().await;
}

#[tokio::test]
async fn an_eleventh_socket_closes_the_oldest_with_4008() {
    let app = TestApp::spawn().await;
    let u = app.signup("manysocks").await;
    let mut socks = Vec::new();
    for _ in 0..10 {
        let mut ws = app.ws(&u.token).await;
        // One round trip each, so the server registered them in this order.
        ws.send(json!({"type": "ping"})).await;
        ws.next_of("pong").await;
        socks.push(ws);
    }
    let mut newest = app.ws(&u.token).await;
    newest.send(json!({"type": "ping"})).await;
    newest.next_of("pong").await;
    assert_eq!(
        closed_within(&mut socks[0], 2000).await,
        Some((4008, "too_many_sockets".to_string()))
    );
    for ws in socks.iter_mut().skip(1) {
        ws.send(json!({"type": "ping"})).await;
        assert_eq!(ws.next_of("pong").await["type"], "pong");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_server_wide_socket_cap_answers_503() {
    let db = fresh_database().await;
    let app = TestApp::spawn_with(db, None, |c| c.max_sockets = 2).await;
    let u = app.signup("capped").await;
    let _a = app.ws(&u.token).await;
    let b = app.ws(&u.token).await;
    assert_eq!(app.ws_status(&format!("?token={}", u.token)).await, 503);
    drop(b);
    // The slot frees once the server sees the socket end.
    let mut ok = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if app.ws_status(&format!("?token={}", u.token)).await == 101 {
            ok = true;
            break;
        }
    }
    assert!(ok, "a closed socket frees its place");
    app.stop().await;
}

#[tokio::test]
async fn logout_on_one_instance_closes_the_socket_on_another() {
    // Needs a shared database and Redis (the PostgreSQL + Redis run sets both).
    let (Some(db), Some(redis)) = (fresh_database().await, redis_url()) else {
        return;
    };
    let a = TestApp::spawn_with(Some(db.clone()), Some(redis.clone()), |_| {}).await;
    let b = TestApp::spawn_with(Some(db), Some(redis), |_| {}).await;
    assert_eq!(b.state.realtime.kind(), "redis");
    let u = a.signup("twoinst").await;
    let mut on_b = b.ws(&u.token).await;
    on_b.send(json!({"type": "ping"})).await;
    on_b.next_of("pong").await;
    let (s, _) = a
        .post("/auth/logout", None, json!({"refresh_token": u.refresh}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_session_ended(&mut on_b).await;
    a.stop().await;
    b.stop().await;
}

async fn login_from(
    app: &TestApp,
    email: &str,
    password: &str,
    addr: &str,
) -> (StatusCode, Value, Option<String>) {
    let resp = app
        .client
        .post(format!("{}/auth/login", app.api))
        .header("x-forwarded-for", addr)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login request");
    let status = resp.status();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, resp.json().await.unwrap_or(Value::Null), retry)
}

fn behind_proxy(c: &mut egodaeyeo::config::Config) {
    c.trusted_proxies = egodaeyeo::config::parse_proxies("127.0.0.1").unwrap();
}

#[tokio::test]
async fn parallel_wrong_passwords_cannot_pass_the_limit() {
    let app = TestApp::spawn().await;
    let u = app.signup("guessme").await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let client = app.client.clone();
        let url = format!("{}/auth/login", app.api);
        let email = u.email.clone();
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"email": email, "password": format!("wrong{i}pass")}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut checked = 0;
    let mut limited = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(checked, 5, "only the allowance was checked");
    assert_eq!(limited, 7);
    let m = app
        .client
        .get(format!("{}/metrics", app.addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("egd_password_checks_total 5\n"), "{m}");
    app.stop().await;
}

#[tokio::test]
async fn failures_from_one_address_never_lock_the_owner_out_of_another() {
    let db = fresh_database().await;
    let app = TestApp::spawn_with(db, None, behind_proxy).await;
    let u = app.signup("lockme").await;
    for _ in 0..5 {
        let (s, _, _) = login_from(&app, &u.email, "wrongpass1", "203.0.113.66").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, b, retry) = login_from(&app, &u.email, PASSWORD, "203.0.113.66").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    assert_eq!(b["error"]["code"], "rate_limited");
    let retry: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // The owner at home still gets in.
    let (s, b, _) = login_from(&app, &u.email, PASSWORD, "198.51.100.10").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // A client-forged entry left of the proxy's is not believed: still the attacker's address.
    let (s, _, _) = login_from(&app, &u.email, PASSWORD, "198.51.100.10, 203.0.113.66").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // The window passes.
    app.state.clock.advance_ms(15 * 60 * 1000 + 1000);
    let (s, _, _) = login_from(&app, &u.email, PASSWORD, "203.0.113.66").await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn one_address_is_limited_across_emails_and_others_are_not() {
    let db = fresh_database().await;
    let app = TestApp::spawn_with(db, None, behind_proxy).await;
    let u = app.signup("victim").await;
    for i in 0..20 {
        let (s, _, _) = login_from(
            &app,
            &format!("nobody{i}@example.com"),
            "wrongpass1",
            "203.0.113.7",
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _, _) = login_from(&app, &u.email, PASSWORD, "203.0.113.7").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let (s, _, _) = login_from(&app, &u.email, PASSWORD, "203.0.113.8").await;
    assert_eq!(s, StatusCode::OK, "the neighbour's address is unaffected");
    app.stop().await;
}

#[tokio::test]
async fn throttle_counts_are_shared_between_instances() {
    // Two instances on one database (a SQLite file or a PostgreSQL database).
    let db = match fresh_database().await {
        Some(url) => url,
        None => {
            let dir = std::env::temp_dir().join(format!("egd-shared-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            format!(
                "sqlite://{}?mode=rwc",
                dir.join(format!("{}.db", rand::random::<u64>())).display()
            )
        }
    };
    let a = TestApp::spawn_with(Some(db.clone()), None, behind_proxy).await;
    let b = TestApp::spawn_with(Some(db), None, behind_proxy).await;
    let u = a.signup("sharedlim").await;
    for app in [&a, &b, &a, &b, &a] {
        let (s, _, _) = login_from(app, &u.email, "wrongpass1", "203.0.113.99").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _, _) = login_from(&b, &u.email, PASSWORD, "203.0.113.99").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn signups_are_limited_per_address() {
    let db = fresh_database().await;
    let app = TestApp::spawn_with(db, None, behind_proxy).await;
    let signup = |n: usize, addr: &'static str| {
        let client = app.client.clone();
        let url = format!("{}/auth/signup", app.api);
        async move {
            client
                .post(url)
                .header("x-forwarded-for", addr)
                .json(&json!({
                    "email": format!("bulk{n}@example.com"),
                    "password": PASSWORD,
                    "nickname": format!("bulk{n}"),
                }))
                .send()
                .await
                .unwrap()
        }
    };
    for n in 0..10 {
        assert_eq!(
            signup(n, "203.0.113.20").await.status(),
            StatusCode::CREATED
        );
    }
    let r = signup(10, "203.0.113.20").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(
        signup(11, "203.0.113.21").await.status(),
        StatusCode::CREATED
    );
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_email_costs_a_full_password_check() {
    let app = TestApp::spawn().await;
    let (s, _) = app
        .post(
            "/auth/login",
            None,
            json!({"email": "nobody@example.com", "password": "whatever1"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.state
            .metrics
            .password_checks
            .load(std::sync::atomic::Ordering::Relaxed),
        1,
        "argon2 ran against the dummy hash"
    );
    app.stop().await;
}

#[tokio::test]
async fn wrong_current_passwords_are_throttled_per_account() {
    let app = TestApp::spawn().await;
    let u = app.signup("reauth").await;
    for _ in 0..5 {
        let (s, _) = app
            .post(
                "/me/password",
                Some(&u.token),
                json!({"current_password": "guess1234", "new_password": "newpassw0rd"}),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }
    let (s, b) = app
        .post(
            "/me/password",
            Some(&u.token),
            json!({"current_password": PASSWORD, "new_password": "newpassw0rd"}),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    app.stop().await;
}

#[tokio::test]
async fn a_hashing_flood_is_answered_with_503_not_a_growing_queue() {
    let db = fresh_database().await;
    let app = TestApp::spawn_with(db, None, |c| c.rate_limit = false).await;
    let mut tasks = Vec::new();
    for i in 0..150 {
        let client = app.client.clone();
        let url = format!("{}/auth/login", app.api);
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .json(&json!({"email": format!("flood{i}@example.com"), "password": "whatever1"}))
                .send()
                .await
                .unwrap();
            (r.status(), r.headers().contains_key("retry-after"))
        }));
    }
    let mut busy = 0;
    for t in tasks {
        match t.await.unwrap() {
            (StatusCode::UNAUTHORIZED, _) => {}
            (StatusCode::SERVICE_UNAVAILABLE, true) => busy += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(busy > 0, "the bounded queue refused some");
    app.stop().await;
}

#[tokio::test]
async fn over_long_inputs_are_refused_before_any_work() {
    let app = TestApp::spawn().await;
    let long_email = format!("{}@example.com", "a".repeat(300));
    let (s, b) = app
        .post(
            "/auth/login",
            None,
            json!({"email": long_email, "password": "whatever1"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b["error"]["fields"]["email"].is_string());
    let (s, _) = app
        .post(
            "/auth/login",
            None,
            json!({"email": "a@example.com", "password": "x".repeat(1000)}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.state
            .metrics
            .password_checks
            .load(std::sync::atomic::Ordering::Relaxed),
        0,
        "no hash ran"
    );
    let words = vec!["서교"; 200].join(" ");
    let (s, b) = app
        .get(&format!("/regions?q={}", urlencode(&words)), None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["error"]["code"], "validation_failed");
    let (s, _) = app
        .get(&format!("/regions?q={}", urlencode(&"가".repeat(41))), None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, b) = app
        .get(
            &format!("/items?q={}", urlencode(&"드릴 ".repeat(100))),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b["error"]["fields"]["q"].is_string());
    let (s, _) = app
        .get(&format!("/items?q={}", urlencode("캠핑 의자")), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, hits) = app
        .get(&format!("/regions?q={}", urlencode("마포구 서교")), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(!hits.as_array().unwrap().is_empty());
    app.stop().await;
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn request_ids_are_set_propagated_and_never_arbitrary_client_text() {
    let app = TestApp::spawn().await;
    let get = |id: Option<&'static str>| {
        let mut req = app.client.get(format!("{}/healthz", app.addr));
        if let Some(id) = id {
            req = req.header("x-request-id", id);
        }
        async move {
            let r = req.send().await.unwrap();
            r.headers()
                .get("x-request-id")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        }
    };
    let fresh = get(None).await;
    // A random per-process prefix and a sequence number (short for a process's first requests).
    let (prefix, n) = fresh.rsplit_once('-').expect("prefix-sequence");
    assert!(
        prefix.len() >= 8 && u64::from_str_radix(n, 16).is_ok(),
        "{fresh}"
    );
    assert_ne!(fresh, get(None).await, "each request gets its own id");
    assert_eq!(
        get(Some("lb-42.abc_def")).await,
        "lb-42.abc_def",
        "a balancer's id is kept"
    );
    let injected = get(Some("x\" level=error msg=\"forged")).await;
    assert!(!injected.contains("forged"), "{injected}");
    app.stop().await;
}

#[tokio::test]
async fn a_refused_address_flooding_new_emails_writes_no_counter_rows() {
    let db = fresh_database().await;
    let app = TestApp::spawn_with(db, None, behind_proxy).await;
    let rows = || async {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM auth_attempts")
            .fetch_one(&app.state.db.read)
            .await
            .unwrap();
        n
    };
    for i in 0..21 {
        login_from(
            &app,
            &format!("spray{i}@example.com"),
            "wrongpass1",
            "203.0.113.50",
        )
        .await;
    }
    let before = rows().await;
    for i in 100..160 {
        let (s, _, retry) = login_from(
            &app,
            &format!("spray{i}@example.com"),
            "wrongpass1",
            "203.0.113.50",
        )
        .await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
        assert!(retry.is_some());
    }
    assert_eq!(
        rows().await,
        before,
        "refused from memory: no row per new email"
    );
    assert_eq!(
        app.state
            .metrics
            .password_checks
            .load(std::sync::atomic::Ordering::Relaxed),
        20,
        "only the allowance was checked"
    );
    app.stop().await;
}
