//! Notification rules: what is stored, what is pushed, what counts as read.
use crate::realtime::protocol::ServerFrame;

use super::model::*;
use super::store;
use crate::domain::caller::AuthUser;
use crate::domain::error::{AppError, AppResult};
use crate::domain::page::PageReq;
use crate::state::AppState;

/// The live frame of a notification, serialized once.
fn frame(row: &NotificationRow, unread: i64) -> Option<std::sync::Arc<str>> {
    crate::realtime::frame_text(&ServerFrame::Notification {
        notification: &Notification::from_row(row)?,
        unread_count: unread,
    })
}

async fn push(state: &AppState, row: &NotificationRow, unread: i64) {
    if let Some(text) = frame(row, unread) {
        state.realtime.send_all(&[(&[row.user_id], text)]).await;
    }
}

/// Stores a notification and pushes it to the user's sockets; nothing at all when the user
/// turned its kind off (the insert checks in the same statement).
pub async fn notify(state: &AppState, n: NewNotification) -> AppResult<()> {
    let Some(row) = store::insert(&state.db, &n, state.clock.now_ms()).await? else {
        return Ok(());
    };
    let unread = store::unread_count(&state.db, n.user_id).await?;
    push(state, &row, unread).await;
    Ok(())
}

/// Upserts the chat notes of a batch, leaving out the users who turned `chat_message` off (one
/// query for the whole batch), and pushes them.
pub async fn chat_batch(state: &AppState, mut notes: Vec<ChatNote>) -> AppResult<()> {
    let mut recipients: Vec<i64> = notes.iter().map(|n| n.user_id).collect();
    recipients.sort_unstable();
    recipients.dedup();
    let off = store::kind_off_among(&state.db, NotificationKind::ChatMessage, &recipients).await?;
    notes.retain(|n| !off.contains(&n.user_id));
    if notes.is_empty() {
        return Ok(());
    }
    // One global order for the row locks: instances upserting the same rooms never deadlock.
    notes.sort_unstable_by_key(|n| (n.user_id, n.room_id));
    let rows = store::upsert_chat(&state.db, &notes, state.clock.now_ms()).await?;
    let mut users: Vec<i64> = rows.iter().map(|r| r.user_id).collect();
    users.sort_unstable();
    users.dedup();
    let counts = store::unread_counts(&state.db, &users).await?;
    let users: Vec<[i64; 1]> = rows.iter().map(|r| [r.user_id]).collect();
    let frames: Vec<(&[i64], std::sync::Arc<str>)> = rows
        .iter()
        .zip(&users)
        .filter_map(|(r, to)| {
            let unread = counts.get(&r.user_id).copied().unwrap_or(0);
            Some((&to[..], frame(r, unread)?))
        })
        .collect();
    state.realtime.send_all(&frames).await;
    Ok(())
}

/// 알림 설정 / the caller's settings: every kind on and 3 km until changed.
pub async fn settings(state: &AppState, user: AuthUser) -> AppResult<NotificationSettings> {
    let (off, radius) = store::settings(&state.db, user.id).await?;
    Ok(NotificationSettings::from_parts(
        &off,
        radius.unwrap_or(RADIUS_DEFAULT_KM),
    ))
}

/// Applies a partial change (kinds named and/or the radius) and returns the whole settings.
pub async fn update_settings(
    state: &AppState,
    user: AuthUser,
    patch: SettingsPatch,
) -> AppResult<NotificationSettings> {
    let change = patch.check()?;
    if change != SettingsChange::default() {
        store::save_settings(&state.db, user.id, &change, state.clock.now_ms()).await?;
    }
    settings(state, user).await
}

/// Reading a room also reads its chat notification.
pub async fn room_read(state: &AppState, user: i64, room: i64) -> AppResult<()> {
    store::mark_room(&state.db, user, room, state.clock.now_ms()).await?;
    Ok(())
}

pub async fn list(
    state: &AppState,
    user: AuthUser,
    unread_only: bool,
    page: PageReq,
) -> AppResult<NotificationPage> {
    let (rows, total) = store::list(
        &state.db,
        user.id,
        unread_only,
        page.per_page,
        page.offset(),
    )
    .await?;
    let unread_count = store::unread_count(&state.db, user.id).await?;
    Ok(NotificationPage {
        items: rows.iter().filter_map(Notification::from_row).collect(),
        page: page.page,
        per_page: page.per_page,
        total,
        unread_count,
    })
}

