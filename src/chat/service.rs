//! Chat rules: who may open, read and write a room; how messages reach people.
use std::collections::HashMap;

use super::model::*;
use super::store;
use crate::accounts::service as accounts;
use crate::catalog::service as catalog;
use crate::clock::Ts;
use crate::domain::caller::AuthUser;
use crate::domain::error::{AppError, AppResult, Problems};
use crate::domain::page::Bounded;
use crate::notifications;
use crate::realtime::protocol::ServerFrame;
use crate::rentals::model::RentalEvent;
use crate::state::AppState;

/// Opens the caller's room about an item (or returns the existing one).
pub async fn open_room(state: &AppState, user: AuthUser, item_id: i64) -> AppResult<(Room, bool)> {
    let item = catalog::visible_item(state, Some(user), item_id).await?;
    if item.owner_id == user.id {
        return Err(AppError::field(
            "item_id",
            "내 물품에는 채팅을 열 수 없어요",
        ));
    }
    if crate::accounts::blocks::between(state, user.id, item.owner_id).await? {
        return Err(blocked());
    }
    let (room, created) = store::open_room(
        &state.db,
        item_id,
        item.owner_id,
        user.id,
        state.clock.now_ms(),
    )
    .await?;
    if created {
        catalog::note_new_chat(state, item_id).await?;
    }
    Ok((build_room(state, user.id, &room).await?, created))
}

fn blocked() -> AppError {
    AppError::Forbidden("차단한(또는 나를 차단한) 이웃과는 대화할 수 없어요".into())
}

/// The room if the user may send in it: a participant, and no block between the two (403).
/// Read fresh; the socket caches the answer until its rooms are re-checked (a block re-checks
/// both users' sockets on every instance).
pub async fn sendable_room(state: &AppState, user: i64, room_id: i64) -> AppResult<RoomRow> {
    let room = member_room(state, user, room_id).await?;
    let other = if room.owner_id == user {
        room.inquirer_id
    } else {
        room.owner_id
    };
    if crate::accounts::blocks::between(state, user, other).await? {
        return Err(blocked());
    }
    Ok(room)
}

