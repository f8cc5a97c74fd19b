//! Catalog rules: who sees and edits which item, what a listing may ask for.
use std::collections::HashMap;

use super::cache::{PageStamp, SharedDetail, UserMarks, ViewerMarks, MARKED_MAX};
use super::index;
use super::model::*;
use super::store;
use crate::accounts::service as accounts;
use crate::clock::Ts;
use crate::db::LimitedReadError;
use crate::domain::caller::AuthUser;
use crate::domain::error::Problems;
use crate::domain::error::{AppError, AppResult};
use crate::domain::page::{Bounded, Page, PageReq};
use crate::state::AppState;

/// Longest search text (`q`): 8 words of up to 40 characters are searched, anything longer is
/// not a search.
const Q_MAX_CHARS: usize = 200;

const TITLE_RULE: &str = "제목은 2–40자로 써 주세요";
const DESCRIPTION_RULE: &str = "설명은 2000자까지 쓸 수 있어요";

pub async fn categories(state: &AppState) -> AppResult<Vec<Category>> {
    Ok(categories_cached(state).await?.to_vec())
}

/// The category list, micro-cached: every filtered listing resolves its category through it.
async fn categories_cached(state: &AppState) -> AppResult<std::sync::Arc<[Category]>> {
    let now = state.clock.now_ms();
    let generation = state.writes.current();
    if let Some(all) = state.cache.categories.get(&(), generation, now) {
        return Ok(all);
    }
    let all: std::sync::Arc<[Category]> = store::categories(&state.db).await?.into();
    state.cache.categories.put((), generation, now, all.clone());
    Ok(all)
}

pub fn summary(state: &AppState, r: &ItemRow) -> ItemSummary {
    ItemSummary {
        id: r.id,
        section: Section::parse(&r.section),
        title: r.title.clone(),
        price: r.price,
        price_unit: r.price_unit.as_deref().and_then(PriceUnit::parse),
        deposit: r.deposit,
        category: Category {
            id: r.category_id,
            slug: r.category_slug.clone(),
            name: r.category_name.clone(),
        },
        region: state
            .regions
            .reference(Some(&r.region_code))
            .unwrap_or_else(|| crate::regions::RegionRef {
                code: r.region_code.clone(),
                name: String::new(),
            }),
        thumbnail_url: r.thumb_key.as_deref().map(|k| state.media.url(k)),
        status: r.status(),
        bookmark_count: r.bookmark_count,
        chat_count: r.chat_count,
        created_at: Ts(r.created_at),
        owner_id: r.owner_id,
        owner_verified: None,
    }
}

fn may_see(r: &ItemRow, viewer: Option<AuthUser>) -> bool {
    let privileged = viewer.is_some_and(|v| v.id == r.owner_id || v.is_admin());
    privileged || (r.hidden == 0 && r.listed != 0)
}

/// The item if the viewer may see it; hidden, unlisted and deleted items are 404 to others.
pub async fn visible_item(
    state: &AppState,
    viewer: Option<AuthUser>,
    id: i64,
) -> AppResult<ItemRow> {
    match store::item(&state.db, id).await? {
        Some(r) if may_see(&r, viewer) => Ok(r),
        _ => Err(AppError::not_found()),
    }
}

/// The item if `user` owns it: 404 when unseen, 403 when seen but not theirs.
async fn owned_item(state: &AppState, user: AuthUser, id: i64) -> AppResult<ItemRow> {
    let r = visible_item(state, Some(user), id).await?;
    if r.owner_id != user.id {
        return Err(AppError::forbidden());
    }
    Ok(r)
}

/// Summaries for items referenced elsewhere (rooms, rentals), keyed by id; deleted ones included.
pub async fn summaries_by_ids(
    state: &AppState,
    ids: &[i64],
) -> AppResult<HashMap<i64, ItemSummary>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let rows = store::items_by_ids(&state.db, &ids).await?;
    Ok(rows.iter().map(|r| (r.id, summary(state, r))).collect())
}

pub async fn item_row(state: &AppState, id: i64) -> AppResult<Option<ItemRow>> {
    Ok(store::item(&state.db, id).await?)
}

