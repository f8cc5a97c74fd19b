//! Short-lived in-memory caches for hot reads. An entry is served only while no write that may
//! change it has happened on this instance since it was made (see [`Writes`]) and for at most
//! its TTL, which bounds staleness from writes elsewhere (other instances, the CLI) and from time
//! passing (rentals starting, reviews becoming visible). A caller that can tell an older entry
//! is unchanged (it was made under a database version that has not moved) may keep it longer
//! ([`MicroCache::get_or_fill_kept`]). A miss is computed once per key however many requests
//! miss at once ([`MicroCache::get_or_fill`]).
use std::borrow::Borrow;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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

/// What a state-changing request may have changed in what the caches hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum WriteScope {
    /// Nothing any cache holds (a login, a chat message, a read marker).
    Nothing,
    /// What pages show (counters, profiles, reviews, bookings, blocks, marks) but not which items
    /// a listing matches, so cached counts stay right.
    Content,
    /// Which items match a listing (an item written, hidden or rented, an account suspended).
    Membership,
}

/// The generations the caches are made under: `content` moves with every write that may change
/// a cached page, `membership` only with those that may change a listing's count.
#[derive(Default)]
pub struct Writes {
    content: Generation,
    membership: Generation,
}

impl Writes {
    /// What pages, details, profiles and relations are made under.
    pub fn current(&self) -> u64 {
        self.content.current()
    }

    /// What listing counts are made under.
    pub fn membership(&self) -> u64 {
        self.membership.current()
    }

    pub fn record(&self, scope: WriteScope) {
        if scope >= WriteScope::Membership {
            self.membership.bump();
        }
        if scope >= WriteScope::Content {
            self.content.bump();
        }
    }

    /// Anything may have changed.
    pub fn bump(&self) {
        self.record(WriteScope::Membership);
    }
}

/// A caller's say on whether an entry may still be served: given its value, when it was made and
/// the cache's `now` (the one the TTL is checked against).
pub type Keep<V> = dyn Fn(&V, i64, i64) -> bool + Sync;

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
    /// One gate per key being computed: whoever misses while it is held waits for that result.
    filling: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
}

impl<K: Hash + Eq, V: Clone> MicroCache<K, V> {
    pub fn new(max: usize, ttl_ms: i64) -> Self {
        MicroCache {
            map: Mutex::new(HashMap::new()),
            max,
            ttl_ms,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            filling: Mutex::new(HashMap::new()),
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

    /// Made under `generation`, within the TTL, and still wanted by the caller's `keep`.
    fn fresh(&self, e: &Entry<V>, generation: u64, now: i64, keep: &Keep<V>) -> bool {
        e.generation == generation
            && now >= e.made_at
            && now - e.made_at < self.ttl_ms
            && keep(&e.value, e.made_at, now)
    }

    pub fn get<Q>(&self, key: &Q, generation: u64, now: i64) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_kept(key, generation, now, &|_, _, _| true)
    }

    fn get_kept<Q>(&self, key: &Q, generation: u64, now: i64, keep: &Keep<V>) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let map = self.map.lock().expect("cache lock");
        let hit = map
            .get(key)
            .filter(|e| self.fresh(e, generation, now, keep))
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

impl<K: Hash + Eq + Clone, V: Clone> MicroCache<K, V> {
    /// The fresh entry, or `compute`'s value stored under the generation read before it ran.
    /// Requests that miss the same key at once wait for one computation instead of each running
    /// it (an expiring hot listing would otherwise send every connection to the database at
    /// once); an error is not stored, and the next waiter computes again.
    pub async fn get_or_fill<E, Fut>(
        &self,
        key: K,
        generation: impl Fn() -> u64,
        now: impl Fn() -> i64,
        compute: impl FnOnce() -> Fut,
    ) -> Result<V, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        self.get_or_fill_kept(key, generation, now, &|_, _, _| true, compute)
            .await
    }

    /// [`Self::get_or_fill`] where an entry within the TTL is served only while `keep(value,
    /// made_at, now)` says so: a cache made with a long TTL serves an old entry only once the caller
    /// has confirmed nothing it was made from changed, and never past a time the value itself
    /// names (a booking ending).
    pub async fn get_or_fill_kept<E, Fut>(
        &self,
        key: K,
        generation: impl Fn() -> u64,
        now: impl Fn() -> i64,
        keep: &Keep<V>,
        compute: impl FnOnce() -> Fut,
    ) -> Result<V, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        if let Some(v) = self.get_kept(&key, generation(), now(), keep) {
            return Ok(v);
        }
        self.fill_kept(key, generation, now, keep, compute).await
    }

