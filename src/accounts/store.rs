//! SQL for accounts. Nothing but queries.
use sqlx::Row;

use super::model::UserRow;
use crate::db::{placeholders, Db};

const USER_COLS: &str = "id, email, password_hash, nickname, region_code, bio, avatar_key, role, suspended, deleted_at, created_at, region_verified_at, trust_tenths";

pub async fn insert_user(
    db: &Db,
    email: &str,
    password_hash: &str,
    nickname: &str,
    region_code: Option<&str>,
    now: i64,
) -> sqlx::Result<i64> {
    let row = sqlx::query(
        "INSERT INTO users (email, password_hash, nickname, region_code, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(email)
    .bind(password_hash)
    .bind(nickname)
    .bind(region_code)
    .bind(now)
    .fetch_one(&db.write)
    .await?;
    row.try_get(0)
}

pub async fn by_email(db: &Db, email: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!("SELECT {USER_COLS} FROM users WHERE email = $1"))
        .bind(email)
        .fetch_optional(&db.read)
        .await
}

pub async fn by_id(db: &Db, id: i64) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.read)
        .await
}

pub async fn by_ids(db: &Db, ids: &[i64]) -> sqlx::Result<Vec<UserRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {USER_COLS} FROM users WHERE id IN ({})",
        placeholders(1, ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    q.fetch_all(&db.read).await
}

/// (role, active) for the auth check on every signed-in request: active means the account is
/// neither suspended nor deleted and the login `family` has not ended.
pub async fn auth_info(db: &Db, id: i64, family: &str) -> sqlx::Result<Option<(String, bool)>> {
    let row = sqlx::query(
        "SELECT role, suspended, deleted_at, CAST(CASE WHEN EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family = $2 AND r.user_id = users.id AND r.revoked_at IS NULL) THEN 1 ELSE 0 END AS BIGINT) FROM users WHERE id = $1",
    )
    .bind(id)
    .bind(family)
    .fetch_optional(&db.read)
    .await?;
    row.map(|r| {
        let suspended: i64 = r.try_get(1)?;
        let deleted: Option<i64> = r.try_get(2)?;
        let live: i64 = r.try_get(3)?;
        Ok((
            r.try_get(0)?,
            suspended == 0 && deleted.is_none() && live == 1,
        ))
    })
    .transpose()
}

pub async fn update_profile(
    db: &Db,
    id: i64,
    nickname: Option<&str>,
    region_code: Option<Option<&str>>,
    bio: Option<&str>,
) -> sqlx::Result<()> {
    if let Some(n) = nickname {
        sqlx::query("UPDATE users SET nickname = $1 WHERE id = $2")
            .bind(n)
            .bind(id)
            .execute(&db.write)
            .await?;
    }
    if let Some(r) = region_code {
        // A verification is of one 동네: another one (or none) is not verified.
        sqlx::query(
            "UPDATE users SET region_verified_at = CASE WHEN region_code = $1 THEN region_verified_at ELSE NULL END, \
             region_code = $1 WHERE id = $2",
        )
        .bind(r)
        .bind(id)
        .execute(&db.write)
        .await?;
    }
    if let Some(b) = bio {
        sqlx::query("UPDATE users SET bio = $1 WHERE id = $2")
            .bind(b)
            .bind(id)
            .execute(&db.write)
            .await?;
    }
    Ok(())
}

pub async fn nickname_taken(db: &Db, nickname: &str, except: i64) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("SELECT id FROM users WHERE nickname = $1 AND id <> $2")
            .bind(nickname)
            .bind(except)
            .fetch_optional(&db.write)
            .await?
            .is_some(),
    )
}

/// Which of these nicknames are in use (read from the writer, like `nickname_taken`).
pub async fn taken_nicknames(
    db: &Db,
    nicknames: &[String],
) -> sqlx::Result<std::collections::HashSet<String>> {
    if nicknames.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT nickname FROM users WHERE nickname IN ({})",
        placeholders(1, nicknames.len())
    );
    let mut q = sqlx::query(&sql);
    for n in nicknames {
        q = q.bind(n);
    }
    q.fetch_all(&db.write)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect()
}

pub async fn email_taken(db: &Db, email: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(&db.write)
        .await?
        .is_some())
}

