//! Detail views are counted in memory and flushed in batches: a page view must not cost a
//! write on the single SQLite writer.
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
struct Counts {
    /// Not yet written to the database.
    pending: HashMap<i64, i64>,
    /// Taken by a flush that has not finished yet.
    in_flight: HashMap<i64, i64>,
    /// Written by this process since it started.
    flushed: HashMap<i64, i64>,
}

#[derive(Default)]
pub struct ViewCounter {
    counts: Mutex<Counts>,
    /// Readers that combine a stored count with `pending` hold it shared; a flush holds it
    /// exclusively, so no reader sees a count both in the row and still pending (or in neither).
    flushing: tokio::sync::RwLock<()>,
}

impl ViewCounter {
    pub async fn reading(&self) -> tokio::sync::RwLockReadGuard<'_, ()> {
        self.flushing.read().await
    }

    pub async fn flushing(&self) -> tokio::sync::RwLockWriteGuard<'_, ()> {
        self.flushing.write().await
    }

    pub fn hit(&self, item: i64) {
        *self
            .counts
            .lock()
            .expect("views lock")
            .pending
            .entry(item)
            .or_default() += 1;
    }

    /// Views counted here but not in the database yet.
    pub fn pending(&self, item: i64) -> i64 {
        let c = self.counts.lock().expect("views lock");
        c.pending.get(&item).copied().unwrap_or(0)
    }

    /// Every view this process counted (flushed or not): cached details add it to a base that
    /// excludes them, so flushing never makes a cached count jump.
    pub fn seen(&self, item: i64) -> i64 {
        let c = self.counts.lock().expect("views lock");
        [&c.pending, &c.in_flight, &c.flushed]
            .iter()
            .map(|m| m.get(&item).copied().unwrap_or(0))
            .sum()
    }

    pub fn take(&self) -> HashMap<i64, i64> {
        let mut c = self.counts.lock().expect("views lock");
        let views = std::mem::take(&mut c.pending);
        c.in_flight = views.clone();
        views
    }

    pub fn flushed(&self, views: &HashMap<i64, i64>) {
        let mut c = self.counts.lock().expect("views lock");
        c.in_flight.clear();
        for (k, v) in views {
            *c.flushed.entry(*k).or_default() += v;
        }
    }

    /// Puts counts back after a failed flush so no view is lost.
    pub fn restore(&self, views: HashMap<i64, i64>) {
        let mut c = self.counts.lock().expect("views lock");
        c.in_flight.clear();
        for (k, v) in views {
            *c.pending.entry(k).or_default() += v;
        }
    }
}
