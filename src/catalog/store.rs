//! SQL for the catalog.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sqlx::Row;

use super::model::*;
use crate::db::{placeholders, Arg, Db, Filter};

/// A listing's rows: summaries carry no description (up to 2,000 characters each).
const LIST_COLS: &str = "i.id, i.owner_id, i.section, i.category_id, c.slug AS category_slug, c.name AS category_name, \
    i.title, '' AS description, i.price, i.price_unit, i.deposit, i.region_code, i.hidden, i.rented, i.listed, i.thumb_key, \
    i.bookmark_count, i.chat_count, i.view_count, i.created_at, i.deleted_at, i.moderation, i.min_days, i.max_days";
const ITEM_COLS: &str = "i.id, i.owner_id, i.section, i.category_id, c.slug AS category_slug, c.name AS category_name, \
    i.title, i.description, i.price, i.price_unit, i.deposit, i.region_code, i.hidden, i.rented, i.listed, i.thumb_key, \
    i.bookmark_count, i.chat_count, i.view_count, i.created_at, i.deleted_at, i.moderation, i.min_days, i.max_days";

pub async fn count_items(db: &Db) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) FROM items")
        .fetch_one(&db.read)
        .await?
        .try_get(0)
}

pub async fn categories(db: &Db) -> sqlx::Result<Vec<Category>> {
    sqlx::query_as("SELECT id, slug, name FROM categories ORDER BY sort_order, id")
        .fetch_all(&db.read)
        .await
}

