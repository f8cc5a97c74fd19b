//! Rental rules: who may request, decide, cancel and return; the calendar; reviews.
use super::model::*;
use super::store::{self, Accept, Insert};
use crate::accounts::service as accounts;
use crate::catalog::model::{Period, PriceUnit, Section};
use crate::catalog::service as catalog;
use std::collections::HashMap;

use crate::accounts::PublicUser;
use crate::catalog::model::Image;
use crate::clock::{opt_ts, Ts, DAY_MS};
use crate::domain::caller::{AuthUser, MaybeUser};
use crate::domain::error::{AppError, AppResult};
use crate::domain::page::{Page, PageReq};
use crate::events::{self, DomainEvent, RentalEvent};
use crate::state::AppState;

/// Price for the period: the item's price per unit times the units started.
pub fn total_price(
    price: Option<i64>,
    unit: Option<PriceUnit>,
    start: i64,
    end: i64,
) -> Option<i64> {
    let (price, unit) = (price?, unit?);
    let units = (end - start + unit.millis() - 1) / unit.millis();
    Some(price.saturating_mul(units.max(1)))
}

/// Rentals as the API renders them, with the `actions` of `viewer` (none for others).
pub async fn to_json(
    state: &AppState,
    rows: &[RentalRow],
    viewer: Option<i64>,
) -> AppResult<Vec<Rental>> {
    let mut out = summaries(state, rows).await?;
    attach_records(state, &mut out).await?;
    if let Some(viewer) = viewer {
        set_actions(state, &mut out, viewer, state.clock.now_ms()).await?;
    }
    Ok(out)
}

/// Rentals with their item and parties only (no records, no actions): what a calendar shows.
async fn summaries(state: &AppState, rows: &[RentalRow]) -> AppResult<Vec<Rental>> {
    let item_ids: Vec<i64> = rows.iter().map(|r| r.item_id).collect();
    let user_ids: Vec<i64> = rows
        .iter()
        .flat_map(|r| [r.lender_id, r.borrower_id])
        .collect();
    let items = catalog::summaries_by_ids(state, &item_ids).await?;
    let users = accounts::public_users(state, &user_ids).await?;
    let now = state.clock.now_ms();
    rows.iter()
        .map(|r| {
            let missing =
                || AppError::Internal(anyhow::anyhow!("rental {} refers to a missing row", r.id));
            Ok(Rental::build(
                r,
                items.get(&r.item_id).cloned().ok_or_else(missing)?,
                users.get(&r.lender_id).cloned().ok_or_else(missing)?,
                users.get(&r.borrower_id).cloned().ok_or_else(missing)?,
                now,
            ))
        })
        .collect()
}

/// Fills each rental's extensions, handovers (with their images) and dispute: one query per
/// kind for the whole list. Handover authors are parties, already in each rental.
async fn attach_records(state: &AppState, rentals: &mut [Rental]) -> AppResult<()> {
    let ids: Vec<i64> = rentals.iter().map(|r| r.id).collect();
    let rec = store::records(&state.db, &ids).await?;
    let mut images: HashMap<i64, Vec<Image>> = HashMap::new();
    for i in &rec.images {
        images.entry(i.handover_id).or_default().push(Image {
            id: i.id,
            url: state.media.url(&i.key),
            thumbnail_url: state.media.url(&i.thumb_key),
        });
    }
    let by_id: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    for e in &rec.extensions {
        rentals[by_id[&e.rental_id]]
            .extensions
            .push(Extension::from(e));
    }
    for h in &rec.handovers {
        let r = &mut rentals[by_id[&h.rental_id]];
        let author = if h.author_id == r.lender.id {
            r.lender.clone()
        } else {
            r.borrower.clone()
        };
        r.handovers
            .push(handover_json(h, author, images.remove(&h.id)));
    }
    // Ordered by id: the last one is the open dispute or the latest resolved one.
    for d in &rec.disputes {
        rentals[by_id[&d.rental_id]].dispute = Some(Dispute::from(d));
    }
    Ok(())
}

fn handover_json(h: &HandoverRow, author: PublicUser, images: Option<Vec<Image>>) -> Handover {
    Handover {
        id: h.id,
        rental_id: h.rental_id,
        stage: h.stage,
        author,
        note: h.note.clone(),
        images: images.unwrap_or_default(),
        created_at: Ts(h.created_at),
        confirmed_at: opt_ts(h.confirmed_at),
    }
}

/// Fills `actions` for `viewer` (one query for which of the returned rentals they reviewed).
async fn set_actions(
    state: &AppState,
    rentals: &mut [Rental],
    viewer: i64,
    now: i64,
) -> AppResult<()> {
    let returned: Vec<i64> = rentals
        .iter()
        .filter(|r| r.status == RentalStatus::Returned)
        .map(|r| r.id)
        .collect();
    let reviewed = reviewed_among(state, viewer, &returned).await?;
    for r in rentals.iter_mut() {
        r.actions = r.actions_for(viewer, now, reviewed.contains(&r.id));
    }
    Ok(())
}

pub async fn one_json(state: &AppState, row: &RentalRow, viewer: Option<i64>) -> AppResult<Rental> {
    Ok(to_json(state, std::slice::from_ref(row), viewer)
        .await?
        .remove(0))
}

