//! Chat over REST: rooms, who may use them, messages, history cursors, read marks.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::*;

fn ids(messages: &Value) -> Vec<i64> {
    messages["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn open_room_is_201_then_200_with_the_same_room() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let asker = app.signup("asker").await;
    let item = app.create_item(&owner, json!({})).await;
    let id = item["id"].as_i64().unwrap();
    let (s, first) = app
        .post(&format!("/items/{id}/chats"), Some(&asker.token), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!(first["item"]["id"], id);
    assert_eq!(first["other_user"]["id"], owner.id);
    assert_eq!(first["last_message"], Value::Null);
    assert_eq!(first["unread_count"], 0);
    assert!(first["created_at"].as_str().unwrap().ends_with('Z'));
    let (s, again) = app
        .post(&format!("/items/{id}/chats"), Some(&asker.token), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["id"], first["id"]);
    // The item counts one chat, not two.
    let (_, detail) = app.get(&format!("/items/{id}"), None).await;
    assert_eq!(detail["chat_count"], 1);
    // The owner sees the same room from the other side.
    let (s, mine) = app
        .get(&format!("/chats/{}", first["id"]), Some(&owner.token))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mine["other_user"]["id"], asker.id);
    app.stop().await;
}

#[tokio::test]
async fn owner_cannot_open_a_chat_on_their_own_item() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let item = app.create_item(&owner, json!({})).await;
    let (s, b) = app
        .post(
            &format!("/items/{}/chats", item["id"]),
            Some(&owner.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["error"]["code"], "validation_failed");
    let (s, _) = app
        .post("/items/99999/chats", Some(&owner.token), json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .post(&format!("/items/{}/chats", item["id"]), None, json!({}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn only_participants_read_and_write_a_room() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let asker = app.signup("asker").await;
    let stranger = app.signup("stranger").await;
    let item = app.create_item(&owner, json!({})).await;
    let room = app.open_chat(&asker, item["id"].as_i64().unwrap()).await;
    let hello = app.say(&asker, room, "안녕하세요").await;
    let t = Some(stranger.token.as_str());
    let (s, b) = app.get(&format!("/chats/{room}"), t).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(b["error"]["code"], "forbidden");
    let (s, _) = app.get(&format!("/chats/{room}/messages"), t).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post(
            &format!("/chats/{room}/messages"),
            t,
            json!({"body": "끼어들기"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post(
            &format!("/chats/{room}/read"),
            t,
            json!({"last_read_id": hello["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, rooms) = app.get("/chats", t).await;
    assert_eq!(rooms, json!([]));
    // Nothing the stranger tried was stored.
    assert_eq!(app.all_messages(&owner, room).await.len(), 1);
    let (s, _) = app.get("/chats/99999", Some(&owner.token)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&format!("/chats/{room}"), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn rooms_are_listed_by_last_activity_with_last_message_other_user_and_unread() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let a = app.signup("asker1").await;
    let b = app.signup("asker2").await;
    let item1 = app.create_item(&owner, json!({"title": "캠핑의자"})).await;
    let item2 = app.create_item(&owner, json!({"title": "텐트"})).await;
    let room_a = app.open_chat(&a, item1["id"].as_i64().unwrap()).await;
    app.state.clock.advance_ms(1000);
    let room_b = app.open_chat(&b, item2["id"].as_i64().unwrap()).await;
    app.state.clock.advance_ms(1000);
    app.say(&a, room_a, "의자 빌릴 수 있나요?").await;
    app.say(&a, room_a, "주말에요").await;
    app.state.clock.advance_ms(1000);
    app.say(&b, room_b, "텐트 있나요?").await;
    let (s, rooms) = app.get("/chats", Some(&owner.token)).await;
    assert_eq!(s, StatusCode::OK);
    let rooms = rooms.as_array().unwrap();
    assert_eq!(rooms.len(), 2);
    assert_eq!(rooms[0]["id"], room_b);
    assert_eq!(rooms[0]["other_user"]["id"], b.id);
    assert_eq!(rooms[0]["other_user"]["nickname"], "asker2");
    assert_eq!(rooms[0]["item"]["title"], "텐트");
    assert_eq!(rooms[0]["last_message"]["body"], "텐트 있나요?");
    assert_eq!(rooms[0]["unread_count"], 1);
    assert_eq!(rooms[1]["id"], room_a);
    assert_eq!(rooms[1]["last_message"]["body"], "주말에요");
    assert_eq!(rooms[1]["unread_count"], 2);
    // The sender has nothing unread in their own room.
    let (_, mine) = app.get("/chats", Some(&a.token)).await;
    assert_eq!(mine[0]["unread_count"], 0);
    assert_eq!(mine[0]["other_user"]["id"], owner.id);
    // New activity moves a room to the top.
    app.state.clock.advance_ms(1000);
    app.say(&owner, room_a, "네 가능해요").await;
    let (_, rooms) = app.get("/chats", Some(&owner.token)).await;
    assert_eq!(rooms[0]["id"], room_a);
    assert_eq!(rooms[0]["last_message"]["sender_id"], owner.id);
    // Replying moves the owner's read mark: nothing unread before their own message.
    assert_eq!(rooms[0]["unread_count"], 0);
    app.stop().await;
}

#[tokio::test]
async fn message_body_is_1_to_1000_characters() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let asker = app.signup("asker").await;
    let item = app.create_item(&owner, json!({})).await;
    let room = app.open_chat(&asker, item["id"].as_i64().unwrap()).await;
    let path = format!("/chats/{room}/messages");
    let long_ok = "가".repeat(1000);
    let m = app.say(&asker, room, &long_ok).await;
    assert_eq!(m["body"], long_ok.as_str());
    assert_eq!(m["kind"], "text");
    assert_eq!(m["sender_id"], asker.id);
    assert_eq!(m["room_id"], room);
    assert_eq!(m["event"], Value::Null);
    for bad in [
        json!({"body": ""}),
        json!({"body": "   "}),
        json!({"body": "가".repeat(1001)}),
        json!({"body": 5}),
        json!({}),
    ] {
        let (s, b) = app.post(&path, Some(&asker.token), bad.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad} → {b}");
        assert_eq!(b["error"]["code"], "validation_failed");
    }
    assert_eq!(app.all_messages(&asker, room).await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn history_pages_with_before_after_and_has_more() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let asker = app.signup("asker").await;
    let item = app.create_item(&owner, json!({})).await;
    let room = app.open_chat(&asker, item["id"].as_i64().unwrap()).await;
    let mut sent = Vec::new();
    for i in 0..12 {
        let who = if i % 3 == 0 { &owner } else { &asker };
        sent.push(
            app.say(who, room, &format!("메시지 {i}")).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    assert!(
        sent.windows(2).all(|w| w[0] < w[1]),
        "ids increase: {sent:?}"
    );
    let t = Some(asker.token.as_str());
    // No cursor: the newest `limit`, ascending.
    let (s, b) = app.get(&format!("/chats/{room}/messages?limit=5"), t).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ids(&b), sent[7..].to_vec());
    assert_eq!(b["has_more"], true);
    assert_eq!(b["messages"][4]["body"], "메시지 11");
    // Default limit covers everything here.
    let (_, b) = app.get(&format!("/chats/{room}/messages"), t).await;
    assert_eq!(ids(&b), sent);
    assert_eq!(b["has_more"], false);
    // Older pages with `before`.
    let (_, b) = app
        .get(
            &format!("/chats/{room}/messages?before={}&limit=5", sent[7]),
            t,
        )
        .await;
    assert_eq!(ids(&b), sent[2..7].to_vec());
    assert_eq!(b["has_more"], true);
    let (_, b) = app
        .get(
            &format!("/chats/{room}/messages?before={}&limit=5", sent[2]),
            t,
        )
        .await;
    assert_eq!(ids(&b), sent[..2].to_vec());
    assert_eq!(b["has_more"], false);
    // Newer pages with `after`.
    let (_, b) = app
        .get(
            &format!("/chats/{room}/messages?after={}&limit=4", sent[3]),
            t,
        )
        .await;
    assert_eq!(ids(&b), sent[4..8].to_vec());
    assert_eq!(b["has_more"], true);
    let (_, b) = app
        .get(
            &format!("/chats/{room}/messages?after={}&limit=4", sent[7]),
            t,
        )
        .await;
    assert_eq!(ids(&b), sent[8..].to_vec());
    assert_eq!(b["has_more"], false);
    let (_, b) = app
        .get(&format!("/chats/{room}/messages?after={}", sent[11]), t)
        .await;
    assert_eq!(ids(&b), Vec::<i64>::new());
    assert_eq!(b["has_more"], false);
    app.stop().await;
}

#[tokio::test]
async fn history_limit_and_cursors_are_validated() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let asker = app.signup("asker").await;
    let item = app.create_item(&owner, json!({})).await;
    let room = app.open_chat(&asker, item["id"].as_i64().unwrap()).await;
    for q in [
        "limit=0",
        "limit=201",
        "limit=abc",
        "limit=-1",
        "before=x",
        "after=1.5",
        "after=-3",
    ] {
        let (s, b) = app
            .get(&format!("/chats/{room}/messages?{q}"), Some(&asker.token))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q} → {b}");
        assert_eq!(b["error"]["code"], "validation_failed");
    }
    for q in ["limit=1", "limit=200"] {
        let (s, _) = app
            .get(&format!("/chats/{room}/messages?{q}"), Some(&asker.token))
            .await;
        assert_eq!(s, StatusCode::OK, "{q}");
    }
    app.stop().await;
}

#[tokio::test]
async fn read_marks_reduce_unread_count_and_never_go_back() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let asker = app.signup("asker").await;
    let item = app.create_item(&owner, json!({})).await;
    let room = app.open_chat(&asker, item["id"].as_i64().unwrap()).await;
    let mut sent = Vec::new();
    for i in 0..4 {
        sent.push(
            app.say(&asker, room, &format!("질문 {i}")).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let unread = |v: &Value| v["unread_count"].as_i64().unwrap();
    let (_, r) = app.get(&format!("/chats/{room}"), Some(&owner.token)).await;
    assert_eq!(unread(&r), 4);
    let read = format!("/chats/{room}/read");
    let (s, b) = app
        .post(&read, Some(&owner.token), json!({"last_read_id": sent[1]}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (_, r) = app.get(&format!("/chats/{room}"), Some(&owner.token)).await;
    assert_eq!(unread(&r), 2);
    let (_, rooms) = app.get("/chats", Some(&owner.token)).await;
    assert_eq!(unread(&rooms[0]), 2);
    // Going back is ignored.
    let (s, _) = app
        .post(&read, Some(&owner.token), json!({"last_read_id": sent[0]}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, r) = app.get(&format!("/chats/{room}"), Some(&owner.token)).await;
    assert_eq!(unread(&r), 2);
    // Past the end reads everything.
    let (s, _) = app
        .post(
            &read,
            Some(&owner.token),
            json!({"last_read_id": sent[3] + 1000}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, r) = app.get(&format!("/chats/{room}"), Some(&owner.token)).await;
    assert_eq!(unread(&r), 0);
    // A later message is unread again.
    app.say(&asker, room, "답장 주세요").await;
    let (_, r) = app.get(&format!("/chats/{room}"), Some(&owner.token)).await;
    assert_eq!(unread(&r), 1);
    for bad in [
        json!({}),
        json!({"last_read_id": "x"}),
        json!({"last_read_id": -1}),
    ] {
        let (s, b) = app.post(&read, Some(&owner.token), bad.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad} → {b}");
    }
    app.stop().await;
}