pub async fn list(
    state: &AppState,
    viewer: Option<AuthUser>,
    filter: &ItemFilter,
    page: PageReq,
) -> AppResult<Page<ItemSummary>> {
    let q = list_query(state, viewer, filter, page).await?;
    let (rows, total, exact) = match indexed_list(state, &q) {
        Some(found) => found,
        None => run_list(state, q).await?,
    };
    // The owners' 동네 badges: their profiles, micro-cached, in at most one query per page.
    let owners: Vec<i64> = rows.iter().map(|r| r.owner_id).collect();
    let profiles = accounts::public_users(state, &owners).await?;
    let items = rows
        .iter()
        .map(|r| {
            let mut s = summary(state, r);
            s.owner_verified = Some(profiles.get(&r.owner_id).is_some_and(|u| u.region_verified));
            s
        })
        .collect();
    Ok(Page::counted(items, page, total, exact))
}

/// The listing from the in-memory index when it serves it and is fresh (see `catalog::index`);
/// a rebuild starts in the background when one is due.
fn indexed_list(state: &AppState, q: &ListQuery) -> Option<(Vec<ItemRow>, i64, bool)> {
    if !state.config.listing_index || !index::serves(q) {
        return None;
    }
    let lookup = state
        .cache
        .index
        .lookup(state.writes.current(), state.clock.now_ms());
    if lookup.refresh {
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(e) = refresh_index(&state).await {
                tracing::warn!(error = %e, "listing index rebuild failed");
            }
        });
    }
    let found = lookup.snapshot.and_then(|s| s.list(q));
    state.cache.index.count(found.is_some());
    let found = found?;
    let (total, exact) = listing_total(found.matched, found.blocked);
    Some((found.rows, total, exact))
}

/// Refreshes the listing index, unless a refresh is running or the last one ended too recently
/// (then `false`). Reads the catalog version: unchanged since the snapshot was made, the snapshot
/// answers for the current generation again; changed, every available item is read (one
/// statement) and a new snapshot is built off the async runtime.
pub async fn refresh_index(state: &AppState) -> AppResult<bool> {
    let Some(refresh) = state.cache.index.begin() else {
        return Ok(false);
    };
    // The generation, then the version, then the rows: a write that commits after any of them
    // moves the generation or the version again, so the next refresh sees it.
    let (generation, now) = (state.writes.current(), state.clock.now_ms());
    let version = store::catalog_version(&state.db).await?;
    if let Some(current) = state.cache.index.current() {
        if current.version() == version {
            current.confirm(generation, now);
            return Ok(true);
        }
    }
    let started = std::time::Instant::now();
    let rows = store::available_items(&state.db).await?;
    let read = started.elapsed();
    let snapshot =
        tokio::task::spawn_blocking(move || index::Snapshot::build(rows, generation, version, now))
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
    tracing::debug!(
        items = snapshot.len(),
        read_ms = read.as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        "listing index rebuilt"
    );
    refresh.finish(snapshot);
    Ok(true)
}

/// What a listing costs the database, whatever the page size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListCost {
    /// An index gives the page and the count directly.
    Cheap,
    /// The query scans or sorts many rows (100–300 ms each over 10k items on SQLite).
    Slow,
}

/// Offsets from here on read and skip that many rows first.
const DEEP_OFFSET: i64 = 1_000;

/// Classifies a listing by the plans of `store::list` (see BENCHMARKS.md, query plans). Every
/// filter and sort is read through an index and a page reads a bounded number of rows (the
/// count stops at `COUNT_UP_TO`, and a listing with more matches walks its sort's index), except
/// for words: their index gives every item that has them, and those are read to be re-checked and
/// sorted.
pub fn list_cost(q: &ListQuery) -> ListCost {
    // One owner's items are few, and their index bounds whatever else is asked.
    if q.owner_id.is_some() {
        return ListCost::Cheap;
    }
    if !q.words.is_empty() || q.offset >= DEEP_OFFSET {
        ListCost::Slow
    } else {
        ListCost::Cheap
    }
}

/// How long a slow listing waits for one of the slow family's permits before answering 503.
const SLOW_PERMIT_WAIT: std::time::Duration = std::time::Duration::from_millis(1_000);

