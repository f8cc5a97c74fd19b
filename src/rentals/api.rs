//! JSON handlers for rentals and reviews. `router()` registers them with their OpenAPI
//! descriptions; each action on a rental is its own route.
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::*;
use super::service;
use crate::catalog::model::Period;
use crate::domain::page::{Page, PageQuery};
use crate::http::extract::{ApiJson, ApiPath, AuthUser, MaybeUser};
use crate::http::query::ApiQuery;
use crate::http::AppResult;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request))
        .routes(routes!(list))
        .routes(routes!(get))
        .routes(routes!(accept))
        .routes(routes!(reject))
        .routes(routes!(cancel))
        .routes(routes!(mark_returned))
        .routes(routes!(review))
        .routes(routes!(availability))
}

/// 대여 요청 / Ask to rent an item for a period (or, on a 빌려요 post, offer it).
#[utoipa::path(post, path = "/items/{id}/rentals", tag = "rentals", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    request_body = RentalRequest,
    responses(
        (status = 201, body = Rental),
        (status = 403, description = "내 물품에는 요청할 수 없어요"),
        (status = 409, description = "대여할 수 없는 상태이거나 기간이 겹쳐요"),
    ))]
pub async fn request(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(item_id): ApiPath<i64>,
    ApiJson(input): ApiJson<RentalRequest>,
) -> AppResult<(StatusCode, Json<Rental>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::request(&state, user, item_id, input).await?),
    ))
}

/// 내 대여 / My rentals, as lender, borrower or either, newest first.
#[utoipa::path(get, path = "/rentals", tag = "rentals", security(("bearer" = [])),
    params(RentalFilter, PageQuery),
    responses((status = 200, body = Page<Rental>)))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(filter): ApiQuery<RentalFilter>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> AppResult<Json<Page<Rental>>> {
    Ok(Json(service::list(&state, user, filter, page.req()).await?))
}

/// 대여 하나 / One rental (its parties only), with what the caller may do now (`actions`).
#[utoipa::path(get, path = "/rentals/{id}", tag = "rentals", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, body = Rental),
        (status = 403, description = "대여의 당사자가 아니에요"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Rental>> {
    Ok(Json(service::get(&state, user, id).await?))
}

async fn act(state: AppState, user: AuthUser, id: i64, action: Action) -> AppResult<Json<Rental>> {
    Ok(Json(service::transition(&state, user, id, action).await?))
}

/// 수락 / Accept a request (the party who did not ask; before the start).
#[utoipa::path(post, path = "/rentals/{id}/accept", tag = "rentals", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, body = Rental),
        (status = 403, description = "이 대여에서 할 수 없는 일이에요"),
        (status = 409, description = "지금 상태에서 할 수 없거나 기간이 겹쳐요"),
    ))]
pub async fn accept(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Rental>> {
    act(state, user, id, Action::Accept).await
}

/// 거절 / Reject a request.
#[utoipa::path(post, path = "/rentals/{id}/reject", tag = "rentals", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, body = Rental),
        (status = 403, description = "이 대여에서 할 수 없는 일이에요"),
        (status = 409, description = "지금 상태에서 할 수 없어요"),
    ))]
pub async fn reject(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Rental>> {
    act(state, user, id, Action::Reject).await
}

/// 취소 / Cancel: the asker while requested, either party before an accepted rental starts.
#[utoipa::path(post, path = "/rentals/{id}/cancel", tag = "rentals", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, body = Rental),
        (status = 403, description = "이 대여에서 할 수 없는 일이에요"),
        (status = 409, description = "지금 상태에서 할 수 없어요"),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Rental>> {
    act(state, user, id, Action::Cancel).await
}

/// 반납 확인 / The lender confirms the item came back.
#[utoipa::path(post, path = "/rentals/{id}/return", tag = "rentals", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, body = Rental),
        (status = 403, description = "빌려준 사람만 반납을 확인해요"),
        (status = 409, description = "지금 상태에서 할 수 없어요"),
    ))]
pub async fn mark_returned(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Rental>> {
    act(state, user, id, Action::Return).await
}

/// 후기 / Review the other party of a returned rental (once each; shown after both wrote or
/// 14 days passed).
#[utoipa::path(post, path = "/rentals/{id}/reviews", tag = "rentals", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    request_body = ReviewInput,
    responses(
        (status = 201, body = Review),
        (status = 403, description = "대여의 당사자가 아니에요"),
        (status = 409, description = "반납 전이거나 이미 후기를 썼어요"),
    ))]
pub async fn review(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ReviewInput>,
) -> AppResult<(StatusCode, Json<Review>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::review(&state, user, id, input).await?),
    ))
}

/// 예약 달력 / Booked (accepted) periods of an item in a window.
#[utoipa::path(get, path = "/items/{id}/availability", tag = "rentals",
    security((), ("bearer" = [])),
    params(("id" = i64, Path, minimum = 1), AvailabilityQuery),
    responses((status = 200, body = Vec<Period>)))]
pub async fn availability(
    State(state): State<AppState>,
    viewer: MaybeUser,
    ApiPath(item_id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<AvailabilityQuery>,
) -> AppResult<Json<Vec<Period>>> {
    Ok(Json(
        service::availability(&state, viewer, item_id, query).await?,
    ))
}
