//! SQL for reports, feedback and category administration.
use sqlx::Row;

use super::model::*;
use crate::catalog::model::Category;
use crate::db::Db;

const REPORT_COLS: &str =
    "id, reporter_id, item_id, reason, detail, status, action, created_at, resolved_at";

pub async fn insert_report(
    db: &Db,
    reporter: i64,
    item: i64,
    reason: &str,
    detail: &str,
    now: i64,
) -> sqlx::Result<Option<ReportRow>> {
    let res = sqlx::query_as(&format!(
        "INSERT INTO reports (reporter_id, item_id, reason, detail, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING {REPORT_COLS}"
    ))
    .bind(reporter)
    .bind(item)
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

pub async fn reports(
    db: &Db,
    status: &str,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<ReportRow>, i64)> {
    let rows = sqlx::query_as(&format!(
        "SELECT {REPORT_COLS} FROM reports WHERE status = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(status)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.read)
    .await?;
    let total = sqlx::query("SELECT COUNT(*) FROM reports WHERE status = $1")
        .bind(status)
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

pub async fn insert_category(
    db: &Db,
    slug: &str,
    name: &str,
    order: i64,
) -> sqlx::Result<Option<Category>> {
    match sqlx::query_as("INSERT INTO categories (slug, name, sort_order) VALUES ($1, $2, $3) RETURNING id, slug, name")
        .bind(slug)
        .bind(name)
        .bind(order)
        .fetch_one(&db.write)
        .await
    {
        Ok(c) => Ok(Some(c)),
        Err(e) if crate::db::is_conflict(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn category(db: &Db, id: i64) -> sqlx::Result<Option<(Category, i64)>> {
    let row = sqlx::query("SELECT id, slug, name, sort_order FROM categories WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.write)
        .await?;
    row.map(|r| {
        Ok((
            Category {
                id: r.try_get(0)?,
                slug: r.try_get(1)?,
                name: r.try_get(2)?,
            },
            r.try_get(3)?,
        ))
    })
    .transpose()
}

pub async fn update_category(db: &Db, c: &Category, order: i64) -> sqlx::Result<bool> {
    match sqlx::query("UPDATE categories SET slug = $1, name = $2, sort_order = $3 WHERE id = $4")
        .bind(&c.slug)
        .bind(&c.name)
        .bind(order)
        .bind(c.id)
        .execute(&db.write)
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if crate::db::is_conflict(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

pub async fn category_in_use(db: &Db, id: i64) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("SELECT id FROM items WHERE category_id = $1 LIMIT 1")
            .bind(id)
            .fetch_optional(&db.write)
            .await?
            .is_some(),
    )
}

pub async fn delete_category(db: &Db, id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM categories WHERE id = $1")
        .bind(id)
        .execute(&db.write)
        .await?;
    Ok(())
}
