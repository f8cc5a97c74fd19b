use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::model::*;
use super::service;
use crate::app::AppState;
use crate::http::extract::{ApiJson, AuthUser};
use crate::http::params::Params;
use crate::http::AppResult;

pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    params: Params,
) -> AppResult<Json<NotificationPage>> {
    let unread = params.bool("unread")?.unwrap_or(false);
    Ok(Json(
        service::list(&state, user, unread, params.page()?).await?,
    ))
}

pub async fn mark_read(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<MarkRead>,
) -> AppResult<StatusCode> {
    service::mark_read(&state, user, input).await?;
    Ok(StatusCode::NO_CONTENT)
}
