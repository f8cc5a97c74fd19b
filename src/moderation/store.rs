//! SQL for reports and feedback.
use sqlx::Row;

use super::model::*;
use crate::db::Db;

const REPORT_COLS: &str =
    "id, reporter_id, item_id, target_user_id, reason, detail, status, action, created_at, resolved_at";

/// A report on an item or a user; `None` when the reporter already reported that item, or still
/// has an open report on that user (the unique indexes decide, so two requests at once make one
/// row).
pub async fn insert_report(
    db: &Db,
    reporter: i64,
    target: ReportTarget,
    reason: &str,
    detail: &str,
    now: i64,
) -> sqlx::Result<Option<ReportRow>> {
    let (column, id) = match target {
        ReportTarget::Item { id } => ("item_id", id),
        ReportTarget::User { id } => ("target_user_id", id),
    };
    let res = sqlx::query_as(&format!(
        "INSERT INTO reports (reporter_id, {column}, reason, detail, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING {REPORT_COLS}"
    ))
    .bind(reporter)
    .bind(id)
    .bind(reason)
    .bind(detail)
    .bind(now)
    .fetch_one(&db.write)
    .await;
    match res {
        Ok(r) => Ok(Some(r)),
        Err(e) if crate::db::is_conflict(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Item and user reports of one status, newest first, in one query (index `reports_status`).
pub async fn reports(
    db: &Db,
    status: ReportStatus,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<ReportRow>, i64)> {
    let rows = sqlx::query_as(&format!(
        "SELECT {REPORT_COLS} FROM reports WHERE status = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(status.as_str())
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.read)
    .await?;
    let total = sqlx::query("SELECT COUNT(*) FROM reports WHERE status = $1")
        .bind(status.as_str())
        .fetch_one(&db.read)
        .await?
        .try_get(0)?;
    Ok((rows, total))
}

pub async fn report(db: &Db, id: i64) -> sqlx::Result<Option<ReportRow>> {
    sqlx::query_as(&format!("SELECT {REPORT_COLS} FROM reports WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.write)
        .await
}

pub async fn resolve(db: &Db, id: i64, action: &str, now: i64) -> sqlx::Result<Option<ReportRow>> {
    sqlx::query_as(&format!(
        "UPDATE reports SET status = 'resolved', action = $1, resolved_at = $2 WHERE id = $3 AND status = 'open' RETURNING {REPORT_COLS}"
    ))
    .bind(action)
    .bind(now)
    .bind(id)
    .fetch_optional(&db.write)
    .await
}

pub async fn insert_feedback(
    db: &Db,
    user: Option<i64>,
    title: &str,
    content: &str,
    now: i64,
) -> sqlx::Result<FeedbackRow> {
    sqlx::query_as(
        "INSERT INTO feedback (user_id, title, content, created_at) VALUES ($1, $2, $3, $4) RETURNING id, user_id, title, content, created_at",
    )
    .bind(user)
    .bind(title)
    .bind(content)
    .bind(now)
    .fetch_one(&db.write)
    .await
}

pub async fn feedback(db: &Db, limit: i64, offset: i64) -> sqlx::Result<(Vec<FeedbackRow>, i64)> {
    let rows = sqlx::query_as("SELECT id, user_id, title, content, created_at FROM feedback ORDER BY id DESC LIMIT $1 OFFSET $2")
        .bind(limit)
        .bind(offset)
        .fetch_all(&db.read)
        .await?;
    let total = sqlx::query("SELECT COUNT(*) FROM feedback")
        .fetch_one(&db.read)
        .await?
        .try_get(0)?;
    Ok((rows, total))
}

/// When reports an admin upheld against `user` were resolved: user reports resolved with
/// `suspend_user`, and reports on the user's items resolved with `hide_item` or `suspend_user`.
pub async fn upheld_against(db: &Db, user: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query(
        "SELECT r.resolved_at FROM reports r WHERE r.target_user_id = $1 AND r.action = 'suspend_user' AND r.resolved_at IS NOT NULL \
         UNION ALL \
         SELECT r.resolved_at FROM reports r JOIN items i ON i.id = r.item_id \
         WHERE i.owner_id = $1 AND r.action IN ('hide_item', 'suspend_user') AND r.resolved_at IS NOT NULL",
    )
    .bind(user)
    .fetch_all(&db.read)
    .await?
    .iter()
    .map(|r| sqlx::Row::try_get(r, 0))
    .collect()
}
