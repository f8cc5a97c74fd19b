//! Short-lived in-memory caches for hot reads. An entry is served only while no write has
//! happened on this instance since it was made (every state-changing request bumps the
//! [`Generation`]) and for at most its TTL, which bounds staleness from writes elsewhere (other
//! instances, the CLI) and from time passing (rentals starting, reviews becoming visible).
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Counts this instance's writes; an entry made under an older generation is stale.
#[derive(Default)]
pub struct Generation(AtomicU64);

impl Generation {
    pub fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Something changed: every entry made before now is stale.
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

struct Entry<V> {
    generation: u64,
    made_at: i64,
    value: V,
}

pub struct MicroCache<K, V> {
    map: Mutex<HashMap<K, Entry<V>>>,
    max: usize,
    ttl_ms: i64,
    /// Lookups that were served and that were not (`/metrics`: the hit ratio).
    hits: AtomicU64,
    misses: AtomicU64,
}

impl<K: Hash + Eq, V: Clone> MicroCache<K, V> {
    pub fn new(max: usize, ttl_ms: i64) -> Self {
        MicroCache {
            map: Mutex::new(HashMap::new()),
            max,
            ttl_ms,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// `(name, hits, misses)` since start, for `/metrics`.
    pub fn stats(&self, name: &'static str) -> (&'static str, u64, u64) {
        (
            name,
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    fn fresh(&self, e: &Entry<V>, generation: u64, now: i64) -> bool {
        e.generation == generation && now >= e.made_at && now - e.made_at < self.ttl_ms
    }

    pub fn get<Q>(&self, key: &Q, generation: u64, now: i64) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let map = self.map.lock().expect("cache lock");
        let hit = map
            .get(key)
            .filter(|e| self.fresh(e, generation, now))
            .map(|e| e.value.clone());
        drop(map);
        let counter = if hit.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        hit
    }

    /// `generation` is the one read before the value was computed, so a write that ran
    /// meanwhile makes the entry stale at once.
    pub fn put(&self, key: K, generation: u64, now: i64, value: V) {
        let mut map = self.map.lock().expect("cache lock");
        if map.len() >= self.max {
            // Drop what can no longer be served; if most is still fresh, start over.
            map.retain(|_, e| e.generation == generation && now - e.made_at < self.ttl_ms);
            if map.len() >= self.max / 2 {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_with_a_write_or_the_ttl_and_stay_bounded() {
        let g = Generation::default();
        let c: MicroCache<i64, i64> = MicroCache::new(4, 1000);
        c.put(1, g.current(), 0, 10);
        assert_eq!(c.get(&1, g.current(), 999), Some(10));
        assert_eq!(c.get(&1, g.current(), 1000), None, "past the TTL");
        assert_eq!(c.get(&1, g.current(), -1), None, "clock went back");
        g.bump();
        assert_eq!(c.get(&1, g.current(), 10), None, "a write happened");
        for k in 0..100 {
            c.put(k, g.current(), 20, k);
        }
        assert!(c.map.lock().unwrap().len() <= 4);
        assert_eq!(c.get(&99, g.current(), 20), Some(99));
        assert_eq!(c.stats("c"), ("c", 2, 3), "hits and misses are counted");
    }
}