/// The room if the user is in it: 404 when it does not exist, 403 for anyone else.
pub async fn member_room(state: &AppState, user: i64, room_id: i64) -> AppResult<RoomRow> {
    let room = store::room(&state.db, room_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !room.has(user) {
        return Err(AppError::Forbidden("이 채팅방의 참여자가 아니에요".into()));
    }
    Ok(room)
}

async fn build_room(state: &AppState, user: i64, room: &RoomRow) -> AppResult<Room> {
    let mut items = catalog::summaries_by_ids(state, &[room.item_id]).await?;
    let mut users = accounts::public_users(state, &[room.other(user)]).await?;
    let last = match room.last_message_id {
        Some(id) => store::message(&state.db, id).await?,
        None => None,
    };
    let unread = store::unread_in(&state.db, room, user).await?;
    let muted = store::is_muted(&state.db, room.id, user).await?;
    Ok(Room {
        id: room.id,
        item: items
            .remove(&room.item_id)
            .ok_or_else(AppError::not_found)?,
        other_user: users
            .remove(&room.other(user))
            .ok_or_else(AppError::not_found)?,
        last_message: last.as_ref().map(Message::from),
        unread_count: unread,
        muted,
        created_at: Ts(room.created_at),
        other_last_read_id: room.last_read(room.other(user)),
        my_last_read_id: room.last_read(user),
    })
}

pub async fn room(state: &AppState, user: AuthUser, room_id: i64) -> AppResult<Room> {
    let room = member_room(state, user.id, room_id).await?;
    build_room(state, user.id, &room).await
}

/// The caller's rooms in four queries, however many there are.
pub async fn rooms(state: &AppState, user: AuthUser) -> AppResult<Vec<Room>> {
    let mut rows = store::rooms_of(&state.db, user.id).await?;
    // A room with someone in a block leaves the list (both ways); it stays readable by id.
    let blocked = crate::accounts::blocks::relations(state, user.id).await?;
    if !blocked.is_empty() {
        rows.retain(|(r, ..)| !blocked.contains(&r.other(user.id)));
    }
    let item_ids: Vec<i64> = rows.iter().map(|(r, ..)| r.item_id).collect();
    let user_ids: Vec<i64> = rows.iter().map(|(r, ..)| r.other(user.id)).collect();
    let items = catalog::summaries_by_ids(state, &item_ids).await?;
    let users = accounts::public_users(state, &user_ids).await?;
    Ok(rows
        .iter()
        .filter_map(|(r, m, unread, muted)| {
            Some(Room {
                id: r.id,
                item: items.get(&r.item_id)?.clone(),
                other_user: users.get(&r.other(user.id))?.clone(),
                last_message: m.as_ref().map(Message::from),
                unread_count: *unread,
                muted: *muted,
                created_at: Ts(r.created_at),
                other_last_read_id: r.last_read(r.other(user.id)),
                my_last_read_id: r.last_read(user.id),
            })
        })
        .collect())
}

/// 알림 끄기/켜기 / Mutes or unmutes a room for the caller: 404 for an unknown room, 403 for
/// one the caller is not in; doing it twice changes nothing.
pub async fn set_muted(
    state: &AppState,
    user: AuthUser,
    room_id: i64,
    muted: bool,
) -> AppResult<()> {
    member_room(state, user.id, room_id).await?;
    store::set_muted(&state.db, room_id, user.id, muted, state.clock.now_ms()).await?;
    Ok(())
}

pub async fn history(
    state: &AppState,
    user: AuthUser,
    room_id: i64,
    q: &HistoryQuery,
) -> AppResult<History> {
    member_room(state, user.id, room_id).await?;
    let before = q.before.map(Bounded::get);
    let after = q.after.map(Bounded::get);
    let limit = q.limit.map_or(LIMIT_DEFAULT, Bounded::get);
    let mut rows = store::history(&state.db, room_id, before, after, limit).await?;
    let has_more = rows.len() as i64 > limit;
    if has_more {
        // The extra row is the one furthest from the cursor.
        if after.is_some() {
            rows.pop();
        } else {
            rows.remove(0);
        }
    }
    Ok(History {
        messages: rows.iter().map(Message::from).collect(),
        has_more,
    })
}

pub fn check_body(body: &str) -> AppResult<String> {
    let mut p = Problems::default();
    let body = p.text("body", body, 1, BODY_MAX, "메시지는 1–1000자로 보내 주세요");
    p.finish()?;
    Ok(body)
}

fn text_message(room: &RoomRow, sender: i64, body: String) -> NewMessage {
    NewMessage {
        room_id: room.id,
        item_id: room.item_id,
        participants: [room.owner_id, room.inquirer_id],
        sender_id: Some(sender),
        kind: MessageKind::Text,
        body,
        event_type: None,
        rental_id: None,
    }
}

/// A message queued at the group-commit writer; it resolves once the message is committed.
pub type Queued = tokio::sync::oneshot::Receiver<Result<MessageRow, String>>;

/// Queues a checked text message from `sender` in a room they are in. Sockets queue many
/// before the first commits and acknowledge each as it lands.
pub async fn queue_text(state: &AppState, room: &RoomRow, sender: i64, body: String) -> Queued {
    state
        .chat_writer
        .submit(text_message(room, sender, body))
        .await
}

/// The stored message behind a queued one, after its commit.
pub async fn committed(queued: Queued) -> AppResult<Message> {
    match queued.await {
        Ok(Ok(row)) => Ok(Message::from(&row)),
        Ok(Err(e)) => Err(AppError::Internal(anyhow::anyhow!(e))),
        Err(_) => Err(AppError::Internal(anyhow::anyhow!(
            "chat writer dropped the message"
        ))),
    }
}

/// Stores a message through the group-commit writer and returns it once committed.
pub async fn store_message(state: &AppState, msg: NewMessage) -> AppResult<Message> {
    committed(state.chat_writer.submit(msg).await).await
}

pub async fn send(
    state: &AppState,
    user: AuthUser,
    room_id: i64,
    body: &str,
) -> AppResult<Message> {
    let body = check_body(body)?;
    let room = sendable_room(state, user.id, room_id).await?;
    committed(queue_text(state, &room, user.id, body).await).await
}

pub async fn read(state: &AppState, user: i64, room_id: i64, last_read_id: i64) -> AppResult<()> {
    if last_read_id < 0 {
        return Err(AppError::field("last_read_id", "0 이상이어야 해요"));
    }
    let room = member_room(state, user, room_id).await?;
    let now_read = store::mark_read(&state.db, &room, user, last_read_id).await?;
    notifications::service::room_read(state, user, room_id).await?;
    state
        .realtime
        .send(
            &[room.owner_id, room.inquirer_id],
            &ServerFrame::Read {
                room_id,
                user_id: user,
                last_read_id: now_read,
            },
        )
        .await;
    Ok(())
}

/// Posts a system line about a rental into the room of its two parties (created if needed).
pub async fn post_system(
    state: &AppState,
    item_id: i64,
    owner_id: i64,
    other_id: i64,
    event: RentalEvent,
    rental_id: i64,
    body: String,
) -> AppResult<Message> {
    let (room, created) =
        store::open_room(&state.db, item_id, owner_id, other_id, state.clock.now_ms()).await?;
    if created {
        catalog::note_new_chat(state, item_id).await?;
    }
    store_message(
        state,
        NewMessage {
            room_id: room.id,
            item_id,
            participants: [room.owner_id, room.inquirer_id],
            sender_id: None,
            kind: MessageKind::System,
            body,
            event_type: Some(event.as_str().to_string()),
            rental_id: Some(rental_id),
        },
    )
    .await
}

/// After a batch commits: deliver each message to every socket of both participants.
pub async fn deliver(state: &AppState, done: &[(NewMessage, MessageRow)]) {
    let frames: Vec<(&[i64], std::sync::Arc<str>)> = done
        .iter()
        .filter_map(|(msg, row)| {
            let text = crate::realtime::frame_text(&ServerFrame::Message {
                message: &Message::from(row),
            })?;
            Some((&msg.participants[..], text))
        })
        .collect();
    state.realtime.send_all(&frames).await;
    state
        .metrics
        .messages_sent
        .fetch_add(done.len() as u64, std::sync::atomic::Ordering::Relaxed);
}

/// After delivery, in its own stage: one unread `chat_message` notification per room and
/// recipient for everything stored meanwhile (collapsed), so notification writes never hold up
/// the next messages.
pub async fn notify(state: &AppState, done: Vec<(NewMessage, MessageRow)>) {
    // Text messages notify the other participant; system messages notify through their own event.
    let mut latest: HashMap<(i64, i64), (&NewMessage, &MessageRow)> = HashMap::new();
    for (msg, row) in &done {
        if let Some(sender) = msg.sender_id {
            for &p in &msg.participants {
                if p != sender {
                    latest.insert((p, msg.room_id), (msg, row));
                }
            }
        }
    }
    // Whoever muted a room gets no chat notification from it (the messages still arrive and
    // count as unread): one query for the whole batch.
    let mut rooms: Vec<i64> = latest.keys().map(|&(_, room)| room).collect();
    rooms.sort_unstable();
    rooms.dedup();
    match store::mutes_in(&state.db, &rooms).await {
        Ok(muted) => latest.retain(|&(user, room), _| !muted.contains(&(room, user))),
        Err(e) => {
            // Better no notification than one the user asked not to get.
            tracing::warn!(error = ?e, "chat mutes unreadable; notifications skipped");
            return;
        }
    }
    if latest.is_empty() {
        return;
    }
    let senders: Vec<i64> = latest.values().filter_map(|(m, _)| m.sender_id).collect();
    let names = accounts::public_users(state, &senders)
        .await
        .unwrap_or_default();
    let notes: Vec<notifications::model::ChatNote> = latest
        .into_iter()
        .map(|((user, room), (msg, row))| {
            let sender = msg.sender_id.unwrap_or(0);
            notifications::model::ChatNote {
                user_id: user,
                room_id: room,
                title: names
                    .get(&sender)
                    .map(|u| format!("{}님의 메시지", u.nickname))
                    .unwrap_or_else(|| "새 메시지".into()),
                body: row.body.chars().take(80).collect(),
                link: format!("/chats/{room}"),
            }
        })
        .collect();
    if let Err(e) = notifications::service::chat_batch(state, notes).await {
        tracing::warn!(error = ?e, "chat notifications failed");
    }
}
