//! SQL for notifications.
use sqlx::Row;

use super::model::*;
use crate::db::{placeholders, Db};

const COLS: &str = "id, user_id, kind, title, body, link, created_at, read_at";

pub async fn insert(db: &Db, n: &NewNotification, now: i64) -> sqlx::Result<NotificationRow> {
    sqlx::query_as(&format!(
        "INSERT INTO notifications (user_id, kind, title, body, link, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLS}"
    ))
    .bind(n.user_id)
    .bind(n.kind)
    .bind(&n.title)
    .bind(&n.body)
    .bind(&n.link)
    .bind(now)
    .fetch_one(&db.write)
    .await
}

/// One unread chat notification per (user, room): a new message updates it in place.
pub async fn upsert_chat(
    db: &Db,
    notes: &[ChatNote],
    now: i64,
) -> sqlx::Result<Vec<NotificationRow>> {
    let mut tx = db.write.begin().await?;
    let mut out = Vec::with_capacity(notes.len());
    for n in notes {
        let row: NotificationRow = sqlx::query_as(&format!(
            "INSERT INTO notifications (user_id, kind, title, body, link, room_id, created_at) \
             VALUES ($1, 'chat_message', $2, $3, $4, $5, $6) \
             ON CONFLICT (user_id, room_id) WHERE kind = 'chat_message' AND read_at IS NULL \
             DO UPDATE SET title = excluded.title, body = excluded.body, created_at = excluded.created_at \
             RETURNING {COLS}"
        ))
        .bind(n.user_id)
        .bind(&n.title)
        .bind(&n.body)
        .bind(&n.link)
        .bind(n.room_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        out.push(row);
    }
    tx.commit().await?;
    Ok(out)
}

pub async fn unread_count(db: &Db, user: i64) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(user)
        .fetch_one(&db.read)
        .await?
        .try_get(0)
}

pub async fn list(
    db: &Db,
    user: i64,
    unread_only: bool,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<NotificationRow>, i64)> {
    let cond = if unread_only {
        "AND read_at IS NULL"
    } else {
        ""
    };
    let rows = sqlx::query_as(&format!(
        "SELECT {COLS} FROM notifications WHERE user_id = $1 {cond} ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(user)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.read)
    .await?;
    let total = sqlx::query(&format!(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 {cond}"
    ))
    .bind(user)
    .fetch_one(&db.read)
    .await?
    .try_get(0)?;
    Ok((rows, total))
}

pub async fn mark_all(db: &Db, user: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
        .bind(now)
        .bind(user)
        .execute(&db.write)
        .await?;
    Ok(())
}

pub async fn mark_ids(db: &Db, user: i64, ids: &[i64], now: i64) -> sqlx::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL AND id IN ({})",
        placeholders(3, ids.len())
    );
    let mut q = sqlx::query(&sql).bind(now).bind(user);
    for id in ids {
        q = q.bind(*id);
    }
    q.execute(&db.write).await?;
    Ok(())
}

pub async fn mark_room(db: &Db, user: i64, room: i64, now: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND room_id = $3 AND kind = 'chat_message' AND read_at IS NULL",
    )
    .bind(now)
    .bind(user)
    .bind(room)
    .execute(&db.write)
    .await?
    .rows_affected())
}