/// Runs the listing SQL. Slow listings share a few permits (fewer than the reader connections),
/// so a flood of them cannot hold every reader and starve item pages, profiles and chats; every
/// listing statement is bounded by `statement_timeout_ms`. Both refusals are 503 + Retry-After.
async fn run_list(state: &AppState, q: ListQuery) -> AppResult<(Vec<ItemRow>, i64, bool)> {
    // Counts are shared by every sort, page and viewer of the same matches, and stay valid until
    // a write changes which items match; a viewer's blocked matches until any write.
    let key = store::match_key(&state.db, &q);
    let now = state.clock.now_ms();
    let (members, content) = (state.writes.membership(), state.writes.current());
    let matched = state.cache.counts.get(&key, members, now);
    let viewer = q.viewer.filter(|_| !q.exclude_owners.is_empty());
    let blocked_key = viewer.map(|v| (v, key.clone()));
    let blocked = blocked_key
        .as_ref()
        .and_then(|k| state.cache.blocked_matches.get(k, content, now));
    let permit = match list_cost(&q) {
        ListCost::Cheap => None,
        ListCost::Slow => {
            let wait = state.db.slow_reads.clone().acquire_owned();
            match tokio::time::timeout(SLOW_PERMIT_WAIT, wait).await {
                Ok(Ok(permit)) => Some(permit),
                _ => return Err(busy_listing()),
            }
        }
    };
    let limit = std::time::Duration::from_millis(state.config.statement_timeout_ms);
    let db = state.db.clone();
    let listed = state
        .db
        .limited_read(limit, permit, move |conn| {
            Box::pin(async move { store::list(conn, &db, &q, matched, blocked).await })
        })
        .await
        .map_err(|e| match e {
            LimitedReadError::TimedOut => busy_listing(),
            LimitedReadError::Db(e) => e.into(),
        })?;
    if matched.is_none() {
        state.cache.counts.put(key, members, now, listed.matched);
    }
    if let Some(k) = blocked_key {
        state
            .cache
            .blocked_matches
            .put(k, content, now, listed.blocked.clone());
    }
    let (total, exact) = listing_total(listed.matched, listed.blocked.len() as i64);
    Ok((listed.rows, total, exact))
}

fn busy_listing() -> AppError {
    AppError::Unavailable("검색이 몰리고 있어요. 잠시 후 다시 시도해 주세요".into())
}

pub async fn list_query(
    state: &AppState,
    viewer: Option<AuthUser>,
    f: &ItemFilter,
    page: PageReq,
) -> AppResult<ListQuery> {
    let category_id = match f.category.as_deref() {
        None => None,
        Some(c) => {
            let all = categories_cached(state).await?;
            let found = match c.parse::<i64>() {
                Ok(id) => all.iter().find(|cat| cat.id == id),
                Err(_) => all.iter().find(|cat| cat.slug == c),
            };
            match found {
                Some(cat) => Some(cat.id),
                None => return Err(AppError::field("category", "없는 카테고리예요")),
            }
        }
    };
    let radius = f.radius_km.map(Bounded::get);
    let (mut region_codes, mut region_prefix) = (None, None);
    match f.region.as_deref() {
        Some(code) => {
            let region = state
                .regions
                .get(code)
                .ok_or_else(|| AppError::field("region", "없는 지역 코드예요"))?;
            match (radius, region.level) {
                (Some(km), _) => {
                    let codes = state.regions.within(code, km as f64);
                    region_codes = Some(codes.into_iter().map(|r| r.code.clone()).collect());
                }
                (None, 3) => region_codes = Some(vec![region.code.clone()]),
                (None, 2) => region_prefix = Some(region.code[..5].to_string()),
                (None, _) => region_prefix = Some(region.code[..2].to_string()),
            }
        }
        None if radius.is_some() => {
            return Err(AppError::field("region", "radius_km에는 region이 필요해요"))
        }
        None => {}
    }
    let q = f.q.as_deref().unwrap_or("");
    // Refused before any search work; the words of an acceptable query are capped below.
    if q.chars().count() > Q_MAX_CHARS {
        return Err(AppError::field(
            "q",
            format!("검색어는 {Q_MAX_CHARS}자까지 쓸 수 있어요"),
        ));
    }
    let mut words: Vec<String> = q
        .split_whitespace()
        .map(|w| w.chars().take(40).collect())
        .collect();
    words.dedup();
    words.truncate(8);
    let exclude_owners = match viewer {
        Some(v) => crate::accounts::blocks::relations(state, v.id).await?,
        None => std::sync::Arc::from([]),
    };
    Ok(ListQuery {
        exclude_owners,
        verified_since: (f.verified == Some(true))
            .then(|| state.clock.now_ms() - crate::accounts::model::REGION_VERIFIED_FOR_MS),
        section: f.section,
        category_id,
        words,
        region_codes,
        region_prefix,
        min_price: f.min_price.map(Bounded::get),
        max_price: f.max_price.map(Bounded::get),
        status: f.status.unwrap_or_default(),
        owner_id: f.owner.map(Bounded::get),
        sort: f.sort.unwrap_or_default(),
        viewer: viewer.map(|v| v.id),
        viewer_is_admin: viewer.is_some_and(|v| v.is_admin()),
        limit: page.per_page,
        offset: page.offset(),
    })
}