/// The rental as each party sees it (their own `actions`), for live frames.
pub async fn for_parties(state: &AppState, row: &RentalRow) -> AppResult<[(i64, Rental); 2]> {
    let base = one_json(state, row, None).await?;
    let now = state.clock.now_ms();
    let mut lender = base.clone();
    set_actions(state, std::slice::from_mut(&mut lender), row.lender_id, now).await?;
    let mut borrower = base;
    set_actions(
        state,
        std::slice::from_mut(&mut borrower),
        row.borrower_id,
        now,
    )
    .await?;
    Ok([(row.lender_id, lender), (row.borrower_id, borrower)])
}

fn period(input: &RentalRequest, now: i64) -> AppResult<(i64, i64)> {
    let (start, end) = (input.start_at.0, input.end_at.0);
    if start <= now {
        return Err(AppError::field("start_at", "시작은 지금 이후여야 해요"));
    }
    if end <= start {
        return Err(AppError::field("end_at", "끝은 시작보다 뒤여야 해요"));
    }
    if end - start > MAX_PERIOD_MS {
        return Err(AppError::field("end_at", "대여 기간은 1년까지예요"));
    }
    Ok((start, end))
}

pub async fn request(
    state: &AppState,
    user: AuthUser,
    item_id: i64,
    input: RentalRequest,
) -> AppResult<Rental> {
    let now = state.clock.now_ms();
    let item = catalog::visible_item(state, Some(user), item_id).await?;
    if item.owner_id == user.id {
        return Err(AppError::Forbidden(
            "내 물품에는 대여 요청을 할 수 없어요".into(),
        ));
    }
    if crate::accounts::blocks::between(state, user.id, item.owner_id).await? {
        return Err(AppError::Forbidden(
            "차단한(또는 나를 차단한) 이웃에게는 대여를 요청할 수 없어요".into(),
        ));
    }
    let (start, end) = period(&input, now)?;
    check_rules(item.min_days, item.max_days, start, end)?;
    if store::has_overdue_as_borrower(&state.db, user.id, now).await? {
        return Err(AppError::Conflict(
            "반납 기한이 지난 대여가 있어요. 먼저 반납한 뒤에 새로 빌릴 수 있어요".into(),
        ));
    }
    let (lender, borrower) = match Section::parse(&item.section) {
        Section::Lend => (item.owner_id, user.id),
        Section::Borrow => (user.id, item.owner_id),
    };
    let row = RentalRow {
        id: 0,
        item_id,
        lender_id: lender,
        borrower_id: borrower,
        requested_by: user.id,
        start_at: start,
        end_at: end,
        total_price: total_price(
            item.price,
            item.price_unit.as_deref().and_then(PriceUnit::parse),
            start,
            end,
        ),
        status: RentalStatus::Requested,
        created_at: now,
        decided_at: None,
        returned_at: None,
        deposit_amount: item.deposit,
        deposit_status: DepositStatus::None,
        deposit_note: String::new(),
    };
    let row = match store::insert(&state.db, &row).await? {
        Insert::Done(r) => r,
        Insert::Overlaps => return Err(AppError::Conflict("이미 예약된 기간과 겹쳐요".into())),
        Insert::AlreadyRequested => {
            return Err(AppError::Conflict(
                "이 물품에 이미 대기 중인 요청이 있어요".into(),
            ))
        }
    };
    events::publish(
        state,
        DomainEvent::rental(RentalEvent::Requested, &row, Some(user.id)),
    )
    .await;
    one_json(state, &row, Some(user.id)).await
}

