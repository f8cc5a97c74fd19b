//! Account rules: who may sign in, what a profile may contain, how tokens rotate.
use std::collections::HashMap;

use super::limiter::Limit;
use super::model::*;
use super::store::{self, RefreshUse};
use super::tokens::{hash_token, random_token, session_key};
use crate::clock::Ts;
use crate::domain::caller::AuthUser;
use crate::domain::error::Problems;
use crate::domain::error::{AppError, AppResult};
use crate::media::{self, image};
use crate::state::AppState;

const BAD_LOGIN: &str = "이메일 또는 비밀번호가 맞지 않아요";

fn busy(_: crate::blocking::Busy) -> AppError {
    AppError::Unavailable("요청이 많아 잠시 처리할 수 없어요. 잠시 후 다시 시도해 주세요".into())
}

pub async fn hash_password(
    pool: &crate::blocking::BoundedPool,
    password: String,
) -> AppResult<String> {
    pool.run(move || {
        use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(busy)?
    .map_err(|e| AppError::Internal(anyhow::anyhow!("argon2: {e}")))
}

/// A hash of a random password, made once: checking a password against it costs what checking
/// a real account's does, so an unknown email answers no faster than a known one.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default()
            .hash_password(random_token(24).as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Checks `password` against `hash`, or against a dummy hash when there is none (unknown email,
/// password-less account), so every answer costs one full argon2 verification.
pub async fn verify_password(
    state: &AppState,
    password: String,
    hash: Option<String>,
) -> AppResult<bool> {
    state
        .metrics
        .password_checks
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    state
        .hashing
        .run(move || {
            use argon2::password_hash::{PasswordHash, PasswordVerifier};
            let real = hash.as_deref().filter(|h| !h.is_empty());
            let checked = PasswordHash::new(real.unwrap_or_else(|| dummy_hash()))
                .map(|h| {
                    argon2::Argon2::default()
                        .verify_password(password.as_bytes(), &h)
                        .is_ok()
                })
                .unwrap_or(false);
            checked && real.is_some()
        })
        .await
        .map_err(busy)
}

/// What an access token is worth now.
pub enum Access {
    /// Signed in: the caller and the login (refresh-token family) the token belongs to.
    Valid { user: AuthUser, family: String },
    /// Bad signature or expired: a client may refresh.
    Expired,
    /// Well-formed, but its login ended or the account is suspended or deleted.
    Ended,
}

/// Checks an access token. A valid login's state is remembered for `access::TTL` on reads; a
/// logout, password change or suspension made through any instance is forgotten at once
/// (`end_logins`), and `fresh` (writes and `/admin`, see `access_must_be_fresh`) always asks the
/// database.
pub async fn check_access(state: &AppState, token: &str, fresh: bool) -> AppResult<Access> {
    let now = state.clock.now_ms();
    let Some(v) = state.tokens.verify(token, now) else {
        return Ok(Access::Expired);
    };
    // Remembered for a moment (`accounts::access`); an ended login is forgotten at once.
    let role = match state.access.get(v.user_id, v.session).filter(|_| !fresh) {
        Some(role) => role,
        None => {
            let epoch = state.access.epoch();
            match store::auth_info(&state.db, v.user_id, &v.family).await? {
                Some((role, true)) => {
                    let role = Role::parse(&role);
                    state.access.put(v.user_id, v.session, role, epoch);
                    role
                }
                _ => return Ok(Access::Ended),
            }
        }
    };
    Ok(Access::Valid {
        user: AuthUser {
            id: v.user_id,
            role,
            session: v.session,
        },
        family: v.family,
    })
}

/// Which requests never use the remembered account state: every state-changing request (its
/// authorization is read from the database, as before) and everything under `/admin`, so a role
/// granted or revoked with the CLI counts at once where it matters; reads elsewhere may use a
/// login remembered for `access::TTL`.
pub fn access_must_be_fresh(method: &str, path: &str) -> bool {
    !matches!(method, "GET" | "HEAD")
        || path.starts_with("/admin")
        || path.starts_with("/api/v1/admin")
}

/// Whether the login `family` of `user` still stands (sockets re-check this now and then).
pub async fn login_live(state: &AppState, user: i64, family: &str) -> AppResult<bool> {
    Ok(matches!(
        store::auth_info(&state.db, user, family).await?,
        Some((_, true))
    ))
}

/// Ends the user's sockets of one login (`Some(family)`) or of every login, on every instance.
async fn end_logins(state: &AppState, user: i64, family: Option<&str>) {
    let session = family.map(session_key);
    // The hub's hook forgets the remembered login here at once (the broker applies `EndSessions`
    // locally first) and on every other instance when it reaches them.
    state.realtime.end_sessions(user, session).await;
}

/// Suspends or restores an account (and its items' place in listings); 404 for an unknown or
/// deleted account. Who may do it is the caller's rule (moderation).
pub async fn set_suspended(state: &AppState, user: i64, suspended: bool) -> AppResult<()> {
    let n = store::set_suspended(&state.db, user, suspended, state.clock.now_ms()).await?;
    if n == 0 {
        return Err(AppError::not_found());
    }
    if suspended {
        end_logins(state, user, None).await;
    }
    Ok(())
}

fn check_region(state: &AppState, problems: &mut Problems, code: Option<&str>) {
    if let Some(code) = code {
        match state.regions.get(code) {
            Some(r) if r.level == 3 => {}
            Some(_) => problems.add("region_code", "동네(읍면동)를 골라 주세요"),
            None => problems.add("region_code", "없는 지역 코드예요"),
        }
    }
}

pub async fn signup(state: &AppState, input: SignupInput, addr: &str) -> AppResult<AuthResponse> {
    let email = normalize_email(&input.email);
    let nickname = input.nickname.trim().to_string();
    let region = input
        .region_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let mut p = Problems::default();
    p.check(
        valid_email(&email),
        "email",
        "올바른 이메일 주소를 입력해 주세요",
    );
    p.check(valid_password(&input.password), "password", PASSWORD_RULE);
    p.check(valid_nickname(&nickname), "nickname", NICKNAME_RULE);
    check_region(state, &mut p, region);
    p.finish()?;
    let now = state.clock.now_ms();
    // Counted before the slow hash; only sign-ups that happen keep counting.
    let slot = state
        .throttle
        .reserve(&state.db, Limit::SignupPerAddr, addr, now)
        .await?;
    let created = create_user(state, &email, input.password, &nickname, region, now).await;
    match created {
        Ok(id) => issue_session(state, id).await,
        Err(e) => {
            state.throttle.release(&state.db, slot).await?;
            Err(e)
        }
    }
}

async fn create_user(
    state: &AppState,
    email: &str,
    password: String,
    nickname: &str,
    region: Option<&str>,
    now: i64,
) -> AppResult<i64> {
    if store::email_taken(&state.db, email).await? {
        return Err(AppError::Conflict("이미 가입된 이메일이에요".into()));
    }
    if store::nickname_taken(&state.db, nickname, 0).await? {
        return Err(AppError::Conflict("이미 쓰이고 있는 닉네임이에요".into()));
    }
    let hash = hash_password(&state.hashing, password).await?;
    match store::insert_user(&state.db, email, &hash, nickname, region, now).await {
        Ok(id) => Ok(id),
        // A concurrent signup took the email or nickname between the check and the insert.
        Err(e) if crate::db::is_conflict(&e) => Err(AppError::Conflict(
            "이미 가입된 이메일이나 닉네임이에요".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn login(state: &AppState, input: LoginInput, addr: &str) -> AppResult<AuthResponse> {
    let email = normalize_email(&input.email);
    // Bounded before anything costs: no account has a longer email or password.
    let mut p = Problems::default();
    p.check(
        email.len() <= EMAIL_MAX,
        "email",
        "올바른 이메일 주소를 입력해 주세요",
    );
    p.check(
        input.password.chars().count() <= PASSWORD_MAX,
        "password",
        PASSWORD_RULE,
    );
    p.finish()?;
    let now = state.clock.now_ms();
    // Reserved before the password is checked: parallel guesses each take a place in the
    // window, so no more than the allowance is ever checked. The address first: once it is
    // refused, a flood of new emails from it is refused from memory and writes no counter rows.
    let per_addr = state
        .throttle
        .reserve(&state.db, Limit::LoginPerAddr, addr, now)
        .await?;
    let pair = match state
        .throttle
        .reserve(
            &state.db,
            Limit::LoginPerEmailAddr,
            &format!("{email}|{addr}"),
            now,
        )
        .await
    {
        Ok(pair) => pair,
        Err(e) => {
            // Refused without a check: it is not a failure of this address.
            state.throttle.release(&state.db, per_addr).await?;
            return Err(e);
        }
    };
    let user = store::by_email(&state.db, &email).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let ok = verify_password(state, input.password, hash).await?;
    match user {
        Some(u) if ok && u.deleted_at.is_none() => {
            state.throttle.release(&state.db, pair).await?;
            state.throttle.release(&state.db, per_addr).await?;
            if u.suspended != 0 {
                return Err(AppError::Forbidden("이용이 정지된 계정이에요".into()));
            }
            issue_session(state, u.id).await
        }
        _ => Err(AppError::Unauthenticated(BAD_LOGIN.into())),
    }
}

async fn new_tokens(state: &AppState, user_id: i64, family: &str) -> AppResult<TokenPair> {
    let now = state.clock.now_ms();
    let refresh = random_token(32);
    store::insert_refresh(
        &state.db,
        user_id,
        family,
        &hash_token(&refresh),
        now,
        now + state.config.refresh_ttl_secs * 1000,
    )
    .await?;
    Ok(TokenPair {
        access_token: state
            .tokens
            .issue(user_id, family, now, state.config.access_ttl_secs),
        refresh_token: refresh,
        expires_in: state.config.access_ttl_secs,
    })
}

pub(super) async fn issue_session(state: &AppState, user_id: i64) -> AppResult<AuthResponse> {
    let pair = new_tokens(state, user_id, &random_token(12)).await?;
    Ok(AuthResponse {
        user: private_user(state, user_id).await?,
        access_token: pair.access_token,
        refresh_token: pair.refresh_token,
        expires_in: pair.expires_in,
    })
}

pub async fn refresh(state: &AppState, token: &str) -> AppResult<TokenPair> {
    let now = state.clock.now_ms();
    let invalid = || AppError::Unauthenticated("다시 로그인해 주세요".into());
    match store::use_refresh(&state.db, &hash_token(token), now).await? {
        RefreshUse::Fresh(user_id, family) => {
            if !login_live(state, user_id, &family).await? {
                store::revoke_family(&state.db, &family, now).await?;
                return Err(invalid());
            }
            new_tokens(state, user_id, &family).await
        }
        RefreshUse::Replayed(user_id) => {
            // A rotated token came back: someone holds a copy, and we cannot tell which holder
            // is the owner. End every login of the user; the owner signs in again.
            tracing::warn!(
                user_id,
                "refresh token replay; ending every login of the user"
            );
            store::revoke_user(&state.db, user_id, now).await?;
            end_logins(state, user_id, None).await;
            Err(invalid())
        }
        RefreshUse::Invalid => Err(invalid()),
    }
}

pub async fn logout(state: &AppState, token: &str) -> AppResult<()> {
    let ended = store::revoke_by_hash(&state.db, &hash_token(token), state.clock.now_ms()).await?;
    if let Some((user, family)) = ended {
        end_logins(state, user, Some(&family)).await;
    }
    Ok(())
}

pub async fn private_user(state: &AppState, id: i64) -> AppResult<PrivateUser> {
    let row = store::by_id(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let stats = state.rental_facts.review_stats(state, &[id]).await?;
    let public = to_public(state, &row, stats.get(&id).copied().unwrap_or_default());
    Ok(PrivateUser {
        public,
        email: row.email().map(str::to_string),
        role: Role::parse(&row.role),
        has_password: row.has_password(),
        identities: super::identities::list(state, id).await?,
    })
}

pub fn to_public(state: &AppState, row: &UserRow, stats: ReviewStats) -> PublicUser {
    let deleted = row.deleted_at.is_some();
    PublicUser {
        id: row.id,
        nickname: if deleted {
            DELETED_NICKNAME.to_string()
        } else {
            row.nickname.clone()
        },
        avatar_url: row.avatar_key.as_deref().map(|k| state.media.url(k)),
        bio: row.bio.clone(),
        region: state.regions.reference(row.region_code.as_deref()),
        region_verified: row
            .region_verified_at
            .is_some_and(|at| at + REGION_VERIFIED_FOR_MS > state.clock.now_ms()),
        score: stats.score(),
        review_count: stats.count,
        trust: super::trust::from_tenths(row.trust_tenths),
        joined_at: Ts(row.created_at),
        deleted,
        blocked: None,
    }
}

/// Public profiles of many users in two queries, for lists (items, rooms, rentals, reviews).
/// Public profiles in at most two queries, and none for profiles read in the last few seconds
/// (every item detail, room and rental shows its people).
pub async fn public_users(state: &AppState, ids: &[i64]) -> AppResult<HashMap<i64, PublicUser>> {
    public_users_as(state, ids, ProfileRead::Cached).await
}

/// Where public profiles come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileRead {
    /// The profiles read in the last few seconds, and the database for the rest.
    Cached,
    /// The database: for what is itself kept past the cache's TTL (item pages), which must not
    /// be made from a profile older than the versions it is stamped with.
    Fresh,
}

pub async fn public_users_as(
    state: &AppState,
    ids: &[i64],
    read: ProfileRead,
) -> AppResult<HashMap<i64, PublicUser>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let now = state.clock.now_ms();
    let generation = state.writes.current();
    let mut out = HashMap::with_capacity(ids.len());
    if read == ProfileRead::Cached {
        ids.retain(|id| match state.profiles.get(id, generation, now) {
            Some(u) => {
                out.insert(*id, u);
                false
            }
            None => true,
        });
    }
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = store::by_ids(&state.db, &ids).await?;
    let stats = state.rental_facts.review_stats(state, &ids).await?;
    for r in &rows {
        let u = to_public(state, r, stats.get(&r.id).copied().unwrap_or_default());
        state.profiles.put(r.id, generation, now, u.clone());
        out.insert(r.id, u);
    }
    Ok(out)
}

pub async fn public_user(state: &AppState, id: i64) -> AppResult<PublicUser> {
    public_user_as(state, id, ProfileRead::Cached).await
}

pub async fn public_user_as(state: &AppState, id: i64, read: ProfileRead) -> AppResult<PublicUser> {
    public_users_as(state, &[id], read)
        .await?
        .remove(&id)
        .ok_or_else(AppError::not_found)
}

pub async fn user_region(state: &AppState, id: i64) -> AppResult<Option<String>> {
    Ok(store::by_id(&state.db, id)
        .await?
        .and_then(|u| u.region_code))
}

pub async fn update_profile(
    state: &AppState,
    user: AuthUser,
    patch: ProfilePatch,
) -> AppResult<PrivateUser> {
    let nickname = patch.nickname.as_deref().map(str::trim);
    let region = patch
        .region_code
        .as_ref()
        .map(|r| r.as_deref().map(str::trim).filter(|s| !s.is_empty()));
    let mut p = Problems::default();
    let bio = patch
        .bio
        .as_deref()
        .map(|b| p.text("bio", b, 0, BIO_MAX, "소개는 300자까지 쓸 수 있어요"));
    if let Some(n) = nickname {
        p.check(valid_nickname(n), "nickname", NICKNAME_RULE);
    }
    if let Some(r) = region {
        check_region(state, &mut p, r);
    }
    p.finish()?;
    if let Some(n) = nickname {
        if store::nickname_taken(&state.db, n, user.id).await? {
            return Err(AppError::Conflict("이미 쓰이고 있는 닉네임이에요".into()));
        }
    }
    match store::update_profile(&state.db, user.id, nickname, region, bio.as_deref()).await {
        Err(e) if crate::db::is_conflict(&e) => {
            return Err(AppError::Conflict("이미 쓰이고 있는 닉네임이에요".into()))
        }
        other => other?,
    }
    private_user(state, user.id).await
}

pub async fn set_avatar(state: &AppState, user: AuthUser, data: Vec<u8>) -> AppResult<PrivateUser> {
    store_avatar(state, user.id, data).await?;
    private_user(state, user.id).await
}

/// Processes an image through the one pipeline (metadata stripped, bounded decode) and makes it
/// the user's avatar, removing the previous file.
pub(super) async fn store_avatar(state: &AppState, user: i64, data: Vec<u8>) -> AppResult<()> {
    let side = image::AVATAR_SIDE;
    let processed = state.media.images.process(data, side, side).await?;
    let key = media::new_key("avatars", processed.full.ext);
    state.media.put(&key, processed.full.bytes).await?;
    if let Some(old) = store::set_avatar(&state.db, user, &key).await? {
        state.media.delete(&old).await;
    }
    Ok(())
}

/// Changes the password, or sets the first one of an account that has none (made from a
/// sign-in identity: no `current_password`). Either way every login of the account ends.
pub async fn change_password(
    state: &AppState,
    user: AuthUser,
    input: PasswordChange,
) -> AppResult<()> {
    if !valid_password(&input.new_password) {
        return Err(AppError::field("new_password", PASSWORD_RULE));
    }
    let wrong = || AppError::field("current_password", "현재 비밀번호가 맞지 않아요");
    if input
        .current_password
        .as_ref()
        .is_some_and(|c| c.chars().count() > PASSWORD_MAX)
    {
        return Err(wrong());
    }
    let row = store::by_id(&state.db, user.id)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    if row.has_password() {
        let Some(current) = input.current_password else {
            return Err(AppError::field(
                "current_password",
                "현재 비밀번호를 입력해 주세요",
            ));
        };
        if !reauthenticate(state, user, current, row.password_hash).await? {
            return Err(wrong());
        }
    }
    let hash = hash_password(&state.hashing, input.new_password).await?;
    store::set_password(&state.db, user.id, &hash, state.clock.now_ms()).await?;
    end_logins(state, user.id, None).await;
    Ok(())
}

/// Deletes the account: with its password, or with `confirm: true` when it has none.
pub async fn delete_account(
    state: &AppState,
    user: AuthUser,
    input: DeleteAccount,
) -> AppResult<()> {
    let row = store::by_id(&state.db, user.id)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    if row.has_password() {
        let wrong = || AppError::field("password", "비밀번호가 맞지 않아요");
        let password = input.password.ok_or_else(wrong)?;
        if password.chars().count() > PASSWORD_MAX {
            return Err(wrong());
        }
        if !reauthenticate(state, user, password, row.password_hash).await? {
            return Err(wrong());
        }
    } else if input.confirm != Some(true) {
        return Err(AppError::field(
            "confirm",
            "탈퇴하려면 confirm: true로 확인해 주세요",
        ));
    }
    store::mark_deleted(&state.db, user.id, state.clock.now_ms()).await?;
    end_logins(state, user.id, None).await;
    if let Some(key) = row.avatar_key {
        state.media.delete(&key).await;
    }
    Ok(())
}

/// Checks the signed-in user's password again (password change, deletion), throttled per account
/// so a stolen access token cannot be used to guess the password.
async fn reauthenticate(
    state: &AppState,
    user: AuthUser,
    password: String,
    hash: String,
) -> AppResult<bool> {
    let slot = state
        .throttle
        .reserve(
            &state.db,
            Limit::ReauthPerUser,
            &user.id.to_string(),
            state.clock.now_ms(),
        )
        .await?;
    let ok = verify_password(state, password, Some(hash)).await?;
    if ok {
        state.throttle.release(&state.db, slot).await?;
    }
    Ok(ok)
}

/// CLI: grant or revoke the admin role. Returns false when no such account exists.
pub async fn set_admin(db: &crate::db::Db, email: &str, admin: bool) -> anyhow::Result<bool> {
    let role = if admin { "admin" } else { "user" };
    Ok(store::set_role(db, &normalize_email(email), role).await? > 0)
}

/// Verifies the user's 동네 from where the device is: within `VERIFY_RADIUS_KM` of the 동's
/// centre (400 otherwise, saying how far it is). Lasts 30 days; changing the 동네 ends it.
pub async fn verify_region(
    state: &AppState,
    user: AuthUser,
    at: Location,
) -> AppResult<PrivateUser> {
    let mut p = Problems::default();
    p.check(
        at.lat.is_finite() && (-90.0..=90.0).contains(&at.lat),
        "lat",
        "위도는 −90에서 90 사이예요",
    );
    p.check(
        at.lng.is_finite() && (-180.0..=180.0).contains(&at.lng),
        "lng",
        "경도는 −180에서 180 사이예요",
    );
    p.finish()?;
    let row = store::by_id(&state.db, user.id)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    let Some(region) = row
        .region_code
        .as_deref()
        .and_then(|c| state.regions.get(c))
    else {
        return Err(AppError::field("region_code", "먼저 내 동네를 정해 주세요"));
    };
    let km = crate::regions::distance_km(region.lat, region.lng, at.lat, at.lng);
    let limit = state.config.verify_radius_km;
    if km > limit {
        return Err(AppError::field(
            "location",
            format!(
                "지금 위치가 {}에서 {km:.1}km 떨어져 있어요. {limit}km 안에서 인증해 주세요",
                region.short
            ),
        ));
    }
    store::verify_region(&state.db, user.id, &region.code, state.clock.now_ms()).await?;
    private_user(state, user.id).await
}

/// Stores a user's recomputed 이웃 온도 (the inputs come from rentals and moderation through
/// `events::recompute_trust`; the formula is `trust::temperature`).
pub async fn set_trust(
    state: &AppState,
    user: i64,
    events: &[super::trust::Dated],
) -> AppResult<()> {
    let t = super::trust::temperature(events, state.clock.now_ms());
    store::set_trust(&state.db, user, super::trust::to_tenths(t)).await?;
    Ok(())
}

/// Neighbours whose own 동네 is one of `codes` (live, not suspended), with that 동네: the
/// candidates of the keyword and borrow fan-outs, in one set-based query.
pub async fn users_in_regions(state: &AppState, codes: &[String]) -> AppResult<Vec<(i64, String)>> {
    Ok(store::in_regions(&state.db, codes).await?)
}

#[cfg(test)]
mod access_rule_tests {
    #[test]
    fn writes_and_admin_routes_read_the_account_fresh() {
        use super::access_must_be_fresh as fresh;
        assert!(fresh("POST", "/api/v1/items"));
        assert!(fresh("DELETE", "/api/v1/items/3"));
        assert!(fresh("GET", "/api/v1/admin/reports"));
        assert!(fresh("GET", "/admin"));
        assert!(!fresh("GET", "/api/v1/items/3"));
        assert!(!fresh("HEAD", "/me"));
        assert!(
            !fresh("GET", "/api/v1/items?q=admin"),
            "only the admin routes themselves"
        );
    }
}