pub async fn category_exists(db: &Db, id: i64) -> sqlx::Result<bool> {
    Ok(sqlx::query("SELECT id FROM categories WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.read)
        .await?
        .is_some())
}

pub async fn insert_item(db: &Db, owner: i64, f: &ItemFields, now: i64) -> sqlx::Result<i64> {
    let row = sqlx::query(
        "INSERT INTO items (owner_id, section, category_id, title, description, price, price_unit, deposit, region_code, hidden, created_at, updated_at, min_days, max_days, grams) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14) RETURNING id",
    )
    .bind(owner)
    .bind(f.section.as_str())
    .bind(f.category_id)
    .bind(&f.title)
    .bind(&f.description)
    .bind(f.price)
    .bind(f.price_unit.map(|u| u.as_str()))
    .bind(f.deposit)
    .bind(&f.region_code)
    .bind(i64::from(f.hidden))
    .bind(now)
    .bind(f.min_days)
    .bind(f.max_days)
    .bind(crate::db::grams_column(&f.title, &f.description))
    .fetch_one(&db.write)
    .await?;
    row.try_get(0)
}

/// A moderated item stays hidden whatever `f.hidden` says: an owner's edit that read the row
/// before an admin hid it cannot un-hide it.
pub async fn update_item(db: &Db, id: i64, f: &ItemFields, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE items SET section = $1, category_id = $2, title = $3, description = $4, price = $5, price_unit = $6, \
         deposit = $7, region_code = $8, hidden = CASE WHEN moderation IS NULL THEN $9 ELSE 1 END, updated_at = $10, \
         min_days = $12, max_days = $13, grams = $14 WHERE id = $11",
    )
    .bind(f.section.as_str())
    .bind(f.category_id)
    .bind(&f.title)
    .bind(&f.description)
    .bind(f.price)
    .bind(f.price_unit.map(|u| u.as_str()))
    .bind(f.deposit)
    .bind(&f.region_code)
    .bind(i64::from(f.hidden))
    .bind(now)
    .bind(id)
    .bind(f.min_days)
    .bind(f.max_days)
    .bind(crate::db::grams_column(&f.title, &f.description))
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Computes `grams` for rows stored before it existed, a batch at a time; returns how many
/// rows it filled (0 once every row has it).
pub async fn backfill_grams(db: &Db, batch: i64) -> sqlx::Result<usize> {
    let rows = sqlx::query("SELECT id, title, description FROM items WHERE grams IS NULL LIMIT $1")
        .bind(batch)
        .fetch_all(&db.write)
        .await?;
    let mut tx = db.write.begin().await?;
    for r in &rows {
        let (id, title, description): (i64, String, String) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        sqlx::query("UPDATE items SET grams = $1 WHERE id = $2 AND grams IS NULL")
            .bind(crate::db::grams_column(&title, &description))
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// Marks the item deleted and drops its image rows; returns their stored keys (full and
/// thumbnail) so the files can be deleted too.
/// Takes an owner's items out of listings or puts them back, inside the caller's transaction
/// (an account's suspension or deletion commits with it).
pub async fn set_owner_listed(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    owner: i64,
    listed: bool,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE items SET listed = $1 WHERE owner_id = $2")
        .bind(i64::from(listed))
        .bind(owner)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn soft_delete(db: &Db, id: i64, now: i64) -> sqlx::Result<Vec<String>> {
    let mut tx = db.write.begin().await?;
    sqlx::query(
        "UPDATE items SET deleted_at = $1, updated_at = $1, thumb_key = NULL WHERE id = $2 AND deleted_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let rows = sqlx::query("DELETE FROM item_images WHERE item_id = $1 RETURNING key, thumb_key")
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    let mut keys = Vec::with_capacity(rows.len() * 2);
    for row in rows {
        keys.push(row.try_get(0)?);
        keys.push(row.try_get(1)?);
    }
    Ok(keys)
}

/// An admin hides an item: moderated and hidden in one write.
pub async fn moderate(db: &Db, id: i64, m: Moderation, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE items SET moderation = $1, hidden = 1, updated_at = $2 WHERE id = $3")
        .bind(m.as_str())
        .bind(now)
        .bind(id)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// An admin lifts a moderation: the item is visible again. Only a moderated item changes, so a
/// restore never reveals an item its owner hid.
pub async fn lift_moderation(db: &Db, id: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE items SET moderation = NULL, hidden = 0, updated_at = $1 \
         WHERE id = $2 AND moderation IS NOT NULL AND deleted_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Items an admin hid, newest first, and how many there are.
pub async fn moderated_items(
    db: &Db,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<ItemRow>, i64)> {
    let rows = sqlx::query_as(&format!(
        "SELECT {ITEM_COLS} FROM items i JOIN categories c ON c.id = i.category_id \
         WHERE i.moderation IS NOT NULL AND i.deleted_at IS NULL ORDER BY i.id DESC LIMIT $1 OFFSET $2"
    ))
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.read)
    .await?;
    let total: i64 = sqlx::query(
        "SELECT COUNT(*) FROM items WHERE moderation IS NOT NULL AND deleted_at IS NULL",
    )
    .fetch_one(&db.read)
    .await?
    .try_get(0)?;
    Ok((rows, total))
}

/// One item (deleted ones excluded), read from the writer when freshness matters.
pub async fn item(db: &Db, id: i64) -> sqlx::Result<Option<ItemRow>> {
    sqlx::query_as(&format!(
        "SELECT {ITEM_COLS} FROM items i JOIN categories c ON c.id = i.category_id WHERE i.id = $1 AND i.deleted_at IS NULL"
    ))
    .bind(id)
    .fetch_optional(&db.read)
    .await
}

pub async fn items_by_ids(db: &Db, ids: &[i64]) -> sqlx::Result<Vec<ItemRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {ITEM_COLS} FROM items i JOIN categories c ON c.id = i.category_id WHERE i.id IN ({})",
        placeholders(1, ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    q.fetch_all(&db.read).await
}

/// Every available item, with its description: what the listing index (`catalog::index`) is
/// built from. The same rule as an available listing's.
pub async fn available_items(db: &Db) -> sqlx::Result<Vec<ItemRow>> {
    let f = list_filter(db, &ListQuery::default());
    let sql = format!(
        "SELECT {ITEM_COLS} FROM items i JOIN categories c ON c.id = i.category_id WHERE {}",
        f.sql()
    );
    f.bind_as(sqlx::query_as(&sql)).fetch_all(&db.read).await
}

/// The catalog version: moved by triggers with every change to what listings show, by any
/// process (migration 0020).
pub async fn catalog_version(db: &Db) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT n FROM catalog_version WHERE id = 1")
        .fetch_one(&db.read)
        .await
}

/// The catalog and detail versions at once (migrations 0020 and 0021): an item page made from
/// rows read after both were seen is unchanged while neither has moved.
pub async fn page_versions(db: &Db) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "SELECT c.n, d.n FROM catalog_version c, detail_version d WHERE c.id = 1 AND d.id = 1",
    )
    .fetch_one(&db.read)
    .await
}

/// What a listing matches, without the viewer's blocks (`list` leaves those out).
fn list_filter(db: &Db, q: &ListQuery) -> Filter {
    let mut f = Filter::default();
    f.push("i.deleted_at IS NULL", vec![]);
    let viewer = q.viewer.unwrap_or(0);
    match q.status {
        StatusFilter::Available => f.push("i.listed = 1 AND i.hidden = 0 AND i.rented = 0", vec![]),
        StatusFilter::Rented => f.push("i.listed = 1 AND i.hidden = 0 AND i.rented = 1", vec![]),
        StatusFilter::Hidden if q.viewer_is_admin => f.push("i.hidden = 1", vec![]),
        StatusFilter::Hidden => f.push("i.hidden = 1 AND i.owner_id = ?", vec![Arg::Int(viewer)]),
        StatusFilter::Any if q.viewer_is_admin => {}
        StatusFilter::Any => f.push(
            "((i.listed = 1 AND i.hidden = 0) OR i.owner_id = ?)",
            vec![Arg::Int(viewer)],
        ),
    }
    if let Some(s) = q.section {
        f.push("i.section = ?", vec![Arg::Text(s.as_str().into())]);
    }
    if let Some(c) = q.category_id {
        f.push("i.category_id = ?", vec![Arg::Int(c)]);
    }
    if let Some(o) = q.owner_id {
        f.push("i.owner_id = ?", vec![Arg::Int(o)]);
    }
    if let Some(since) = q.verified_since {
        f.push(
            "i.owner_id IN (SELECT u.id FROM users u WHERE u.region_verified_at >= ?)",
            vec![Arg::Int(since)],
        );
    }
    if let Some(codes) = &q.region_codes {
        // Codes come from the bundled region table (digits only), never from the request.
        let list = codes
            .iter()
            .filter(|c| c.chars().all(|ch| ch.is_ascii_digit()))
            .map(|c| format!("'{c}'"))
            .collect::<Vec<_>>()
            .join(",");
        f.push(
            &format!(
                "i.region_code IN ({})",
                if list.is_empty() { "''".into() } else { list }
            ),
            vec![],
        );
    }
    if let Some(prefix) = &q.region_prefix {
        let mut upper = prefix.clone();
        upper.push(':'); // ':' sorts right after '9'
        f.push(
            "i.region_code >= ? AND i.region_code < ?",
            vec![Arg::Text(prefix.clone()), Arg::Text(upper)],
        );
    }
    if let Some(min) = q.min_price {
        f.push("i.price >= ?", vec![Arg::Int(min)]);
    }
    if let Some(max) = q.max_price {
        f.push("i.price <= ?", vec![Arg::Int(max)]);
    }
    db.push_text_search(&mut f, &q.words);
    f
}

/// The ORDER BY of a listing. With a price range no row lacks a price, so the NULLs-last term
/// goes and the indexes on (price, id DESC) and (price, id) give the order without sorting every
/// match.
pub fn list_order(q: &ListQuery) -> &'static str {
    let ranged = q.price_ranged();
    match q.sort {
        Sort::Recent => "i.id DESC",
        Sort::PriceAsc if ranged => "i.price ASC, i.id DESC",
        Sort::PriceDesc if ranged => "i.price DESC, i.id DESC",
        Sort::PriceAsc => "(i.price IS NULL), i.price ASC, i.id DESC",
        Sort::PriceDesc => "(i.price IS NULL), i.price DESC, i.id DESC",
        Sort::Popular => "(i.bookmark_count + i.chat_count) DESC, i.id DESC",
    }
}

/// Up to this many blocked matches, a page leaves them out by id (an in-memory list the walk
/// checks per row); past it, by owner.
const EXCLUDE_BY_ID_UP_TO: usize = 500;

/// A listing as the database gives it, before the viewer's total is worked out.
pub struct Listed {
    pub rows: Vec<ItemRow>,
    /// The open listing's matches (without the viewer's blocks), counted up to `COUNT_UP_TO + 1`.
    pub matched: i64,
    /// The blocked owners' items among those matches.
    pub blocked: Arc<HashSet<i64>>,
}

/// What identifies a listing's matches (not its order or page): counts are shared by it.
pub fn match_key(db: &Db, q: &ListQuery) -> String {
    let f = list_filter(db, &q.open());
    format!("{}|{:?}", f.sql(), f.args)
}

/// A page of items and its counts, on `conn` (a time-limited reader, see `Db::limited_read`):
/// one statement for the page, plus the count and the viewer's blocked matches when they are not
/// known yet (the caller caches both).
pub async fn list(
    conn: &mut sqlx::AnyConnection,
    db: &Db,
    q: &ListQuery,
    matched: Option<i64>,
    blocked: Option<Arc<HashSet<i64>>>,
) -> sqlx::Result<Listed> {
    let open = q.open();
    let all = list_filter(db, &open);
    // The count comes first: how many match decides how the page is read (`index_hint`).
    let matched = match matched {
        Some(n) => n,
        None => count(conn, &all, COUNT_UP_TO + 1).await?,
    };
    let dense = matched > COUNT_UP_TO;
    let blocked = match blocked {
        Some(b) => b,
        None if q.exclude_owners.is_empty() => Arc::default(),
        None => Arc::new(blocked_matches(conn, db, q).await?),
    };
    let rows = if blocked.is_empty() {
        page(conn, db, &open, &all, dense, q.limit, q.offset).await?
    } else {
        // The page leaves out the blocked matches by id: the plan of a listing without blocks,
        // the ids a small list checked on each row read, and full pages.
        let mut f = list_filter(db, &open);
        if blocked.len() <= EXCLUDE_BY_ID_UP_TO {
            f.push(
                &format!("i.id NOT IN ({})", vec!["?"; blocked.len()].join(", ")),
                blocked.iter().map(|id| Arg::Int(*id)).collect(),
            );
        } else {
            f.push(
                &format!(
                    "i.owner_id NOT IN ({})",
                    vec!["?"; q.exclude_owners.len()].join(", ")
                ),
                q.exclude_owners.iter().map(|id| Arg::Int(*id)).collect(),
            );
        }
        page(conn, db, &open, &f, dense, q.limit, q.offset).await?
    };
    Ok(Listed {
        rows,
        matched,
        blocked,
    })
}

async fn page(
    conn: &mut sqlx::AnyConnection,
    db: &Db,
    q: &ListQuery,
    f: &Filter,
    dense: bool,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<ItemRow>> {
    let n = f.next();
    let sql = format!(
        "SELECT {LIST_COLS} FROM items i {} JOIN categories c ON c.id = i.category_id WHERE {} ORDER BY {} LIMIT ${} OFFSET ${}",
        index_hint(db, q, dense),
        f.sql(),
        list_order(q),
        n,
        n + 1
    );
    f.bind_as(sqlx::query_as(&sql))
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await
}

/// The blocked owners' items that the open listing matches, from `items_owner` (few rows).
async fn blocked_matches(
    conn: &mut sqlx::AnyConnection,
    db: &Db,
    q: &ListQuery,
) -> sqlx::Result<HashSet<i64>> {
    let mut theirs = list_filter(db, &q.open());
    let marks = vec!["?"; q.exclude_owners.len()].join(", ");
    theirs.push(
        &format!("i.owner_id IN ({marks})"),
        q.exclude_owners.iter().map(|id| Arg::Int(*id)).collect(),
    );
    // Start from the blocked owners' items: SQLite's planner would otherwise scan the listing's
    // index and test the owner list on every match.
    let hint = match db.backend {
        crate::db::Backend::Sqlite => "INDEXED BY items_owner",
        crate::db::Backend::Postgres => "",
    };
    let sql = format!("SELECT i.id FROM items i {hint} WHERE {}", theirs.sql());
    theirs
        .bind(sqlx::query(&sql))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect()
}

/// Matches of `f`, counted up to `up_to`: the cost stays bounded however many items match.
async fn count(conn: &mut sqlx::AnyConnection, f: &Filter, up_to: i64) -> sqlx::Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM items i WHERE {} LIMIT ${}) AS m",
        f.sql(),
        f.next()
    );
    f.bind(sqlx::query(&sql))
        .bind(up_to)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)
}

