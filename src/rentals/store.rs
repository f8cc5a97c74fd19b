//! SQL for rentals and reviews.
use sqlx::Row;

use super::model::*;
use crate::accounts::model::ReviewStats;
use crate::db::{placeholders, Arg, Db, Filter};

const COLS: &str = "id, item_id, lender_id, borrower_id, requested_by, start_at, end_at, total_price, status, created_at, decided_at, returned_at, deposit_amount, deposit_status, deposit_note";
const EXT_COLS: &str = "id, rental_id, end_at, expires_at, status, created_at, decided_at";
const HANDOVER_COLS: &str = "id, rental_id, stage, author_id, note, created_at, confirmed_at";
const DISPUTE_COLS: &str =
    "id, rental_id, opened_by, reason, detail, status, resolution, created_at, resolved_at";
const REVIEW_COLS: &str =
    "id, rental_id, item_id, author_id, subject_id, rating, content, created_at, visible_at";

pub async fn get(db: &Db, id: i64) -> sqlx::Result<Option<RentalRow>> {
    sqlx::query_as(&format!("SELECT {COLS} FROM rentals WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.write)
        .await
}

pub enum Insert {
    Done(RentalRow),
    Overlaps,
    AlreadyRequested,
}

/// Inserts a request unless it overlaps an accepted period or the requester has one open.
pub async fn insert(db: &Db, r: &RentalRow) -> sqlx::Result<Insert> {
    let mut tx = db.write.begin().await?;
    if overlaps(&mut tx, r.item_id, r.start_at, r.end_at, 0).await? {
        return Ok(Insert::Overlaps);
    }
    let res = sqlx::query_as(&format!(
        "INSERT INTO rentals (item_id, lender_id, borrower_id, requested_by, start_at, end_at, total_price, status, created_at, deposit_amount) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'requested', $8, $9) RETURNING {COLS}"
    ))
    .bind(r.item_id)
    .bind(r.lender_id)
    .bind(r.borrower_id)
    .bind(r.requested_by)
    .bind(r.start_at)
    .bind(r.end_at)
    .bind(r.total_price)
    .bind(r.created_at)
    .bind(r.deposit_amount)
    .fetch_one(&mut *tx)
    .await;
    match res {
        Ok(row) => {
            tx.commit().await?;
            Ok(Insert::Done(row))
        }
        Err(e) if crate::db::is_conflict(&e) => Ok(Insert::AlreadyRequested),
        Err(e) => Err(e),
    }
}

async fn overlaps(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    item: i64,
    start: i64,
    end: i64,
    except: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "SELECT id FROM rentals WHERE item_id = $1 AND status = 'accepted' AND start_at < $2 AND end_at > $3 AND id <> $4 LIMIT 1",
    )
    .bind(item)
    .bind(end)
    .bind(start)
    .bind(except)
    .fetch_optional(&mut **tx)
    .await?
    .is_some())
}

pub enum Accept {
    Done(RentalRow),
    Overlaps,
    NotRequested,
}

