//! The caller's account state (role, and that the login stands), remembered for a moment so a
//! signed-in request costs no more than an anonymous one. Only logins found valid are kept.
//!
//! Staleness is bounded both ways: whatever ends a login (`service::end_logins`: logout,
//! password change, suspension, deletion, token reuse) forgets it here at once and, through the
//! broker's `EndSessions`, on every other instance; anything that changes the account outside
//! the server (the `admin grant` CLI) is seen within `TTL`. A lookup that raced a forget is not
//! stored: every forget bumps the epoch, and an answer read under an older epoch is dropped.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::model::Role;

/// How long a valid login is believed without asking the database. Short: it only has to cover
/// a burst (a page and its API calls, or a client's back-to-back requests) to take the query off
/// the hot path, and the CLI's changes apply within it (the issue allows 2 seconds).
pub const TTL: Duration = Duration::from_millis(250);
/// Past this many remembered logins the map is emptied (a flood of distinct tokens cannot grow
/// it without bound; the database answers meanwhile).
const MAX_ENTRIES: usize = 100_000;

#[derive(Default)]
pub struct AccessCache {
    /// (user, login) → role and when it was read.
    entries: Mutex<HashMap<(i64, u64), (Role, Instant)>>,
    epoch: AtomicU64,
}

impl AccessCache {
    /// The epoch to pass to `put` for an answer about to be read from the database.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    pub fn get(&self, user: i64, session: u64) -> Option<Role> {
        let entries = self.entries.lock().expect("access cache");
        match entries.get(&(user, session)) {
            Some((role, at)) if at.elapsed() < TTL => Some(*role),
            _ => None,
        }
    }

    /// Remembers a valid login read under `epoch`, unless a login ended since.
    pub fn put(&self, user: i64, session: u64, role: Role, epoch: u64) {
        let mut entries = self.entries.lock().expect("access cache");
        // Checked under the lock `forget` also takes, so a forget cannot slip in between.
        if self.epoch.load(Ordering::Acquire) != epoch {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert((user, session), (role, Instant::now()));
    }

    /// Forgets one login of `user`, or all of them.
    pub fn forget(&self, user: i64, session: Option<u64>) {
        let mut entries = self.entries.lock().expect("access cache");
        self.epoch.fetch_add(1, Ordering::AcqRel);
        match session {
            Some(s) => {
                entries.remove(&(user, s));
            }
            None => entries.retain(|(u, _), _| *u != user),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_login_is_remembered_until_forgotten() {
        let c = AccessCache::default();
        assert_eq!(c.get(1, 7), None);
        c.put(1, 7, Role::Admin, c.epoch());
        c.put(1, 8, Role::Admin, c.epoch());
        c.put(2, 9, Role::User, c.epoch());
        assert_eq!(c.get(1, 7), Some(Role::Admin));
        c.forget(1, Some(7));
        assert_eq!(c.get(1, 7), None, "that login");
        assert_eq!(c.get(1, 8), Some(Role::Admin), "not the user's other login");
        c.forget(1, None);
        assert_eq!(c.get(1, 8), None, "every login of the user");
        assert_eq!(c.get(2, 9), Some(Role::User), "not other users");
    }

    #[test]
    fn an_answer_read_before_a_forget_is_not_stored() {
        let c = AccessCache::default();
        let epoch = c.epoch(); // a request starts reading the database …
        c.forget(1, None); // … the user logs out meanwhile …
        c.put(1, 7, Role::User, epoch); // … and its stale "valid" must not be believed.
        assert_eq!(c.get(1, 7), None);
    }

    #[test]
    fn a_flood_of_logins_cannot_grow_it_past_its_bound() {
        let c = AccessCache::default();
        for user in 0..=MAX_ENTRIES as i64 {
            c.put(user, 1, Role::User, c.epoch());
        }
        assert!(c.entries.lock().unwrap().len() <= MAX_ENTRIES);
        assert_eq!(
            c.get(MAX_ENTRIES as i64, 1),
            Some(Role::User),
            "the newest is kept"
        );
    }

    #[test]
    fn entries_expire() {
        let c = AccessCache::default();
        c.entries
            .lock()
            .unwrap()
            .insert((1, 7), (Role::Admin, Instant::now() - TTL));
        assert_eq!(c.get(1, 7), None);
    }
}
