//! Throttling of password guesses and sign-ups, shared by every instance through the database.
//!
//! An attempt is *reserved* (counted, atomically) before the password is checked, so parallel
//! guesses cannot all pass a "blocked?" check made before any of them failed; a success gives its
//! reservation back. Failures are keyed by (email, client address) and by client address, never by
//! email alone: a stranger's wrong passwords cannot lock the owner out from their own address.
use std::collections::HashMap;
use std::sync::Mutex;

use super::store;
use super::tokens::hash_token;
use crate::db::Db;
use crate::domain::error::{AppError, AppResult};

/// What is limited, with its window and allowance (api.md, Accounts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Failed logins for one email from one address.
    LoginPerEmailAddr,
    /// Failed logins from one address, any email.
    LoginPerAddr,
    /// Sign-ups from one address.
    SignupPerAddr,
    /// Wrong current passwords on password change or account deletion, per account: a stolen
    /// access token must not become a password-guessing oracle.
    ReauthPerUser,
    /// Web sign-ins with a provider started from one address: each one stores a row until the
    /// callback or its expiry, so anonymous starts are bounded.
    ProviderStartPerAddr,
}

const MINUTE_MS: i64 = 60 * 1000;

impl Limit {
    pub fn window_ms(self) -> i64 {
        match self {
            Limit::SignupPerAddr => 60 * MINUTE_MS,
            _ => 15 * MINUTE_MS,
        }
    }

    pub fn max(self) -> i64 {
        match self {
            Limit::LoginPerEmailAddr => 5,
            Limit::LoginPerAddr => 20,
            Limit::SignupPerAddr => 10,
            Limit::ReauthPerUser => 5,
            Limit::ProviderStartPerAddr => 30,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Limit::LoginPerEmailAddr => "le",
            Limit::LoginPerAddr => "la",
            Limit::SignupPerAddr => "su",
            Limit::ReauthPerUser => "pw",
            Limit::ProviderStartPerAddr => "os",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Limit::SignupPerAddr => "가입 시도가 너무 많아요. 잠시 후 다시 시도해 주세요",
            Limit::ReauthPerUser => "비밀번호 확인 시도가 너무 많아요. 잠시 후 다시 시도해 주세요",
            Limit::ProviderStartPerAddr => "로그인 요청이 너무 많아요. 잠시 후 다시 시도해 주세요",
            _ => "로그인 시도가 너무 많아요. 잠시 후 다시 시도해 주세요",
        }
    }
}

/// A counted attempt; give it back with [`Throttle::release`] when it turned out not to count
/// (the password was right, the sign-up did not happen).
#[must_use]
pub struct Reservation {
    key: String,
}

pub struct Throttle {
    enabled: bool,
    /// Keys known to be over their limit, with the end of their window: a flood that is already
    /// refused is refused here, without a database write per request.
    blocked: Mutex<HashMap<String, i64>>,
}

/// Keys remembered as blocked; past it, expired ones are dropped (or all, under a flood of keys).
const BLOCKED_CAP: usize = 100_000;

impl Throttle {
    pub fn new(enabled: bool) -> Self {
        Throttle {
            enabled,
            blocked: Mutex::new(HashMap::new()),
        }
    }

    fn refused(limit: Limit, until: i64, now: i64) -> AppError {
        let retry_ms = (until - now).max(1000);
        AppError::RateLimited {
            message: limit.message().into(),
            retry_after_secs: ((retry_ms + 999) / 1000) as u64,
        }
    }

    /// Counts one attempt under `limit` for `key`; 429 with `Retry-After` once the window's
    /// allowance is used up. Keys are stored hashed (fixed size, no emails in the table).
    pub async fn reserve(
        &self,
        db: &Db,
        limit: Limit,
        key: &str,
        now: i64,
    ) -> AppResult<Option<Reservation>> {
        if !self.enabled {
            return Ok(None);
        }
        let key = hash_token(&format!("{}:{key}", limit.prefix()));
        let known = self
            .blocked
            .lock()
            .expect("throttle lock")
            .get(&key)
            .copied();
        if let Some(until) = known.filter(|until| *until > now) {
            return Err(Self::refused(limit, until, now));
        }
        let (count, window_start) =
            store::count_attempt(db, &key, now, now - limit.window_ms()).await?;
        if count > limit.max() {
            let until = window_start + limit.window_ms();
            let mut blocked = self.blocked.lock().expect("throttle lock");
            if blocked.len() >= BLOCKED_CAP {
                blocked.retain(|_, u| *u > now);
                if blocked.len() >= BLOCKED_CAP {
                    blocked.clear();
                }
            }
            blocked.insert(key, until);
            return Err(Self::refused(limit, until, now));
        }
        Ok(Some(Reservation { key }))
    }

    /// Gives an attempt back: it was not a failure.
    pub async fn release(&self, db: &Db, reservation: Option<Reservation>) -> AppResult<()> {
        if let Some(r) = reservation {
            store::release_attempt(db, &r.key).await?;
        }
        Ok(())
    }

    /// Drops counters whose windows ended (the longest window is an hour).
    pub async fn prune(db: &Db, now: i64) -> AppResult<()> {
        store::prune_attempts(db, now - Limit::SignupPerAddr.window_ms()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_match_the_contract() {
        assert_eq!(Limit::LoginPerEmailAddr.max(), 5);
        assert_eq!(Limit::LoginPerAddr.max(), 20);
        assert_eq!(Limit::SignupPerAddr.max(), 10);
        assert_eq!(Limit::LoginPerAddr.window_ms(), 15 * 60 * 1000);
        assert_eq!(Limit::SignupPerAddr.window_ms(), 60 * 60 * 1000);
    }
}