/// How SQLite reads a page. Its planner starts from the most selective filter's index and sorts
/// every match; with many matches (`dense`: more than the count cap) walking the sort's own index
/// finds a page after about `(offset + limit) × available / matched` rows instead, and with few
/// the sort is of at most that cap. So no page reads or sorts more than a bounded number of rows
/// (BENCHMARKS.md, issue #16); a search word's index is then read once, as a list the walk checks.
/// One owner's items are few. PostgreSQL weighs the same indexes itself.
fn index_hint(db: &Db, q: &ListQuery, dense: bool) -> &'static str {
    if db.backend != crate::db::Backend::Sqlite {
        return "";
    }
    if !dense || q.status != StatusFilter::Available || q.owner_id.is_some() {
        return "";
    }
    match q.sort {
        Sort::Recent => "",
        Sort::Popular => "INDEXED BY items_avail_popular",
        Sort::PriceAsc if q.price_ranged() => "INDEXED BY items_avail_price_cover",
        Sort::PriceDesc if q.price_ranged() => "INDEXED BY items_avail_price",
        Sort::PriceAsc => "INDEXED BY items_avail_price_asc",
        Sort::PriceDesc => "INDEXED BY items_avail_price_desc",
    }
}

/// The SQL of the listing query (its filter, index hint and order), for EXPLAIN in tests and
/// the benchmark notes.
pub fn list_sql_for_explain(db: &Db, q: &ListQuery) -> (String, Vec<Arg>) {
    let f = list_filter(db, q);
    (
        format!(
            "SELECT i.id FROM items i {} JOIN categories c ON c.id = i.category_id WHERE {} ORDER BY {} LIMIT 12",
            index_hint(db, q, true),
            f.sql(),
            list_order(q)
        ),
        f.args.clone(),
    )
}

