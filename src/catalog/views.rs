//! Detail views are counted in memory and flushed in batches: a page view must not cost a
//! write on the single SQLite writer.
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct ViewCounter {
    pending: Mutex<HashMap<i64, i64>>,
}

impl ViewCounter {
    pub fn hit(&self, item: i64) {
        *self
            .pending
            .lock()
            .expect("views lock")
            .entry(item)
            .or_default() += 1;
    }

    pub fn pending(&self, item: i64) -> i64 {
        self.pending
            .lock()
            .expect("views lock")
            .get(&item)
            .copied()
            .unwrap_or(0)
    }

    pub fn take(&self) -> HashMap<i64, i64> {
        std::mem::take(&mut *self.pending.lock().expect("views lock"))
    }

    /// Puts counts back after a failed flush so no view is lost.
    pub fn restore(&self, views: HashMap<i64, i64>) {
        let mut p = self.pending.lock().expect("views lock");
        for (k, v) in views {
            *p.entry(k).or_default() += v;
        }
    }
}