async fn party_rental(state: &AppState, user: AuthUser, id: i64) -> AppResult<RentalRow> {
    let row = store::get(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !row.is_party(user.id) && !user.is_admin() {
        return Err(AppError::forbidden());
    }
    Ok(row)
}

pub async fn get(state: &AppState, user: AuthUser, id: i64) -> AppResult<Rental> {
    let row = party_rental(state, user, id).await?;
    one_json(state, &row, Some(user.id)).await
}

pub async fn list(
    state: &AppState,
    user: AuthUser,
    filter: RentalFilter,
    page: PageReq,
) -> AppResult<Page<Rental>> {
    let statuses = filter.state.map_or(&[][..], RentalState::statuses);
    let (rows, total) = store::list(
        &state.db,
        user.id,
        filter.role.unwrap_or_default(),
        statuses,
        page.per_page,
        page.offset(),
    )
    .await?;
    Ok(Page::new(
        to_json(state, &rows, Some(user.id)).await?,
        page,
        total,
    ))
}

pub async fn transition(
    state: &AppState,
    user: AuthUser,
    id: i64,
    action: Action,
) -> AppResult<Rental> {
    let row = store::get(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !row.is_party(user.id) {
        return Err(AppError::forbidden());
    }
    let now = state.clock.now_ms();
    let conflict = |what: &str| {
        AppError::Conflict(format!(
            "지금 상태({})에서는 {what}할 수 없어요",
            row.status.as_str()
        ))
    };
    let (updated, event) = match action {
        // Reviewing and the records have routes of their own, not state changes.
        Action::Review
        | Action::Extend
        | Action::HandoverPickup
        | Action::HandoverReturn
        | Action::Deposit
        | Action::Dispute => return Err(AppError::not_found()),
        Action::Accept | Action::Reject => {
            if user.id != row.counterparty() {
                return Err(AppError::Forbidden(
                    "요청을 받은 사람만 결정할 수 있어요".into(),
                ));
            }
            if row.status != RentalStatus::Requested {
                return Err(conflict(if action == Action::Accept {
                    "수락"
                } else {
                    "거절"
                }));
            }
            if action == Action::Accept {
                if row.start_at <= now {
                    return Err(AppError::Conflict(
                        "시작 시각이 지난 요청은 수락할 수 없어요".into(),
                    ));
                }
                match store::accept(&state.db, id, row.item_id, now).await? {
                    Accept::Done(r) => (r, RentalEvent::Accepted),
                    Accept::Overlaps => {
                        return Err(AppError::Conflict("이미 수락된 기간과 겹쳐요".into()))
                    }
                    Accept::NotRequested => return Err(conflict("수락")),
                }
            } else {
                let r = store::transition(
                    &state.db,
                    id,
                    RentalStatus::Requested,
                    RentalStatus::Rejected,
                    now,
                    false,
                )
                .await?
                .ok_or_else(|| conflict("거절"))?;
                (r, RentalEvent::Rejected)
            }
        }
        Action::Cancel => match row.status {
            RentalStatus::Requested => {
                if user.id != row.requested_by {
                    return Err(AppError::Forbidden(
                        "요청한 사람만 요청을 취소할 수 있어요".into(),
                    ));
                }
                let r = store::transition(
                    &state.db,
                    id,
                    RentalStatus::Requested,
                    RentalStatus::Cancelled,
                    now,
                    false,
                )
                .await?
                .ok_or_else(|| conflict("취소"))?;
                (r, RentalEvent::Cancelled)
            }
            RentalStatus::Accepted if row.start_at > now => {
                let r = store::transition(
                    &state.db,
                    id,
                    RentalStatus::Accepted,
                    RentalStatus::Cancelled,
                    now,
                    true,
                )
                .await?
                .ok_or_else(|| conflict("취소"))?;
                // Cancelling what was agreed counts against the canceller's 이웃 온도.
                store::record_cancel(&state.db, id, user.id, now).await?;
                (r, RentalEvent::Cancelled)
            }
            _ => return Err(conflict("취소")),
        },
        Action::Return => {
            if user.id != row.lender_id {
                return Err(AppError::Forbidden(
                    "빌려준 사람만 반납을 확인할 수 있어요".into(),
                ));
            }
            let r = store::transition(
                &state.db,
                id,
                RentalStatus::Accepted,
                RentalStatus::Returned,
                now,
                false,
            )
            .await?
            .ok_or_else(|| conflict("반납 확인"))?;
            store::cancel_open_extensions(&state.db, id, now).await?;
            let in_use = store::item_in_use(&state.db, r.item_id, now).await?;
            catalog::set_rented(state, r.item_id, in_use).await?;
            (r, RentalEvent::Returned)
        }
    };
    events::publish(state, DomainEvent::rental(event, &updated, Some(user.id))).await;
    one_json(state, &updated, Some(user.id)).await
}

pub async fn availability(
    state: &AppState,
    viewer: MaybeUser,
    item_id: i64,
    q: AvailabilityQuery,
) -> AppResult<Vec<Period>> {
    catalog::visible_item(state, viewer.0, item_id).await?;
    let now = state.clock.now_ms();
    let from = q.from.map_or(now, |t| t.0);
    let to = q.to.map_or(from + 180 * DAY_MS, |t| t.0);
    if to <= from {
        return Err(AppError::field("to", "to는 from보다 뒤여야 해요"));
    }
    let rows = store::accepted_between(&state.db, item_id, from, to).await?;
    Ok(rows
        .into_iter()
        .map(|(s, e)| Period {
            start_at: Ts(s),
            end_at: Ts(e),
        })
        .collect())
}

pub async fn booked_from_now(state: &AppState, item_id: i64) -> AppResult<Vec<Period>> {
    let now = state.clock.now_ms();
    let rows = store::accepted_between(&state.db, item_id, now, i64::MAX).await?;
    Ok(rows
        .into_iter()
        .map(|(s, e)| Period {
            start_at: Ts(s),
            end_at: Ts(e),
        })
        .collect())
}

async fn reviews_json(state: &AppState, rows: &[ReviewRow]) -> AppResult<Vec<Review>> {
    reviews_json_as(state, rows, accounts::ProfileRead::Cached).await
}

async fn reviews_json_as(
    state: &AppState,
    rows: &[ReviewRow],
    read: accounts::ProfileRead,
) -> AppResult<Vec<Review>> {
    let ids: Vec<i64> = rows
        .iter()
        .flat_map(|r| [r.author_id, r.subject_id])
        .collect();
    let users = accounts::public_users_as(state, &ids, read).await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some(Review {
                id: r.id,
                rental_id: r.rental_id,
                item_id: r.item_id,
                author: users.get(&r.author_id)?.clone(),
                subject: users.get(&r.subject_id)?.clone(),
                rating: r.rating,
                content: r.content.clone(),
                created_at: Ts(r.created_at),
            })
        })
        .collect())
}

