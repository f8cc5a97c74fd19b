//! Operations on one instance (both backends): draining before a shutdown, sockets closed with
//! 1012, and metrics that say which route is slow. The deployments themselves (nginx, S3,
//! backups, rolling restarts) are tests/deploy.
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as WsMsg;

use crate::common::*;

async fn metrics_text(app: &TestApp) -> String {
    app.client
        .get(format!("{}/metrics", app.addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_draining_instance_is_not_ready_refuses_new_sockets_and_closes_connections() {
    let app = TestApp::spawn().await;
    let user = app.signup("drainer").await;
    let (s, _) = app.get("/readyz", None).await;
    assert_eq!(s, StatusCode::OK);
    app.state.lifecycle.begin_drain();
    let (s, b) = app.get("/readyz", None).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(b["error"]["code"], "unavailable");
    // Everything else is still served, and no connection is kept alive past its response.
    let resp = app
        .client
        .get(format!("{}/me", app.api))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["connection"], "close");
    // A new socket would be closed again in a moment: 503, which a balancer retries elsewhere.
    assert_eq!(app.ws_status(&format!("?token={}", user.token)).await, 503);
    let m = metrics_text(&app).await;
    assert!(m.contains("egd_draining 1\n"), "{m}");
    app.stop().await;
}

#[tokio::test]
async fn a_shutdown_answers_the_acks_a_socket_owes_then_closes_it_with_1012() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let asker = app.signup("asker").await;
    let item = app.create_item(&owner, json!({})).await;
    let room = app.open_chat(&asker, item["id"].as_i64().unwrap()).await;
    let mut ws = app.ws(&asker.token).await;
    ws.assert_alive().await;
    for i in 0..50 {
        ws.send(json!({"type": "send", "room_id": room, "body": format!("m{i}"), "client_id": i}))
            .await;
    }
    // The first ack: the socket is busy with the burst when the shutdown comes.
    let first = ws.next_of("ack").await;
    let state = app.state.clone();
    let stopping = tokio::spawn(app.stop());
    let mut acked = vec![first["client_id"].as_i64().unwrap()];
    let close = loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.stream.next())
            .await
            .expect("a close within 10 s")
            .expect("the stream ends with a close frame")
            .unwrap();
        match msg {
            WsMsg::Text(t) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] == "ack" {
                    acked.push(v["client_id"].as_i64().unwrap());
                }
                assert_ne!(v["type"], "error", "{v}");
            }
            WsMsg::Close(frame) => break frame.expect("a close code"),
            _ => {}
        }
    };
    assert_eq!(u16::from(close.code), 1012);
    assert_eq!(close.reason.as_str(), "service_restart");
    // Acks come in the order the messages were sent; whatever was acked is stored.
    assert!(acked.windows(2).all(|w| w[0] < w[1]), "{acked:?}");
    stopping.await.unwrap();
    assert!(
        state
            .metrics
            .messages_sent
            .load(std::sync::atomic::Ordering::Relaxed)
            >= acked.len() as u64
    );
}

#[tokio::test]
async fn metrics_label_latency_by_route_pattern_and_count_caches_pools_and_chat_batches() {
    let app = TestApp::spawn().await;
    let owner = app.signup("measured").await;
    let asker = app.signup("asker").await;
    let item = app.create_item(&owner, json!({})).await;
    let id = item["id"].as_i64().unwrap();
    for _ in 0..3 {
        let (s, _) = app.get(&format!("/items/{id}"), None).await;
        assert_eq!(s, StatusCode::OK);
    }
    let (s, _) = app.get("/items/999999", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    for path in ["/no/such/page-1", "/no/such/page-2", "/api/v1/nope"] {
        let (s, _) = app.get(path, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    let room = app.open_chat(&asker, id).await;
    app.say(&asker, room, "안녕하세요").await;
    let m = metrics_text(&app).await;
    let series = |needle: &str| -> f64 {
        m.lines()
            .find(|l| l.starts_with(needle))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {needle} in\n{m}"))
    };
    assert_eq!(
        series(
            r#"egd_http_request_duration_seconds_count{route="/api/v1/items/{id}",method="GET",status="2xx"}"#
        ),
        3.0
    );
    assert_eq!(
        series(
            r#"egd_http_request_duration_seconds_count{route="/api/v1/items/{id}",method="GET",status="4xx"}"#
        ),
        1.0
    );
    // Paths no route matched share one label: never the raw path.
    assert!(!m.contains("page-1"), "{m}");
    assert!(
        series(
            r#"egd_http_request_duration_seconds_count{route="unmatched",method="GET",status="4xx"}"#
        ) >= 2.0
    );
    assert!(m.contains("# TYPE egd_http_request_duration_seconds histogram"));
    // The item detail was cached after the first read.
    assert!(series(r#"egd_cache_lookups_total{cache="item_details",result="hit"}"#) >= 2.0);
    assert!(m.contains(r#"egd_db_pool_connections{pool="#), "{m}");
    assert!(series("egd_chat_batch_size_count") >= 1.0);
    assert!(series("egd_chat_messages_total") >= 1.0);
    // The counters of before keep their names.
    assert!(series(r#"egd_http_requests_total{class="2xx"}"#) >= 3.0);
    assert_eq!(series("egd_ws_connections"), 0.0);
    assert_eq!(series("egd_password_checks_total"), 0.0);
    app.stop().await;
}
