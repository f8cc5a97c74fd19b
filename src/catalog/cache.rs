//! Micro-cache for the two hottest public reads (item listings and item detail) and for what
//! personalises a detail (the caller's bookmark and hidden review). See [`crate::cache`] for
//! when an entry is served.
use std::sync::Arc;

use bytes::Bytes;

use super::model::ItemDetail;
use crate::cache::MicroCache;

pub const TTL_MS: i64 = 3000;
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

pub struct CatalogCache {
    pub lists: MicroCache<String, Bytes>,
    /// Listing counts by what they match (`store::match_key`), under the membership generation.
    pub counts: MicroCache<String, i64>,
    /// Per (viewer, matches): the blocked owners' items among them.
    pub blocked_matches: MicroCache<(i64, String), Arc<std::collections::HashSet<i64>>>,
    pub details: MicroCache<i64, Arc<ItemDetail>>,
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
            details: MicroCache::new(MAX_DETAILS, TTL_MS),
            marks: MicroCache::new(MAX_MARKS, TTL_MS),
            categories: MicroCache::new(1, TTL_MS),
            index: Default::default(),
        }
    }
}