/// Sets the avatar and returns the previous key, so its file can be removed.
pub async fn set_avatar(db: &Db, id: i64, key: &str) -> sqlx::Result<Option<String>> {
    let mut tx = db.write.begin().await?;
    let old: Option<String> = sqlx::query("SELECT avatar_key FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    sqlx::query("UPDATE users SET avatar_key = $1 WHERE id = $2")
        .bind(key)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(old)
}

/// New password and no refresh token of the user works any more.
pub async fn set_password(db: &Db, id: i64, hash: &str, now: i64) -> sqlx::Result<()> {
    let mut tx = db.write.begin().await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    revoke_all(&mut tx, id, now).await?;
    tx.commit().await
}

/// Deletion keeps the row (chat history still names it) but frees the email and nickname,
/// drops credentials and profile, revokes tokens and takes the items out of listings.
pub async fn mark_deleted(db: &Db, id: i64, now: i64) -> sqlx::Result<()> {
    let mut tx = db.write.begin().await?;
    sqlx::query(
        "UPDATE users SET deleted_at = $1, email = $2, nickname = $3, password_hash = '', bio = '', avatar_key = NULL WHERE id = $4",
    )
    .bind(now)
    .bind(format!("deleted-{id}@deleted.invalid"))
    .bind(format!("deleted:{id}"))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    revoke_all(&mut tx, id, now).await?;
    // The provider's account may make a new account here later; this one is gone.
    sqlx::query("DELETE FROM user_identities WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    crate::catalog::store::set_owner_listed(&mut tx, id, false).await?;
    tx.commit().await
}

pub async fn set_role(db: &Db, email: &str, role: &str) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("UPDATE users SET role = $1 WHERE email = $2 AND deleted_at IS NULL")
            .bind(role)
            .bind(email)
            .execute(&db.write)
            .await?
            .rows_affected(),
    )
}

/// Suspension blocks sign-in and token refresh and takes the user's items out of listings.
pub async fn set_suspended(db: &Db, id: i64, suspended: bool, now: i64) -> sqlx::Result<u64> {
    let mut tx = db.write.begin().await?;
    let n = sqlx::query("UPDATE users SET suspended = $1 WHERE id = $2 AND deleted_at IS NULL")
        .bind(i64::from(suspended))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        // Unknown or deleted account: its items stay as they are (a deleted user's stay unlisted).
        return Ok(0);
    }
    crate::catalog::store::set_owner_listed(&mut tx, id, !suspended).await?;
    if suspended {
        revoke_all(&mut tx, id, now).await?;
    }
    tx.commit().await?;
    Ok(n)
}