pub async fn images(db: &Db, item_id: i64) -> sqlx::Result<Vec<ImageRow>> {
    sqlx::query_as(
        "SELECT id, item_id, position, key, thumb_key FROM item_images WHERE item_id = $1 ORDER BY position, id",
    )
    .bind(item_id)
    .fetch_all(&db.read)
    .await
}

pub async fn add_images(
    db: &Db,
    item_id: i64,
    keys: &[(String, String)],
    now: i64,
) -> sqlx::Result<Vec<i64>> {
    let mut tx = db.write.begin().await?;
    let next: i64 =
        sqlx::query("SELECT COALESCE(MAX(position), -1) + 1 FROM item_images WHERE item_id = $1")
            .bind(item_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
    let mut ids = Vec::new();
    for (i, (key, thumb)) in keys.iter().enumerate() {
        let row = sqlx::query(
            "INSERT INTO item_images (item_id, position, key, thumb_key, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(item_id)
        .bind(next + i as i64)
        .bind(key)
        .bind(thumb)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        ids.push(row.try_get(0)?);
    }
    sync_thumb(&mut tx, item_id).await?;
    tx.commit().await?;
    Ok(ids)
}

/// The item's summary thumbnail is its first image's.
async fn sync_thumb(tx: &mut sqlx::Transaction<'_, sqlx::Any>, item_id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE items SET thumb_key = (SELECT thumb_key FROM item_images WHERE item_id = $1 ORDER BY position, id LIMIT 1) WHERE id = $1",
    )
    .bind(item_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn delete_image(db: &Db, item_id: i64, image_id: i64) -> sqlx::Result<Option<ImageRow>> {
    let mut tx = db.write.begin().await?;
    let row: Option<ImageRow> = sqlx::query_as(
        "SELECT id, item_id, position, key, thumb_key FROM item_images WHERE id = $1 AND item_id = $2",
    )
    .bind(image_id)
    .bind(item_id)
    .fetch_optional(&mut *tx)
    .await?;
    if row.is_some() {
        sqlx::query("DELETE FROM item_images WHERE id = $1")
            .bind(image_id)
            .execute(&mut *tx)
            .await?;
        sync_thumb(&mut tx, item_id).await?;
    }
    tx.commit().await?;
    Ok(row)
}

pub async fn reorder_images(db: &Db, item_id: i64, ids: &[i64]) -> sqlx::Result<()> {
    let mut tx = db.write.begin().await?;
    for (pos, id) in ids.iter().enumerate() {
        sqlx::query("UPDATE item_images SET position = $1 WHERE id = $2 AND item_id = $3")
            .bind(pos as i64)
            .bind(*id)
            .bind(item_id)
            .execute(&mut *tx)
            .await?;
    }
    sync_thumb(&mut tx, item_id).await?;
    tx.commit().await
}

pub async fn is_bookmarked(db: &Db, user: i64, item: i64) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("SELECT 1 FROM bookmarks WHERE user_id = $1 AND item_id = $2")
            .bind(user)
            .bind(item)
            .fetch_optional(&db.read)
            .await?
            .is_some(),
    )
}

/// Up to `limit` of the user's bookmarked items (the primary key `(user_id, item_id)` answers).
pub async fn bookmarked_items(db: &Db, user: i64, limit: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query("SELECT item_id FROM bookmarks WHERE user_id = $1 LIMIT $2")
        .bind(user)
        .bind(limit)
        .fetch_all(&db.read)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect()
}

/// Adds or removes a bookmark and keeps the item's counter in step; idempotent either way.
pub async fn set_bookmark(db: &Db, user: i64, item: i64, on: bool, now: i64) -> sqlx::Result<i64> {
    let mut tx = db.write.begin().await?;
    let changed = if on {
        sqlx::query("INSERT INTO bookmarks (user_id, item_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(user)
            .bind(item)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
    } else {
        sqlx::query("DELETE FROM bookmarks WHERE user_id = $1 AND item_id = $2")
            .bind(user)
            .bind(item)
            .execute(&mut *tx)
            .await?
            .rows_affected()
    };
    if changed > 0 {
        let delta: i64 = if on { 1 } else { -1 };
        sqlx::query("UPDATE items SET bookmark_count = bookmark_count + $1 WHERE id = $2")
            .bind(delta)
            .bind(item)
            .execute(&mut *tx)
            .await?;
    }
    let count: i64 = sqlx::query("SELECT bookmark_count FROM items WHERE id = $1")
        .bind(item)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    tx.commit().await?;
    Ok(count)
}

/// A page of the user's bookmarked item ids, newest bookmark first, and the total.
pub async fn bookmarked_ids(
    db: &Db,
    user: i64,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<i64>, i64)> {
    let visible = "b.item_id = i.id AND i.deleted_at IS NULL AND i.listed = 1 AND i.hidden = 0";
    let rows = sqlx::query(&format!(
        "SELECT b.item_id FROM bookmarks b JOIN items i ON {visible} WHERE b.user_id = $1 ORDER BY b.created_at DESC, b.item_id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(user)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.read)
    .await?;
    let total: i64 = sqlx::query(&format!(
        "SELECT COUNT(*) FROM bookmarks b JOIN items i ON {visible} WHERE b.user_id = $1"
    ))
    .bind(user)
    .fetch_one(&db.read)
    .await?
    .try_get(0)?;
    Ok((
        rows.iter()
            .map(|r| r.try_get(0))
            .collect::<sqlx::Result<_>>()?,
        total,
    ))
}

/// Adds buffered detail views to the stored counters in one transaction.
pub async fn add_views(db: &Db, views: &HashMap<i64, i64>) -> sqlx::Result<()> {
    if views.is_empty() {
        return Ok(());
    }
    let views: Vec<(i64, i64)> = views.iter().map(|(k, v)| (*k, *v)).collect();
    let mut tx = db.write.begin().await?;
    // A few statements for thousands of items: the flush holds the writer and detail reads.
    for chunk in views.chunks(500) {
        let sql = format!(
            "UPDATE items SET view_count = view_count + v.column2 FROM (VALUES {}) AS v WHERE items.id = v.column1",
            crate::db::row_values(db.backend, chunk.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for (id, n) in chunk {
            q = q.bind(*id).bind(*n);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await
}

pub async fn add_chat_count(db: &Db, item: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE items SET chat_count = chat_count + 1 WHERE id = $1")
        .bind(item)
        .execute(&db.write)
        .await?;
    Ok(())
}

pub async fn set_rented(db: &Db, item: i64, rented: bool) -> sqlx::Result<()> {
    sqlx::query("UPDATE items SET rented = $1 WHERE id = $2")
        .bind(i64::from(rented))
        .bind(item)
        .execute(&db.write)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- category administration

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

/// Of `users`, those with an available `lend` item (listed, not hidden, not rented, not
/// deleted) in `category` (one query per 500 users; `items_owner` serves it).
pub async fn lenders_among(
    db: &Db,
    category: i64,
    users: &[i64],
) -> sqlx::Result<std::collections::HashSet<i64>> {
    let mut out = std::collections::HashSet::new();
    for chunk in users.chunks(500) {
        let sql = format!(
            "SELECT DISTINCT owner_id FROM items WHERE section = 'lend' AND category_id = $1 \
             AND listed = 1 AND hidden = 0 AND rented = 0 AND deleted_at IS NULL AND owner_id IN ({})",
            crate::db::placeholders(2, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(category);
        for u in chunk {
            q = q.bind(*u);
        }
        for row in q.fetch_all(&db.read).await? {
            out.insert(sqlx::Row::try_get::<i64, _>(&row, 0)?);
        }
    }
    Ok(out)
}
