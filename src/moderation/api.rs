//! JSON handlers for reports, feedback and /admin. `router()` registers them with their OpenAPI
//! descriptions. Every `/admin` route answers 403 to anyone but an admin.
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::*;
use super::service;
use crate::catalog::model::CategoryInput;
use crate::catalog::model::{Category, ItemDetail};
use crate::domain::page::{Page, PageQuery};
use crate::http::extract::{ApiJson, ApiPath, AuthUser};
use crate::http::query::ApiQuery;
use crate::http::AppResult;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(report))
        .routes(routes!(report_user))
        .routes(routes!(feedback))
        .routes(routes!(admin_reports))
        .routes(routes!(admin_resolve))
        .routes(routes!(admin_feedback))
        .routes(routes!(admin_create_category))
        .routes(routes!(admin_update_category, admin_delete_category))
        .routes(routes!(admin_suspend))
        .routes(routes!(admin_unsuspend))
        .routes(routes!(admin_restore_item))
}

/// 신고 / Report an item to the admins.
#[utoipa::path(post, path = "/items/{id}/reports", tag = "moderation", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    request_body = ReportInput,
    responses(
        (status = 201, body = Report),
        (status = 409, description = "이미 신고했어요"),
    ))]
pub async fn report(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(item_id): ApiPath<i64>,
    ApiJson(input): ApiJson<ReportInput>,
) -> AppResult<(StatusCode, Json<Report>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::report(&state, user, item_id, input).await?),
    ))
}

/// 사용자 신고 / Report a user to the admins.
#[utoipa::path(post, path = "/users/{id}/reports", tag = "moderation", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    request_body = UserReportInput,
    responses(
        (status = 201, body = Report),
        (status = 400, description = "자기 자신은 신고할 수 없어요 / 알 수 없는 사유"),
        (status = 404, description = "없는 사용자예요"),
        (status = 409, description = "이 사용자에 대한 신고가 아직 처리 중이에요"),
    ))]
pub async fn report_user(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(target): ApiPath<i64>,
    ApiJson(input): ApiJson<UserReportInput>,
) -> AppResult<(StatusCode, Json<Report>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::report_user(&state, user, target, input).await?),
    ))
}

/// 의견 보내기 / Send feedback to the team.
#[utoipa::path(post, path = "/feedback", tag = "moderation", security(("bearer" = [])),
    request_body = FeedbackInput,
    responses((status = 201, body = Feedback)))]
pub async fn feedback(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<FeedbackInput>,
) -> AppResult<(StatusCode, Json<Feedback>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::feedback(&state, user, input).await?),
    ))
}

/// 신고 목록 (관리자) / Reports by status, for admins.
#[utoipa::path(get, path = "/admin/reports", tag = "moderation", security(("bearer" = [])),
    params(ReportFilter, PageQuery),
    responses(
        (status = 200, body = Page<Report>),
        (status = 403, description = "관리자만 볼 수 있어요"),
    ))]
pub async fn admin_reports(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(filter): ApiQuery<ReportFilter>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> AppResult<Json<Page<Report>>> {
    let status = filter.status.unwrap_or(ReportStatus::Open);
    Ok(Json(
        service::reports(&state, user, status, page.req()).await?,
    ))
}

/// 신고 처리 (관리자) / Resolve a report: dismiss it, hide the item or suspend its owner; a user
/// report is dismissed or its user suspended (`hide_item` is 400).
#[utoipa::path(post, path = "/admin/reports/{id}/resolve", tag = "moderation",
    security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    request_body = ResolveInput,
    responses(
        (status = 200, body = Report),
        (status = 400, description = "사용자 신고에 hide_item"),
        (status = 403, description = "관리자만 할 수 있어요"),
        (status = 409, description = "이미 처리된 신고예요"),
    ))]
pub async fn admin_resolve(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ResolveInput>,
) -> AppResult<Json<Report>> {
    Ok(Json(
        service::resolve(&state, user, id, input.action).await?,
    ))
}

/// 의견 목록 (관리자) / Feedback, newest first, for admins.
#[utoipa::path(get, path = "/admin/feedback", tag = "moderation", security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = Page<Feedback>),
        (status = 403, description = "관리자만 볼 수 있어요"),
    ))]
pub async fn admin_feedback(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> AppResult<Json<Page<Feedback>>> {
    Ok(Json(
        service::feedback_list(&state, user, page.req()).await?,
    ))
}

/// 카테고리 추가 (관리자) / Add a category.
#[utoipa::path(post, path = "/admin/categories", tag = "moderation", security(("bearer" = [])),
    request_body = CategoryInput,
    responses(
        (status = 201, body = Category),
        (status = 403, description = "관리자만 할 수 있어요"),
        (status = 409, description = "slug가 이미 있어요"),
    ))]
pub async fn admin_create_category(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<CategoryInput>,
) -> AppResult<(StatusCode, Json<Category>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_category(&state, user, input).await?),
    ))
}

/// 카테고리 수정 (관리자) / Change a category.
#[utoipa::path(patch, path = "/admin/categories/{id}", tag = "moderation",
    security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    request_body = CategoryInput,
    responses(
        (status = 200, body = Category),
        (status = 403, description = "관리자만 할 수 있어요"),
        (status = 409, description = "slug가 이미 있어요"),
    ))]
pub async fn admin_update_category(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<CategoryInput>,
) -> AppResult<Json<Category>> {
    Ok(Json(
        service::update_category(&state, user, id, input).await?,
    ))
}

/// 카테고리 삭제 (관리자) / Delete a category no item uses.
#[utoipa::path(delete, path = "/admin/categories/{id}", tag = "moderation",
    security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses(
        (status = 204, description = "지웠어요"),
        (status = 403, description = "관리자만 할 수 있어요"),
        (status = 409, description = "이 카테고리의 물품이 있어요"),
    ))]
pub async fn admin_delete_category(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    service::delete_category(&state, user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 이용 정지 (관리자) / Suspend an account: it cannot log in, its logins end, its items leave
/// listings.
#[utoipa::path(post, path = "/admin/users/{id}/suspend", tag = "moderation",
    security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses(
        (status = 204, description = "정지했어요"),
        (status = 403, description = "관리자만 할 수 있어요"),
        (status = 400, description = "자기 자신은 정지할 수 없어요"),
    ))]
pub async fn admin_suspend(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    service::set_suspended(&state, user, id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 정지 해제 (관리자) / Lift a suspension.
#[utoipa::path(post, path = "/admin/users/{id}/unsuspend", tag = "moderation",
    security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses(
        (status = 204, description = "해제했어요"),
        (status = 403, description = "관리자만 할 수 있어요"),
    ))]
pub async fn admin_unsuspend(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    service::set_suspended(&state, user, id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 숨김 해제 (관리자) / Lift an admin's hide; the owner may then change the item again.
#[utoipa::path(post, path = "/admin/items/{id}/restore", tag = "moderation",
    security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, body = ItemDetail),
        (status = 403, description = "관리자만 할 수 있어요"),
    ))]
pub async fn admin_restore_item(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<ItemDetail>> {
    Ok(Json(service::restore_item(&state, user, id).await?))
}