/// Serialises writers of one item's accepted periods: a row lock on PostgreSQL (SQLite has one
/// writer anyway), so an overlap check and the write after it cannot race another.
async fn lock_item(tx: &mut sqlx::Transaction<'_, sqlx::Any>, item: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE items SET updated_at = updated_at WHERE id = $1")
        .bind(item)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Accepts under a lock on the item row: concurrent accepts of one item run one after the
/// other (PostgreSQL row lock; SQLite's single writer), so the overlap check cannot race.
/// PostgreSQL's exclusion constraint backs this up.
pub async fn accept(db: &Db, id: i64, item: i64, now: i64) -> sqlx::Result<Accept> {
    let mut tx = db.write.begin().await?;
    lock_item(&mut tx, item).await?;
    let row: Option<RentalRow> =
        sqlx::query_as(&format!("SELECT {COLS} FROM rentals WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(row) = row.filter(|r| r.status == RentalStatus::Requested) else {
        return Ok(Accept::NotRequested);
    };
    if overlaps(&mut tx, item, row.start_at, row.end_at, id).await? {
        return Ok(Accept::Overlaps);
    }
    let res = sqlx::query_as(&format!(
        "UPDATE rentals SET status = 'accepted', decided_at = $1 WHERE id = $2 AND status = 'requested' RETURNING {COLS}"
    ))
    .bind(now)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await;
    match res {
        Ok(Some(row)) => {
            tx.commit().await?;
            Ok(Accept::Done(row))
        }
        Ok(None) => Ok(Accept::NotRequested),
        Err(e) if crate::db::is_conflict(&e) => Ok(Accept::Overlaps),
        Err(e) => Err(e),
    }
}

/// Moves `from` → `to` atomically; `None` when the rental was no longer in `from`.
pub async fn transition(
    db: &Db,
    id: i64,
    from: RentalStatus,
    to: RentalStatus,
    now: i64,
    only_before_start: bool,
) -> sqlx::Result<Option<RentalRow>> {
    let returned = if to == RentalStatus::Returned {
        ", returned_at = $1"
    } else {
        ""
    };
    let decided = if from == RentalStatus::Requested {
        ", decided_at = $1"
    } else {
        ""
    };
    // Checked again in the UPDATE so a start passing meanwhile cannot slip through.
    let before_start = if only_before_start {
        "AND start_at > $1"
    } else {
        ""
    };
    sqlx::query_as(&format!(
        "UPDATE rentals SET status = $2{returned}{decided} WHERE id = $3 AND status = $4 {before_start} RETURNING {COLS}"
    ))
    .bind(now)
    .bind(to.as_str())
    .bind(id)
    .bind(from.as_str())
    .fetch_optional(&db.write)
    .await
}

/// True while an accepted rental of the item has started and is not returned (overdue too).
pub async fn item_in_use(db: &Db, item: i64, now: i64) -> sqlx::Result<bool> {
    Ok(sqlx::query("SELECT id FROM rentals WHERE item_id = $1 AND status = 'accepted' AND start_at <= $2 LIMIT 1")
        .bind(item)
        .bind(now)
        .fetch_optional(&db.write)
        .await?
        .is_some())
}

pub async fn accepted_between(
    db: &Db,
    item: i64,
    from: i64,
    to: i64,
) -> sqlx::Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "SELECT start_at, end_at FROM rentals WHERE item_id = $1 AND status = 'accepted' AND end_at > $2 AND start_at < $3 ORDER BY start_at",
    )
    .bind(item)
    .bind(from)
    .bind(to)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

pub async fn list(
    db: &Db,
    user: i64,
    role: PartyRole,
    statuses: &[RentalStatus],
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<RentalRow>, i64)> {
    let mut f = Filter::default();
    match role {
        PartyRole::Lender => f.push("lender_id = ?", vec![Arg::Int(user)]),
        PartyRole::Borrower => f.push("borrower_id = ?", vec![Arg::Int(user)]),
        PartyRole::Any => f.push(
            "(lender_id = ? OR borrower_id = ?)",
            vec![Arg::Int(user), Arg::Int(user)],
        ),
    }
    if !statuses.is_empty() {
        let marks = vec!["?"; statuses.len()].join(", ");
        f.push(
            &format!("status IN ({marks})"),
            statuses
                .iter()
                .map(|s| Arg::Text(s.as_str().to_string()))
                .collect(),
        );
    }
    let n = f.next();
    let sql = format!(
        "SELECT {COLS} FROM rentals WHERE {} ORDER BY id DESC LIMIT ${} OFFSET ${}",
        f.sql(),
        n,
        n + 1
    );
    let rows = f
        .bind_as(sqlx::query_as(&sql))
        .bind(limit)
        .bind(offset)
        .fetch_all(&db.read)
        .await?;
    let total = f
        .bind(sqlx::query(&format!(
            "SELECT COUNT(*) FROM rentals WHERE {}",
            f.sql()
        )))
        .fetch_one(&db.read)
        .await?
        .try_get(0)?;
    Ok((rows, total))
}

/// Work that comes due with time, each kind claimed by its own flag or state change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// A request nobody answered before its start.
    Expired,
    /// An accepted rental starting within a day.
    StartsSoon,
    /// An accepted rental whose period has begun (the item becomes `rented`).
    Started,
    /// An accepted rental ending within an hour.
    ReturnDue,
    /// An accepted rental past its end and not returned.
    Overdue,
}

