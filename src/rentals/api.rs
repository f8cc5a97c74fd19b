//! JSON handlers for rentals and reviews. `router()` registers them with their OpenAPI
//! descriptions; each action on a rental is its own route.
use axum::extract::{DefaultBodyLimit, Multipart, State};
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
use crate::http::{multipart, AppResult};
use crate::media::IMAGE_BODY;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    let (schemas, paths, record) = routes!(record_handover);
    // Up to six photos and the multipart framing.
    let handovers = (
        schemas,
        paths,
        record.layer(DefaultBodyLimit::max(HANDOVER_IMAGES_MAX * IMAGE_BODY)),
    );
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
        .routes(routes!(request_extension))
        .routes(routes!(accept_extension))
        .routes(routes!(reject_extension))
        .routes(routes!(cancel_extension))
        .routes(handovers)
        .routes(routes!(confirm_handover))
        .routes(routes!(deposit))
        .routes(routes!(open_dispute))
        .routes(routes!(admin_disputes))
        .routes(routes!(admin_resolve_dispute))
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

/// 연장 요청 / The borrower asks to move the end later (while accepted and not yet due).
#[utoipa::path(post, path = "/rentals/{id}/extensions", tag = "rentals", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    request_body = ExtensionInput,
    responses(
        (status = 201, body = Extension),
        (status = 403, description = "빌린 사람만 연장을 요청해요"),
        (status = 409, description = "진행 중이 아니거나, 다른 예약과 겹치거나, 답을 기다리는 연장이 있어요"),
    ))]
pub async fn request_extension(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ExtensionInput>,
) -> AppResult<(StatusCode, Json<Extension>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::request_extension(&state, user, id, input).await?),
    ))
}

async fn decide(
    state: AppState,
    user: AuthUser,
    (id, ext_id): (i64, i64),
    decision: service::ExtensionDecision,
) -> AppResult<Json<Extension>> {
    Ok(Json(
        service::decide_extension(&state, user, id, ext_id, decision).await?,
    ))
}

/// 연장 수락 / The lender accepts: the rental's end and price move at once.
#[utoipa::path(post, path = "/rentals/{id}/extensions/{ext_id}/accept", tag = "rentals",
    security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1), ("ext_id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, body = Extension),
        (status = 403, description = "빌려준 사람만 수락해요"),
        (status = 409, description = "답을 기다리는 연장이 아니거나 다른 예약과 겹쳐요"),
    ))]
pub async fn accept_extension(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(ids): ApiPath<(i64, i64)>,
) -> AppResult<Json<Extension>> {
    decide(state, user, ids, service::ExtensionDecision::Accept).await
}

/// 연장 거절 / The lender declines.
#[utoipa::path(post, path = "/rentals/{id}/extensions/{ext_id}/reject", tag = "rentals",
    security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1), ("ext_id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, body = Extension),
        (status = 403, description = "빌려준 사람만 거절해요"),
        (status = 409, description = "답을 기다리는 연장이 아니에요"),
    ))]
pub async fn reject_extension(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(ids): ApiPath<(i64, i64)>,
) -> AppResult<Json<Extension>> {
    decide(state, user, ids, service::ExtensionDecision::Reject).await
}

/// 연장 취소 / The borrower withdraws the request.
#[utoipa::path(post, path = "/rentals/{id}/extensions/{ext_id}/cancel", tag = "rentals",
    security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1), ("ext_id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, body = Extension),
        (status = 403, description = "연장을 요청한 사람만 취소해요"),
        (status = 409, description = "답을 기다리는 연장이 아니에요"),
    ))]
pub async fn cancel_extension(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(ids): ApiPath<(i64, i64)>,
) -> AppResult<Json<Extension>> {
    decide(state, user, ids, service::ExtensionDecision::Cancel).await
}

