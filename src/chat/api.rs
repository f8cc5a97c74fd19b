//! JSON handlers for chat.
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::model::*;
use super::service;
use crate::app::AppState;
use crate::http::extract::{ApiJson, ApiPath, AuthUser};
use crate::http::params::Params;
use crate::http::AppResult;

pub async fn open_room(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(item_id): ApiPath<i64>,
) -> AppResult<(StatusCode, Json<Room>)> {
    let (room, created) = service::open_room(&state, user, item_id).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(room)))
}

pub async fn rooms(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<Vec<Room>>> {
    Ok(Json(service::rooms(&state, user).await?))
}

pub async fn room(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(room_id): ApiPath<i64>,
) -> AppResult<Json<Room>> {
    Ok(Json(service::room(&state, user, room_id).await?))
}

pub async fn messages(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(room_id): ApiPath<i64>,
    params: Params,
) -> AppResult<Json<History>> {
    Ok(Json(
        service::history(&state, user, room_id, &params).await?,
    ))
}

pub async fn send(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(room_id): ApiPath<i64>,
    ApiJson(input): ApiJson<SendInput>,
) -> AppResult<(StatusCode, Json<Message>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::send(&state, user, room_id, &input.body).await?),
    ))
}

pub async fn read(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(room_id): ApiPath<i64>,
    ApiJson(input): ApiJson<ReadInput>,
) -> AppResult<StatusCode> {
    service::read(&state, user.id, room_id, input.last_read_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