/// Claims scheduler work atomically: only the instance whose UPDATE changes a row acts on it,
/// so each event happens once however many instances tick.
pub async fn claim_due(db: &Db, due: Due, now: i64) -> sqlx::Result<Vec<RentalRow>> {
    let (set, cond) = match due {
        Due::Expired => (
            "status = 'expired', decided_at = $1".to_string(),
            "status = 'requested' AND start_at <= $1".to_string(),
        ),
        Due::StartsSoon => (
            "starts_soon_sent = 1".to_string(),
            format!("status = 'accepted' AND starts_soon_sent = 0 AND start_at > $1 AND start_at <= $1 + {}", crate::clock::DAY_MS),
        ),
        Due::Started => (
            "started = 1".to_string(),
            "status = 'accepted' AND started = 0 AND start_at <= $1".to_string(),
        ),
        Due::ReturnDue => (
            "return_due_sent = 1".to_string(),
            format!("status = 'accepted' AND return_due_sent = 0 AND end_at > $1 AND end_at <= $1 + {}", crate::clock::HOUR_MS),
        ),
        Due::Overdue => (
            "overdue_sent = 1".to_string(),
            "status = 'accepted' AND overdue_sent = 0 AND end_at <= $1".to_string(),
        ),
    };
    sqlx::query_as(&format!(
        "UPDATE rentals SET {set} WHERE {cond} RETURNING {COLS}"
    ))
    .bind(now)
    .fetch_all(&db.write)
    .await
}

pub async fn insert_review(db: &Db, r: &ReviewRow) -> sqlx::Result<Option<ReviewRow>> {
    let mut tx = db.write.begin().await?;
    let res = sqlx::query_as::<_, ReviewRow>(&format!(
        "INSERT INTO reviews (rental_id, item_id, author_id, subject_id, rating, content, created_at, visible_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {REVIEW_COLS}"
    ))
    .bind(r.rental_id)
    .bind(r.item_id)
    .bind(r.author_id)
    .bind(r.subject_id)
    .bind(r.rating)
    .bind(&r.content)
    .bind(r.created_at)
    .bind(r.visible_at)
    .fetch_one(&mut *tx)
    .await;
    let mut row = match res {
        Ok(row) => row,
        Err(e) if crate::db::is_conflict(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    // Both sides have spoken: both reviews become visible now.
    let both: i64 = sqlx::query("SELECT COUNT(*) FROM reviews WHERE rental_id = $1")
        .bind(r.rental_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if both == 2 {
        sqlx::query("UPDATE reviews SET visible_at = $1 WHERE rental_id = $2 AND visible_at > $1")
            .bind(r.created_at)
            .bind(r.rental_id)
            .execute(&mut *tx)
            .await?;
        row.visible_at = row.visible_at.min(r.created_at);
    }
    tx.commit().await?;
    Ok(Some(row))
}

pub async fn reviews_about_user(
    db: &Db,
    subject: i64,
    viewer: i64,
    now: i64,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<ReviewRow>, i64)> {
    let cond = "subject_id = $1 AND (visible_at <= $2 OR author_id = $3)";
    let rows = sqlx::query_as(&format!(
        "SELECT {REVIEW_COLS} FROM reviews WHERE {cond} ORDER BY id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(subject)
    .bind(now)
    .bind(viewer)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.read)
    .await?;
    let total = sqlx::query(&format!("SELECT COUNT(*) FROM reviews WHERE {cond}"))
        .bind(subject)
        .bind(now)
        .bind(viewer)
        .fetch_one(&db.read)
        .await?
        .try_get(0)?;
    Ok((rows, total))
}

pub async fn reviews_about_item(
    db: &Db,
    item: i64,
    viewer: i64,
    now: i64,
) -> sqlx::Result<Vec<ReviewRow>> {
    sqlx::query_as(&format!(
        "SELECT {REVIEW_COLS} FROM reviews WHERE item_id = $1 AND (visible_at <= $2 OR author_id = $3) ORDER BY id DESC LIMIT 20"
    ))
    .bind(item)
    .bind(now)
    .bind(viewer)
    .fetch_all(&db.read)
    .await
}

/// The next time, after `now`, that a review on `item` or about `subject` becomes visible to
/// others: an item page made before then changes then. Each half is one step down an index.
pub async fn next_review_visible(
    db: &Db,
    item: i64,
    subject: i64,
    now: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT MIN(t) FROM (\
         SELECT MIN(visible_at) AS t FROM reviews WHERE item_id = $1 AND visible_at > $3 \
         UNION ALL \
         SELECT MIN(visible_at) AS t FROM reviews WHERE subject_id = $2 AND visible_at > $3\
         ) AS next",
    )
    .bind(item)
    .bind(subject)
    .bind(now)
    .fetch_one(&db.read)
    .await
}

/// Which of these rentals `author` has reviewed.
pub async fn reviewed_among(db: &Db, author: i64, rentals: &[i64]) -> sqlx::Result<Vec<i64>> {
    if rentals.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT rental_id FROM reviews WHERE author_id = $1 AND rental_id IN ({})",
        crate::db::placeholders(2, rentals.len())
    );
    let mut q = sqlx::query(&sql).bind(author);
    for id in rentals {
        q = q.bind(*id);
    }
    q.fetch_all(&db.read)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect()
}

/// The items on which `author` wrote a review others cannot see yet (`reviews_author`).
pub async fn hidden_review_items(db: &Db, author: i64, now: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query("SELECT DISTINCT item_id FROM reviews WHERE author_id = $1 AND visible_at > $2")
        .bind(author)
        .bind(now)
        .fetch_all(&db.read)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect()
}

/// Ratings others may see (visible_at passed), per subject.
pub async fn review_stats(
    db: &Db,
    ids: &[i64],
    now: i64,
) -> sqlx::Result<std::collections::HashMap<i64, ReviewStats>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT subject_id, COUNT(*), CAST(SUM(rating) AS BIGINT) FROM reviews \
         WHERE subject_id IN ({}) AND visible_at <= $1 GROUP BY subject_id",
        placeholders(2, ids.len())
    );
    let mut q = sqlx::query(&sql).bind(now);
    for id in ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(&db.read).await?;
    let mut out = std::collections::HashMap::new();
    for r in rows {
        out.insert(
            r.try_get::<i64, _>(0)?,
            ReviewStats {
                count: r.try_get(1)?,
                sum: r.try_get::<Option<i64>, _>(2)?.unwrap_or(0),
            },
        );
    }
    Ok(out)
}