pub async fn review(
    state: &AppState,
    user: AuthUser,
    id: i64,
    input: ReviewInput,
) -> AppResult<Review> {
    let row = store::get(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !row.is_party(user.id) {
        return Err(AppError::forbidden());
    }
    let mut p = crate::domain::error::Problems::default();
    p.check((1..=5).contains(&input.rating), "rating", "별점은 1–5예요");
    let content = p.text(
        "content",
        &input.content,
        0,
        REVIEW_MAX,
        "후기는 300자까지 쓸 수 있어요",
    );
    p.finish()?;
    if row.status != RentalStatus::Returned {
        return Err(AppError::Conflict(
            "반납이 끝난 대여에만 후기를 쓸 수 있어요".into(),
        ));
    }
    let now = state.clock.now_ms();
    let returned = row.returned_at.unwrap_or(now);
    let review = ReviewRow {
        id: 0,
        rental_id: id,
        item_id: row.item_id,
        author_id: user.id,
        subject_id: row.other(user.id),
        rating: input.rating,
        content,
        created_at: now,
        visible_at: returned + REVIEW_HIDDEN_FOR_MS,
    };
    let saved = store::insert_review(&state.db, &review)
        .await?
        .ok_or_else(|| AppError::Conflict("이미 후기를 썼어요".into()))?;
    events::publish(
        state,
        DomainEvent::rental(RentalEvent::Reviewed, &row, Some(user.id)),
    )
    .await;
    Ok(reviews_json(state, std::slice::from_ref(&saved))
        .await?
        .remove(0))
}

pub async fn reviews_of_user(
    state: &AppState,
    user_id: i64,
    viewer: Option<AuthUser>,
    page: PageReq,
) -> AppResult<Page<Review>> {
    accounts::public_user(state, user_id).await?;
    let (rows, total) = store::reviews_about_user(
        &state.db,
        user_id,
        viewer.map_or(0, |v| v.id),
        state.clock.now_ms(),
        page.per_page,
        page.offset(),
    )
    .await?;
    Ok(Page::new(reviews_json(state, &rows).await?, page, total))
}

pub async fn reviews_of_item(
    state: &AppState,
    item_id: i64,
    viewer: Option<AuthUser>,
) -> AppResult<Vec<Review>> {
    let rows = store::reviews_about_item(
        &state.db,
        item_id,
        viewer.map_or(0, |v| v.id),
        state.clock.now_ms(),
    )
    .await?;
    // For item pages, which are kept longer than the profiles' cache.
    reviews_json_as(state, &rows, accounts::ProfileRead::Fresh).await
}

/// When an item page next changes with time alone: a review on the item, or about its owner,
/// becoming visible.
pub async fn next_review_visible(
    state: &AppState,
    item_id: i64,
    owner: i64,
) -> AppResult<Option<i64>> {
    Ok(store::next_review_visible(&state.db, item_id, owner, state.clock.now_ms()).await?)
}

/// Visible review counts and rating sums received by each of these users (profiles' score).
pub async fn review_stats(
    state: &AppState,
    users: &[i64],
) -> AppResult<std::collections::HashMap<i64, crate::accounts::model::ReviewStats>> {
    Ok(store::review_stats(&state.db, users, state.clock.now_ms()).await?)
}

/// The items on which `user` has a review only they can see (item pages read fresh then).
pub async fn hidden_review_items(state: &AppState, user: i64) -> AppResult<Vec<i64>> {
    Ok(store::hidden_review_items(&state.db, user, state.clock.now_ms()).await?)
}

/// The rentals among `ids` that `user` has already reviewed, in one query (lists of rentals).
pub async fn reviewed_among(
    state: &AppState,
    user: i64,
    ids: &[i64],
) -> AppResult<std::collections::HashSet<i64>> {
    Ok(store::reviewed_among(&state.db, user, ids)
        .await?
        .into_iter()
        .collect())
}

/// Rental facts for catalog and accounts (see `domain::ports`).
pub struct Facts;

impl crate::domain::ports::RentalFacts for Facts {
    fn booked_from_now<'a>(
        &'a self,
        state: &'a AppState,
        item: i64,
    ) -> futures_util::future::BoxFuture<'a, AppResult<Vec<Period>>> {
        Box::pin(booked_from_now(state, item))
    }

    fn reviews_of_item<'a>(
        &'a self,
        state: &'a AppState,
        item: i64,
        viewer: Option<AuthUser>,
    ) -> futures_util::future::BoxFuture<'a, AppResult<Vec<Review>>> {
        Box::pin(reviews_of_item(state, item, viewer))
    }

    fn hidden_review_items<'a>(
        &'a self,
        state: &'a AppState,
        user: i64,
    ) -> futures_util::future::BoxFuture<'a, AppResult<Vec<i64>>> {
        Box::pin(hidden_review_items(state, user))
    }

    fn next_review_visible<'a>(
        &'a self,
        state: &'a AppState,
        item: i64,
        owner: i64,
    ) -> futures_util::future::BoxFuture<'a, AppResult<Option<i64>>> {
        Box::pin(next_review_visible(state, item, owner))
    }

    fn review_stats<'a>(
        &'a self,
        state: &'a AppState,
        users: &'a [i64],
    ) -> futures_util::future::BoxFuture<
        'a,
        AppResult<std::collections::HashMap<i64, crate::accounts::model::ReviewStats>>,
    > {
        Box::pin(review_stats(state, users))
    }
}

