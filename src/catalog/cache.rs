//! Micro-cache for the two hottest public reads (item listings and item detail) and for what
//! personalises a detail (the caller's bookmark and hidden review). See [`crate::cache`] for
//! when an entry is served.
//!
//! An item page is kept past the TTL while the database's page versions (`catalog_version`,
//! `detail_version`: triggers move them with every change a page shows, made by any process)
//! have not moved since it was made, re-read at most once a second ([`PageVersions`]). So a page
//! asked for every few seconds costs no SQL until something on it changes, while a change made
//! elsewhere still shows within the TTL. Changes that come with time alone are kept exact where
//! the page shows them (a booking ending, a review on the item or about its owner becoming
//! visible: [`PageStamp::until`]); the rest (other instances' view counts, a profile badge
//! expiring, the score of someone who wrote a review) show within [`DETAIL_MAX_AGE_MS`].
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::model::ItemDetail;
use crate::cache::MicroCache;

pub const TTL_MS: i64 = 3000;
/// How long an unchanged item page is kept at most (see the module's note).
pub const DETAIL_MAX_AGE_MS: i64 = 60_000;
/// How often the page versions are read while item pages are asked for.
pub const VERSIONS_CHECK_MS: i64 = 1000;
/// Bounds memory. A listing is up to ~40 KB (100 items per page): 2,048 of them stay under 100 MB.
const MAX_LISTS: usize = 2048;
/// A count is a key of a few hundred bytes and a number.
const MAX_COUNTS: usize = 20_000;
/// An item detail is 1–2 KB: room for every item of a large neighbourhood (~100 MB at most).
const MAX_DETAILS: usize = 50_000;
/// A signed-in caller's marks: up to `MARKED_MAX` ids each (a few KB at most).
const MAX_MARKS: usize = 20_000;
/// Past this many bookmarks a caller's detail asks about its one item instead.
pub const MARKED_MAX: usize = 2_000;

/// What a signed-in caller adds to an item's detail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ViewerMarks {
    pub bookmarked: bool,
    /// The caller wrote a review on this item that others cannot see yet (they can).
    pub hidden_review: bool,
}

/// Everything a signed-in caller adds to any item's detail, read once per caller (not once per
/// caller and item, so a neighbour browsing many items costs two small queries per 3 s).
#[derive(Clone, Debug, Default)]
pub struct UserMarks {
    /// The caller's bookmarked items; `None` when they have more than `MARKED_MAX`.
    pub bookmarked: Option<std::collections::HashSet<i64>>,
    /// Items on which the caller wrote a review others cannot see yet.
    pub hidden_reviews: std::collections::HashSet<i64>,
}

/// The catalog and detail versions (migrations 0020 and 0021).
pub type Versions = (i64, i64);

