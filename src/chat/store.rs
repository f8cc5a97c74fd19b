//! SQL for chat.
use std::collections::HashSet;

use sqlx::Row;

use super::model::*;
use crate::db::{row_values, Db};

/// Rows per multi-row statement (7 bound values each, well under every engine's limit): one
/// statement for a whole writer batch.
const INSERT_CHUNK: usize = 512;
const ROOM_COLS: &str = "r.id, r.item_id, r.owner_id, r.inquirer_id, r.owner_last_read_id, r.inquirer_last_read_id, r.last_message_id, r.last_activity_at, r.created_at";
const MSG_COLS: &str = "id, room_id, sender_id, kind, body, event_type, rental_id, created_at";

pub async fn room(db: &Db, id: i64) -> sqlx::Result<Option<RoomRow>> {
    sqlx::query_as(&format!(
        "SELECT {ROOM_COLS} FROM chat_rooms r WHERE r.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.read)
    .await
}

pub async fn room_for(db: &Db, item: i64, inquirer: i64) -> sqlx::Result<Option<RoomRow>> {
    sqlx::query_as(&format!(
        "SELECT {ROOM_COLS} FROM chat_rooms r WHERE r.item_id = $1 AND r.inquirer_id = $2"
    ))
    .bind(item)
    .bind(inquirer)
    .fetch_optional(&db.write)
    .await
}

/// Creates the room unless it exists; returns it and whether it is new.
pub async fn open_room(
    db: &Db,
    item: i64,
    owner: i64,
    inquirer: i64,
    now: i64,
) -> sqlx::Result<(RoomRow, bool)> {
    let inserted = sqlx::query(
        "INSERT INTO chat_rooms (item_id, owner_id, inquirer_id, last_activity_at, created_at) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (item_id, inquirer_id) DO NOTHING",
    )
    .bind(item)
    .bind(owner)
    .bind(inquirer)
    .bind(now)
    .execute(&db.write)
    .await?
    .rows_affected()
        > 0;
    let room = room_for(db, item, inquirer)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    Ok((room, inserted))
}

/// A room of the list: the room, its last message, the user's unread count and whether the
/// user muted it.
pub type ListedRoom = (RoomRow, Option<MessageRow>, i64, bool);

/// Rooms of a user, most recent activity first, each with its last message, unread count and
/// mute flag.
pub async fn rooms_of(db: &Db, user: i64) -> sqlx::Result<Vec<ListedRoom>> {
    let sql = format!(
        "SELECT {ROOM_COLS}, m.id AS m_id, m.sender_id AS m_sender, m.kind AS m_kind, m.body AS m_body, \
         m.event_type AS m_event, m.rental_id AS m_rental, m.created_at AS m_created, \
         (SELECT COUNT(*) FROM messages u WHERE u.room_id = r.id \
            AND u.id > (CASE WHEN r.owner_id = $1 THEN r.owner_last_read_id ELSE r.inquirer_last_read_id END) \
            AND (u.sender_id IS NULL OR u.sender_id <> $1)) AS unread, \
         CAST(CASE WHEN EXISTS (SELECT 1 FROM chat_mutes cm WHERE cm.room_id = r.id AND cm.user_id = $1) \
            THEN 1 ELSE 0 END AS BIGINT) AS muted \
         FROM chat_rooms r LEFT JOIN messages m ON m.id = r.last_message_id \
         WHERE r.owner_id = $1 OR r.inquirer_id = $1 \
         ORDER BY r.last_activity_at DESC, r.id DESC LIMIT 500"
    );
    let rows = sqlx::query(&sql).bind(user).fetch_all(&db.read).await?;
    rows.iter()
        .map(|r| {
            let room = RoomRow {
                id: r.try_get("id")?,
                item_id: r.try_get("item_id")?,
                owner_id: r.try_get("owner_id")?,
                inquirer_id: r.try_get("inquirer_id")?,
                owner_last_read_id: r.try_get("owner_last_read_id")?,
                inquirer_last_read_id: r.try_get("inquirer_last_read_id")?,
                last_message_id: r.try_get("last_message_id")?,
                last_activity_at: r.try_get("last_activity_at")?,
                created_at: r.try_get("created_at")?,
            };
            let msg = match r.try_get::<Option<i64>, _>("m_id")? {
                Some(id) => Some(MessageRow {
                    id,
                    room_id: room.id,
                    sender_id: r.try_get("m_sender")?,
                    kind: r.try_get("m_kind")?,
                    body: r.try_get("m_body")?,
                    event_type: r.try_get("m_event")?,
                    rental_id: r.try_get("m_rental")?,
                    created_at: r.try_get("m_created")?,
                }),
                None => None,
            };
            Ok((
                room,
                msg,
                r.try_get("unread")?,
                r.try_get::<i64, _>("muted")? != 0,
            ))
        })
        .collect()
}

pub async fn unread_in(db: &Db, room: &RoomRow, user: i64) -> sqlx::Result<i64> {
    sqlx::query(
        "SELECT COUNT(*) FROM messages WHERE room_id = $1 AND id > $2 AND (sender_id IS NULL OR sender_id <> $3)",
    )
    .bind(room.id)
    .bind(room.last_read(user))
    .bind(user)
    .fetch_one(&db.read)
    .await?
    .try_get(0)
}

/// Mutes (`true`) or unmutes a room for one participant; idempotent.
pub async fn set_muted(db: &Db, room: i64, user: i64, muted: bool, now: i64) -> sqlx::Result<()> {
    let q = if muted {
        sqlx::query(
            "INSERT INTO chat_mutes (room_id, user_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (room_id, user_id) DO NOTHING",
        )
        .bind(room)
        .bind(user)
        .bind(now)
    } else {
        sqlx::query("DELETE FROM chat_mutes WHERE room_id = $1 AND user_id = $2")
            .bind(room)
            .bind(user)
    };
    q.execute(&db.write).await?;
    Ok(())
}

pub async fn is_muted(db: &Db, room: i64, user: i64) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("SELECT 1 FROM chat_mutes WHERE room_id = $1 AND user_id = $2")
            .bind(room)
            .bind(user)
            .fetch_optional(&db.read)
            .await?
            .is_some(),
    )
}

