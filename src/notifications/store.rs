//! SQL for notifications.
use std::collections::{HashMap, HashSet};

use sqlx::Row;

use super::model::*;
use crate::db::{placeholders, row_values, Db};

const COLS: &str = "id, user_id, kind, title, body, link, created_at, read_at";

/// Stores a notification unless its user turned its kind off (`None` then): one statement.
pub async fn insert(
    db: &Db,
    n: &NewNotification,
    now: i64,
) -> sqlx::Result<Option<NotificationRow>> {
    sqlx::query_as(&format!(
        "INSERT INTO notifications (user_id, kind, title, body, link, created_at) \
         SELECT $1, $2, $3, $4, $5, $6 \
         WHERE NOT EXISTS (SELECT 1 FROM notification_kinds_off o WHERE o.user_id = $1 AND o.kind = $2) \
         RETURNING {COLS}"
    ))
    .bind(n.user_id)
    .bind(n.kind.as_str())
    .bind(&n.title)
    .bind(&n.body)
    .bind(&n.link)
    .bind(now)
    .fetch_optional(&db.write)
    .await
}

/// Of these users, those who turned `kind` off (one query per 500 users).
pub async fn kind_off_among(
    db: &Db,
    kind: NotificationKind,
    users: &[i64],
) -> sqlx::Result<HashSet<i64>> {
    let mut out = HashSet::new();
    for chunk in users.chunks(IN_LIST_CHUNK) {
        let sql = format!(
            "SELECT user_id FROM notification_kinds_off WHERE kind = $1 AND user_id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(kind.as_str());
        for u in chunk {
            q = q.bind(*u);
        }
        for row in q.fetch_all(&db.read).await? {
            out.insert(row.try_get::<i64, _>(0)?);
        }
    }
    Ok(out)
}

/// The kinds a user turned off (names this release does not know are left out) and the alert
/// radius (`None` when never set).
pub async fn settings(db: &Db, user: i64) -> sqlx::Result<(Vec<NotificationKind>, Option<i64>)> {
    let off = sqlx::query("SELECT kind FROM notification_kinds_off WHERE user_id = $1")
        .bind(user)
        .fetch_all(&db.read)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<sqlx::Result<Vec<String>>>()?
        .iter()
        .filter_map(|k| NotificationKind::parse(k))
        .collect();
    let radius =
        sqlx::query("SELECT alert_radius_km FROM notification_settings WHERE user_id = $1")
            .bind(user)
            .fetch_optional(&db.read)
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?;
    Ok((off, radius))
}

/// Applies a checked change in one transaction: kinds turned off get a row, kinds turned on lose
/// theirs, the radius is upserted.
pub async fn save_settings(
    db: &Db,
    user: i64,
    change: &SettingsChange,
    now: i64,
) -> sqlx::Result<()> {
    let mut tx = db.write.begin().await?;
    for (kind, on) in &change.kinds {
        let sql = if *on {
            "DELETE FROM notification_kinds_off WHERE user_id = $1 AND kind = $2"
        } else {
            "INSERT INTO notification_kinds_off (user_id, kind) VALUES ($1, $2) ON CONFLICT (user_id, kind) DO NOTHING"
        };
        sqlx::query(sql)
            .bind(user)
            .bind(kind.as_str())
            .execute(&mut *tx)
            .await?;
    }
    if let Some(r) = change.alert_radius_km {
        sqlx::query(
            "INSERT INTO notification_settings (user_id, alert_radius_km, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET alert_radius_km = excluded.alert_radius_km, updated_at = excluded.updated_at",
        )
        .bind(user)
        .bind(r)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// One unread chat notification per (user, room): a new message updates it in place.
pub async fn upsert_chat(
    db: &Db,
    notes: &[ChatNote],
    now: i64,
) -> sqlx::Result<Vec<NotificationRow>> {
    let mut tx = db.write.begin().await?;
    let mut out = Vec::with_capacity(notes.len());
    // Multi-row upserts: the writer is shared with chat messages, so one statement per chunk
    // instead of one per note. Callers pass each (user, room) once, as one statement needs.
    for chunk in notes.chunks(UPSERT_CHUNK) {
        let sql = format!(
            "INSERT INTO notifications (user_id, kind, title, body, link, room_id, created_at) \
             VALUES {} \
             ON CONFLICT (user_id, room_id) WHERE kind = 'chat_message' AND read_at IS NULL \
             DO UPDATE SET title = excluded.title, body = excluded.body, created_at = excluded.created_at \
             RETURNING {COLS}",
            row_values(db.backend, chunk.len(), 7)
        );
        let mut q = sqlx::query_as(&sql);
        for n in chunk {
            q = q
                .bind(n.user_id)
                .bind("chat_message")
                .bind(&n.title)
                .bind(&n.body)
                .bind(&n.link)
                .bind(n.room_id)
                .bind(now);
        }
        out.extend(q.fetch_all(&mut *tx).await?);
    }
    tx.commit().await?;
    Ok(out)
}

/// Rows per upsert statement: 7 values each stays far below both engines' bind limits.
const UPSERT_CHUNK: usize = 500;
/// Users per `IN (…)` list.
const IN_LIST_CHUNK: usize = 500;

pub async fn unread_count(db: &Db, user: i64) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(user)
        .fetch_one(&db.read)
        .await?
        .try_get(0)
}

/// Unread counts of several users in one query (users with none are absent).
pub async fn unread_counts(db: &Db, users: &[i64]) -> sqlx::Result<HashMap<i64, i64>> {
    let mut out = HashMap::with_capacity(users.len());
    for chunk in users.chunks(IN_LIST_CHUNK) {
        let sql = format!(
            "SELECT user_id, COUNT(*) FROM notifications WHERE read_at IS NULL AND user_id IN ({}) GROUP BY user_id",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for u in chunk {
            q = q.bind(*u);
        }
        for row in q.fetch_all(&db.read).await? {
            out.insert(row.try_get::<i64, _>(0)?, row.try_get::<i64, _>(1)?);
        }
    }
    Ok(out)
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

const KEYWORD_COLS: &str = "id, user_id, keyword, created_at";

pub async fn keywords(db: &Db, user: i64) -> sqlx::Result<Vec<KeywordRow>> {
    sqlx::query_as(&format!(
        "SELECT {KEYWORD_COLS} FROM user_keywords WHERE user_id = $1 ORDER BY id"
    ))
    .bind(user)
    .fetch_all(&db.read)
    .await
}

pub enum KeywordInsert {
    Added(KeywordRow),
    Duplicate,
    Full,
}

/// Adds a keyword unless the user already has it (folded) or already has `max`: one statement,
/// so two racing adds cannot pass the cap by more than the unique key allows.
pub async fn add_keyword(
    db: &Db,
    user: i64,
    keyword: &str,
    folded: &str,
    max: i64,
    now: i64,
) -> sqlx::Result<KeywordInsert> {
    let row: Option<KeywordRow> = sqlx::query_as(&format!(
        "INSERT INTO user_keywords (user_id, keyword, folded, created_at) \
         SELECT $1, $2, $3, $4 \
         WHERE (SELECT COUNT(*) FROM user_keywords WHERE user_id = $1) < $5 \
         ON CONFLICT (user_id, folded) DO NOTHING \
         RETURNING {KEYWORD_COLS}"
    ))
    .bind(user)
    .bind(keyword)
    .bind(folded)
    .bind(now)
    .bind(max)
    .fetch_optional(&db.write)
    .await?;
    if let Some(r) = row {
        return Ok(KeywordInsert::Added(r));
    }
    let dup = sqlx::query("SELECT 1 FROM user_keywords WHERE user_id = $1 AND folded = $2")
        .bind(user)
        .bind(folded)
        .fetch_optional(&db.write)
        .await?
        .is_some();
    Ok(if dup {
        KeywordInsert::Duplicate
    } else {
        KeywordInsert::Full
    })
}

/// Deletes one of the user's keywords; `false` when it is not theirs (or does not exist).
pub async fn delete_keyword(db: &Db, user: i64, id: i64) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("DELETE FROM user_keywords WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user)
            .execute(&db.write)
            .await?
            .rows_affected()
            > 0,
    )
}

/// The keywords of these users with each user's alert radius (`None`: never set), one query per
/// 500 users (the unique key's prefix `user_id` serves it).
pub async fn keywords_of(db: &Db, users: &[i64]) -> sqlx::Result<Vec<(i64, String, Option<i64>)>> {
    let mut out = Vec::new();
    for chunk in users.chunks(IN_LIST_CHUNK) {
        let sql = format!(
            "SELECT k.user_id, k.keyword, s.alert_radius_km FROM user_keywords k \
             LEFT JOIN notification_settings s ON s.user_id = k.user_id \
             WHERE k.user_id IN ({}) ORDER BY k.user_id, k.id",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for u in chunk {
            q = q.bind(*u);
        }
        for row in q.fetch_all(&db.read).await? {
            out.push((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
        }
    }
    Ok(out)
}

/// Stores an alert (`keyword_match`, `borrow_nearby`) at most once per (user, kind, link) and
/// only while the user has fewer than `cap` of that kind since `since` and has the kind on: one
/// statement; `None` when any of these refused it. A retry or a second run is harmless.
pub async fn insert_alert(
    db: &Db,
    n: &NewNotification,
    now: i64,
    since: i64,
    cap: i64,
) -> sqlx::Result<Option<NotificationRow>> {
    sqlx::query_as(&format!(
        "INSERT INTO notifications (user_id, kind, title, body, link, created_at) \
         SELECT $1, $2, $3, $4, $5, $6 \
         WHERE NOT EXISTS (SELECT 1 FROM notification_kinds_off o WHERE o.user_id = $1 AND o.kind = $2) \
         AND (SELECT COUNT(*) FROM notifications c WHERE c.user_id = $1 AND c.kind = $2 AND c.created_at > $7) < $8 \
         ON CONFLICT (user_id, kind, link) WHERE kind IN ('keyword_match', 'borrow_nearby') DO NOTHING \
         RETURNING {COLS}"
    ))
    .bind(n.user_id)
    .bind(n.kind.as_str())
    .bind(&n.title)
    .bind(&n.body)
    .bind(&n.link)
    .bind(now)
    .bind(since)
    .bind(cap)
    .fetch_optional(&db.write)
    .await
}