pub async fn mark_read(state: &AppState, user: AuthUser, input: MarkRead) -> AppResult<()> {
    let now = state.clock.now_ms();
    match (input.all, input.ids) {
        (Some(true), _) => store::mark_all(&state.db, user.id, now).await?,
        (_, Some(ids)) => {
            if ids.len() > 500 {
                return Err(AppError::field(
                    "ids",
                    "한 번에 500개까지 읽음 처리할 수 있어요",
                ));
            }
            store::mark_ids(&state.db, user.id, &ids, now).await?
        }
        _ => return Err(AppError::field("ids", "ids 또는 all: true가 필요해요")),
    }
    Ok(())
}

/// 관심 키워드 / the caller's keywords, oldest first.
pub async fn keywords(state: &AppState, user: AuthUser) -> AppResult<Vec<Keyword>> {
    Ok(store::keywords(&state.db, user.id)
        .await?
        .iter()
        .map(Keyword::from)
        .collect())
}

/// Adds a keyword: 1–20 characters once trimmed (400), not one the caller already has in any
/// case (409), at most 30 (400).
pub async fn add_keyword(
    state: &AppState,
    user: AuthUser,
    input: NewKeyword,
) -> AppResult<Keyword> {
    let keyword = input
        .keyword
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let n = keyword.chars().count();
    if n == 0 || n > KEYWORD_MAX_CHARS {
        return Err(AppError::field(
            "keyword",
            format!("키워드는 1~{KEYWORD_MAX_CHARS}자로 써 주세요"),
        ));
    }
    let folded = fold_keyword(&keyword);
    match store::add_keyword(
        &state.db,
        user.id,
        &keyword,
        &folded,
        KEYWORDS_PER_USER,
        state.clock.now_ms(),
    )
    .await?
    {
        store::KeywordInsert::Added(row) => Ok(Keyword::from(&row)),
        store::KeywordInsert::Duplicate => Err(AppError::Conflict("이미 등록한 키워드예요".into())),
        store::KeywordInsert::Full => Err(AppError::field(
            "keyword",
            format!("키워드는 {KEYWORDS_PER_USER}개까지 등록할 수 있어요"),
        )),
    }
}

/// Deletes one of the caller's keywords; someone else's is 404.
pub async fn delete_keyword(state: &AppState, user: AuthUser, id: i64) -> AppResult<()> {
    if store::delete_keyword(&state.db, user.id, id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound("없는 키워드예요".into()))
    }
}

/// The keywords of these users with each one's alert radius in km (3 when never set): one
/// set-based query for the fan-out.
pub async fn keywords_of(state: &AppState, users: &[i64]) -> AppResult<Vec<(i64, String, i64)>> {
    Ok(store::keywords_of(&state.db, users)
        .await?
        .into_iter()
        .map(|(u, k, r)| (u, k, r.unwrap_or(RADIUS_DEFAULT_KM)))
        .collect())
}

/// Stores alerts (`keyword_match`, `borrow_nearby`) and pushes them live: each at most once per
/// (user, kind, link) across instances and retries, at most `cap` of its kind per user in 24
/// hours, never when the user turned the kind off (all checked in the insert).
pub async fn alerts(state: &AppState, notes: Vec<NewNotification>, cap: i64) -> AppResult<()> {
    let now = state.clock.now_ms();
    let since = now - crate::clock::DAY_MS;
    // One user's failure (a lost connection mid-way) does not cost the others their alert; a
    // later run would add only what is missing.
    let mut first_error = None;
    for n in notes {
        let stored = async {
            if let Some(row) = store::insert_alert(&state.db, &n, now, since, cap).await? {
                let unread = store::unread_count(&state.db, n.user_id).await?;
                push(state, &row, unread).await;
            }
            Ok::<(), sqlx::Error>(())
        }
        .await;
        if let Err(e) = stored {
            tracing::warn!(error = ?e, user = n.user_id, kind = n.kind.as_str(), "could not store an alert");
            first_error.get_or_insert(e);
        }
    }
    match first_error {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}
