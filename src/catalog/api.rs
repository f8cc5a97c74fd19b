//! JSON handlers for the catalog.
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;

use super::model::*;
use super::service;
use crate::app::AppState;
use crate::http::extract::{ApiJson, ApiPath, AuthUser, MaybeUser};
use crate::http::params::{Page, Params};
use crate::http::{multipart, AppResult};

pub async fn categories(State(state): State<AppState>) -> AppResult<Json<Vec<Category>>> {
    Ok(Json(service::categories(&state).await?))
}

pub async fn list(
    State(state): State<AppState>,
    viewer: MaybeUser,
    uri: axum::http::Uri,
    params: Params,
) -> AppResult<axum::response::Response> {
    let body = service::list_json(&state, viewer.0, &params, uri.query().unwrap_or("")).await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<NewItem>,
) -> AppResult<(StatusCode, Json<ItemDetail>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create(&state, user, input).await?),
    ))
}

pub async fn detail(
    State(state): State<AppState>,
    viewer: MaybeUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<ItemDetail>> {
    Ok(Json(
        service::detail_for_viewer(&state, viewer.0, id).await?,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<ItemPatch>,
) -> AppResult<Json<ItemDetail>> {
    Ok(Json(service::update(&state, user, id, patch).await?))
}

pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    service::delete(&state, user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn add_images(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<(StatusCode, Json<Vec<Image>>)> {
    let files = multipart::images(mp, MAX_IMAGES).await?;
    Ok((
        StatusCode::CREATED,
        Json(service::add_images(&state, user, id, files).await?),
    ))
}

pub async fn delete_image(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, image_id)): ApiPath<(i64, i64)>,
) -> AppResult<StatusCode> {
    service::delete_image(&state, user, id, image_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn reorder_images(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(order): ApiJson<ImageOrder>,
) -> AppResult<Json<Vec<Image>>> {
    Ok(Json(
        service::reorder_images(&state, user, id, order.ids).await?,
    ))
}

pub async fn bookmark(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<BookmarkState>> {
    Ok(Json(service::set_bookmark(&state, user, id, true).await?))
}

pub async fn unbookmark(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<BookmarkState>> {
    Ok(Json(service::set_bookmark(&state, user, id, false).await?))
}

pub async fn my_bookmarks(
    State(state): State<AppState>,
    user: AuthUser,
    params: Params,
) -> AppResult<Json<Page<ItemSummary>>> {
    Ok(Json(
        service::my_bookmarks(&state, user, params.page()?).await?,
    ))
}