pub async fn insert_refresh(
    db: &Db,
    user_id: i64,
    family: &str,
    hash: &str,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (user_id, family, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(family)
    .bind(hash)
    .bind(now)
    .bind(expires_at)
    .execute(&db.write)
    .await?;
    Ok(())
}

pub enum RefreshUse {
    /// Valid: now marked used. (user id, family)
    Fresh(i64, String),
    /// Already rotated: a replay. The user is returned so every login of theirs can end.
    Replayed(i64),
    Invalid,
}

/// Marks the token used, atomically: of two concurrent refreshes with one token only one wins.
pub async fn use_refresh(db: &Db, hash: &str, now: i64) -> sqlx::Result<RefreshUse> {
    let won = sqlx::query(
        "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1 RETURNING user_id, family",
    )
    .bind(now)
    .bind(hash)
    .fetch_optional(&db.write)
    .await?;
    if let Some(r) = won {
        return Ok(RefreshUse::Fresh(r.try_get(0)?, r.try_get(1)?));
    }
    let row =
        sqlx::query("SELECT family, used_at, user_id FROM refresh_tokens WHERE token_hash = $1")
            .bind(hash)
            .fetch_optional(&db.write)
            .await?;
    Ok(match row {
        Some(r) if r.try_get::<Option<i64>, _>(1)?.is_some() => RefreshUse::Replayed(r.try_get(2)?),
        _ => RefreshUse::Invalid,
    })
}

pub async fn revoke_family(db: &Db, family: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(family)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Logout: the whole login (family) ends, so rotated descendants stop working too. Returns
/// the login's user and family.
pub async fn revoke_by_hash(db: &Db, hash: &str, now: i64) -> sqlx::Result<Option<(i64, String)>> {
    let row = sqlx::query("SELECT user_id, family FROM refresh_tokens WHERE token_hash = $1")
        .bind(hash)
        .fetch_optional(&db.write)
        .await?;
    let Some(r) = row else { return Ok(None) };
    let (user, family): (i64, String) = (r.try_get(0)?, r.try_get(1)?);
    revoke_family(db, &family, now).await?;
    Ok(Some((user, family)))
}

/// Ends every login of a user (reuse of a rotated refresh token).
pub async fn revoke_user(db: &Db, user: i64, now: i64) -> sqlx::Result<()> {
    let mut tx = db.write.begin().await?;
    revoke_all(&mut tx, user, now).await?;
    tx.commit().await
}

/// Ends every login of a user (inside the caller's transaction).
async fn revoke_all(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(user)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Counts one attempt for `key` in a fixed window (a new window starts when the old one began
/// at or before `window_cutoff`), atomically, and returns (count in this window, window start).
pub async fn count_attempt(
    db: &Db,
    key: &str,
    now: i64,
    window_cutoff: i64,
) -> sqlx::Result<(i64, i64)> {
    let row = sqlx::query(
        "INSERT INTO auth_attempts (key, window_start, count) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
           count = CASE WHEN auth_attempts.window_start <= $3 THEN 1 ELSE auth_attempts.count + 1 END, \
           window_start = CASE WHEN auth_attempts.window_start <= $3 THEN $2 ELSE auth_attempts.window_start END \
         RETURNING count, window_start",
    )
    .bind(key)
    .bind(now)
    .bind(window_cutoff)
    .fetch_one(&db.write)
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

pub async fn release_attempt(db: &Db, key: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE auth_attempts SET count = count - 1 WHERE key = $1 AND count > 0")
        .bind(key)
        .execute(&db.write)
        .await?;
    Ok(())
}

pub async fn prune_attempts(db: &Db, before: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM auth_attempts WHERE window_start < $1")
        .bind(before)
        .execute(&db.write)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- sign-in identities

/// The account an identity belongs to.
pub async fn identity_owner(db: &Db, provider: &str, subject: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query("SELECT user_id FROM user_identities WHERE provider = $1 AND subject = $2")
        .bind(provider)
        .bind(subject)
        .fetch_optional(&db.write)
        .await?
        .map(|r| r.try_get(0))
        .transpose()
}

/// (provider, linked_at) of a user's identities, oldest first.
pub async fn identities_of(db: &Db, user: i64) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query("SELECT provider, created_at FROM user_identities WHERE user_id = $1 ORDER BY id")
        .bind(user)
        .fetch_all(&db.read)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// A new account without a password, and its identity, in one transaction: a unique conflict
/// (the identity, email or nickname taken meanwhile) leaves nothing behind.
pub async fn insert_identity_user(
    db: &Db,
    email: &str,
    nickname: &str,
    provider: &str,
    subject: &str,
    now: i64,
) -> sqlx::Result<i64> {
    let mut tx = db.write.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO users (email, password_hash, nickname, region_code, created_at) VALUES ($1, '', $2, NULL, $3) RETURNING id",
    )
    .bind(email)
    .bind(nickname)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    add_identity(&mut tx, id, provider, subject, now).await?;
    tx.commit().await?;
    Ok(id)
}

async fn add_identity(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user: i64,
    provider: &str,
    subject: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO user_identities (user_id, provider, subject, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(user)
    .bind(provider)
    .bind(subject)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Links an identity; a unique conflict means it (or another of this provider) is taken.
pub async fn insert_identity(
    db: &Db,
    user: i64,
    provider: &str,
    subject: &str,
    now: i64,
) -> sqlx::Result<()> {
    let mut tx = db.write.begin().await?;
    add_identity(&mut tx, user, provider, subject, now).await?;
    tx.commit().await
}

/// Unlinks the user's identity of `provider` unless it is the account's only way to sign in (no
/// password with an email to type it with, no other identity), in one statement so two unlinks
/// cannot both pass the check. Returns whether a row went.
pub async fn delete_identity_if_not_last(db: &Db, user: i64, provider: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "DELETE FROM user_identities WHERE user_id = $1 AND provider = $2 AND ( \
           EXISTS (SELECT 1 FROM users u WHERE u.id = $1 AND u.password_hash <> '' AND u.email NOT LIKE 'nomail:%') \
           OR EXISTS (SELECT 1 FROM user_identities o WHERE o.user_id = $1 AND o.provider <> $2))",
    )
    .bind(user)
    .bind(provider)
    .execute(&db.write)
    .await?
    .rows_affected()
        > 0)
}

/// A web sign-in in flight (see `oidc_logins` in the migrations).
pub struct PendingLogin {
    pub provider: String,
    pub browser_hash: String,
    pub nonce: String,
    pub verifier: String,
    pub next_path: String,
    pub link_user: Option<i64>,
    pub expires_at: i64,
}

/// Records a web sign-in, dropping those that expired.
pub async fn insert_pending_login(
    db: &Db,
    state_hash: &str,
    p: &PendingLogin,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM oidc_logins WHERE expires_at < $1")
        .bind(now)
        .execute(&db.write)
        .await?;
    sqlx::query(
        "INSERT INTO oidc_logins (state_hash, provider, browser_hash, nonce, verifier, next_path, link_user, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(state_hash)
    .bind(&p.provider)
    .bind(&p.browser_hash)
    .bind(&p.nonce)
    .bind(&p.verifier)
    .bind(&p.next_path)
    .bind(p.link_user)
    .bind(p.expires_at)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Takes a web sign-in: the row is deleted as it is read, so of two callbacks with one state
/// only one finds it, on every instance.
pub async fn take_pending_login(db: &Db, state_hash: &str) -> sqlx::Result<Option<PendingLogin>> {
    let row = sqlx::query(
        "DELETE FROM oidc_logins WHERE state_hash = $1 RETURNING provider, browser_hash, nonce, verifier, next_path, link_user, expires_at",
    )
    .bind(state_hash)
    .fetch_optional(&db.write)
    .await?;
    row.map(|r| {
        Ok(PendingLogin {
            provider: r.try_get(0)?,
            browser_hash: r.try_get(1)?,
            nonce: r.try_get(2)?,
            verifier: r.try_get(3)?,
            next_path: r.try_get(4)?,
            link_user: r.try_get(5)?,
            expires_at: r.try_get(6)?,
        })
    })
    .transpose()
}

// ---------------------------------------------------------------- blocks

/// Records a block (again is a no-op) unless the blocker already has `max` others: false then.
pub async fn block(db: &Db, blocker: i64, blocked: i64, max: i64, now: i64) -> sqlx::Result<bool> {
    let mut tx = db.write.begin().await?;
    let exists = sqlx::query("SELECT 1 FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2")
        .bind(blocker)
        .bind(blocked)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if !exists {
        let n = sqlx::query(
            "INSERT INTO user_blocks (blocker_id, blocked_id, created_at) \
             SELECT $1, $2, $3 WHERE (SELECT COUNT(*) FROM user_blocks WHERE blocker_id = $1) < $4 \
             ON CONFLICT (blocker_id, blocked_id) DO NOTHING",
        )
        .bind(blocker)
        .bind(blocked)
        .bind(now)
        .bind(max)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            // Either the cap, or the same block made a moment ago by a concurrent request.
            return Ok(sqlx::query(
                "SELECT 1 FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2",
            )
            .bind(blocker)
            .bind(blocked)
            .fetch_optional(&mut *tx)
            .await?
            .is_some());
        }
    }
    tx.commit().await?;
    Ok(true)
}

pub async fn unblock(db: &Db, blocker: i64, blocked: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2")
        .bind(blocker)
        .bind(blocked)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// The users `user` has blocked, most recent first.
pub async fn blocked_by(db: &Db, user: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query("SELECT blocked_id FROM user_blocks WHERE blocker_id = $1 ORDER BY created_at DESC, blocked_id")
        .bind(user)
        .fetch_all(&db.read)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect()
}

/// Everyone in a block with `user`, in either direction.
pub async fn block_relations(db: &Db, user: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query(
        "SELECT blocked_id FROM user_blocks WHERE blocker_id = $1 \
         UNION SELECT blocker_id FROM user_blocks WHERE blocked_id = $1",
    )
    .bind(user)
    .fetch_all(&db.read)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect()
}

/// Whether either of two users has blocked the other, read from the writer (fresh on every
/// instance: it guards chats, messages and rental requests).
pub async fn blocked_between(db: &Db, a: i64, b: i64) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "SELECT 1 FROM user_blocks WHERE (blocker_id = $1 AND blocked_id = $2) \
         OR (blocker_id = $2 AND blocked_id = $1)",
    )
    .bind(a)
    .bind(b)
    .fetch_optional(&db.write)
    .await?
    .is_some())
}

/// Whether `blocker` has blocked `blocked` (one direction: the `blocked` field of a profile).
pub async fn has_blocked(db: &Db, blocker: i64, blocked: i64) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("SELECT 1 FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2")
            .bind(blocker)
            .bind(blocked)
            .fetch_optional(&db.read)
            .await?
            .is_some(),
    )
}

/// Marks the user's current 동네 verified at `now`, if it is still `region_code`.
pub async fn verify_region(db: &Db, id: i64, region_code: &str, now: i64) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("UPDATE users SET region_verified_at = $1 WHERE id = $2 AND region_code = $3")
            .bind(now)
            .bind(id)
            .bind(region_code)
            .execute(&db.write)
            .await?
            .rows_affected()
            > 0,
    )
}

/// Stores a recomputed 이웃 온도 (tenths of a degree).
pub async fn set_trust(db: &Db, id: i64, tenths: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET trust_tenths = $1 WHERE id = $2 AND trust_tenths <> $1")
        .bind(tenths)
        .bind(id)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Live, unsuspended users whose 동네 is one of `codes`, with that 동네 (one query per 500
/// codes; `users_region` serves it).
pub async fn in_regions(db: &Db, codes: &[String]) -> sqlx::Result<Vec<(i64, String)>> {
    let mut out = Vec::new();
    for chunk in codes.chunks(500) {
        let sql = format!(
            "SELECT id, region_code FROM users \
             WHERE deleted_at IS NULL AND suspended = 0 AND region_code IN ({}) ORDER BY id",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q.bind(c);
        }
        for row in q.fetch_all(&db.read).await? {
            out.push((row.try_get(0)?, row.try_get(1)?));
        }
    }
    Ok(out)
}
