//! JSON handlers for chat. `router()` registers them with their OpenAPI descriptions.
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::*;
use super::service;
use crate::http::extract::{ApiJson, ApiPath, AuthUser};
use crate::http::query::ApiQuery;
use crate::http::AppResult;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open_room))
        .routes(routes!(rooms))
        .routes(routes!(room))
        .routes(routes!(messages, send))
        .routes(routes!(read))
        .routes(routes!(mute, unmute))
}

/// 알림 끄기 / Mute the room for me: messages still arrive and count as unread, but make no
/// `chat_message` notifications for me. Idempotent.
#[utoipa::path(put, path = "/chats/{room_id}/mute", tag = "chat", security(("bearer" = [])),
    params(("room_id" = i64, Path, minimum = 1)),
    responses(
        (status = 204, description = "알림을 껐어요"),
        (status = 403, description = "이 채팅방의 참여자가 아니에요"),
    ))]
pub async fn mute(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(room_id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    service::set_muted(&state, user, room_id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 알림 켜기 / Unmute the room for me. Idempotent.
#[utoipa::path(delete, path = "/chats/{room_id}/mute", tag = "chat", security(("bearer" = [])),
    params(("room_id" = i64, Path, minimum = 1)),
    responses(
        (status = 204, description = "알림을 켰어요"),
        (status = 403, description = "이 채팅방의 참여자가 아니에요"),
    ))]
pub async fn unmute(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(room_id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    service::set_muted(&state, user, room_id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 채팅하기 / Open (or find) the chat with the item's owner.
#[utoipa::path(post, path = "/items/{id}/chats", tag = "chat", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses(
        (status = 201, description = "새 채팅방", body = Room),
        (status = 200, description = "이미 있던 채팅방", body = Room),
        (status = 400, description = "내 물품에는 채팅을 열 수 없어요"),
    ))]
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

/// 내 채팅방 / My rooms, latest activity first.
#[utoipa::path(get, path = "/chats", tag = "chat", security(("bearer" = [])),
    responses((status = 200, body = Vec<Room>)))]
pub async fn rooms(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<Vec<Room>>> {
    Ok(Json(service::rooms(&state, user).await?))
}

/// 채팅방 / One of my rooms (404 for anyone else's).
#[utoipa::path(get, path = "/chats/{room_id}", tag = "chat", security(("bearer" = [])),
    params(("room_id" = i64, Path, minimum = 1)),
    responses((status = 200, body = Room)))]
pub async fn room(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(room_id): ApiPath<i64>,
) -> AppResult<Json<Room>> {
    Ok(Json(service::room(&state, user, room_id).await?))
}

/// 메시지 기록 / History by cursor: `before` for older, `after` to catch up after a reconnect.
#[utoipa::path(get, path = "/chats/{room_id}/messages", tag = "chat",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, minimum = 1), HistoryQuery),
    responses((status = 200, body = History)))]
pub async fn messages(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(room_id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> AppResult<Json<History>> {
    Ok(Json(service::history(&state, user, room_id, &query).await?))
}

/// 메시지 보내기 / Send a message (the socket's `send` frame does the same, faster).
#[utoipa::path(post, path = "/chats/{room_id}/messages", tag = "chat",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, minimum = 1)),
    request_body = SendInput,
    responses((status = 201, body = Message)))]
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

/// 읽음 표시 / Mark the room read up to a message.
#[utoipa::path(post, path = "/chats/{room_id}/read", tag = "chat", security(("bearer" = [])),
    params(("room_id" = i64, Path, minimum = 1)),
    request_body = ReadInput,
    responses((status = 204, description = "표시했어요")))]
pub async fn read(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(room_id): ApiPath<i64>,
    ApiJson(input): ApiJson<ReadInput>,
) -> AppResult<StatusCode> {
    service::read(&state, user.id, room_id, input.last_read_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
