//! Moderation rules: one report per user per item; one open report per user per reported user;
//! only admins see and act on reports (item and user reports in one queue).
use super::model::*;
use super::store;
use crate::catalog::model::{Category, CategoryInput, ItemDetail, ItemSummary};
use crate::catalog::service as catalog;
use crate::domain::caller::AuthUser;
use crate::domain::error::Problems;
use crate::domain::error::{AppError, AppResult};
use crate::domain::page::{Page, PageReq};
use crate::state::AppState;

fn admin_only(user: AuthUser) -> AppResult<()> {
    if user.is_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden("관리자만 할 수 있어요".into()))
    }
}

pub async fn report(
    state: &AppState,
    user: AuthUser,
    item_id: i64,
    input: ReportInput,
) -> AppResult<Report> {
    let item = catalog::visible_item(state, Some(user), item_id).await?;
    let mut p = Problems::default();
    let detail = p.text(
        "detail",
        input.detail.as_deref().unwrap_or(""),
        0,
        DETAIL_MAX,
        "자세한 내용은 500자까지 쓸 수 있어요",
    );
    p.check(
        item.owner_id != user.id,
        "item_id",
        "내 물품은 신고할 수 없어요",
    );
    p.finish()?;
    let row = store::insert_report(
        &state.db,
        user.id,
        ReportTarget::Item { id: item_id },
        input.reason.as_str(),
        &detail,
        state.clock.now_ms(),
    )
    .await?
    .ok_or_else(|| AppError::Conflict("이미 신고한 물품이에요".into()))?;
    Ok(Report::from_row(
        &row,
        Some((&item.title, item.owner_id)),
        None,
    ))
}

/// `POST /users/{id}/reports`: 404 for an unknown or deleted user, 400 for oneself, 409 while
/// this caller's earlier report on that user is open.
pub async fn report_user(
    state: &AppState,
    user: AuthUser,
    target_id: i64,
    input: UserReportInput,
) -> AppResult<Report> {
    let target = crate::accounts::service::public_user(state, target_id).await?;
    if target.deleted {
        return Err(AppError::not_found());
    }
    let mut p = Problems::default();
    let detail = p.text(
        "detail",
        input.detail.as_deref().unwrap_or(""),
        0,
        DETAIL_MAX,
        "자세한 내용은 500자까지 쓸 수 있어요",
    );
    p.check(
        target_id != user.id,
        "user_id",
        "나 자신은 신고할 수 없어요",
    );
    p.finish()?;
    let row = store::insert_report(
        &state.db,
        user.id,
        ReportTarget::User { id: target_id },
        input.reason.as_str(),
        &detail,
        state.clock.now_ms(),
    )
    .await?
    .ok_or_else(|| {
        AppError::Conflict("이미 신고한 사용자예요. 처리될 때까지 기다려 주세요".into())
    })?;
    Ok(Report::from_row(&row, None, Some(&target.nickname)))
}

pub async fn feedback(
    state: &AppState,
    user: AuthUser,
    input: FeedbackInput,
) -> AppResult<Feedback> {
    let mut p = Problems::default();
    let title = p.text(
        "title",
        &input.title,
        1,
        FEEDBACK_TITLE_MAX,
        "제목은 1–70자로 써 주세요",
    );
    let content = p.text(
        "content",
        &input.content,
        1,
        FEEDBACK_CONTENT_MAX,
        "내용은 1–512자로 써 주세요",
    );
    p.finish()?;
    let row = store::insert_feedback(
        &state.db,
        Some(user.id),
        &title,
        &content,
        state.clock.now_ms(),
    )
    .await?;
    let created_at = crate::clock::Ts(row.created_at);
    Ok(Feedback { row, created_at })
}

pub async fn reports(
    state: &AppState,
    user: AuthUser,
    status: ReportStatus,
    page: PageReq,
) -> AppResult<Page<Report>> {
    admin_only(user)?;
    let (rows, total) = store::reports(&state.db, status, page.per_page, page.offset()).await?;
    let item_ids: Vec<i64> = rows.iter().filter_map(|r| r.item_id).collect();
    let user_ids: Vec<i64> = rows.iter().filter_map(|r| r.target_user_id).collect();
    let items = catalog::summaries_by_ids(state, &item_ids).await?;
    let users = crate::accounts::service::public_users(state, &user_ids).await?;
    let out = rows
        .iter()
        .map(|r| {
            Report::from_row(
                r,
                r.item_id
                    .and_then(|id| items.get(&id))
                    .map(|i| (i.title.as_str(), i.owner_id)),
                r.target_user_id
                    .and_then(|id| users.get(&id))
                    .map(|u| u.nickname.as_str()),
            )
        })
        .collect();
    Ok(Page::new(out, page, total))
}