/// The (room, user) pairs muted among these rooms, in one query per 500 rooms.
pub async fn mutes_in(db: &Db, rooms: &[i64]) -> sqlx::Result<HashSet<(i64, i64)>> {
    let mut out = HashSet::new();
    for chunk in rooms.chunks(INSERT_CHUNK) {
        let sql = format!(
            "SELECT room_id, user_id FROM chat_mutes WHERE room_id IN ({})",
            crate::db::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for room in chunk {
            q = q.bind(*room);
        }
        for row in q.fetch_all(&db.read).await? {
            out.insert((row.try_get::<i64, _>(0)?, row.try_get::<i64, _>(1)?));
        }
    }
    Ok(out)
}

pub async fn message(db: &Db, id: i64) -> sqlx::Result<Option<MessageRow>> {
    sqlx::query_as(&format!("SELECT {MSG_COLS} FROM messages WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.read)
        .await
}

/// `limit + 1` rows in the cursor's direction, so the caller can tell whether there is more.
pub async fn history(
    db: &Db,
    room: i64,
    before: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<MessageRow>> {
    let (cond, order, cursor) = match (before, after) {
        (_, Some(a)) => ("AND id > $2", "ASC", a),
        (Some(b), None) => ("AND id < $2", "DESC", b),
        (None, None) => ("AND $2 = $2", "DESC", 0),
    };
    let mut rows: Vec<MessageRow> = sqlx::query_as(&format!(
        "SELECT {MSG_COLS} FROM messages WHERE room_id = $1 {cond} ORDER BY id {order} LIMIT $3"
    ))
    .bind(room)
    .bind(cursor)
    .bind(limit + 1)
    .fetch_all(&db.read)
    .await?;
    if order == "DESC" {
        rows.reverse();
    }
    Ok(rows)
}

/// Stores a batch in one transaction (group commit), in order. Each message also moves the
/// room's activity, and counts as read by its sender.
pub async fn insert_batch(
    db: &Db,
    batch: &[NewMessage],
    now: i64,
) -> sqlx::Result<Vec<MessageRow>> {
    let mut tx = db.write.begin().await?;
    if db.backend == crate::db::Backend::Postgres {
        // Several instances write into the same rooms: lock them in one global order first, so
        // the inserts' key-share locks and the room updates below can never deadlock.
        let mut rooms: Vec<i64> = batch.iter().map(|m| m.room_id).collect();
        rooms.sort_unstable();
        rooms.dedup();
        let sql = format!(
            "SELECT id FROM chat_rooms WHERE id IN ({}) ORDER BY id FOR UPDATE",
            crate::db::placeholders(1, rooms.len())
        );
        let mut q = sqlx::query(&sql);
        for room in &rooms {
            q = q.bind(*room);
        }
        q.fetch_all(&mut *tx).await?;
    }
    let mut out = Vec::with_capacity(batch.len());
    // Multi-row INSERTs: one statement per chunk instead of one per message. Rows of one
    // statement get increasing ids in VALUES order, so sorted ids map back to the chunk in order.
    for chunk in batch.chunks(INSERT_CHUNK) {
        let sql = format!(
            "INSERT INTO messages (room_id, sender_id, kind, body, event_type, rental_id, created_at) VALUES {} RETURNING id",
            row_values(db.backend, chunk.len(), 7)
        );
        let mut q = sqlx::query(&sql);
        for m in chunk {
            q = q
                .bind(m.room_id)
                .bind(m.sender_id)
                .bind(m.kind.as_str())
                .bind(&m.body)
                .bind(m.event_type.as_deref())
                .bind(m.rental_id)
                .bind(now);
        }
        let mut ids = q
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get::<i64, _>(0))
            .collect::<sqlx::Result<Vec<i64>>>()?;
        ids.sort_unstable();
        for (m, id) in chunk.iter().zip(ids) {
            out.push(MessageRow {
                id,
                room_id: m.room_id,
                sender_id: m.sender_id,
                kind: m.kind.as_str().to_string(),
                body: m.body.clone(),
                event_type: m.event_type.clone(),
                rental_id: m.rental_id,
                created_at: now,
            });
        }
    }
    // One room update for the whole batch: each room's newest message, which also counts as
    // read by its sender (VALUES columns are column1… on both engines).
    // Later messages overwrite earlier ones; the map keeps rooms in ascending order (lock order).
    let last: Vec<(i64, i64, i64)> = out
        .iter()
        .map(|m| (m.room_id, (m.id, m.sender_id.unwrap_or(0))))
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_iter()
        .map(|(room, (id, sender))| (room, id, sender))
        .collect();
    for chunk in last.chunks(INSERT_CHUNK) {
        let sql = format!(
            "UPDATE chat_rooms SET last_message_id = v.column2, last_activity_at = v.column4, \
             owner_last_read_id = CASE WHEN owner_id = v.column3 THEN v.column2 ELSE owner_last_read_id END, \
             inquirer_last_read_id = CASE WHEN inquirer_id = v.column3 THEN v.column2 ELSE inquirer_last_read_id END \
             FROM (VALUES {}) AS v WHERE chat_rooms.id = v.column1",
            row_values(db.backend, chunk.len(), 4)
        );
        let mut q = sqlx::query(&sql);
        for (room, id, sender) in chunk {
            q = q.bind(*room).bind(*id).bind(*sender).bind(now);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// Moves the user's read mark forward (never back, never past the last message).
pub async fn mark_read(db: &Db, room: &RoomRow, user: i64, last_read_id: i64) -> sqlx::Result<i64> {
    let col = if room.owner_id == user {
        "owner_last_read_id"
    } else {
        "inquirer_last_read_id"
    };
    let row = sqlx::query(&format!(
        "UPDATE chat_rooms SET {col} = CASE WHEN {col} > $1 THEN {col} \
         ELSE (CASE WHEN $1 > COALESCE(last_message_id, 0) THEN COALESCE(last_message_id, 0) ELSE $1 END) END \
         WHERE id = $2 RETURNING {col}"
    ))
    .bind(last_read_id)
    .bind(room.id)
    .fetch_one(&db.write)
    .await?;
    row.try_get(0)
}