fn check_fields(state: &AppState, f: &ItemFields, p: &mut Problems) {
    let title_len = f.title.chars().count();
    p.check(
        (TITLE_MIN..=TITLE_MAX).contains(&title_len),
        "title",
        TITLE_RULE,
    );
    p.check(
        f.description.chars().count() <= DESCRIPTION_MAX,
        "description",
        DESCRIPTION_RULE,
    );
    if let Some(price) = f.price {
        p.check(
            (0..=PRICE_MAX).contains(&price),
            "price",
            "가격은 0–10,000,000원이에요",
        );
        p.check(
            f.price_unit.is_some(),
            "price_unit",
            "가격 단위를 골라 주세요",
        );
    } else {
        p.check(
            f.price_unit.is_none(),
            "price",
            "단위가 있으면 가격도 필요해요",
        );
    }
    p.check(
        (0..=DEPOSIT_MAX).contains(&f.deposit),
        "deposit",
        "보증금은 0–10,000,000원이에요",
    );
    match state.regions.get(&f.region_code) {
        Some(r) if r.level == 3 => {}
        _ => p.add("region_code", "동네(읍면동)를 골라 주세요"),
    }
    for (field, days) in [("min_days", f.min_days), ("max_days", f.max_days)] {
        if let Some(d) = days {
            p.check(
                (1..=RULE_DAYS_MAX).contains(&d),
                field,
                "대여 일수는 1–365일이에요",
            );
            p.check(
                f.section == Section::Lend,
                field,
                "대여 일수는 빌려드려요 글에만 정할 수 있어요",
            );
        }
    }
    if let (Some(min), Some(max)) = (f.min_days, f.max_days) {
        p.check(
            min <= max,
            "max_days",
            "최대 일수는 최소 일수보다 짧을 수 없어요",
        );
    }
}

pub async fn create(state: &AppState, user: AuthUser, input: NewItem) -> AppResult<ItemDetail> {
    let region_code = match input
        .region_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(r) => r.to_string(),
        None => accounts::user_region(state, user.id)
            .await?
            .unwrap_or_default(),
    };
    let mut p = Problems::default();
    let fields = ItemFields {
        section: input.section,
        category_id: input.category_id,
        title: p.text("title", &input.title, TITLE_MIN, TITLE_MAX, TITLE_RULE),
        description: p.text(
            "description",
            &input.description,
            0,
            DESCRIPTION_MAX,
            DESCRIPTION_RULE,
        ),
        price: input.price,
        price_unit: input.price_unit,
        deposit: input.deposit.unwrap_or(0),
        min_days: input.min_days,
        max_days: input.max_days,
        region_code,
        hidden: false,
    };
    check_fields(state, &fields, &mut p);
    if !store::category_exists(&state.db, fields.category_id).await? {
        p.add("category_id", "없는 카테고리예요");
    }
    p.finish()?;
    let id = store::insert_item(&state.db, user.id, &fields, state.clock.now_ms()).await?;
    // Keyword alerts and borrow requests reaching lenders: on this instance, after the
    // response (the POST does not wait for the fan-out).
    tokio::spawn(crate::events::item_posted(
        state.clone(),
        crate::events::PostedItem {
            id,
            owner_id: user.id,
            section: fields.section,
            category_id: fields.category_id,
            title: fields.title.clone(),
            description: fields.description.clone(),
            region_code: fields.region_code.clone(),
        },
    ));
    detail(state, Some(user), id, false).await
}