pub async fn resolve(
    state: &AppState,
    user: AuthUser,
    id: i64,
    action: ResolveAction,
) -> AppResult<Report> {
    admin_only(user)?;
    let report = store::report(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let target = report.target();
    if matches!(target, ReportTarget::User { .. }) && action == ResolveAction::HideItem {
        return Err(AppError::field(
            "action",
            "사용자 신고는 기각하거나 이용 정지로 처리해요",
        ));
    }
    if report.status != ReportStatus::Open {
        return Err(AppError::Conflict("이미 처리된 신고예요".into()));
    }
    let mut item = None;
    let mut nickname = None;
    match target {
        ReportTarget::Item { id: item_id } => {
            item = catalog::item_row(state, item_id).await?;
            match action {
                ResolveAction::Dismiss => {}
                ResolveAction::HideItem => catalog::hide_by_moderator(state, item_id).await?,
                ResolveAction::SuspendUser => {
                    if let Some(i) = &item {
                        set_suspended(state, user, i.owner_id, true).await?;
                    }
                }
            }
        }
        ReportTarget::User { id: target_id } => {
            if action == ResolveAction::SuspendUser {
                set_suspended(state, user, target_id, true).await?;
            }
            nickname = Some(
                crate::accounts::service::public_user(state, target_id)
                    .await?
                    .nickname,
            );
        }
    }
    let name = action.as_str();
    let row = store::resolve(&state.db, id, name, state.clock.now_ms())
        .await?
        .ok_or_else(|| AppError::Conflict("이미 처리된 신고예요".into()))?;
    // An upheld report lowers the reported neighbour's 이웃 온도.
    if action != ResolveAction::Dismiss {
        let reported = match target {
            ReportTarget::User { id } => Some(id),
            ReportTarget::Item { .. } => item.as_ref().map(|i| i.owner_id),
        };
        if let Some(u) = reported {
            crate::events::recompute_trust(state, &[u]).await;
        }
    }
    Ok(Report::from_row(
        &row,
        item.as_ref().map(|i| (i.title.as_str(), i.owner_id)),
        nickname.as_deref(),
    ))
}

/// When reports an admin upheld against `user` were resolved (an input of 이웃 온도).
pub async fn upheld_against(state: &AppState, user: i64) -> AppResult<Vec<i64>> {
    Ok(store::upheld_against(&state.db, user).await?)
}

/// `POST /admin/items/{id}/restore`: the item is listed again and its owner controls it again.
pub async fn restore_item(state: &AppState, user: AuthUser, id: i64) -> AppResult<ItemDetail> {
    admin_only(user)?;
    catalog::restore_by_moderator(state, user, id).await
}

/// Items admins have hidden (the admin page's restore list).
pub async fn hidden_items(
    state: &AppState,
    user: AuthUser,
    page: PageReq,
) -> AppResult<Page<ItemSummary>> {
    admin_only(user)?;
    catalog::moderated_items(state, page).await
}

pub async fn feedback_list(
    state: &AppState,
    user: AuthUser,
    page: PageReq,
) -> AppResult<Page<Feedback>> {
    admin_only(user)?;
    let (rows, total) = store::feedback(&state.db, page.per_page, page.offset()).await?;
    let items = rows
        .into_iter()
        .map(|row| {
            let created_at = crate::clock::Ts(row.created_at);
            Feedback { row, created_at }
        })
        .collect();
    Ok(Page::new(items, page, total))
}

pub async fn set_suspended(
    state: &AppState,
    admin: AuthUser,
    target: i64,
    suspended: bool,
) -> AppResult<()> {
    admin_only(admin)?;
    if target == admin.id {
        return Err(AppError::field("id", "자기 자신은 정지할 수 없어요"));
    }
    crate::accounts::service::set_suspended(state, target, suspended).await
}

pub async fn create_category(
    state: &AppState,
    user: AuthUser,
    input: CategoryInput,
) -> AppResult<Category> {
    admin_only(user)?;
    catalog::create_category(state, input).await
}

pub async fn update_category(
    state: &AppState,
    user: AuthUser,
    id: i64,
    input: CategoryInput,
) -> AppResult<Category> {
    admin_only(user)?;
    catalog::update_category(state, id, input).await
}

pub async fn delete_category(state: &AppState, user: AuthUser, id: i64) -> AppResult<()> {
    admin_only(user)?;
    catalog::delete_category(state, id).await
}
