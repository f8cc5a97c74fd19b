//! JSON handlers for the catalog. `router()` registers them with their OpenAPI descriptions.
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::*;
use super::service;
use crate::domain::page::{Page, PageQuery};
use crate::http::extract::{ApiJson, ApiPath, AuthUser, MaybeUser};
use crate::http::query::{parse_query, ApiQuery};
use crate::http::{multipart, AppError, AppResult};
use crate::media::{ImageUpload, IMAGE_BODY};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    let (schemas, paths, images) = routes!(add_images);
    OpenApiRouter::new()
        .routes(routes!(categories))
        .routes(routes!(list, create))
        .routes(routes!(detail, update, delete))
        .routes((
            schemas,
            paths,
            // Up to ten images and the multipart framing.
            images.layer(DefaultBodyLimit::max(MAX_IMAGES * IMAGE_BODY)),
        ))
        .routes(routes!(reorder_images))
        .routes(routes!(delete_image))
        .routes(routes!(bookmark, unbookmark))
        .routes(routes!(my_bookmarks))
}

/// 카테고리 / Every category, in display order.
#[utoipa::path(get, path = "/categories", tag = "catalog",
    responses((status = 200, body = Vec<Category>)))]
pub async fn categories(State(state): State<AppState>) -> AppResult<Json<Vec<Category>>> {
    Ok(Json(service::categories(&state).await?))
}

/// 물품 목록과 검색 / Items by section, category, 동네 (and radius), words, price and owner.
///
/// A public listing (no `status` beyond available/rented) is served from a short micro-cache
/// that any write clears.
#[utoipa::path(get, path = "/items", tag = "catalog", security((), ("bearer" = [])),
    params(ItemFilter, PageQuery),
    responses(
        (status = 200, body = Page<ItemSummary>),
        (status = 503, description = "느린 검색이 몰려 있어요 (`unavailable`, Retry-After)"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    viewer: MaybeUser,
    uri: axum::http::Uri,
) -> AppResult<Response> {
    // The serialised page is what is cached, by the raw query: a hit costs no parsing, no query
    // and no serialisation. Only a public listing that parsed and ran is ever stored.
    let query = uri.query().unwrap_or("");
    let now = state.clock.now_ms();
    // A viewer in a block sees pages of their own, cached under their id: never the shared ones.
    let personal = match viewer.0 {
        Some(v) => !crate::accounts::blocks::relations(&state, v.id)
            .await?
            .is_empty(),
        None => false,
    };
    // A query string never holds `#` (it ends the URL's query), so no raw query can be
    // mistaken for a viewer's key.
    let key = match viewer.0 {
        Some(v) if personal => std::borrow::Cow::Owned(format!("#{}#{query}", v.id)),
        _ => std::borrow::Cow::Borrowed(query),
    };
    if let Some(hit) = state
        .cache
        .lists
        .get(key.as_ref(), state.writes.current(), now)
    {
        return Ok(json_bytes(hit));
    }
    let filter: ItemFilter = parse_query(query)?;
    let page: PageQuery = parse_query(query)?;
    let run = || async {
        let page = service::list(&state, viewer.0, &filter, page.req()).await?;
        let body = serde_json::to_vec(&page).map_err(|e| AppError::Internal(e.into()))?;
        Ok::<_, AppError>(bytes::Bytes::from(body))
    };
    let body = if filter.is_public() {
        // Many connections missing the same page at once run it once.
        let (writes, clock) = (&state.writes, &state.clock);
        state
            .cache
            .lists
            .fill(
                key.into_owned(),
                || writes.current(),
                || clock.now_ms(),
                run,
            )
            .await?
    } else {
        run().await?
    };
    Ok(json_bytes(body))
}

fn json_bytes(body: bytes::Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// 물품 등록 / List an item (빌려드려요) or a wish (빌려요).
#[utoipa::path(post, path = "/items", tag = "catalog", security(("bearer" = [])),
    request_body = NewItem,
    responses((status = 201, body = ItemDetail)))]
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

/// 물품 상세 / One item with images, owner, bookings and reviews (counts a view).
#[utoipa::path(get, path = "/items/{id}", tag = "catalog", security((), ("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = ItemDetail)))]
pub async fn detail(
    State(state): State<AppState>,
    viewer: MaybeUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<ItemDetail>> {
    Ok(Json(
        service::detail_for_viewer(&state, viewer.0, id).await?,
    ))
}

/// 물품 수정 / Change an item (its owner; an admin's hide stands until restored).
#[utoipa::path(patch, path = "/items/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    request_body = ItemPatch,
    responses(
        (status = 200, body = ItemDetail),
        (status = 403, description = "주인이 아니거나 관리자가 숨긴 물품이에요"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<ItemPatch>,
) -> AppResult<Json<ItemDetail>> {
    Ok(Json(service::update(&state, user, id, patch).await?))
}

/// 물품 삭제 / Delete an item (its owner or an admin).
#[utoipa::path(delete, path = "/items/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses(
        (status = 204, description = "지웠어요"),
        (status = 403, description = "주인이 아니에요"),
        (status = 409, description = "진행 중인 대여가 있어요"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    service::delete(&state, user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 사진 추가 / Add images (at most 10 per item, 10 MB each).
#[utoipa::path(post, path = "/items/{id}/images", tag = "catalog", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    request_body(content = ImageUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = Vec<Image>),
        (status = 403, description = "주인이 아니에요"),
        (status = 413, description = "사진이 너무 커요"),
        (status = 415, description = "읽을 수 없는 이미지예요"),
    ))]
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

/// 사진 삭제 / Delete one image.
#[utoipa::path(delete, path = "/items/{id}/images/{image_id}", tag = "catalog",
    security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1), ("image_id" = i64, Path, minimum = 1)),
    responses(
        (status = 204, description = "지웠어요"),
        (status = 403, description = "주인이 아니에요"),
    ))]
pub async fn delete_image(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, image_id)): ApiPath<(i64, i64)>,
) -> AppResult<StatusCode> {
    service::delete_image(&state, user, id, image_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 사진 순서 / Reorder the images (every id once).
#[utoipa::path(put, path = "/items/{id}/images/order", tag = "catalog",
    security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    request_body = ImageOrder,
    responses(
        (status = 200, body = Vec<Image>),
        (status = 403, description = "주인이 아니에요"),
    ))]
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

/// 찜하기 / Bookmark an item (idempotent).
#[utoipa::path(put, path = "/items/{id}/bookmark", tag = "catalog", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = BookmarkState)))]
pub async fn bookmark(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<BookmarkState>> {
    Ok(Json(service::set_bookmark(&state, user, id, true).await?))
}

/// 찜 취소 / Remove the bookmark (idempotent).
#[utoipa::path(delete, path = "/items/{id}/bookmark", tag = "catalog",
    security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = BookmarkState)))]
pub async fn unbookmark(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<BookmarkState>> {
    Ok(Json(service::set_bookmark(&state, user, id, false).await?))
}

/// 찜한 물품 / My bookmarks, newest first.
#[utoipa::path(get, path = "/me/bookmarks", tag = "catalog", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<ItemSummary>)))]
pub async fn my_bookmarks(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> AppResult<Json<Page<ItemSummary>>> {
    Ok(Json(service::my_bookmarks(&state, user, page.req()).await?))
}
