//! JSON handlers for notifications. `router()` registers them with their OpenAPI descriptions.
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::*;
use super::service;
use crate::domain::page::PageQuery;
use crate::http::extract::{ApiJson, ApiPath, AuthUser};
use crate::http::query::ApiQuery;
use crate::http::AppResult;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(mark_read))
        .routes(routes!(settings, update_settings))
        .routes(routes!(keywords, add_keyword))
        .routes(routes!(delete_keyword))
}

/// 관심 키워드 / My keywords: a new item nearby matching one of them makes a `keyword_match`
/// notification.
#[utoipa::path(get, path = "/me/keywords", tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, body = [Keyword])))]
pub async fn keywords(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<Keyword>>> {
    Ok(Json(service::keywords(&state, user).await?))
}

/// 키워드 추가 / Add a keyword (1–20 characters once trimmed, at most 30). A duplicate of one of
/// mine (in any case) is 409; a bad length or a 31st is 400.
#[utoipa::path(post, path = "/me/keywords", tag = "notifications",
    security(("bearer" = [])),
    request_body = NewKeyword,
    responses((status = 201, body = Keyword), (status = 400), (status = 409)))]
pub async fn add_keyword(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<NewKeyword>,
) -> AppResult<(StatusCode, Json<Keyword>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::add_keyword(&state, user, input).await?),
    ))
}

/// 키워드 삭제 / Delete one of my keywords; someone else's is 404.
#[utoipa::path(delete, path = "/me/keywords/{id}", tag = "notifications",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204, description = "삭제했어요"), (status = 404)))]
pub async fn delete_keyword(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    service::delete_keyword(&state, user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 알림 설정 / My notification settings: every kind with whether it is on, and the keyword-alert
/// radius (every kind on and 3 km until changed).
#[utoipa::path(get, path = "/me/notification-settings", tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, body = NotificationSettings)))]
pub async fn settings(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<NotificationSettings>> {
    Ok(Json(service::settings(&state, user).await?))
}

/// 알림 설정 바꾸기 / Change some of the settings; a kind turned off is no longer created for me.
/// An unknown kind or a radius outside 1–20 km is 400 naming the field.
#[utoipa::path(patch, path = "/me/notification-settings", tag = "notifications",
    security(("bearer" = [])),
    request_body = SettingsPatch,
    responses((status = 200, body = NotificationSettings)))]
pub async fn update_settings(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(patch): ApiJson<SettingsPatch>,
) -> AppResult<Json<NotificationSettings>> {
    Ok(Json(service::update_settings(&state, user, patch).await?))
}

/// 알림 / My notifications, newest first, with the unread count.
#[utoipa::path(get, path = "/notifications", tag = "notifications", security(("bearer" = [])),
    params(NotificationQuery, PageQuery),
    responses((status = 200, body = NotificationPage)))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<NotificationQuery>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> AppResult<Json<NotificationPage>> {
    let unread = query.unread.unwrap_or(false);
    Ok(Json(service::list(&state, user, unread, page.req()).await?))
}

/// 읽음 표시 / Mark some (`ids`) or all (`all: true`) read.
#[utoipa::path(post, path = "/notifications/read", tag = "notifications",
    security(("bearer" = [])),
    request_body = MarkRead,
    responses((status = 204, description = "표시했어요")))]
pub async fn mark_read(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<MarkRead>,
) -> AppResult<StatusCode> {
    service::mark_read(&state, user, input).await?;
    Ok(StatusCode::NO_CONTENT)
}