/// What 이웃 온도 reads from rentals for one user: visible reviews received (rating, when they
/// became visible), returns as borrower (returned at, agreed end) and accepted rentals the user
/// cancelled (when).
pub struct TrustInputs {
    pub reviews: Vec<(i64, i64)>,
    pub returns: Vec<(i64, i64)>,
    pub cancels: Vec<i64>,
}

pub async fn trust_inputs(db: &Db, user: i64, now: i64) -> sqlx::Result<TrustInputs> {
    let reviews = sqlx::query(
        "SELECT rating, visible_at FROM reviews WHERE subject_id = $1 AND visible_at <= $2",
    )
    .bind(user)
    .bind(now)
    .fetch_all(&db.read)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect::<sqlx::Result<_>>()?;
    let returns = sqlx::query(
        "SELECT returned_at, end_at FROM rentals WHERE borrower_id = $1 AND status = 'returned' AND returned_at IS NOT NULL",
    )
    .bind(user)
    .fetch_all(&db.read)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect::<sqlx::Result<_>>()?;
    let cancels = sqlx::query(
        "SELECT cancelled_at FROM rentals WHERE cancelled_by = $1 AND cancelled_at IS NOT NULL",
    )
    .bind(user)
    .fetch_all(&db.read)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<sqlx::Result<_>>()?;
    Ok(TrustInputs {
        reviews,
        returns,
        cancels,
    })
}

/// Who cancelled an accepted rental, and when (an input of 이웃 온도).
pub async fn record_cancel(db: &Db, id: i64, by: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE rentals SET cancelled_by = $1, cancelled_at = $2 WHERE id = $3")
        .bind(by)
        .bind(now)
        .bind(id)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// The users whose received reviews became visible in `(after, until]` (time passing, not a
/// second review): the scheduler recomputes their 이웃 온도.
pub async fn review_subjects_visible_between(
    db: &Db,
    after: i64,
    until: i64,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query(
        "SELECT DISTINCT subject_id FROM reviews WHERE visible_at > $1 AND visible_at <= $2 AND visible_at > created_at",
    )
    .bind(after)
    .bind(until)
    .fetch_all(&db.read)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect()
}

/// Whether `user` has, as borrower, an accepted rental not returned past its end.
pub async fn has_overdue_as_borrower(db: &Db, user: i64, now: i64) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "SELECT 1 FROM rentals WHERE borrower_id = $1 AND status = 'accepted' AND end_at <= $2 LIMIT 1",
    )
    .bind(user)
    .bind(now)
    .fetch_optional(&db.read)
    .await?
    .is_some())
}

// Extensions, handover records, the deposit and disputes (issue #15).