/// A period's length in days: the number of started 24-hour spans.
pub fn days(start: i64, end: i64) -> i64 {
    (end - start + DAY_MS - 1).div_euclid(DAY_MS)
}

/// An item's borrowing rules against a period: 400 naming `min_days` or `max_days`.
fn check_rules(min: Option<i64>, max: Option<i64>, start: i64, end: i64) -> AppResult<()> {
    let n = days(start, end);
    if let Some(min) = min.filter(|m| n < *m) {
        return Err(AppError::field(
            "min_days",
            format!("이 물건은 {min}일 이상 빌려야 해요 (요청: {n}일)"),
        ));
    }
    if let Some(max) = max.filter(|m| n > *m) {
        return Err(AppError::field(
            "max_days",
            format!("이 물건은 {max}일까지만 빌릴 수 있어요 (요청: {n}일)"),
        ));
    }
    Ok(())
}

/// The rental facts that move a user's 이웃 온도 (see `accounts::trust`).
pub async fn trust_events(
    state: &AppState,
    user: i64,
) -> AppResult<Vec<crate::accounts::trust::Dated>> {
    use crate::accounts::trust::{Dated, TrustEvent};
    let inputs = store::trust_inputs(&state.db, user, state.clock.now_ms()).await?;
    let mut out = Vec::new();
    for (stars, at) in inputs.reviews {
        out.push(Dated {
            at,
            event: TrustEvent::Review { stars },
        });
    }
    for (returned_at, end_at) in inputs.returns {
        out.push(Dated {
            at: returned_at,
            event: if returned_at <= end_at {
                TrustEvent::ReturnedOnTime
            } else {
                TrustEvent::ReturnedLate
            },
        });
    }
    for at in inputs.cancels {
        out.push(Dated {
            at,
            event: TrustEvent::CancelledAccepted,
        });
    }
    Ok(out)
}