    /// `get_or_fill` for a caller that has just missed with `get`.
    pub async fn fill<E, Fut>(
        &self,
        key: K,
        generation: impl Fn() -> u64,
        now: impl Fn() -> i64,
        compute: impl FnOnce() -> Fut,
    ) -> Result<V, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        self.fill_kept(key, generation, now, &|_, _, _| true, compute)
            .await
    }

    async fn fill_kept<E, Fut>(
        &self,
        key: K,
        generation: impl Fn() -> u64,
        now: impl Fn() -> i64,
        keep: &Keep<V>,
        compute: impl FnOnce() -> Fut,
    ) -> Result<V, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        let gate = Gate::new(&self.filling, key.clone());
        let turn = gate.gate.lock().await;
        let made_under = generation();
        let found = self
            .map
            .lock()
            .expect("cache lock")
            .get(&key)
            .filter(|e| self.fresh(e, made_under, now(), keep))
            .map(|e| e.value.clone());
        let result = match found {
            Some(v) => Ok(v),
            None => {
                let started = now();
                let computed = compute().await;
                if let Ok(v) = &computed {
                    self.put(key, made_under, started, v.clone());
                }
                computed
            }
        };
        drop(turn);
        result
    }
}

/// A caller's handle on a key's gate; the last one out removes it, also when the request is
/// dropped halfway (a client that disconnects), so gates never pile up.
struct Gate<'a, K: Hash + Eq> {
    map: &'a Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
    key: Option<K>,
    gate: Arc<tokio::sync::Mutex<()>>,
}

impl<'a, K: Hash + Eq + Clone> Gate<'a, K> {
    fn new(map: &'a Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>, key: K) -> Self {
        let gate = map
            .lock()
            .expect("cache lock")
            .entry(key.clone())
            .or_default()
            .clone();
        Gate {
            map,
            key: Some(key),
            gate,
        }
    }
}

impl<K: Hash + Eq> Drop for Gate<'_, K> {
    fn drop(&mut self) {
        let mut map = self.map.lock().expect("cache lock");
        // The map's handle and ours: nobody else waits, so the gate goes.
        if Arc::strong_count(&self.gate) == 2 {
            if let Some(key) = self.key.take() {
                map.remove(&key);
            }
        }
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

    #[test]
    fn a_scoped_write_leaves_counts_valid() {
        let w = Writes::default();
        let (content, members) = (w.current(), w.membership());
        w.record(WriteScope::Nothing);
        assert_eq!((w.current(), w.membership()), (content, members));
        w.record(WriteScope::Content);
        assert_ne!(w.current(), content);
        assert_eq!(w.membership(), members, "a bookmark leaves counts alone");
        let content = w.current();
        w.record(WriteScope::Membership);
        assert_ne!(w.current(), content, "a new item changes pages too");
        assert_ne!(w.membership(), members);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_misses_of_one_key_compute_it_once() {
        let c: Arc<MicroCache<&'static str, i64>> = Arc::new(MicroCache::new(16, 60_000));
        let runs = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let (c, runs) = (c.clone(), runs.clone());
            tasks.push(tokio::spawn(async move {
                c.get_or_fill(
                    "page",
                    || 7,
                    || 0,
                    || async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
                        Ok::<_, ()>(42)
                    },
                )
                .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok(42));
        }
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "one computation for 50 misses"
        );
        assert!(
            c.filling.lock().unwrap().is_empty(),
            "no gate is left behind"
        );
        // A failed computation is not stored: the next caller computes again.
        let failed = c.get_or_fill("other", || 7, || 0, || async { Err::<i64, _>("db down") });
        assert_eq!(failed.await, Err("db down"));
        let again = c.get_or_fill("other", || 7, || 0, || async { Ok::<_, &str>(1) });
        assert_eq!(again.await, Ok(1));
        // A request dropped halfway (the client went away) leaves no gate behind.
        let slow = c.clone();
        let dropped = tokio::spawn(async move {
            slow.get_or_fill(
                "gone",
                || 7,
                || 0,
                || async {
                    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                    Ok::<_, ()>(0)
                },
            )
            .await
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert_eq!(c.filling.lock().unwrap().len(), 1);
        dropped.abort();
        let _ = dropped.await;
        assert!(c.filling.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn keep_decides_within_the_ttl_and_is_given_the_caches_now() {
        let c: MicroCache<&'static str, i64> = MicroCache::new(16, 60_000);
        let fill = |v: i64| move || async move { Ok::<_, ()>(v) };
        assert_eq!(c.get_or_fill("page", || 1, || 100, fill(1)).await, Ok(1));
        // The entry was made at 100; a keep that asks for it gets that and the lookup's now.
        let seen = Arc::new(Mutex::new(None));
        let asked = seen.clone();
        let keep = move |_: &i64, made_at: i64, now: i64| {
            *asked.lock().unwrap() = Some((made_at, now));
            now < 5_000
        };
        let kept = c.get_or_fill_kept("page", || 1, || 4_000, &keep, fill(2));
        assert_eq!(kept.await, Ok(1), "kept: still served");
        assert_eq!(*seen.lock().unwrap(), Some((100, 4_000)));
        let refused = c.get_or_fill_kept("page", || 1, || 5_000, &keep, fill(3));
        assert_eq!(refused.await, Ok(3), "refused within the TTL: made again");
        assert_eq!(c.get("page", 1, 5_001), Some(3));
    }
}
