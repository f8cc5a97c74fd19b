//! JSON handlers for reports, feedback and /admin.
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::model::*;
use super::service;
use crate::app::AppState;
use crate::catalog::model::CategoryInput;
use crate::catalog::model::{Category, ItemDetail};
use crate::http::extract::{ApiJson, ApiPath, AuthUser};
use crate::http::params::{Page, Params};
use crate::http::{AppError, AppResult};

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

pub async fn admin_reports(
    State(state): State<AppState>,
    user: AuthUser,
    params: Params,
) -> AppResult<Json<Page<Report>>> {
    let status = params
        .one_of("status", &["open", "resolved"])?
        .and_then(ReportStatus::parse)
        .unwrap_or(ReportStatus::Open);
    Ok(Json(
        service::reports(&state, user, status, params.page()?).await?,
    ))
}

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

pub async fn admin_feedback(
    State(state): State<AppState>,
    user: AuthUser,
    params: Params,
) -> AppResult<Json<Page<Feedback>>> {
    Ok(Json(
        service::feedback_list(&state, user, params.page()?).await?,
    ))
}

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

pub async fn admin_delete_category(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    service::delete_category(&state, user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /admin/users/{id}/suspend|unsuspend`.
pub async fn admin_user_action(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, action)): ApiPath<(i64, String)>,
) -> AppResult<StatusCode> {
    let suspend = match action.as_str() {
        "suspend" => true,
        "unsuspend" => false,
        _ => return Err(AppError::not_found()),
    };
    service::set_suspended(&state, user, id, suspend).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /admin/items/{id}/restore`.
pub async fn admin_restore_item(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<ItemDetail>> {
    Ok(Json(service::restore_item(&state, user, id).await?))
}