/// The detail, from the micro-cache when possible (only publicly visible items are cached).
/// The shared part is the same for everyone; a signed-in caller adds their own `bookmarked`,
/// and reads fresh when they wrote a review on this item that others cannot see yet. The live
/// view count is filled in either way.
pub async fn detail_for_viewer(
    state: &AppState,
    viewer: Option<AuthUser>,
    id: i64,
) -> AppResult<ItemDetail> {
    let latest = state
        .cache
        .page_versions
        .current(|| state.clock.now_ms(), || store::page_versions(&state.db))
        .await;
    let fill = || async {
        let (mut shared, seen) = detail_counted(state, None, id, false).await?;
        let next_review = state
            .rental_facts
            .next_review_visible(state, id, shared.summary.owner_id)
            .await?;
        let stamp = PageStamp::new(
            latest.map(|(v, _)| v),
            &shared,
            next_review,
            state.clock.now_ms(),
        );
        // The cached count leaves out this process's views; each response adds them back.
        shared.view_count -= seen;
        Ok(std::sync::Arc::new(SharedDetail {
            detail: shared,
            stamp,
        }))
    };
    let (writes, clock) = (&state.writes, &state.clock);
    let keep = move |d: &std::sync::Arc<SharedDetail>, made_at: i64, now: i64| {
        d.stamp.kept(now, made_at, latest)
    };
    let cached = match state
        .cache
        .details
        .get_or_fill_kept(id, || writes.current(), || clock.now_ms(), &keep, fill)
        .await
    {
        Ok(c) => c,
        // Hidden items exist only for their owner and admins: never cached.
        Err(AppError::NotFound(_)) if viewer.is_some() => {
            return detail(state, viewer, id, true).await
        }
        Err(e) => return Err(e),
    };
    let cached = &cached.detail;
    // Blocked either way: the item does not exist for this viewer.
    if let Some(v) = viewer {
        let owner = cached.summary.owner_id;
        if crate::accounts::blocks::relations(state, v.id)
            .await?
            .contains(&owner)
        {
            return Err(AppError::not_found());
        }
    }
    if viewer.is_none_or(|v| v.id != cached.summary.owner_id) {
        state.views.hit(id);
    }
    let mut d = cached.clone();
    d.view_count += state.views.seen(id);
    let d = personalise(state, viewer, d).await?;
    Ok(reveal_moderation(d, viewer))
}

/// The owner and admins see `moderation` (null or "hidden"); everyone else gets no such field.
/// Applied per response, so a shared cached detail never carries it.
fn reveal_moderation(mut d: ItemDetail, viewer: Option<AuthUser>) -> ItemDetail {
    let privileged = viewer.is_some_and(|v| v.id == d.summary.owner_id || v.is_admin());
    d.moderation = privileged.then_some(d.moderated);
    d
}

async fn personalise(
    state: &AppState,
    viewer: Option<AuthUser>,
    mut d: ItemDetail,
) -> AppResult<ItemDetail> {
    let Some(v) = viewer else { return Ok(d) };
    let marks = viewer_marks(state, v.id, d.summary.id).await?;
    if marks.hidden_review {
        // Rare: the caller sees their own review before the other party does.
        return detail(state, viewer, d.summary.id, false).await;
    }
    d.bookmarked = marks.bookmarked;
    Ok(d)
}

/// The caller's bookmark and hidden review on an item, from the caller's marks (cached like the
/// detail, one read per caller).
async fn viewer_marks(state: &AppState, user: i64, item: i64) -> AppResult<ViewerMarks> {
    let now = state.clock.now_ms();
    let generation = state.writes.current();
    let marks = match state.cache.marks.get(&user, generation, now) {
        Some(m) => m,
        None => {
            let mut bookmarked =
                store::bookmarked_items(&state.db, user, MARKED_MAX as i64 + 1).await?;
            let marks = std::sync::Arc::new(UserMarks {
                bookmarked: (bookmarked.len() <= MARKED_MAX)
                    .then(|| bookmarked.drain(..).collect()),
                hidden_reviews: state
                    .rental_facts
                    .hidden_review_items(state, user)
                    .await?
                    .into_iter()
                    .collect(),
            });
            state.cache.marks.put(user, generation, now, marks.clone());
            marks
        }
    };
    Ok(ViewerMarks {
        bookmarked: match &marks.bookmarked {
            Some(set) => set.contains(&item),
            None => store::is_bookmarked(&state.db, user, item).await?,
        },
        hidden_review: marks.hidden_reviews.contains(&item),
    })
}

/// The detail page data in a fixed number of queries; counts a view unless it is the owner's.
pub async fn detail(
    state: &AppState,
    viewer: Option<AuthUser>,
    id: i64,
    count_view: bool,
) -> AppResult<ItemDetail> {
    let d = detail_counted(state, viewer, id, count_view).await?.0;
    Ok(reveal_moderation(d, viewer))
}

