//! JSON handlers for accounts: parse, call the service, render.
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::Json;

use super::model::*;
use super::service;
use crate::app::AppState;
use crate::http::extract::{ApiJson, ApiPath, AuthUser, ClientAddr};
use crate::http::params::{Page, Params};
use crate::http::{multipart, AppResult};
use crate::rentals;

pub async fn signup(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(input): ApiJson<SignupInput>,
) -> AppResult<(StatusCode, Json<AuthResponse>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::signup(&state, input, &addr).await?),
    ))
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(input): ApiJson<LoginInput>,
) -> AppResult<Json<AuthResponse>> {
    Ok(Json(service::login(&state, input, &addr).await?))
}

pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<RefreshInput>,
) -> AppResult<Json<TokenPair>> {
    Ok(Json(service::refresh(&state, &input.refresh_token).await?))
}

pub async fn logout(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<RefreshInput>,
) -> AppResult<StatusCode> {
    service::logout(&state, &input.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<PrivateUser>> {
    Ok(Json(service::private_user(&state, user.id).await?))
}

pub async fn patch_me(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(patch): ApiJson<ProfilePatch>,
) -> AppResult<Json<PrivateUser>> {
    Ok(Json(service::update_profile(&state, user, patch).await?))
}

pub async fn put_avatar(
    State(state): State<AppState>,
    user: AuthUser,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Json<PrivateUser>> {
    let mut images = multipart::images(mp, 1).await?;
    let data = images.pop().unwrap_or_default();
    Ok(Json(service::set_avatar(&state, user, data).await?))
}

pub async fn change_password(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<PasswordChange>,
) -> AppResult<StatusCode> {
    service::change_password(&state, user, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete_me(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<DeleteAccount>,
) -> AppResult<StatusCode> {
    service::delete_account(&state, user, input.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn user(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<PublicUser>> {
    Ok(Json(service::public_user(&state, id).await?))
}

pub async fn user_reviews(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    params: Params,
    viewer: crate::http::extract::MaybeUser,
) -> AppResult<Json<Page<rentals::model::Review>>> {
    let page = params.page()?;
    Ok(Json(
        rentals::service::reviews_of_user(&state, id, viewer.0, page).await?,
    ))
}
