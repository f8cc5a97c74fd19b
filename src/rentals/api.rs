//! JSON handlers for rentals and reviews.
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::model::*;
use super::service;
use crate::app::AppState;
use crate::catalog::model::Period;
use crate::http::extract::{parse_json, ApiJson, ApiPath, AuthUser, MaybeUser};
use crate::http::params::{Page, Params};
use crate::http::AppResult;

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

pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    params: Params,
) -> AppResult<Json<Page<Rental>>> {
    Ok(Json(service::list(&state, user, &params).await?))
}

pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Rental>> {
    Ok(Json(service::get(&state, user, id).await?))
}

/// `POST /rentals/{id}/{accept|reject|cancel|return|reviews}`.
pub async fn transition(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, action)): ApiPath<(i64, String)>,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    if action == "reviews" {
        let input: ReviewInput = parse_json(&body)?;
        let review = service::review(&state, user, id, input).await?;
        return Ok((StatusCode::CREATED, Json(review)).into_response());
    }
    Ok(Json(service::transition(&state, user, id, &action).await?).into_response())
}

pub async fn availability(
    State(state): State<AppState>,
    viewer: MaybeUser,
    ApiPath(item_id): ApiPath<i64>,
    params: Params,
) -> AppResult<Json<Vec<Period>>> {
    Ok(Json(
        service::availability(&state, viewer, item_id, &params).await?,
    ))
}
