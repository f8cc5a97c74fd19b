//! Blocks between neighbours (api.md, Trust and safety). Rules here: no one blocks themselves;
//! a block works both ways; it hides each one's items from the other (catalog reads
//! `relations`), and stops new chats, messages and rental requests between them (chat and
//! rentals ask `between`, fresh from the database). What already runs (accepted rentals,
//! returns, reviews) is not touched.
use std::sync::Arc;

use super::model::PublicUser;
use super::{service, store};
use crate::domain::caller::AuthUser;
use crate::domain::error::{AppError, AppResult};
use crate::state::AppState;

/// How many neighbours one user may block: every listing and item page of theirs carries the
/// list, so it stays bounded.
pub const MAX_BLOCKS: i64 = 1_000;

/// The target must be a live account other than the caller.
async fn target(state: &AppState, user: AuthUser, target: i64) -> AppResult<()> {
    if target == user.id {
        return Err(AppError::field("user_id", "나 자신은 차단할 수 없어요"));
    }
    match store::by_id(&state.db, target).await? {
        Some(row) if row.deleted_at.is_none() => Ok(()),
        _ => Err(AppError::NotFound("없는 사용자예요".into())),
    }
}

/// Blocks `blocked` (idempotent). Open sockets of both re-check their rooms before their next
/// message, on every instance.
pub async fn block(state: &AppState, user: AuthUser, blocked: i64) -> AppResult<()> {
    target(state, user, blocked).await?;
    if !store::block(
        &state.db,
        user.id,
        blocked,
        MAX_BLOCKS,
        state.clock.now_ms(),
    )
    .await?
    {
        return Err(AppError::Conflict(format!(
            "차단은 {MAX_BLOCKS}명까지 할 수 있어요. 먼저 다른 이웃의 차단을 풀어 주세요"
        )));
    }
    state.realtime.recheck(vec![user.id, blocked]).await;
    Ok(())
}

/// Lifts the caller's block of `blocked` (idempotent); a block the other way stays.
pub async fn unblock(state: &AppState, user: AuthUser, blocked: i64) -> AppResult<()> {
    target(state, user, blocked).await?;
    store::unblock(&state.db, user.id, blocked).await?;
    state.realtime.recheck(vec![user.id, blocked]).await;
    Ok(())
}

/// The users the caller has blocked, as public profiles with `blocked: true`.
pub async fn list(state: &AppState, user: AuthUser) -> AppResult<Vec<PublicUser>> {
    let ids = store::blocked_by(&state.db, user.id).await?;
    let mut profiles = service::public_users(state, &ids).await?;
    Ok(ids
        .iter()
        .filter_map(|id| profiles.remove(id))
        .map(|mut u| {
            u.blocked = Some(true);
            u
        })
        .collect())
}

/// Everyone in a block with `user`, either way: cached for a few seconds (dropped on this
/// instance by any write), read by listings and item pages on every signed-in request.
pub async fn relations(state: &AppState, user: i64) -> AppResult<Arc<[i64]>> {
    let generation = state.writes.current();
    let now = state.clock.now_ms();
    if let Some(ids) = state.blocks.get(&user, generation, now) {
        return Ok(ids);
    }
    let ids: Arc<[i64]> = store::block_relations(&state.db, user).await?.into();
    state.blocks.put(user, generation, now, ids.clone());
    Ok(ids)
}

/// Whether a block stands between two users, either way, read fresh: it guards new chats,
/// messages and rental requests.
pub async fn between(state: &AppState, a: i64, b: i64) -> AppResult<bool> {
    Ok(store::blocked_between(&state.db, a, b).await?)
}

/// Whether `viewer` has blocked `user` (the `blocked` field of a profile).
pub async fn has_blocked(state: &AppState, viewer: i64, user: i64) -> AppResult<bool> {
    Ok(store::has_blocked(&state.db, viewer, user).await?)
}

/// A public profile; a signed-in viewer also learns whether they have blocked this user.
pub async fn profile_for(
    state: &AppState,
    id: i64,
    viewer: Option<AuthUser>,
) -> AppResult<PublicUser> {
    let mut u = service::public_user(state, id).await?;
    if let Some(v) = viewer {
        u.blocked = Some(has_blocked(state, v.id, id).await?);
    }
    Ok(u)
}
