//! Notification settings and muted rooms (api.md, Trust and safety): every kind on and 3 km by
//! default; a kind turned off is never created; a muted room still delivers and counts unread
//! but makes no `chat_message` notification for the one who muted it.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::*;

const ALL_KINDS: [&str; 20] = [
    "chat_message",
    "rental_requested",
    "rental_accepted",
    "rental_rejected",
    "rental_cancelled",
    "rental_expired",
    "rental_starts_soon",
    "rental_return_due",
    "rental_overdue",
    "rental_returned",
    "review_received",
    "extension_requested",
    "extension_accepted",
    "extension_rejected",
    "handover_recorded",
    "deposit_updated",
    "dispute_opened",
    "dispute_resolved",
    "keyword_match",
    "borrow_nearby",
];

const SETTINGS: &str = "/me/notification-settings";

fn kinds_of(user: &Value, kind: &str) -> usize {
    user["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == kind)
        .count()
}

fn notes_for_room(notes: &Value, room: i64) -> usize {
    notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "chat_message" && n["link"] == format!("/chats/{room}"))
        .count()
}

async fn request_rental(app: &TestApp, user: &User, item: i64, day: i64) -> Value {
    let (s, b) = app
        .post(
            &format!("/items/{item}/rentals"),
            Some(&user.token),
            json!({"start_at": app.at(day * DAY), "end_at": app.at((day + 1) * DAY)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "request: {b}");
    b
}

#[tokio::test]
async fn settings_default_to_every_kind_on_and_3_km() {
    let app = TestApp::spawn().await;
    let user = app.signup("기본설정").await;
    let (s, b) = app.get(SETTINGS, Some(&user.token)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["alert_radius_km"], 3);
    let kinds = b["kinds"].as_object().unwrap();
    assert_eq!(kinds.len(), ALL_KINDS.len(), "{b}");
    for k in ALL_KINDS {
        assert_eq!(kinds[k], true, "{k}");
    }
    let (s, _) = app.get(SETTINGS, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn a_partial_patch_changes_only_what_it_names() {
    let app = TestApp::spawn().await;
    let user = app.signup("부분수정").await;
    let other = app.signup("다른사람").await;
    let (s, b) = app
        .patch(
            SETTINGS,
            Some(&user.token),
            json!({"kinds": {"chat_message": false, "keyword_match": false}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["kinds"]["chat_message"], false);
    assert_eq!(b["kinds"]["keyword_match"], false);
    assert_eq!(b["kinds"]["rental_requested"], true);
    assert_eq!(b["alert_radius_km"], 3);
    // The radius alone keeps the kinds; turning one back on keeps the other off.
    let (s, b) = app
        .patch(SETTINGS, Some(&user.token), json!({"alert_radius_km": 20}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["alert_radius_km"], 20);
    assert_eq!(b["kinds"]["chat_message"], false);
    let (_, b) = app
        .patch(
            SETTINGS,
            Some(&user.token),
            json!({"kinds": {"chat_message": true}, "alert_radius_km": 1}),
        )
        .await;
    assert_eq!(b["kinds"]["chat_message"], true);
    assert_eq!(b["kinds"]["keyword_match"], false);
    assert_eq!(b["alert_radius_km"], 1);
    // An empty patch changes nothing; GET reads the same; another user is untouched.
    let (s, same) = app.patch(SETTINGS, Some(&user.token), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(same, b);
    assert_eq!(app.get(SETTINGS, Some(&user.token)).await.1, b);
    let (_, theirs) = app.get(SETTINGS, Some(&other.token)).await;
    assert_eq!(theirs["kinds"]["keyword_match"], true);
    assert_eq!(theirs["alert_radius_km"], 3);
    app.stop().await;
}

#[tokio::test]
async fn bad_settings_are_400_naming_the_field_and_change_nothing() {
    let app = TestApp::spawn().await;
    let user = app.signup("설정거절").await;
    for (body, field) in [
        (
            json!({"kinds": {"rental_teleported": false}}),
            "kinds.rental_teleported",
        ),
        (
            json!({"kinds": {"chat_message": "no"}}),
            "kinds.chat_message",
        ),
        (json!({"alert_radius_km": 0}), "alert_radius_km"),
        (json!({"alert_radius_km": 21}), "alert_radius_km"),
        (json!({"alert_radius_km": 2.5}), "alert_radius_km"),
        (json!({"radius": 5}), "radius"),
    ] {
        let (s, b) = app.patch(SETTINGS, Some(&user.token), body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {b}");
        assert_eq!(b["error"]["code"], "validation_failed", "{body}");
        assert!(b["error"]["fields"][field].is_string(), "{body}: {b}");
    }
    // A good kind next to a bad one is not applied either.
    let (s, _) = app
        .patch(
            SETTINGS,
            Some(&user.token),
            json!({"kinds": {"chat_message": false}, "alert_radius_km": 21}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, b) = app.get(SETTINGS, Some(&user.token)).await;
    assert_eq!(b["kinds"]["chat_message"], true);
    assert_eq!(b["alert_radius_km"], 3);
    app.stop().await;
}

#[tokio::test]
async fn a_rental_kind_turned_off_is_never_created_and_on_again_it_is() {
    let app = TestApp::spawn().await;
    let lender = app.signup("빌려줄사람").await;
    let borrower = app.signup("빌릴사람").await;
    let item = app.create_item(&lender, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let (s, _) = app
        .patch(
            SETTINGS,
            Some(&lender.token),
            json!({"kinds": {"rental_requested": false}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut ws = app.ws(&lender.token).await;
    let first = request_rental(&app, &borrower, item, 1).await;
    // The notification is made before the request answers: none was made, none was pushed.
    let notes = app.notifications(&lender, false).await;
    assert_eq!(kinds_of(&notes, "rental_requested"), 0, "{notes}");
    assert_eq!(notes["unread_count"], 0);
    // The live rental frame still comes (only the notification is off).
    assert_eq!(ws.next_of("rental").await["rental"]["id"], first["id"]);
    ws.assert_no("notification", 300).await;
    // Other kinds stay on: the borrower cancelling notifies the lender.
    let (s, b) = app
        .post(
            &format!("/rentals/{}/cancel", first["id"]),
            Some(&borrower.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let notes = app.notifications(&lender, false).await;
    assert_eq!(kinds_of(&notes, "rental_cancelled"), 1, "{notes}");
    // Back on, the next request notifies.
    let (s, _) = app
        .patch(
            SETTINGS,
            Some(&lender.token),
            json!({"kinds": {"rental_requested": true}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    request_rental(&app, &borrower, item, 3).await;
    let notes = app.notifications(&lender, false).await;
    assert_eq!(kinds_of(&notes, "rental_requested"), 1, "{notes}");
    app.stop().await;
}

#[tokio::test]
async fn chat_message_turned_off_makes_no_chat_notification() {
    let app = TestApp::spawn().await;
    let owner = app.signup("채팅끔").await;
    let asker = app.signup("채팅켬").await;
    let item = app.create_item(&owner, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let room = app.open_chat(&asker, item).await;
    app.patch(
        SETTINGS,
        Some(&owner.token),
        json!({"kinds": {"chat_message": false}}),
    )
    .await;
    let mut ws = app.ws(&owner.token).await;
    app.say(&asker, room, "빌릴 수 있을까요?").await;
    // Still delivered live.
    assert_eq!(
        ws.next_of("message").await["message"]["body"],
        "빌릴 수 있을까요?"
    );
    // The reply is stored after the question, so its notification (for the asker, who keeps
    // chat_message on) comes from a later run of the notification stage than the question's.
    app.say(&owner, room, "네 가능해요").await;
    app.wait_notifications(&asker, true, |b| notes_for_room(b, room) == 1)
        .await;
    let notes = app.notifications(&owner, false).await;
    assert_eq!(notes_for_room(&notes, room), 0, "{notes}");
    assert_eq!(notes["unread_count"], 0);
    // Back on, the next message notifies.
    app.patch(
        SETTINGS,
        Some(&owner.token),
        json!({"kinds": {"chat_message": true}}),
    )
    .await;
    app.say(&asker, room, "감사합니다").await;
    app.wait_notifications(&owner, true, |b| notes_for_room(b, room) == 1)
        .await;
    app.stop().await;
}

#[tokio::test]
async fn mute_is_204_idempotent_for_participants_only() {
    let app = TestApp::spawn().await;
    let owner = app.signup("방주인").await;
    let asker = app.signup("문의자").await;
    let stranger = app.signup("낯선이").await;
    let item = app.create_item(&owner, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let room = app.open_chat(&asker, item).await;
    let path = format!("/chats/{room}/mute");
    for _ in 0..2 {
        let (s, b) = app.put(&path, Some(&asker.token), json!({})).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    }
    let (_, r) = app.get(&format!("/chats/{room}"), Some(&asker.token)).await;
    assert_eq!(r["muted"], true, "{r}");
    let (_, rooms) = app.get("/chats", Some(&asker.token)).await;
    assert_eq!(rooms[0]["muted"], true, "{rooms}");
    // Muted for the asker only.
    let (_, r) = app.get(&format!("/chats/{room}"), Some(&owner.token)).await;
    assert_eq!(r["muted"], false, "{r}");
    let (_, rooms) = app.get("/chats", Some(&owner.token)).await;
    assert_eq!(rooms[0]["muted"], false, "{rooms}");
    // The opening answer carries it too.
    let (_, r) = app
        .post(
            &format!("/items/{item}/chats"),
            Some(&asker.token),
            json!({}),
        )
        .await;
    assert_eq!(r["muted"], true, "{r}");
    // Not in the room: 403, for muting and unmuting, and nothing changes for them.
    for method in [reqwest::Method::PUT, reqwest::Method::DELETE] {
        let (s, b) = app.call(method, &path, Some(&stranger.token), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
        assert_eq!(b["error"]["code"], "forbidden");
    }
    // Unknown room: 404; no token: 401.
    let (s, b) = app
        .put("/chats/999999/mute", Some(&asker.token), json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (s, _) = app
        .delete("/chats/999999/mute", Some(&asker.token), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.put(&path, None, json!({})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    for _ in 0..2 {
        let (s, _) = app.delete(&path, Some(&asker.token), None).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
    }
    let (_, r) = app.get(&format!("/chats/{room}"), Some(&asker.token)).await;
    assert_eq!(r["muted"], false, "{r}");
    app.stop().await;
}

#[tokio::test]
async fn a_muted_room_delivers_and_counts_but_does_not_notify_until_unmuted() {
    let app = TestApp::spawn().await;
    let owner = app.signup("음소거주인").await;
    let asker = app.signup("음소거문의").await;
    let quiet = app
        .create_item(&owner, json!({"title": "조용한 텐트"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let loud = app
        .create_item(&owner, json!({"title": "시끄러운 앰프"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let muted_room = app.open_chat(&asker, quiet).await;
    let open_room = app.open_chat(&asker, loud).await;
    let (s, _) = app
        .put(
            &format!("/chats/{muted_room}/mute"),
            Some(&owner.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let mut ws = app.ws(&owner.token).await;
    let mut a = app.ws(&asker.token).await;
    a.send(
        json!({"type": "send", "room_id": muted_room, "body": "텐트 있나요?", "client_id": "m1"}),
    )
    .await;
    a.next_of("ack").await;
    // Delivered live to the one who muted it.
    let f = ws.next_of("message").await;
    assert_eq!(f["message"]["room_id"], muted_room);
    // A later message in a room that is not muted: its notification proves the stage has run
    // past the muted room's message.
    a.send(json!({"type": "send", "room_id": open_room, "body": "앰프는요?", "client_id": "m2"}))
        .await;
    a.next_of("ack").await;
    let notes = app
        .wait_notifications(&owner, true, |b| notes_for_room(b, open_room) == 1)
        .await;
    assert_eq!(notes_for_room(&notes, muted_room), 0, "{notes}");
    assert_eq!(notes["unread_count"], 1, "{notes}");
    // Only the open room's notification was pushed.
    loop {
        let f = ws.next_of("notification").await;
        assert_ne!(
            f["notification"]["link"],
            format!("/chats/{muted_room}"),
            "{f}"
        );
        if f["notification"]["link"] == format!("/chats/{open_room}") {
            break;
        }
    }
    // Counted as unread all the same.
    let (_, r) = app
        .get(&format!("/chats/{muted_room}"), Some(&owner.token))
        .await;
    assert_eq!(r["unread_count"], 1, "{r}");
    assert_eq!(r["muted"], true);
    let (_, rooms) = app.get("/chats", Some(&owner.token)).await;
    let listed = rooms
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == muted_room)
        .unwrap()
        .clone();
    assert_eq!(listed["unread_count"], 1, "{listed}");
    assert_eq!(listed["muted"], true);
    // The asker did not mute it: the owner's reply notifies them.
    app.say(&owner, muted_room, "네 있어요").await;
    app.wait_notifications(&asker, true, |b| notes_for_room(b, muted_room) == 1)
        .await;
    // Unmuted, the next message notifies the owner again.
    let (s, _) = app
        .delete(
            &format!("/chats/{muted_room}/mute"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    app.say(&asker, muted_room, "언제 빌릴 수 있을까요?").await;
    app.wait_notifications(&owner, true, |b| notes_for_room(b, muted_room) == 1)
        .await;
    app.stop().await;
}