fn bind_ids_as<'q, T>(
    mut q: sqlx::query::QueryAs<'q, sqlx::Any, T, sqlx::any::AnyArguments<'q>>,
    ids: &'q [i64],
) -> sqlx::query::QueryAs<'q, sqlx::Any, T, sqlx::any::AnyArguments<'q>> {
    for id in ids {
        q = q.bind(*id);
    }
    q
}

/// What a list of rentals carries besides its rows, read with one query per kind.
pub struct Records {
    pub extensions: Vec<ExtensionRow>,
    pub handovers: Vec<HandoverRow>,
    pub images: Vec<HandoverImageRow>,
    pub disputes: Vec<DisputeRow>,
}

pub async fn records(db: &Db, rentals: &[i64]) -> sqlx::Result<Records> {
    if rentals.is_empty() {
        return Ok(Records {
            extensions: Vec::new(),
            handovers: Vec::new(),
            images: Vec::new(),
            disputes: Vec::new(),
        });
    }
    let marks = placeholders(1, rentals.len());
    let extensions = bind_ids_as(
        sqlx::query_as(&format!(
            "SELECT {EXT_COLS} FROM rental_extensions WHERE rental_id IN ({marks}) ORDER BY id"
        )),
        rentals,
    )
    .fetch_all(&db.read)
    .await?;
    let handovers: Vec<HandoverRow> = bind_ids_as(
        sqlx::query_as(&format!(
            "SELECT {HANDOVER_COLS} FROM rental_handovers WHERE rental_id IN ({marks}) ORDER BY id"
        )),
        rentals,
    )
    .fetch_all(&db.read)
    .await?;
    let disputes = bind_ids_as(
        sqlx::query_as(&format!(
            "SELECT {DISPUTE_COLS} FROM rental_disputes WHERE rental_id IN ({marks}) ORDER BY id"
        )),
        rentals,
    )
    .fetch_all(&db.read)
    .await?;
    let ids: Vec<i64> = handovers.iter().map(|h| h.id).collect();
    let images = if ids.is_empty() {
        Vec::new()
    } else {
        bind_ids_as(
            sqlx::query_as(&format!(
                "SELECT id, handover_id, key, thumb_key FROM rental_handover_images \
                 WHERE handover_id IN ({}) ORDER BY handover_id, position",
                placeholders(1, ids.len())
            )),
            &ids,
        )
        .fetch_all(&db.read)
        .await?
    };
    Ok(Records {
        extensions,
        handovers,
        images,
        disputes,
    })
}

/// Asks for a new end, unless it overlaps another accepted rental (checked under the item's
/// lock) or an extension is already open (the partial unique index): `None` then says which.
pub enum NewExtension {
    Done(ExtensionRow),
    Overlaps,
    AlreadyOpen,
}

pub async fn insert_extension(
    db: &Db,
    rental: &RentalRow,
    end_at: i64,
    now: i64,
) -> sqlx::Result<NewExtension> {
    let mut tx = db.write.begin().await?;
    lock_item(&mut tx, rental.item_id).await?;
    if overlaps(&mut tx, rental.item_id, rental.start_at, end_at, rental.id).await? {
        return Ok(NewExtension::Overlaps);
    }
    let res = sqlx::query_as(&format!(
        "INSERT INTO rental_extensions (rental_id, end_at, expires_at, status, created_at) \
         VALUES ($1, $2, $3, 'requested', $4) RETURNING {EXT_COLS}"
    ))
    .bind(rental.id)
    .bind(end_at)
    .bind(rental.end_at)
    .bind(now)
    .fetch_one(&mut *tx)
    .await;
    match res {
        Ok(row) => {
            tx.commit().await?;
            Ok(NewExtension::Done(row))
        }
        Err(e) if crate::db::is_conflict(&e) => Ok(NewExtension::AlreadyOpen),
        Err(e) => Err(e),
    }
}

pub async fn extension(db: &Db, rental: i64, id: i64) -> sqlx::Result<Option<ExtensionRow>> {
    sqlx::query_as(&format!(
        "SELECT {EXT_COLS} FROM rental_extensions WHERE id = $1 AND rental_id = $2"
    ))
    .bind(id)
    .bind(rental)
    .fetch_optional(&db.write)
    .await
}

pub enum AcceptExtension {
    Done(Box<(RentalRow, ExtensionRow)>),
    Overlaps,
    NotOpen,
}

