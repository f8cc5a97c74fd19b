//! The WebSocket protocol over real sockets, notifications, several instances, and crash safety.
use std::collections::HashSet;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as WsMsg;

use crate::common::*;

/// An owner, an asker, an item and the asker's room about it.
async fn pair(app: &TestApp) -> (User, User, i64) {
    let owner = app.signup("owner").await;
    let asker = app.signup("asker").await;
    let item = app.create_item(&owner, json!({})).await;
    let room = app.open_chat(&asker, item["id"].as_i64().unwrap()).await;
    (owner, asker, room)
}

#[tokio::test]
async fn ws_refuses_missing_or_bad_token_before_upgrade() {
    let app = TestApp::spawn().await;
    let u = app.signup("someone").await;
    assert_eq!(app.ws_status("").await, 401);
    assert_eq!(app.ws_status("?token=garbage").await, 401);
    assert_eq!(app.ws_status(&format!("?token={}x", u.token)).await, 401);
    assert_eq!(app.ws_status(&format!("?token={}", u.token)).await, 101);
    app.stop().await;
}

#[tokio::test]
async fn send_is_acked_after_storage_and_reaches_every_socket_of_both_participants() {
    let app = TestApp::spawn().await;
    let (owner, asker, room) = pair(&app).await;
    let mut a1 = app.ws(&asker.token).await;
    let mut a2 = app.ws(&asker.token).await;
    let mut o1 = app.ws(&owner.token).await;
    a1.send(json!({"type": "send", "room_id": room, "body": "안녕하세요", "client_id": "c-17"}))
        .await;
    let ack = a1.next_of("ack").await;
    assert_eq!(ack["client_id"], "c-17");
    let m = &ack["message"];
    assert_eq!(m["body"], "안녕하세요");
    assert_eq!(m["room_id"], room);
    assert_eq!(m["sender_id"], asker.id);
    assert_eq!(m["kind"], "text");
    // Acknowledged means stored.
    let history = app.all_messages(&owner, room).await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["id"], m["id"]);
    for ws in [&mut a1, &mut a2, &mut o1] {
        let f = ws.next_of("message").await;
        assert_eq!(f["message"], *m);
    }
    // The owner answers over the socket: both of the asker's sockets get it too.
    o1.send(json!({"type": "send", "room_id": room, "body": "네, 있어요", "client_id": 5}))
        .await;
    let ack = o1.next_of("ack").await;
    assert_eq!(ack["client_id"], 5);
    assert!(ack["message"]["id"].as_i64() > m["id"].as_i64());
    for ws in [&mut a1, &mut a2, &mut o1] {
        assert_eq!(ws.next_of("message").await["message"]["body"], "네, 있어요");
    }
    // A REST send is delivered the same way.
    app.say(&asker, room, "REST로 보냄").await;
    for ws in [&mut a1, &mut a2, &mut o1] {
        assert_eq!(
            ws.next_of("message").await["message"]["body"],
            "REST로 보냄"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn strangers_get_no_frames_of_a_room() {
    let app = TestApp::spawn().await;
    let (owner, asker, room) = pair(&app).await;
    let stranger = app.signup("stranger").await;
    let mut s = app.ws(&stranger.token).await;
    let mut o = app.ws(&owner.token).await;
    app.say(&asker, room, "비밀 이야기").await;
    o.next_of("message").await;
    s.assert_no("message", 300).await;
    s.assert_alive().await;
    app.stop().await;
}

#[tokio::test]
async fn read_over_the_socket_reaches_the_other_party() {
    let app = TestApp::spawn().await;
    let (owner, asker, room) = pair(&app).await;
    let mut a = app.ws(&asker.token).await;
    let mut o = app.ws(&owner.token).await;
    let m1 = app.say(&asker, room, "하나").await;
    let m2 = app.say(&asker, room, "둘").await;
    o.send(json!({"type": "read", "room_id": room, "last_read_id": m2["id"]}))
        .await;
    let f = a.next_of("read").await;
    assert_eq!(
        f,
        json!({"type": "read", "room_id": room, "user_id": owner.id, "last_read_id": m2["id"]})
    );
    let (_, r) = app.get(&format!("/chats/{room}"), Some(&owner.token)).await;
    assert_eq!(r["unread_count"], 0);
    // A read over REST is pushed as well.
    let m3 = app.say(&owner, room, "셋").await;
    let (s, _) = app
        .post(
            &format!("/chats/{room}/read"),
            Some(&asker.token),
            json!({"last_read_id": m3["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // The owner's sockets also saw their own read (other devices stay in sync); skip it.
    let mut f = o.next_of("read").await;
    if f["user_id"] == owner.id {
        f = o.next_of("read").await;
    }
    assert_eq!(f["user_id"], asker.id);
    assert_eq!(f["last_read_id"], m3["id"]);
    assert!(m1["id"].as_i64() < m2["id"].as_i64());
    app.stop().await;
}

#[tokio::test]
async fn ping_gets_pong_and_bad_frames_get_errors_on_an_open_socket() {
    let app = TestApp::spawn().await;
    let (owner, asker, room) = pair(&app).await;
    let stranger = app.signup("stranger").await;
    let other_item = app.create_item(&stranger, json!({})).await;
    let foreign = app
        .open_chat(&owner, other_item["id"].as_i64().unwrap())
        .await;
    let mut ws = app.ws(&asker.token).await;
    ws.send(json!({"type": "ping"})).await;
    assert_eq!(ws.next().await, json!({"type": "pong"}));

    ws.send_text("{not json").await;
    let e = ws.next_of("error").await;
    assert_eq!(e["code"], "validation_failed");
    ws.assert_alive().await;

    ws.send(json!({"type": "dance", "client_id": "c-1"})).await;
    let e = ws.next_of("error").await;
    assert_eq!(e["code"], "validation_failed");
    assert_eq!(e["client_id"], "c-1");
    ws.assert_alive().await;

    let huge =
        json!({"type": "send", "room_id": room, "body": "x".repeat(9 * 1024), "client_id": "c-2"});
    ws.send(huge).await;
    let e = ws.next_of("error").await;
    assert_eq!(e["code"], "payload_too_large");
    ws.assert_alive().await;

    ws.send(json!({"type": "send", "room_id": foreign, "body": "끼어들기", "client_id": "c-3"}))
        .await;
    let e = ws.next_of("error").await;
    assert_eq!(e["code"], "forbidden");
    assert_eq!(e["client_id"], "c-3");
    ws.assert_alive().await;

    ws.send(json!({"type": "send", "room_id": 999999, "body": "없는 방", "client_id": "c-4"}))
        .await;
    let e = ws.next_of("error").await;
    assert_eq!(e["code"], "not_found");
    assert_eq!(e["client_id"], "c-4");

    for (frame, cid) in [
        (
            json!({"type": "send", "room_id": room, "body": "", "client_id": "c-5"}),
            "c-5",
        ),
        (
            json!({"type": "send", "room_id": room, "body": "  ", "client_id": "c-6"}),
            "c-6",
        ),
        (
            json!({"type": "send", "room_id": room, "body": "가".repeat(1001), "client_id": "c-7"}),
            "c-7",
        ),
        (
            json!({"type": "send", "body": "방 없음", "client_id": "c-8"}),
            "c-8",
        ),
        (
            json!({"type": "read", "room_id": room, "client_id": "c-9"}),
            "c-9",
        ),
    ] {
        ws.send(frame).await;
        let e = ws.next_of("error").await;
        assert_eq!(e["code"], "validation_failed", "{e}");
        assert_eq!(e["client_id"], cid);
        ws.assert_alive().await;
    }
    ws.send(json!({"type": "read", "room_id": foreign, "last_read_id": 1, "client_id": "r-1"}))
        .await;
    let e = ws.next_of("error").await;
    assert_eq!(e["code"], "forbidden");
    ws.assert_alive().await;
    ws.stream
        .send(WsMsg::Binary(vec![1u8, 2, 3].into()))
        .await
        .unwrap();
    assert_eq!(ws.next_of("error").await["code"], "validation_failed");
    ws.assert_alive().await;

    // Nothing bad was stored, and the socket still sends.
    assert!(app.all_messages(&owner, foreign).await.is_empty());
    assert!(app.all_messages(&owner, room).await.is_empty());
    ws.send(json!({"type": "send", "room_id": room, "body": "이제 정상", "client_id": "ok"}))
        .await;
    assert_eq!(ws.next_of("ack").await["client_id"], "ok");
    app.stop().await;
}

#[tokio::test]
async fn reconnect_catches_up_with_after_cursor() {
    let app = TestApp::spawn().await;
    let (owner, asker, room) = pair(&app).await;
    let mut o = app.ws(&owner.token).await;
    app.say(&asker, room, "첫 메시지").await;
    let seen = o.next_of("message").await["message"]["id"]
        .as_i64()
        .unwrap();
    o.stream.close(None).await.unwrap();
    drop(o);
    let mut missed = Vec::new();
    for i in 0..3 {
        missed.push(app.say(&asker, room, &format!("놓친 {i}")).await["id"].clone());
    }
    let mut o = app.ws(&owner.token).await;
    let (s, b) = app
        .get(
            &format!("/chats/{room}/messages?after={seen}"),
            Some(&owner.token),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let got: Vec<Value> = b["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(got, missed);
    assert_eq!(b["has_more"], false);
    // And live delivery resumes on the new socket (frames of messages committed just before the
    // reconnect may arrive too: clients skip ids they already have).
    let fresh = app.say(&asker, room, "다시 연결됨").await;
    loop {
        let f = o.next_of("message").await;
        assert!(
            missed.contains(&f["message"]["id"]) || f["message"]["id"] == fresh["id"],
            "{f}"
        );
        if f["message"]["id"] == fresh["id"] {
            break;
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn burst_of_300_from_one_socket_is_stored_and_delivered_completely_in_order() {
    let app = TestApp::spawn().await;
    let (owner, asker, room) = pair(&app).await;
    let sender = app.ws(&asker.token).await;
    let mut receiver = app.ws(&owner.token).await;
    const N: usize = 300;
    let (tx, mut rx) = sender.stream.split();
    let send_all = async move {
        let mut tx = tx;
        for i in 0..N {
            let f = json!({"type": "send", "room_id": room, "body": format!("burst {i}"), "client_id": format!("c-{i}")});
            tx.send(WsMsg::Text(f.to_string().into())).await.unwrap();
        }
        tx
    };
    let read_acks = async {
        let mut acks = Vec::new();
        while acks.len() < N {
            let msg = tokio::time::timeout(Duration::from_secs(10), rx.next())
                .await
                .expect("acks keep coming")
                .unwrap()
                .unwrap();
            if let WsMsg::Text(t) = msg {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] == "ack" {
                    acks.push(v);
                }
            }
        }
        acks
    };
    let (_tx, acks, delivered) =
        tokio::join!(send_all, read_acks, receiver.collect_of("message", N));
    for (i, a) in acks.iter().enumerate() {
        assert_eq!(a["client_id"], format!("c-{i}"));
        assert_eq!(a["message"]["body"], format!("burst {i}"));
    }
    let ack_ids: Vec<i64> = acks
        .iter()
        .map(|a| a["message"]["id"].as_i64().unwrap())
        .collect();
    assert!(
        ack_ids.windows(2).all(|w| w[0] < w[1]),
        "ids increase in send order"
    );
    let got: Vec<i64> = delivered
        .iter()
        .map(|m| m["message"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got, ack_ids, "delivered completely and in order");
    let history = app.all_messages(&owner, room).await;
    let bodies: Vec<String> = history
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = (0..N).map(|i| format!("burst {i}")).collect();
    assert_eq!(bodies, expected);
    app.stop().await;
}

#[tokio::test]
async fn chat_burst_leaves_one_unread_notification_per_room() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let asker = app.signup("asker").await;
    let item1 = app.create_item(&owner, json!({"title": "자전거"})).await;
    let item2 = app.create_item(&owner, json!({"title": "텐트"})).await;
    let room1 = app.open_chat(&asker, item1["id"].as_i64().unwrap()).await;
    let room2 = app.open_chat(&asker, item2["id"].as_i64().unwrap()).await;
    let mut o = app.ws(&owner.token).await;
    let mut a = app.ws(&asker.token).await;
    for i in 0..40 {
        let room = if i % 4 == 3 { room2 } else { room1 };
        a.send(
            json!({"type": "send", "room_id": room, "body": format!("메시지 {i}"), "client_id": i}),
        )
        .await;
    }
    a.collect_of("ack", 40).await;
    // Live: notification frames with the unread count.
    let note = o.next_of("notification").await;
    assert_eq!(note["notification"]["kind"], "chat_message");
    assert!(note["unread_count"].as_i64().unwrap() >= 1);
    assert_eq!(note["notification"]["read_at"], Value::Null);
    // Wait for the last message of each room (39 in room2, 38 in room1) to reach its notification.
    let last_is = |b: &Value, room: i64, body: &str| {
        b["items"].as_array().unwrap().iter().any(|n| {
            n["link"].as_str().unwrap().ends_with(&format!("/{room}")) && n["body"] == body
        })
    };
    let b = app
        .wait_notifications(&owner, true, |b| {
            last_is(b, room2, "메시지 39") && last_is(b, room1, "메시지 38")
        })
        .await;
    assert_eq!(b["unread_count"], 2, "{b}");
    assert_eq!(b["total"], 2);
    let items = b["items"].as_array().unwrap();
    assert!(items.iter().all(|n| n["kind"] == "chat_message"));
    assert!(
        items
            .iter()
            .all(|n| n["title"].as_str().unwrap().contains("asker")),
        "{b}"
    );
    let bodies: HashSet<&str> = items.iter().map(|n| n["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, HashSet::from(["메시지 39", "메시지 38"]));
    // The sender gets none for their own messages.
    assert_eq!(app.notifications(&asker, true).await["unread_count"], 0);
    // The last frame pushed says 2 unread.
    let mut last = note;
    while let Some(f) = o.next_within(300).await {
        if f["type"] == "notification" {
            last = f;
        }
    }
    assert_eq!(last["unread_count"], 2);
    app.stop().await;
}

#[tokio::test]
async fn notifications_are_marked_read_by_ids_all_and_by_reading_the_room() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let asker = app.signup("asker").await;
    let mut rooms = Vec::new();
    for t in ["자전거", "텐트", "카메라"] {
        let item = app.create_item(&owner, json!({"title": t})).await;
        rooms.push(app.open_chat(&asker, item["id"].as_i64().unwrap()).await);
    }
    let mut last = Vec::new();
    for &room in &rooms {
        last.push(
            app.say(&asker, room, "빌릴 수 있을까요").await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let b = app
        .wait_notifications(&owner, true, |b| b["items"].as_array().unwrap().len() == 3)
        .await;
    assert_eq!(b["unread_count"], 3);
    // Reading a room reads its chat notification.
    let (s, _) = app
        .post(
            &format!("/chats/{}/read", rooms[0]),
            Some(&owner.token),
            json!({"last_read_id": last[0]}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let b = app.notifications(&owner, true).await;
    assert_eq!(b["unread_count"], 2, "{b}");
    assert!(b["items"].as_array().unwrap().iter().all(|n| !n["link"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/{}", rooms[0]))));
    // By ids.
    let id = b["items"][0]["id"].clone();
    let (s, _) = app
        .post(
            "/notifications/read",
            Some(&owner.token),
            json!({"ids": [id]}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let b = app.notifications(&owner, false).await;
    assert_eq!(b["unread_count"], 1);
    assert_eq!(b["total"], 3);
    let read: Vec<&Value> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["id"] == id)
        .collect();
    assert!(read[0]["read_at"].is_string());
    // Someone else's ids do nothing.
    let (s, _) = app
        .post(
            "/notifications/read",
            Some(&asker.token),
            json!({"all": true}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(app.notifications(&owner, true).await["unread_count"], 1);
    // All.
    let (s, _) = app
        .post(
            "/notifications/read",
            Some(&owner.token),
            json!({"all": true}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let b = app.notifications(&owner, true).await;
    assert_eq!(b["unread_count"], 0);
    assert_eq!(b["items"], json!([]));
    // A message after the read makes a fresh unread one.
    app.say(&asker, rooms[1], "다시 질문").await;
    // (Polls on the items: `total` is counted by a second query and may be ahead of them.)
    let b = app
        .wait_notifications(&owner, true, |b| b["items"][0]["body"] == "다시 질문")
        .await;
    assert_eq!(b["total"], 1);
    for bad in [
        json!({}),
        json!({"ids": "x"}),
        json!({"ids": [1], "extra": 1}),
    ] {
        let (s, b) = app
            .post("/notifications/read", Some(&owner.token), bad.clone())
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad} → {b}");
    }
    let (s, _) = app
        .get("/notifications?unread=maybe", Some(&owner.token))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app.get("/notifications", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn readyz_is_200_with_redis_up() {
    let Some(redis) = redis_url() else {
        eprintln!("skipped: TEST_REDIS_URL is not set");
        return;
    };
    let app = TestApp::spawn_with(fresh_database().await, Some(redis), |_| {}).await;
    let (s, b) = app.get("/readyz", None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(app.state.realtime.kind(), "redis");
    app.stop().await;
}

#[tokio::test]
async fn two_instances_share_messages_reads_and_notifications_through_redis_and_survive_its_loss() {
    let (Some(db), Some(redis)) = (fresh_database().await, redis_url()) else {
        eprintln!("skipped: needs TEST_DATABASE_URL and TEST_REDIS_URL");
        return;
    };
    // B reaches Redis through a proxy the test can cut, to see Redis "go away" for B.
    let proxy = Proxy::start(&redis).await;
    let a = TestApp::spawn_with(Some(db.clone()), Some(redis.clone()), |_| {}).await;
    let b = TestApp::spawn_with(Some(db), Some(proxy.url.clone()), |_| {}).await;
    let owner = a.signup("owner").await;
    let asker = a.signup("asker").await;
    let item = a.create_item(&owner, json!({})).await;
    let room = b.open_chat(&asker, item["id"].as_i64().unwrap()).await;
    let mut on_a = a.ws(&asker.token).await;
    let mut on_b = b.ws(&owner.token).await;
    let mut asker_on_b = b.ws(&asker.token).await;
    on_a.send(json!({"type": "send", "room_id": room, "body": "A에서 보냄", "client_id": "x1"}))
        .await;
    let ack = on_a.next_of("ack").await;
    let m = on_b.next_of("message").await;
    assert_eq!(m["message"], ack["message"]);
    assert_eq!(
        asker_on_b.next_of("message").await["message"]["id"],
        ack["message"]["id"]
    );
    // The sender's own socket on A gets the message once (through Redis), not twice.
    assert_eq!(
        on_a.next_of("message").await["message"]["id"],
        ack["message"]["id"]
    );
    // Notification for the owner, live on B.
    let n = on_b.next_of("notification").await;
    assert_eq!(n["notification"]["kind"], "chat_message");
    assert_eq!(n["unread_count"], 1);
    // Read on B reaches A.
    on_b.send(json!({"type": "read", "room_id": room, "last_read_id": ack["message"]["id"]}))
        .await;
    let r = on_a.next_of("read").await;
    assert_eq!(r["user_id"], owner.id);
    assert_eq!(r["last_read_id"], ack["message"]["id"]);
    // REST on B reaches a socket on A.
    b.say(&owner, room, "B에서 답장").await;
    assert_eq!(
        on_a.next_of("message").await["message"]["body"],
        "B에서 답장"
    );
    assert_eq!(
        on_b.next_of("message").await["message"]["body"],
        "B에서 답장"
    );
    // A burst from A arrives complete and in order on B.
    for i in 0..50 {
        on_a.send(json!({"type": "send", "room_id": room, "body": format!("{i}"), "client_id": i}))
            .await;
    }
    let got: Vec<String> = on_b
        .collect_of("message", 50)
        .await
        .iter()
        .map(|m| m["message"]["body"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, (0..50).map(|i| i.to_string()).collect::<Vec<_>>());
    assert_eq!(
        asker_on_b.collect_of("message", 51).await[50]["message"]["body"],
        "49"
    );
    on_a.collect_of("message", 50).await;
    let (s, _) = b.get("/readyz", None).await;
    assert_eq!(s, StatusCode::OK);

    // Redis goes away for B: B says not ready, keeps serving its own sockets, and comes back.
    proxy.cut();
    let mut down = false;
    for _ in 0..100 {
        if b.get("/readyz", None).await.0 == StatusCode::SERVICE_UNAVAILABLE {
            down = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(down, "B reports 503 while its Redis is gone");
    assert_eq!(a.get("/readyz", None).await.0, StatusCode::OK);
    b.say(&owner, room, "Redis 없이").await;
    assert_eq!(
        on_b.next_of("message").await["message"]["body"],
        "Redis 없이"
    );
    assert_eq!(
        asker_on_b.next_of("message").await["message"]["body"],
        "Redis 없이"
    );
    // A's client missed it live and catches up over REST.
    let history = a.all_messages(&asker, room).await;
    assert_eq!(history.last().unwrap()["body"], "Redis 없이");
    proxy.restore();
    let mut up = false;
    for _ in 0..300 {
        if b.get("/readyz", None).await.0 == StatusCode::OK {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(up, "B reconnects to Redis by itself");
    // Cross-instance delivery resumes (the first publish may still find the old connection).
    let mut resumed = false;
    for i in 0..10 {
        b.say(&owner, room, &format!("돌아옴 {i}")).await;
        while let Some(f) = on_a.next_within(300).await {
            if f["type"] == "message" && f["message"]["body"] == format!("돌아옴 {i}") {
                resumed = true;
            }
        }
        if resumed {
            break;
        }
    }
    assert!(resumed, "messages from B reach A again");
    a.stop().await;
    b.stop().await;
}

/// A TCP proxy in front of Redis that can drop every connection and refuse new ones.
struct Proxy {
    url: String,
    down: std::sync::Arc<std::sync::atomic::AtomicBool>,
    conns: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(redis: &str) -> Proxy {
        let target = url::Url::parse(redis).unwrap();
        let upstream = format!(
            "{}:{}",
            target.host_str().unwrap(),
            target.port().unwrap_or(6379)
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut url = target.clone();
        url.set_port(Some(listener.local_addr().unwrap().port()))
            .unwrap();
        url.set_host(Some("127.0.0.1")).unwrap();
        let proxy = Proxy {
            url: url.to_string(),
            down: Default::default(),
            conns: Default::default(),
        };
        let (down, conns) = (proxy.down.clone(), proxy.conns.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if down.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: the connection closes at once
                }
                let upstream = upstream.clone();
                conns.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                }));
            }
        });
        proxy
    }

    fn cut(&self) {
        self.down.store(true, std::sync::atomic::Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    fn restore(&self) {
        self.down.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The real binary, started on a data dir (and a database when on PostgreSQL).
struct Server {
    child: std::process::Child,
    base: String,
}

async fn start_server(data_dir: &std::path::Path, database: Option<&str>) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_egodaeyeo"));
    cmd.args([
        "serve",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--data-dir",
    ])
    .arg(data_dir)
    .env("RATE_LIMIT", "off")
    .env_remove("REDIS_URL")
    .env_remove("DATABASE_URL")
    .env_remove("BIND")
    .env_remove("DATA_DIR")
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    if let Some(db) = database {
        cmd.env("DATABASE_URL", db);
    }
    let server = Server {
        child: cmd.spawn().expect("start the server binary"),
        base: format!("127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = client
            .get(format!("http://{}/healthz", server.base))
            .send()
            .await
        {
            if r.status().is_success() {
                return server;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server did not come up");
}

impl Drop for Server {
    /// Never leaves a server process behind, also when a test fails.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn http(
    base: &str,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new().request(method, format!("http://{base}/api/v1{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn signup_at(base: &str, nick: &str) -> (i64, String) {
    let (s, b) = http(
        base,
        reqwest::Method::POST,
        "/auth/signup",
        None,
        Some(json!({"email": format!("{nick}@example.com"), "password": PASSWORD, "nickname": nick, "region_code": SEOGYO})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    (
        b["user"]["id"].as_i64().unwrap(),
        b["access_token"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn kill_9_during_a_burst_loses_no_acknowledged_message() {
    let database = fresh_database().await;
    let data_dir = std::env::temp_dir().join(format!("egd-kill9-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let mut server = start_server(&data_dir, database.as_deref()).await;
    let base = server.base.clone();
    let (_, owner) = signup_at(&base, "owner").await;
    let (_, asker) = signup_at(&base, "asker").await;
    let (s, item) = http(
        &base,
        reqwest::Method::POST,
        "/items",
        Some(&owner),
        Some(json!({"section": "lend", "category_id": 4, "title": "전동드릴", "description": "보쉬"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{item}");
    let (_, room) = http(
        &base,
        reqwest::Method::POST,
        &format!("/items/{}/chats", item["id"]),
        Some(&asker),
        None,
    )
    .await;
    let room = room["id"].as_i64().unwrap();

    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{base}/api/v1/ws?token={asker}"))
        .await
        .unwrap();
    let (mut tx, mut rx) = ws.split();
    const N: usize = 4000;
    // At most WINDOW messages unacknowledged: a burst as fast as the server commits, without
    // the socket's bounded outbound queue overflowing when this test process is slow to read
    // (the whole suite runs in parallel), which would end the socket before the kill.
    const WINDOW: usize = 256;
    let acks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = acks.clone();
    let sender = tokio::spawn(async move {
        for i in 0..N {
            while i >= seen.load(std::sync::atomic::Ordering::Relaxed) + WINDOW {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let f =
                json!({"type": "send", "room_id": room, "body": format!("m{i}"), "client_id": i});
            if tx.send(WsMsg::Text(f.to_string().into())).await.is_err() {
                break;
            }
        }
        tx
    });
    let mut acked: Vec<(i64, String)> = Vec::new();
    let mut killed = false;
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), rx.next())
            .await
            .expect("frames or close");
        let Some(Ok(msg)) = next else { break };
        if let WsMsg::Text(t) = msg {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["type"] == "ack" {
                acked.push((
                    v["message"]["id"].as_i64().unwrap(),
                    v["message"]["body"].as_str().unwrap().to_string(),
                ));
                acks.store(acked.len(), std::sync::atomic::Ordering::Relaxed);
            }
        }
        if !killed && acked.len() >= 200 {
            server.child.kill().expect("kill -9");
            killed = true;
        }
        if acked.len() == N {
            break;
        }
    }
    assert!(killed, "the burst ended before the kill");
    let _ = server.child.wait();
    // The sender may be waiting for acks that will never come.
    sender.abort();
    assert!(acked.len() < N, "the kill came mid-burst");

    let again = start_server(&data_dir, database.as_deref()).await;
    let mut stored = std::collections::HashMap::new();
    let mut after = 0;
    loop {
        let (s, b) = http(
            &again.base,
            reqwest::Method::GET,
            &format!("/chats/{room}/messages?after={after}&limit=200"),
            Some(&asker),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        for m in b["messages"].as_array().unwrap() {
            after = m["id"].as_i64().unwrap();
            stored.insert(after, m["body"].as_str().unwrap().to_string());
        }
        if b["has_more"] != true {
            break;
        }
    }
    for (id, body) in &acked {
        assert_eq!(
            stored.get(id),
            Some(body),
            "acknowledged message {id} was lost"
        );
    }
    // Storage order is the send order.
    let mut ids: Vec<&i64> = stored.keys().collect();
    ids.sort();
    let bodies: Vec<&String> = ids.iter().map(|i| &stored[*i]).collect();
    let expected: Vec<String> = (0..bodies.len()).map(|i| format!("m{i}")).collect();
    assert_eq!(bodies, expected.iter().collect::<Vec<_>>());
    drop(again);
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test]
async fn a_socket_that_stops_reading_is_dropped_without_slowing_the_others() {
    let app = TestApp::spawn().await;
    let (owner, asker, room) = pair(&app).await;
    // The owner's second device stops reading; a tiny receive buffer makes its backlog reach
    // the server's bounded queue quickly.
    let addr = app.addr.trim_start_matches("http://").to_string();
    let tcp = tokio::net::TcpSocket::new_v4().unwrap();
    tcp.set_recv_buffer_size(2048).unwrap();
    let tcp = tcp.connect(addr.parse().unwrap()).await.unwrap();
    let url = format!("ws://{addr}/api/v1/ws?token={}", owner.token);
    let (mut stalled, _) = tokio_tungstenite::client_async(url, tcp).await.unwrap();
    let mut reading = app.ws(&owner.token).await;
    let sender = app.ws(&asker.token).await;
    let before = app.state.realtime.hub.connections();
    assert_eq!(before, 3);

    // Far more than the queue (512 frames) and the kernel buffers (4 MB at most here) hold,
    // sent in rounds the reading socket keeps up with (so only the stalled one falls behind).
    const N: usize = 4000;
    const ROUND: usize = 100;
    let body = "가".repeat(900);
    let mut sender = sender;
    let mut delivered = Vec::new();
    for r in 0..N / ROUND {
        for i in r * ROUND..(r + 1) * ROUND {
            sender
                .send(json!({"type": "send", "room_id": room, "body": format!("{i} {body}")}))
                .await;
        }
        let acks = sender.collect_of("ack", ROUND).await;
        assert_eq!(acks.len(), ROUND, "the sender is never held up");
        delivered.extend(reading.collect_of("message", ROUND).await);
    }
    assert_eq!(delivered.len(), N, "the reading socket got every message");
    assert_eq!(
        app.state.realtime.hub.connections(),
        before - 1,
        "the stalled socket was dropped from delivery"
    );
    // When it finally reads, it finds a backlog and then the end of the connection.
    let mut frames = 0;
    loop {
        match tokio::time::timeout(Duration::from_secs(20), stalled.next()).await {
            Ok(Some(Ok(WsMsg::Text(_)))) => frames += 1,
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) => break,
            Err(_) => panic!("the dropped socket is closed by the server"),
        }
    }
    assert!(frames < N, "it never got the full stream ({frames} frames)");
    app.stop().await;
}