/// Users whose received reviews became visible by time passing in `(after, until]`.
pub async fn reviews_newly_visible(
    state: &AppState,
    after: i64,
    until: i64,
) -> AppResult<Vec<i64>> {
    Ok(store::review_subjects_visible_between(&state.db, after, until).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_counts_its_started_days_and_the_rules_name_their_field() {
        assert_eq!(days(0, DAY_MS), 1);
        assert_eq!(days(0, DAY_MS + 1), 2);
        assert_eq!(days(0, 1), 1);
        assert_eq!(days(0, 3 * DAY_MS), 3);
        assert!(check_rules(Some(2), Some(5), 0, 2 * DAY_MS).is_ok());
        assert!(check_rules(None, None, 0, 400 * DAY_MS).is_ok());
        let short = check_rules(Some(2), None, 0, DAY_MS).unwrap_err();
        assert!(
            matches!(short, AppError::Validation { ref fields, .. } if fields.contains_key("min_days"))
        );
        let long = check_rules(None, Some(5), 0, 5 * DAY_MS + 1).unwrap_err();
        assert!(
            matches!(long, AppError::Validation { ref fields, .. } if fields.contains_key("max_days"))
        );
    }
}

// Extensions, handover records, the deposit and disputes (issue #15). Each checks its rule with
// `Rental::check` (the same function `actions` shows), then changes the row with a statement
// that re-checks the state, so a race loses with a 409 instead of slipping through.

/// The rental's row: 404 when it does not exist, 403 unless `user` is a party.
pub async fn party_of(state: &AppState, user: AuthUser, id: i64) -> AppResult<RentalRow> {
    let row = store::get(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !row.is_party(user.id) {
        return Err(AppError::Forbidden("이 대여의 당사자가 아니에요".into()));
    }
    Ok(row)
}

/// The rental as `user` sees it (with their `actions`): 404 / 403 as `party_of`.
async fn party_view(state: &AppState, user: AuthUser, id: i64) -> AppResult<(RentalRow, Rental)> {
    let row = party_of(state, user, id).await?;
    let view = one_json(state, &row, Some(user.id)).await?;
    Ok((row, view))
}

pub async fn request_extension(
    state: &AppState,
    user: AuthUser,
    id: i64,
    input: ExtensionInput,
) -> AppResult<Extension> {
    let (row, view) = party_view(state, user, id).await?;
    let now = state.clock.now_ms();
    view.check(user.id, now, Action::Extend)?;
    let end = input.end_at.0;
    if end <= row.end_at {
        return Err(AppError::field(
            "end_at",
            "새 반납 시각은 지금 반납 시각보다 뒤여야 해요",
        ));
    }
    if end - row.start_at > MAX_PERIOD_MS {
        return Err(AppError::field("end_at", "대여 기간은 1년까지예요"));
    }
    if let Some(item) = catalog::item_row(state, row.item_id).await? {
        check_rules(None, item.max_days, row.start_at, end)?;
    }
    let ext = match store::insert_extension(&state.db, &row, end, now).await? {
        store::NewExtension::Done(e) => e,
        store::NewExtension::Overlaps => {
            return Err(AppError::Conflict("늘린 기간이 다른 예약과 겹쳐요".into()))
        }
        store::NewExtension::AlreadyOpen => {
            return Err(AppError::Conflict(
                "답을 기다리는 연장 요청이 이미 있어요".into(),
            ))
        }
    };
    events::publish(
        state,
        DomainEvent::rental(RentalEvent::ExtensionRequested, &row, Some(user.id)),
    )
    .await;
    Ok(Extension::from(&ext))
}

pub use super::model::ExtensionDecision;

pub async fn decide_extension(
    state: &AppState,
    user: AuthUser,
    id: i64,
    ext_id: i64,
    decision: ExtensionDecision,
) -> AppResult<Extension> {
    let row = party_of(state, user, id).await?;
    let ext = store::extension(&state.db, id, ext_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let now = state.clock.now_ms();
    let rental_open = row.status == RentalStatus::Accepted && now < row.end_at;
    let ext_open = ext.status == ExtensionStatus::Requested;
    decision.check(
        user.id,
        row.lender_id,
        row.borrower_id,
        ext_open,
        rental_open,
    )?;
    let closed = || decision.closed();
    let (ext, rental, event) = match decision {
        ExtensionDecision::Accept => {
            let item = catalog::item_row(state, row.item_id)
                .await?
                .ok_or_else(AppError::not_found)?;
            let price = total_price(
                item.price,
                item.price_unit.as_deref().and_then(PriceUnit::parse),
                row.start_at,
                ext.end_at,
            );
            match store::accept_extension(&state.db, &row, &ext, price, now).await? {
                store::AcceptExtension::Done(done) => {
                    let (r, e) = *done;
                    (e, r, Some(RentalEvent::ExtensionAccepted))
                }
                store::AcceptExtension::Overlaps => {
                    return Err(AppError::Conflict("늘린 기간이 다른 예약과 겹쳐요".into()))
                }
                store::AcceptExtension::NotOpen => return Err(closed()),
            }
        }
        ExtensionDecision::Reject | ExtensionDecision::Cancel => {
            let (to, event) = if decision == ExtensionDecision::Reject {
                (
                    ExtensionStatus::Rejected,
                    Some(RentalEvent::ExtensionRejected),
                )
            } else {
                (ExtensionStatus::Cancelled, None)
            };
            let e = store::close_extension(&state.db, ext.id, to, now)
                .await?
                .ok_or_else(closed)?;
            (e, row, event)
        }
    };
    match event {
        Some(event) => {
            events::publish(state, DomainEvent::rental(event, &rental, Some(user.id))).await
        }
        // A withdrawn request needs no notification; the pages still update live.
        None => events::push_rental(state, &rental).await,
    }
    Ok(Extension::from(&ext))
}

/// Extensions nobody answered before the end they would have moved (the scheduler).
pub async fn expire_extensions(state: &AppState) -> AppResult<usize> {
    let expired = store::expire_extensions(&state.db, state.clock.now_ms()).await?;
    let ids: Vec<i64> = expired.iter().map(|e| e.rental_id).collect();
    // Their rentals in one query, not one per expired extension.
    for row in store::by_ids(&state.db, &ids).await? {
        events::push_rental(state, &row).await;
    }
    Ok(expired.len())
}

/// A condition record: `files` are the uploaded photos (1–6), processed like item images
/// (re-encoded without metadata, with thumbnails).
pub async fn record_handover(
    state: &AppState,
    user: AuthUser,
    id: i64,
    stage: Option<&str>,
    note: Option<&str>,
    files: Vec<Vec<u8>>,
) -> AppResult<Handover> {
    let (row, view) = party_view(state, user, id).await?;
    let mut p = crate::domain::error::Problems::default();
    let stage = match stage.map(HandoverStage::parse) {
        Some(Some(s)) => Some(s),
        Some(None) => {
            p.add("stage", "pickup 또는 return이어야 해요");
            None
        }
        None => {
            p.add("stage", "required");
            None
        }
    };
    let note = p.text(
        "note",
        note.unwrap_or(""),
        0,
        HANDOVER_NOTE_MAX,
        "메모는 500자까지 쓸 수 있어요",
    );
    p.check(
        (1..=HANDOVER_IMAGES_MAX).contains(&files.len()),
        "image",
        "사진을 1–6장 올려 주세요",
    );
    p.finish()?;
    let stage = stage.expect("checked above");
    let now = state.clock.now_ms();
    view.may_record(user.id, now, stage)?;
    let keys = state.media.store_photos("handovers", files).await?;
    let new = HandoverRow {
        id: 0,
        rental_id: id,
        stage,
        author_id: user.id,
        note,
        created_at: now,
        confirmed_at: None,
    };
    let Some(saved) = store::insert_handover(&state.db, &new, &keys).await? else {
        // Another upload of the same record won the race: its files stay, ours go.
        for (k, t) in &keys {
            state.media.delete(k).await;
            state.media.delete(t).await;
        }
        return Err(AppError::Conflict("이 단계의 기록을 이미 남겼어요".into()));
    };
    events::publish(
        state,
        DomainEvent::rental(RentalEvent::HandoverRecorded, &row, Some(user.id)),
    )
    .await;
    let author = if user.id == view.lender.id {
        view.lender
    } else {
        view.borrower
    };
    let out = one_json(state, &row, Some(user.id)).await?;
    let found = out.handovers.into_iter().find(|h| h.id == saved.id);
    Ok(found.unwrap_or_else(|| handover_json(&saved, author, None)))
}

pub async fn confirm_handover(
    state: &AppState,
    user: AuthUser,
    id: i64,
    handover_id: i64,
) -> AppResult<Handover> {
    let row = party_of(state, user, id).await?;
    let h = store::handover(&state.db, id, handover_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if h.author_id == user.id {
        return Err(AppError::Forbidden("내 기록은 상대방이 확인해요".into()));
    }
    let first = h.confirmed_at.is_none();
    store::confirm_handover(&state.db, h.id, state.clock.now_ms())
        .await?
        .ok_or_else(AppError::not_found)?;
    if first {
        events::push_rental(state, &row).await;
    }
    let out = one_json(state, &row, Some(user.id)).await?;
    let found = out.handovers.into_iter().find(|h| h.id == handover_id);
    found.ok_or_else(AppError::not_found)
}

pub async fn deposit(
    state: &AppState,
    user: AuthUser,
    id: i64,
    input: DepositInput,
) -> AppResult<Rental> {
    let (row, view) = party_view(state, user, id).await?;
    let note = input.note.unwrap_or_default();
    let mut p = crate::domain::error::Problems::default();
    let note = p.text(
        "note",
        &note,
        usize::from(input.action == DepositAction::Withheld),
        DEPOSIT_NOTE_MAX,
        "보류 이유를 500자 안으로 적어 주세요",
    );
    p.finish()?;
    view.check_deposit(user.id, input.action)?;
    let now = state.clock.now_ms();
    let (from, to) = match input.action {
        DepositAction::Held => (DepositStatus::None, DepositStatus::Held),
        DepositAction::Returned => (DepositStatus::Held, DepositStatus::Returned),
        DepositAction::Withheld => (DepositStatus::Held, DepositStatus::Withheld),
    };
    let dispute = (input.action == DepositAction::Withheld)
        .then(|| DisputeRow::open(id, user.id, DisputeReason::Deposit, note.clone(), now));
    let note = if input.action == DepositAction::Withheld {
        note
    } else {
        row.deposit_note.clone()
    };
    let (updated, opened) = store::set_deposit(&state.db, id, from, to, &note, dispute.as_ref())
        .await?
        .ok_or_else(|| AppError::Conflict("보증금 상태가 바뀌었어요. 새로 고쳐 주세요".into()))?;
    events::publish(
        state,
        DomainEvent::rental(RentalEvent::DepositUpdated, &updated, Some(user.id)),
    )
    .await;
    if opened.is_some() {
        events::publish(
            state,
            DomainEvent::rental(RentalEvent::DisputeOpened, &updated, Some(user.id)),
        )
        .await;
    }
    one_json(state, &updated, Some(user.id)).await
}

pub async fn open_dispute(
    state: &AppState,
    user: AuthUser,
    id: i64,
    input: DisputeInput,
) -> AppResult<Dispute> {
    let (row, view) = party_view(state, user, id).await?;
    let mut p = crate::domain::error::Problems::default();
    let detail = p.text(
        "detail",
        &input.detail,
        0,
        DISPUTE_DETAIL_MAX,
        "내용은 1000자까지 쓸 수 있어요",
    );
    p.finish()?;
    let now = state.clock.now_ms();
    view.check(user.id, now, Action::Dispute)?;
    let new = DisputeRow::open(id, user.id, input.reason, detail, now);
    let saved = store::insert_dispute(&state.db, &new)
        .await?
        .ok_or_else(|| AppError::Conflict("이미 진행 중인 분쟁이 있어요".into()))?;
    events::publish(
        state,
        DomainEvent::rental(RentalEvent::DisputeOpened, &row, Some(user.id)),
    )
    .await;
    Ok(Dispute::from(&saved))
}

fn admin_only(user: AuthUser) -> AppResult<()> {
    if user.is_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden("관리자만 할 수 있어요".into()))
    }
}

/// A dispute in the admins' queue, with its rental (parties, item, deposit, records).
pub async fn admin_disputes(
    state: &AppState,
    user: AuthUser,
    status: DisputeStatus,
    page: PageReq,
) -> AppResult<Page<Dispute>> {
    admin_only(user)?;
    let (rows, total) = store::disputes(&state.db, status, page.per_page, page.offset()).await?;
    Ok(Page::new(
        rows.iter().map(Dispute::from).collect(),
        page,
        total,
    ))
}

/// The rentals of these disputes, as an admin sees them (the admin page).
pub async fn rentals_of(state: &AppState, user: AuthUser, ids: &[i64]) -> AppResult<Vec<Rental>> {
    admin_only(user)?;
    let rows = store::by_ids(&state.db, ids).await?;
    to_json(state, &rows, None).await
}

pub async fn resolve_dispute(
    state: &AppState,
    user: AuthUser,
    id: i64,
    input: ResolutionInput,
) -> AppResult<Dispute> {
    admin_only(user)?;
    let mut p = crate::domain::error::Problems::default();
    let resolution = p.text(
        "resolution",
        &input.resolution,
        1,
        RESOLUTION_MAX,
        "처리 내용을 1–1000자로 적어 주세요",
    );
    p.finish()?;
    let d = store::dispute(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if d.status != DisputeStatus::Open {
        return Err(AppError::Conflict("이미 처리된 분쟁이에요".into()));
    }
    let saved = store::resolve_dispute(&state.db, id, &resolution, user.id, state.clock.now_ms())
        .await?
        .ok_or_else(|| AppError::Conflict("이미 처리된 분쟁이에요".into()))?;
    if let Some(row) = store::get(&state.db, d.rental_id).await? {
        events::publish(
            state,
            DomainEvent::rental(RentalEvent::DisputeResolved, &row, None),
        )
        .await;
    }
    Ok(Dispute::from(&saved))
}

// Lending calendar and chart.

/// A calendar month in Korean time: the months of the lender's calendar and chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct YearMonth {
    pub year: i32,
    /// 1–12.
    pub month: u8,
}

impl YearMonth {
    /// The month an instant falls in, in Korean time.
    pub fn of(ms: i64) -> YearMonth {
        let t = crate::clock::kst(ms);
        YearMonth {
            year: t.year(),
            month: u8::from(t.month()),
        }
    }

    /// `2025-03`; `None` for anything else or a year outside 2000–2100.
    pub fn parse(s: &str) -> Option<YearMonth> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let (year, month) = (y.parse::<i32>().ok()?, m.parse::<u8>().ok()?);
        ((2000..=2100).contains(&year) && (1..=12).contains(&month))
            .then_some(YearMonth { year, month })
    }

    /// The month `n` months later (earlier when negative).
    pub fn plus(self, n: i32) -> YearMonth {
        let index = self.year * 12 + i32::from(self.month) - 1 + n;
        YearMonth {
            year: index.div_euclid(12),
            month: (index.rem_euclid(12) + 1) as u8,
        }
    }

    /// Its first instant (00:00 of the 1st, Korean time), in epoch milliseconds.
    pub fn start_ms(self) -> i64 {
        let month = time::Month::try_from(self.month).unwrap_or(time::Month::January);
        let date = time::Date::from_calendar_date(self.year, month, 1).unwrap_or(time::Date::MIN);
        date.midnight().assume_utc().unix_timestamp() * 1000 - crate::clock::KST_MS
    }

    /// `2025-03`, as `parse` reads it.
    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

/// At most this many rentals on the lender's calendar at once.
pub const LENDING_CALENDAR_MAX: usize = 300;

/// The rentals `user` lends whose period meets the `months` months from `first`, by start, and
/// whether there were more than `LENDING_CALENDAR_MAX`.
pub async fn lent_in_months(
    state: &AppState,
    user: AuthUser,
    first: YearMonth,
    months: i32,
) -> AppResult<(Vec<Rental>, bool)> {
    let mut rows = store::lent_between(
        &state.db,
        user.id,
        first.start_ms(),
        first.plus(months.max(1)).start_ms(),
        LENDING_CALENDAR_MAX as i64 + 1,
    )
    .await?;
    let more = rows.len() > LENDING_CALENDAR_MAX;
    rows.truncate(LENDING_CALENDAR_MAX);
    Ok((summaries(state, &rows).await?, more))
}

/// The rentals that count as lent out (and earn) in the chart: those accepted or returned. The
/// others (requested, rejected, cancelled, expired) never happened.
pub const LENT_OUT: [RentalStatus; 2] = [RentalStatus::Accepted, RentalStatus::Returned];

/// One month of the lender's chart, by the month each period starts in (Korean time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonthStat {
    pub month: YearMonth,
    /// Every rental (any status) starting in the month.
    pub requests: i64,
    /// Those in `LENT_OUT`.
    pub rentals: i64,
    /// Their `total_price` added up (no price counts 0).
    pub income: i64,
}

/// The `n` months up to and including `last` of the rentals `user` lends, oldest first, in one
/// query.
pub async fn lent_per_month(
    state: &AppState,
    user: AuthUser,
    last: YearMonth,
    n: i32,
) -> AppResult<Vec<MonthStat>> {
    let n = n.max(1);
    let first = last.plus(1 - n);
    let bounds: Vec<i64> = (0..=n).map(|i| first.plus(i).start_ms()).collect();
    let totals = store::lent_per_month(&state.db, user.id, &bounds, &LENT_OUT).await?;
    Ok(totals
        .into_iter()
        .zip(0..)
        .map(|(t, i)| MonthStat {
            month: first.plus(i),
            requests: t.requests,
            rentals: t.rentals,
            income: t.income,
        })
        .collect())
}

#[cfg(test)]
mod lending_tests {
    use super::*;

    #[test]
    fn months_are_korean_calendar_months() {
        let m = YearMonth::parse("2025-03").unwrap();
        assert_eq!(
            m,
            YearMonth {
                year: 2025,
                month: 3
            }
        );
        // 2025-03-01 00:00 KST is 2025-02-28 15:00 UTC.
        assert_eq!(m.start_ms(), 1_740_754_800_000);
        assert_eq!(YearMonth::of(m.start_ms()), m);
        assert_eq!(YearMonth::of(m.start_ms() - 1).key(), "2025-02");
        assert_eq!(m.plus(10).key(), "2026-01");
        assert_eq!(m.plus(-3).key(), "2024-12");
        assert_eq!(m.plus(-15).key(), "2023-12");
        assert_eq!(m.plus(0), m);
        for bad in [
            "2025-3",
            "2025-13",
            "2025-00",
            "1999-01",
            "abcd-ef",
            "",
            "2025-03-01",
        ] {
            assert_eq!(YearMonth::parse(bad), None, "{bad}");
        }
    }
}