/// Accepts an extension: the rental's end and price move in the same transaction as the overlap
/// check, under the item's lock (and PostgreSQL's exclusion constraint), so an extension and a
/// competing accept of an overlapping request cannot both win. Reminders for the new end are
/// armed again.
pub async fn accept_extension(
    db: &Db,
    rental: &RentalRow,
    ext: &ExtensionRow,
    total_price: Option<i64>,
    now: i64,
) -> sqlx::Result<AcceptExtension> {
    let mut tx = db.write.begin().await?;
    lock_item(&mut tx, rental.item_id).await?;
    let decided: Option<ExtensionRow> = sqlx::query_as(&format!(
        "UPDATE rental_extensions SET status = 'accepted', decided_at = $1 \
         WHERE id = $2 AND status = 'requested' RETURNING {EXT_COLS}"
    ))
    .bind(now)
    .bind(ext.id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(decided) = decided else {
        return Ok(AcceptExtension::NotOpen);
    };
    if overlaps(
        &mut tx,
        rental.item_id,
        rental.start_at,
        ext.end_at,
        rental.id,
    )
    .await?
    {
        return Ok(AcceptExtension::Overlaps);
    }
    let res = sqlx::query_as(&format!(
        "UPDATE rentals SET end_at = $1, total_price = $2, return_due_sent = 0, overdue_sent = 0 \
         WHERE id = $3 AND status = 'accepted' AND end_at < $1 RETURNING {COLS}"
    ))
    .bind(ext.end_at)
    .bind(total_price)
    .bind(rental.id)
    .fetch_optional(&mut *tx)
    .await;
    match res {
        Ok(Some(row)) => {
            tx.commit().await?;
            Ok(AcceptExtension::Done(Box::new((row, decided))))
        }
        Ok(None) => Ok(AcceptExtension::NotOpen),
        Err(e) if crate::db::is_conflict(&e) => Ok(AcceptExtension::Overlaps),
        Err(e) => Err(e),
    }
}

/// Moves an open extension to `to` (rejected or cancelled); `None` when it was no longer open.
pub async fn close_extension(
    db: &Db,
    id: i64,
    to: ExtensionStatus,
    now: i64,
) -> sqlx::Result<Option<ExtensionRow>> {
    sqlx::query_as(&format!(
        "UPDATE rental_extensions SET status = $1, decided_at = $2 \
         WHERE id = $3 AND status = 'requested' RETURNING {EXT_COLS}"
    ))
    .bind(to.as_str())
    .bind(now)
    .bind(id)
    .fetch_optional(&db.write)
    .await
}

/// A returned rental needs no extension: its open one is cancelled.
pub async fn cancel_open_extensions(db: &Db, rental: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE rental_extensions SET status = 'cancelled', decided_at = $1 \
         WHERE rental_id = $2 AND status = 'requested'",
    )
    .bind(now)
    .bind(rental)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Claims the extensions nobody answered before the end they would have moved: each expires
/// once, on whichever instance's UPDATE changes it.
pub async fn expire_extensions(db: &Db, now: i64) -> sqlx::Result<Vec<ExtensionRow>> {
    sqlx::query_as(&format!(
        "UPDATE rental_extensions SET status = 'expired', decided_at = $1 \
         WHERE status = 'requested' AND expires_at <= $1 RETURNING {EXT_COLS}"
    ))
    .bind(now)
    .fetch_all(&db.write)
    .await
}

/// Stores a condition record with its images (already in the media store); `None` when this
/// party already recorded this stage.
pub async fn insert_handover(
    db: &Db,
    h: &HandoverRow,
    images: &[(String, String)],
) -> sqlx::Result<Option<HandoverRow>> {
    let mut tx = db.write.begin().await?;
    let res = sqlx::query_as::<_, HandoverRow>(&format!(
        "INSERT INTO rental_handovers (rental_id, stage, author_id, note, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {HANDOVER_COLS}"
    ))
    .bind(h.rental_id)
    .bind(h.stage.as_str())
    .bind(h.author_id)
    .bind(&h.note)
    .bind(h.created_at)
    .fetch_one(&mut *tx)
    .await;
    let row = match res {
        Ok(row) => row,
        Err(e) if crate::db::is_conflict(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    for (i, (key, thumb)) in images.iter().enumerate() {
        sqlx::query(
            "INSERT INTO rental_handover_images (handover_id, position, key, thumb_key) VALUES ($1, $2, $3, $4)",
        )
        .bind(row.id)
        .bind(i as i64)
        .bind(key)
        .bind(thumb)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Some(row))
}

pub async fn handover(db: &Db, rental: i64, id: i64) -> sqlx::Result<Option<HandoverRow>> {
    sqlx::query_as(&format!(
        "SELECT {HANDOVER_COLS} FROM rental_handovers WHERE id = $1 AND rental_id = $2"
    ))
    .bind(id)
    .bind(rental)
    .fetch_optional(&db.write)
    .await
}

/// The other party signs the record; confirming twice keeps the first time.
pub async fn confirm_handover(db: &Db, id: i64, now: i64) -> sqlx::Result<Option<HandoverRow>> {
    sqlx::query_as(&format!(
        "UPDATE rental_handovers SET confirmed_at = COALESCE(confirmed_at, $1) WHERE id = $2 RETURNING {HANDOVER_COLS}"
    ))
    .bind(now)
    .bind(id)
    .fetch_optional(&db.write)
    .await
}

/// Moves the deposit `from` → `to` atomically (`None` when it was no longer in `from`); a
/// withheld deposit opens `dispute` in the same transaction unless one is open already.
pub async fn set_deposit(
    db: &Db,
    rental: i64,
    from: DepositStatus,
    to: DepositStatus,
    note: &str,
    dispute: Option<&DisputeRow>,
) -> sqlx::Result<Option<(RentalRow, Option<DisputeRow>)>> {
    let mut tx = db.write.begin().await?;
    let row: Option<RentalRow> = sqlx::query_as(&format!(
        "UPDATE rentals SET deposit_status = $1, deposit_note = $2 \
         WHERE id = $3 AND deposit_status = $4 AND deposit_amount > 0 RETURNING {COLS}"
    ))
    .bind(to.as_str())
    .bind(note)
    .bind(rental)
    .bind(from.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let opened = match dispute {
        Some(d) => insert_dispute_in(&mut tx, d).await?,
        None => None,
    };
    tx.commit().await?;
    Ok(Some((row, opened)))
}

async fn insert_dispute_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    d: &DisputeRow,
) -> sqlx::Result<Option<DisputeRow>> {
    // A savepoint keeps the transaction usable on PostgreSQL when the unique index refuses.
    sqlx::query("SAVEPOINT dispute").execute(&mut **tx).await?;
    let res = sqlx::query_as::<_, DisputeRow>(&format!(
        "INSERT INTO rental_disputes (rental_id, opened_by, reason, detail, status, created_at) \
         VALUES ($1, $2, $3, $4, 'open', $5) RETURNING {DISPUTE_COLS}"
    ))
    .bind(d.rental_id)
    .bind(d.opened_by)
    .bind(d.reason.as_str())
    .bind(&d.detail)
    .bind(d.created_at)
    .fetch_one(&mut **tx)
    .await;
    match res {
        Ok(row) => {
            sqlx::query("RELEASE SAVEPOINT dispute")
                .execute(&mut **tx)
                .await?;
            Ok(Some(row))
        }
        Err(e) if crate::db::is_conflict(&e) => {
            sqlx::query("ROLLBACK TO SAVEPOINT dispute")
                .execute(&mut **tx)
                .await?;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Opens a dispute; `None` while one is open on the rental (the partial unique index).
pub async fn insert_dispute(db: &Db, d: &DisputeRow) -> sqlx::Result<Option<DisputeRow>> {
    let mut tx = db.write.begin().await?;
    let row = insert_dispute_in(&mut tx, d).await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn dispute(db: &Db, id: i64) -> sqlx::Result<Option<DisputeRow>> {
    sqlx::query_as(&format!(
        "SELECT {DISPUTE_COLS} FROM rental_disputes WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.write)
    .await
}

/// The admins' queue, newest first.
pub async fn disputes(
    db: &Db,
    status: DisputeStatus,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<DisputeRow>, i64)> {
    let rows = sqlx::query_as(&format!(
        "SELECT {DISPUTE_COLS} FROM rental_disputes WHERE status = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(status.as_str())
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.read)
    .await?;
    let total = sqlx::query("SELECT COUNT(*) FROM rental_disputes WHERE status = $1")
        .bind(status.as_str())
        .fetch_one(&db.read)
        .await?
        .try_get(0)?;
    Ok((rows, total))
}

/// Settles an open dispute; `None` when it was already resolved.
pub async fn resolve_dispute(
    db: &Db,
    id: i64,
    resolution: &str,
    by: i64,
    now: i64,
) -> sqlx::Result<Option<DisputeRow>> {
    sqlx::query_as(&format!(
        "UPDATE rental_disputes SET status = 'resolved', resolution = $1, resolved_by = $2, resolved_at = $3 \
         WHERE id = $4 AND status = 'open' RETURNING {DISPUTE_COLS}"
    ))
    .bind(resolution)
    .bind(by)
    .bind(now)
    .bind(id)
    .fetch_optional(&db.write)
    .await
}

/// Rentals by id (the admins' dispute queue shows each one's rental), one query.
pub async fn by_ids(db: &Db, ids: &[i64]) -> sqlx::Result<Vec<RentalRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    bind_ids_as(
        sqlx::query_as(&format!(
            "SELECT {COLS} FROM rentals WHERE id IN ({})",
            placeholders(1, ids.len())
        )),
        ids,
    )
    .fetch_all(&db.read)
    .await
}

// Lending calendar and chart (/me/lending).

/// The rentals `lender` lends whose period meets `[from, to)`, by start, at most `limit`
/// (index `rentals_lender_end`: the lender's rentals ending after `from`).
pub async fn lent_between(
    db: &Db,
    lender: i64,
    from: i64,
    to: i64,
    limit: i64,
) -> sqlx::Result<Vec<RentalRow>> {
    // No period is longer than `MAX_PERIOD_MS` (extensions included), so a rental that starts
    // before `to` ends before `to + MAX_PERIOD_MS`: the index range on (lender, end_at) stays a
    // window however old `from` is, instead of the lender's whole history.
    sqlx::query_as(&format!(
        "SELECT {COLS} FROM rentals WHERE lender_id = $1 AND end_at > $2 AND end_at <= $5 \
         AND start_at < $3 ORDER BY start_at, id LIMIT $4"
    ))
    .bind(lender)
    .bind(from)
    .bind(to)
    .bind(limit)
    .bind(to.saturating_add(super::model::MAX_PERIOD_MS))
    .fetch_all(&db.read)
    .await
}

/// One month of a lender's rentals (by start): all of them, those in `counted`, and the sum of
/// the latter's `total_price` (no price counts 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MonthTotals {
    pub requests: i64,
    pub rentals: i64,
    pub income: i64,
}

/// Totals per month for the rentals of `lender` starting within `bounds` (month starts, ascending:
/// `bounds.len() - 1` months), in one grouped query; index `rentals_lender_end`, bounded by
/// `end_at > bounds[0]` (a period ends after it starts). Index `i` of the result is the month
/// `[bounds[i], bounds[i + 1])`.
pub async fn lent_per_month(
    db: &Db,
    lender: i64,
    bounds: &[i64],
    counted: &[RentalStatus],
) -> sqlx::Result<Vec<MonthTotals>> {
    let months = bounds.len().saturating_sub(1);
    if months == 0 {
        return Ok(Vec::new());
    }
    // $2.. are the bounds; month i is `start_at < bounds[i + 1]` for the first such i.
    let last = bounds.len() + 1;
    let bucket = (1..months)
        .map(|i| format!("WHEN start_at < ${} THEN {}", i + 2, i - 1))
        .collect::<Vec<_>>()
        .join(" ");
    let bucket = if months == 1 {
        "0".to_string()
    } else {
        format!("CASE {bucket} ELSE {} END", months - 1)
    };
    let statuses = placeholders(last + 1, counted.len().max(1));
    let sql = format!(
        "SELECT CAST({bucket} AS BIGINT) AS month, CAST(COUNT(*) AS BIGINT), \
         CAST(SUM(CASE WHEN status IN ({statuses}) THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN status IN ({statuses}) THEN COALESCE(total_price, 0) ELSE 0 END) AS BIGINT) \
         FROM rentals WHERE lender_id = $1 AND end_at > $2 AND start_at >= $2 AND start_at < ${last} \
         GROUP BY month"
    );
    let mut q = sqlx::query(&sql).bind(lender);
    for b in bounds {
        q = q.bind(*b);
    }
    if counted.is_empty() {
        q = q.bind("");
    }
    for s in counted {
        q = q.bind(s.as_str());
    }
    let mut out = vec![MonthTotals::default(); months];
    for r in q.fetch_all(&db.read).await? {
        let i: i64 = r.try_get(0)?;
        if let Some(m) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
            *m = MonthTotals {
                requests: r.try_get(1)?,
                rentals: r.try_get::<Option<i64>, _>(2)?.unwrap_or(0),
                income: r.try_get::<Option<i64>, _>(3)?.unwrap_or(0),
            };
        }
    }
    Ok(out)
}