/// [`detail`], with every view this process has counted for the item (flushed or not) read
/// on the same side of a flush as the stored count.
async fn detail_counted(
    state: &AppState,
    viewer: Option<AuthUser>,
    id: i64,
    count_view: bool,
) -> AppResult<(ItemDetail, i64)> {
    // The stored count, the pending one and the flushed one must come from the same side of
    // a flush (the guard is held for this one read only).
    let (row, view_count, seen) = {
        let _views = state.views.reading().await;
        let row = visible_item(state, viewer, id).await?;
        if count_view && viewer.is_none_or(|v| v.id != row.owner_id) {
            state.views.hit(id);
        }
        let count = row.view_count + state.views.pending(id);
        (row, count, state.views.seen(id))
    };
    // Independent reads, at once: a page waits for the slowest, not for their sum.
    let bookmarked = async {
        match viewer {
            Some(v) => Ok(store::is_bookmarked(&state.db, v.id, id).await?),
            None => Ok::<_, AppError>(false),
        }
    };
    let (images, owner, bookmarked, booked, reviews) = tokio::try_join!(
        async { Ok::<_, AppError>(store::images(&state.db, id).await?) },
        // Not from the profiles' cache: a page may be kept past its TTL (see `catalog::cache`).
        accounts::public_user_as(state, row.owner_id, accounts::ProfileRead::Fresh),
        bookmarked,
        state.rental_facts.booked_from_now(state, id),
        state.rental_facts.reviews_of_item(state, id, viewer),
    )?;
    Ok((
        ItemDetail {
            summary: summary(state, &row),
            description: row.description.clone(),
            images: images.iter().map(|i| image_json(state, i)).collect(),
            owner,
            bookmarked,
            view_count,
            min_days: row.min_days,
            max_days: row.max_days,
            booked,
            reviews,
            moderated: row.moderation(),
            moderation: None,
        },
        seen,
    ))
}

fn image_json(state: &AppState, i: &ImageRow) -> Image {
    Image {
        id: i.id,
        url: state.media.url(&i.key),
        thumbnail_url: state.media.url(&i.thumb_key),
    }
}

pub async fn update(
    state: &AppState,
    user: AuthUser,
    id: i64,
    patch: ItemPatch,
) -> AppResult<ItemDetail> {
    let row = owned_item(state, user, id).await?;
    let mut p = Problems::default();
    let to_borrow = patch.section == Some(Section::Borrow);
    let mut f = ItemFields {
        section: patch.section.unwrap_or(Section::parse(&row.section)),
        category_id: patch.category_id.unwrap_or(row.category_id),
        title: match &patch.title {
            Some(t) => p.text("title", t, TITLE_MIN, TITLE_MAX, TITLE_RULE),
            None => row.title.clone(),
        },
        description: match &patch.description {
            Some(d) => p.text("description", d, 0, DESCRIPTION_MAX, DESCRIPTION_RULE),
            None => row.description.clone(),
        },
        price: patch.price.unwrap_or(row.price),
        price_unit: patch
            .price_unit
            .unwrap_or(row.price_unit.as_deref().and_then(PriceUnit::parse)),
        deposit: patch.deposit.map(|d| d.unwrap_or(0)).unwrap_or(row.deposit),
        region_code: patch.region_code.unwrap_or(row.region_code.clone()),
        hidden: row.hidden != 0,
        // Rules belong to lend items: a switch to borrow drops them unless they are sent again.
        min_days: patch
            .min_days
            .unwrap_or(row.min_days.filter(|_| !to_borrow)),
        max_days: patch
            .max_days
            .unwrap_or(row.max_days.filter(|_| !to_borrow)),
    };
    // Clearing the price clears its unit too: "가격 협의".
    if patch.price == Some(None) && patch.price_unit.is_none() {
        f.price_unit = None;
    }
    match patch.status {
        // Only an admin lifts a moderation; asking for "hidden" again changes nothing.
        Some(ItemStatus::Available) if row.moderation().is_some() => {
            return Err(AppError::Forbidden(
                "운영자가 숨긴 물건이라 다시 보이게 할 수 없어요".into(),
            ))
        }
        Some(ItemStatus::Hidden) => f.hidden = true,
        Some(ItemStatus::Available) => f.hidden = false,
        Some(ItemStatus::Rented) => p.add("status", "available 또는 hidden만 고를 수 있어요"),
        None => {}
    }
    check_fields(state, &f, &mut p);
    if f.category_id != row.category_id && !store::category_exists(&state.db, f.category_id).await?
    {
        p.add("category_id", "없는 카테고리예요");
    }
    p.finish()?;
    store::update_item(&state.db, id, &f, state.clock.now_ms()).await?;
    detail(state, Some(user), id, false).await
}

