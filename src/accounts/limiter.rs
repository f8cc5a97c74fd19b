//! Throttles repeated failed logins per email and per client address (fixed window, in memory).
use std::collections::HashMap;
use std::sync::Mutex;

pub const WINDOW_MS: i64 = 15 * 60 * 1000;
pub const MAX_PER_EMAIL: u32 = 5;
pub const MAX_PER_ADDR: u32 = 20;

#[derive(Default)]
pub struct LoginLimiter {
    enabled: bool,
    hits: Mutex<HashMap<String, (i64, u32)>>,
}

impl LoginLimiter {
    pub fn new(enabled: bool) -> Self {
        LoginLimiter {
            enabled,
            hits: Mutex::new(HashMap::new()),
        }
    }

    pub fn blocked(&self, email: &str, addr: &str, now: i64) -> bool {
        if !self.enabled {
            return false;
        }
        let hits = self.hits.lock().expect("limiter lock");
        let over = |key: String, max: u32| {
            hits.get(&key)
                .is_some_and(|(start, n)| now - start < WINDOW_MS && *n >= max)
        };
        over(format!("e:{email}"), MAX_PER_EMAIL) || over(format!("a:{addr}"), MAX_PER_ADDR)
    }

    pub fn failed(&self, email: &str, addr: &str, now: i64) {
        if !self.enabled {
            return;
        }
        let mut hits = self.hits.lock().expect("limiter lock");
        if hits.len() > 100_000 {
            hits.retain(|_, (start, _)| now - *start < WINDOW_MS);
        }
        for key in [format!("e:{email}"), format!("a:{addr}")] {
            let entry = hits.entry(key).or_insert((now, 0));
            if now - entry.0 >= WINDOW_MS {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
    }

    pub fn succeeded(&self, email: &str) {
        if self.enabled {
            self.hits
                .lock()
                .expect("limiter lock")
                .remove(&format!("e:{email}"));
        }
    }
}