/// The latest an item page made at `now` is read again: between half the max age and all of it,
/// spread by item, so pages made together (after a start or a version moving) do not all expire
/// in the same second.
pub fn page_expiry(id: i64, now: i64) -> i64 {
    let half = DETAIL_MAX_AGE_MS / 2;
    let spread = ((id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as i64 % half;
    now + half + spread
}

/// A shared item page (no viewer's marks), with what it was made under.
#[derive(Debug)]
pub struct SharedDetail {
    pub detail: ItemDetail,
    pub stamp: PageStamp,
}

/// What decides how long a shared item page may be served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageStamp {
    /// The page versions last read before the page's rows were (`None`: unknown, so the page
    /// lives for the TTL only).
    pub versions: Option<Versions>,
    /// When time alone changes the page (the first of its bookings ending, a review becoming
    /// visible), or its [`page_expiry`] if sooner.
    pub until: i64,
}

impl PageStamp {
    /// The stamp of `page`, made from rows read after `versions`: it ends at the first of its
    /// bookings ending, `next_review` (a review on it or about its owner becoming visible) and
    /// its [`page_expiry`].
    pub fn new(
        versions: Option<Versions>,
        page: &ItemDetail,
        next_review: Option<i64>,
        now: i64,
    ) -> Self {
        let until = page
            .booked
            .iter()
            .map(|p| p.end_at.0)
            .chain(next_review)
            .fold(page_expiry(page.summary.id, now), i64::min);
        PageStamp { versions, until }
    }

    /// Whether the page, made at `made_at`, may still be served at `now`, given the versions
    /// last read and when that read began: within the TTL as any entry, and past it only while
    /// a read begun within the TTL found the versions it was made under.
    pub fn kept(&self, now: i64, made_at: i64, latest: Option<(Versions, i64)>) -> bool {
        let confirmed = || {
            latest.is_some_and(|(v, read_at)| {
                self.versions == Some(v) && now >= read_at && now - read_at < TTL_MS
            })
        };
        now < self.until && (now - made_at < TTL_MS || confirmed())
    }
}

/// The page versions as last read, and when that read began.
#[derive(Default)]
pub struct PageVersions {
    last: Mutex<Option<(Versions, i64)>>,
    /// One read at a time; the others use the last while it is recent enough.
    reading: tokio::sync::Mutex<()>,
}

impl PageVersions {
    /// The versions and when their read began: the last read if it began within
    /// `VERSIONS_CHECK_MS`, else a new one (`read`), one at a time; while one runs, the others
    /// go on with the last if it is within the TTL. So however many pages are asked for, the
    /// versions cost at most one read a second. `None` when unknown (never read, or the read
    /// failed and the last is older than the TTL): pages then live for the TTL only, and a
    /// failed read fails no request.
    pub async fn current<E, Fut>(
        &self,
        now: impl Fn() -> i64,
        read: impl FnOnce() -> Fut,
    ) -> Option<(Versions, i64)>
    where
        E: std::fmt::Display,
        Fut: std::future::Future<Output = Result<Versions, E>>,
    {
        let recent = |within: i64| {
            let now = now();
            self.last()
                .filter(|(_, at)| now >= *at && now - at < within)
        };
        if let Some(last) = recent(VERSIONS_CHECK_MS) {
            return Some(last);
        }
        let _turn = match self.reading.try_lock() {
            Ok(turn) => turn,
            Err(_) => {
                if let Some(last) = recent(TTL_MS) {
                    return Some(last);
                }
                let turn = self.reading.lock().await;
                if let Some(last) = recent(VERSIONS_CHECK_MS) {
                    return Some(last);
                }
                turn
            }
        };
        let read_at = now();
        match read().await {
            Ok(v) => {
                self.saw(v, read_at);
                Some((v, read_at))
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading the page versions failed");
                recent(TTL_MS)
            }
        }
    }

    fn last(&self) -> Option<(Versions, i64)> {
        *self.last.lock().expect("versions lock")
    }

    /// A read begun at `read_at` found `v`; an older read finishing late changes nothing.
    fn saw(&self, v: Versions, read_at: i64) {
        let mut last = self.last.lock().expect("versions lock");
        if last.is_none_or(|(_, at)| at <= read_at) {
            *last = Some((v, read_at));
        }
    }
}

pub struct CatalogCache {
    pub lists: MicroCache<String, Bytes>,
    /// Listing counts by what they match (`store::match_key`), under the membership generation.
    pub counts: MicroCache<String, i64>,
    /// Per (viewer, matches): the blocked owners' items among them.
    pub blocked_matches: MicroCache<(i64, String), Arc<std::collections::HashSet<i64>>>,
    pub details: MicroCache<i64, Arc<SharedDetail>>,
    pub page_versions: PageVersions,
    pub marks: MicroCache<i64, Arc<UserMarks>>,
    pub categories: MicroCache<(), Arc<[super::model::Category]>>,
    /// The available items in memory, for listings (`catalog::index`).
    pub index: super::index::ListingIndex,
}

impl Default for CatalogCache {
    fn default() -> Self {
        CatalogCache {
            lists: MicroCache::new(MAX_LISTS, TTL_MS),
            counts: MicroCache::new(MAX_COUNTS, TTL_MS),
            blocked_matches: MicroCache::new(MAX_COUNTS, TTL_MS),
            details: MicroCache::new(MAX_DETAILS, DETAIL_MAX_AGE_MS),
            page_versions: PageVersions::default(),
            marks: MicroCache::new(MAX_MARKS, TTL_MS),
            categories: MicroCache::new(1, TTL_MS),
            index: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_past_the_ttl_is_kept_only_while_a_recent_read_confirms_its_versions() {
        let stamp = PageStamp {
            versions: Some((4, 9)),
            until: 50_000,
        };
        assert!(stamp.kept(2_999, 0, None), "within the TTL, as any entry");
        assert!(!stamp.kept(3_000, 0, None), "past it, nothing confirms");
        assert!(stamp.kept(10_000, 0, Some(((4, 9), 9_000))), "confirmed");
        assert!(
            !stamp.kept(10_000, 0, Some(((4, 9), 7_000))),
            "the confirming read is older than the TTL"
        );
        assert!(
            !stamp.kept(10_000, 0, Some(((5, 9), 9_500))),
            "an item changed"
        );
        assert!(
            !stamp.kept(10_000, 0, Some(((4, 10), 9_500))),
            "a review came"
        );
        assert!(
            !stamp.kept(50_000, 49_000, Some(((4, 9), 50_000))),
            "a booking ended"
        );
        let unknown = PageStamp {
            versions: None,
            until: i64::MAX,
        };
        assert!(!unknown.kept(3_000, 0, Some(((4, 9), 2_900))));
    }

    #[test]
    fn pages_expire_between_half_and_all_of_the_max_age_spread_by_item() {
        let ends: Vec<i64> = (1..=1000).map(|id| page_expiry(id, 0)).collect();
        assert!(ends
            .iter()
            .all(|e| (DETAIL_MAX_AGE_MS / 2..DETAIL_MAX_AGE_MS).contains(e)));
        let seconds: std::collections::HashSet<i64> = ends.iter().map(|e| e / 1000).collect();
        assert!(
            seconds.len() >= 25,
            "spread over the half: {}",
            seconds.len()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_versions_cost_one_read_a_second_however_many_ask() {
        use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
        let w = Arc::new(PageVersions::default());
        let clock = Arc::new(AtomicI64::new(10_000));
        let reads = Arc::new(AtomicUsize::new(0));
        let ask = |w: Arc<PageVersions>, clock: Arc<AtomicI64>, reads: Arc<AtomicUsize>| async move {
            w.current(
                || clock.load(Ordering::SeqCst),
                || async {
                    reads.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    Ok::<_, &str>((1, 2))
                },
            )
            .await
        };
        let tasks: Vec<_> = (0..50)
            .map(|_| tokio::spawn(ask(w.clone(), clock.clone(), reads.clone())))
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), Some(((1, 2), 10_000)));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1, "50 at once: one read");
        clock.store(10_999, Ordering::SeqCst);
        ask(w.clone(), clock.clone(), reads.clone()).await;
        assert_eq!(reads.load(Ordering::SeqCst), 1, "within the second: none");
        clock.store(11_000, Ordering::SeqCst);
        assert_eq!(
            ask(w.clone(), clock.clone(), reads.clone()).await,
            Some(((1, 2), 11_000))
        );
        assert_eq!(reads.load(Ordering::SeqCst), 2, "a second later: one more");
        // A failed read keeps the last while it is within the TTL, then knows nothing.
        let fail = |at: i64| {
            clock.store(at, Ordering::SeqCst);
            let (w, clock) = (w.clone(), clock.clone());
            async move {
                w.current(
                    || clock.load(Ordering::SeqCst),
                    || async { Err::<Versions, _>("db down") },
                )
                .await
            }
        };
        assert_eq!(fail(12_500).await, Some(((1, 2), 11_000)));
        assert_eq!(fail(14_000).await, None);
    }

    #[test]
    fn a_late_read_does_not_replace_a_newer_one() {
        let w = PageVersions::default();
        w.saw((1, 1), 1_000);
        w.saw((1, 0), 900);
        assert_eq!(w.last(), Some(((1, 1), 1_000)));
        w.saw((2, 1), 2_000);
        assert_eq!(w.last(), Some(((2, 1), 2_000)));
    }
}