/// 인수·반납 기록 / Record the item's condition at pickup or return with 1–6 photos (metadata
/// removed); one per party per stage, confirmed by the other party.
#[utoipa::path(post, path = "/rentals/{id}/handovers", tag = "rentals", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    request_body(content = HandoverUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = Handover),
        (status = 403, description = "대여의 당사자가 아니에요"),
        (status = 409, description = "지금 단계에서 기록할 수 없거나 이미 기록했어요"),
        (status = 415, description = "읽을 수 없는 이미지예요"),
    ))]
pub async fn record_handover(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<(StatusCode, Json<Handover>)> {
    // Strangers are refused before their photos are read.
    service::party_of(&state, user, id).await?;
    let multipart::Form { text, images } =
        multipart::form(mp, &["stage", "note"], HANDOVER_IMAGES_MAX).await?;
    let handover = service::record_handover(
        &state,
        user,
        id,
        text.get("stage").map(String::as_str),
        text.get("note").map(String::as_str),
        images,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(handover)))
}

/// 기록 확인 / The other party confirms a condition record.
#[utoipa::path(post, path = "/rentals/{id}/handovers/{handover_id}/confirm", tag = "rentals",
    security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1), ("handover_id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, body = Handover),
        (status = 403, description = "상대방의 기록만 확인해요"),
    ))]
pub async fn confirm_handover(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, handover_id)): ApiPath<(i64, i64)>,
) -> AppResult<Json<Handover>> {
    Ok(Json(
        service::confirm_handover(&state, user, id, handover_id).await?,
    ))
}

/// 보증금 / A step of the deposit: `held` (lender), `returned` (borrower), `withheld` (lender,
/// after the return, with a note; opens a dispute).
#[utoipa::path(post, path = "/rentals/{id}/deposit", tag = "rentals", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    request_body = DepositInput,
    responses(
        (status = 200, body = Rental),
        (status = 403, description = "이 단계를 할 사람이 아니에요"),
        (status = 409, description = "보증금이 없거나 지금 상태에서 할 수 없어요"),
    ))]
pub async fn deposit(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<DepositInput>,
) -> AppResult<Json<Rental>> {
    Ok(Json(service::deposit(&state, user, id, input).await?))
}

/// 분쟁 신청 / A party opens a dispute (once the rental started, up to 14 days after the
/// return; one open at a time).
#[utoipa::path(post, path = "/rentals/{id}/disputes", tag = "rentals", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    request_body = DisputeInput,
    responses(
        (status = 201, body = Dispute),
        (status = 403, description = "대여의 당사자가 아니에요"),
        (status = 409, description = "신청할 수 있는 때가 아니거나 이미 진행 중이에요"),
    ))]
pub async fn open_dispute(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<DisputeInput>,
) -> AppResult<(StatusCode, Json<Dispute>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::open_dispute(&state, user, id, input).await?),
    ))
}

/// 분쟁 목록 (관리자) / Disputes by status (default open), newest first.
#[utoipa::path(get, path = "/admin/disputes", tag = "moderation", security(("bearer" = [])),
    params(DisputeFilter, PageQuery),
    responses(
        (status = 200, body = Page<Dispute>),
        (status = 403, description = "관리자만 볼 수 있어요"),
    ))]
pub async fn admin_disputes(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(filter): ApiQuery<DisputeFilter>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> AppResult<Json<Page<Dispute>>> {
    let status = filter.status.unwrap_or(DisputeStatus::Open);
    Ok(Json(
        service::admin_disputes(&state, user, status, page.req()).await?,
    ))
}

/// 분쟁 처리 (관리자) / Settle a dispute; both parties are notified.
#[utoipa::path(post, path = "/admin/disputes/{id}/resolve", tag = "moderation",
    security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    request_body = ResolutionInput,
    responses(
        (status = 200, body = Dispute),
        (status = 403, description = "관리자만 할 수 있어요"),
        (status = 409, description = "이미 처리된 분쟁이에요"),
    ))]
pub async fn admin_resolve_dispute(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ResolutionInput>,
) -> AppResult<Json<Dispute>> {
    Ok(Json(
        service::resolve_dispute(&state, user, id, input).await?,
    ))
}