pub async fn delete(state: &AppState, user: AuthUser, id: i64) -> AppResult<()> {
    let row = visible_item(state, Some(user), id).await?;
    if row.owner_id != user.id && !user.is_admin() {
        return Err(AppError::forbidden());
    }
    let keys = store::soft_delete(&state.db, id, state.clock.now_ms()).await?;
    // After the commit: a file outlives its row only if deleting it fails (logged).
    for key in keys {
        state.media.delete(&key).await;
    }
    Ok(())
}

/// Moderation hides an item whoever owns it, until an admin restores it.
pub async fn hide_by_moderator(state: &AppState, id: i64) -> AppResult<()> {
    store::moderate(&state.db, id, Moderation::Hidden, state.clock.now_ms()).await?;
    Ok(())
}

/// Lifts a moderation (the caller checked the admin role) and returns the item as `admin` sees
/// it. An item nobody moderated is returned unchanged, so a repeated restore is harmless.
pub async fn restore_by_moderator(
    state: &AppState,
    admin: AuthUser,
    id: i64,
) -> AppResult<ItemDetail> {
    store::item(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    store::lift_moderation(&state.db, id, state.clock.now_ms()).await?;
    detail(state, Some(admin), id, false).await
}

/// Items admins have hidden, for the admin page (the caller checked the role).
pub async fn moderated_items(state: &AppState, page: PageReq) -> AppResult<Page<ItemSummary>> {
    let (rows, total) = store::moderated_items(&state.db, page.per_page, page.offset()).await?;
    Ok(Page::new(
        rows.iter().map(|r| summary(state, r)).collect(),
        page,
        total,
    ))
}

pub async fn add_images(
    state: &AppState,
    user: AuthUser,
    id: i64,
    files: Vec<Vec<u8>>,
) -> AppResult<Vec<Image>> {
    owned_item(state, user, id).await?;
    let existing = store::images(&state.db, id).await?.len();
    if existing + files.len() > MAX_IMAGES {
        return Err(AppError::field(
            "image",
            "사진은 물품당 10장까지 올릴 수 있어요",
        ));
    }
    // One file per pool job: a batch of ten waits its turn like ten single uploads would.
    let keys = state.media.store_photos("items", files).await?;
    let ids = store::add_images(&state.db, id, &keys, state.clock.now_ms()).await?;
    Ok(ids
        .into_iter()
        .zip(keys)
        .map(|(id, (key, thumb))| Image {
            id,
            url: state.media.url(&key),
            thumbnail_url: state.media.url(&thumb),
        })
        .collect())
}

pub async fn delete_image(
    state: &AppState,
    user: AuthUser,
    id: i64,
    image_id: i64,
) -> AppResult<()> {
    owned_item(state, user, id).await?;
    let removed = store::delete_image(&state.db, id, image_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    state.media.delete(&removed.key).await;
    state.media.delete(&removed.thumb_key).await;
    Ok(())
}

pub async fn reorder_images(
    state: &AppState,
    user: AuthUser,
    id: i64,
    ids: Vec<i64>,
) -> AppResult<Vec<Image>> {
    owned_item(state, user, id).await?;
    let current = store::images(&state.db, id).await?;
    let mut want = ids.clone();
    want.sort_unstable();
    let mut have: Vec<i64> = current.iter().map(|i| i.id).collect();
    have.sort_unstable();
    if want != have {
        return Err(AppError::field(
            "ids",
            "이 물품의 사진 id를 모두 한 번씩 보내 주세요",
        ));
    }
    store::reorder_images(&state.db, id, &ids).await?;
    let images = store::images(&state.db, id).await?;
    Ok(images.iter().map(|i| image_json(state, i)).collect())
}

pub async fn set_bookmark(
    state: &AppState,
    user: AuthUser,
    id: i64,
    on: bool,
) -> AppResult<BookmarkState> {
    visible_item(state, Some(user), id).await?;
    let count = store::set_bookmark(&state.db, user.id, id, on, state.clock.now_ms()).await?;
    Ok(BookmarkState {
        bookmarked: on,
        bookmark_count: count,
    })
}

pub async fn my_bookmarks(
    state: &AppState,
    user: AuthUser,
    page: PageReq,
) -> AppResult<Page<ItemSummary>> {
    let (ids, total) =
        store::bookmarked_ids(&state.db, user.id, page.per_page, page.offset()).await?;
    let mut by_id = summaries_by_ids(state, &ids).await?;
    let items = ids.iter().filter_map(|id| by_id.remove(id)).collect();
    Ok(Page::new(items, page, total))
}

pub async fn note_new_chat(state: &AppState, item: i64) -> AppResult<()> {
    Ok(store::add_chat_count(&state.db, item).await?)
}

pub async fn set_rented(state: &AppState, item: i64, rented: bool) -> AppResult<()> {
    store::set_rented(&state.db, item, rented).await?;
    state.writes.bump();
    Ok(())
}

/// Writes buffered view counts; on failure they stay buffered for the next flush.
pub async fn flush_views(state: &AppState) {
    let _exclusive = state.views.flushing().await;
    let views = state.views.take();
    if views.is_empty() {
        return;
    }
    match store::add_views(&state.db, &views).await {
        Ok(()) => state.views.flushed(&views),
        Err(e) => {
            tracing::warn!(error = %e, "could not store view counts; will retry");
            state.views.restore(views);
        }
    }
}

// ---------------------------------------------------------------- category administration

fn valid_slug(s: &str) -> bool {
    (1..=40).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn check_category(p: &mut Problems, c: &Category) {
    p.check(
        valid_slug(&c.slug),
        "slug",
        "slug는 영문 소문자, 숫자, -로 40자까지예요",
    );
    p.check(
        (1..=20).contains(&c.name.chars().count()),
        "name",
        "이름은 1–20자예요",
    );
}

pub async fn create_category(state: &AppState, input: CategoryInput) -> AppResult<Category> {
    let c = Category {
        id: 0,
        slug: input.slug.unwrap_or_default().trim().to_string(),
        name: input.name.unwrap_or_default().trim().to_string(),
    };
    let mut p = Problems::default();
    check_category(&mut p, &c);
    p.finish()?;
    store::insert_category(&state.db, &c.slug, &c.name, input.sort_order.unwrap_or(50))
        .await?
        .ok_or_else(|| AppError::Conflict("이미 있는 카테고리예요".into()))
}

pub async fn update_category(
    state: &AppState,
    id: i64,
    input: CategoryInput,
) -> AppResult<Category> {
    let (mut c, mut order) = store::category(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if let Some(s) = input.slug {
        c.slug = s.trim().to_string();
    }
    if let Some(n) = input.name {
        c.name = n.trim().to_string();
    }
    if let Some(o) = input.sort_order {
        order = o;
    }
    let mut p = Problems::default();
    check_category(&mut p, &c);
    p.finish()?;
    if !store::update_category(&state.db, &c, order).await? {
        return Err(AppError::Conflict("이미 있는 카테고리예요".into()));
    }
    Ok(c)
}

/// Who may administer categories is the caller's rule (moderation: admins).
pub async fn delete_category(state: &AppState, id: i64) -> AppResult<()> {
    store::category(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if store::category_in_use(&state.db, id).await? {
        return Err(AppError::Conflict(
            "물품이 있는 카테고리는 지울 수 없어요".into(),
        ));
    }
    store::delete_category(&state.db, id).await?;
    Ok(())
}

/// Of `users`, those with an available `lend` item in `category`: the lenders a borrow request
/// reaches (one set-based query).
pub async fn lenders_in_category(
    state: &AppState,
    category: i64,
    users: &[i64],
) -> AppResult<std::collections::HashSet<i64>> {
    Ok(store::lenders_among(&state.db, category, users).await?)
}

/// Fills the search bigrams of items stored before they existed (run once at startup; a few
/// hundred rows a transaction so writers are not held up). Returns how many rows it filled.
pub async fn backfill_grams(state: &AppState) -> AppResult<usize> {
    let mut total = 0;
    loop {
        let n = store::backfill_grams(&state.db, 500).await?;
        total += n;
        if n > 0 {
            // Searches counted before these rows were findable are stale.
            state.writes.bump();
        }
        if n == 0 {
            return Ok(total);
        }
    }
}
