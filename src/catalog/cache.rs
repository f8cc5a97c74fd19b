//! Micro-cache for the two hottest public reads (item listings and item detail). An entry is
//! used only while no write has happened on this instance since it was made (any state-changing
//! request bumps the generation) and for at most `TTL_MS`, which bounds staleness from writes on
//! other instances and from time passing (rentals starting, reviews becoming visible).
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::model::ItemDetail;

pub const TTL_MS: i64 = 3000;
/// Bounds memory. A listing is up to ~40 KB (100 items per page): 2,048 of them stay under 100 MB.
const MAX_LISTS: usize = 2048;
/// An item detail is 1–2 KB: room for every item of a large neighbourhood (~100 MB at most).
const MAX_DETAILS: usize = 50_000;

struct Entry<T> {
    generation: u64,
    made_at: i64,
    value: T,
}

#[derive(Default)]
pub struct CatalogCache {
    generation: AtomicU64,
    lists: Mutex<HashMap<String, Entry<Bytes>>>,
    details: Mutex<HashMap<i64, Entry<Arc<ItemDetail>>>>,
}

fn lookup<K: std::hash::Hash + Eq, T: Clone>(
    map: &Mutex<HashMap<K, Entry<T>>>,
    key: &K,
    generation: u64,
    now: i64,
) -> Option<T> {
    let map = map.lock().expect("cache lock");
    let e = map.get(key)?;
    (e.generation == generation && now - e.made_at < TTL_MS && now >= e.made_at)
        .then(|| e.value.clone())
}

fn store<K: std::hash::Hash + Eq, T>(
    max: usize,
    map: &Mutex<HashMap<K, Entry<T>>>,
    key: K,
    generation: u64,
    now: i64,
    value: T,
) {
    let mut map = map.lock().expect("cache lock");
    if map.len() >= max {
        // Drop what can no longer be served; if most is still fresh, start over.
        map.retain(|_, e| e.generation == generation && now - e.made_at < TTL_MS);
        if map.len() >= max / 2 {
            map.clear();
        }
    }
    map.insert(
        key,
        Entry {
            generation,
            made_at: now,
            value,
        },
    );
}

impl CatalogCache {
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Something changed: every entry made before now is stale.
    pub fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub fn list(&self, key: &str, now: i64) -> Option<Bytes> {
        lookup(&self.lists, &key.to_string(), self.generation(), now)
    }

    pub fn put_list(&self, key: String, generation: u64, now: i64, body: Bytes) {
        store(MAX_LISTS, &self.lists, key, generation, now, body);
    }

    pub fn detail(&self, id: i64, now: i64) -> Option<Arc<ItemDetail>> {
        lookup(&self.details, &id, self.generation(), now)
    }

    pub fn put_detail(&self, id: i64, generation: u64, now: i64, d: Arc<ItemDetail>) {
        store(MAX_DETAILS, &self.details, id, generation, now, d);
    }
}
