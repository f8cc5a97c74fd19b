//! JSON handlers for accounts: parse, call the service, render. `router()` registers them with
//! their OpenAPI descriptions.
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::*;
use super::{blocks, identities, oidc, service};
use crate::domain::page::{Page, PageQuery};
use crate::http::extract::{ApiJson, ApiPath, AuthUser, ClientAddr, MaybeUser};
use crate::http::query::ApiQuery;
use crate::http::{multipart, AppResult};
use crate::media::{ImageUpload, IMAGE_BODY};
use crate::rentals;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    let (schemas, paths, avatar) = routes!(put_avatar);
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(providers))
        .routes(routes!(kakao_sign_in))
        .routes(routes!(my_identities))
        .routes(routes!(link_kakao, unlink_kakao))
        .routes(routes!(me, patch_me, delete_me))
        .routes((
            schemas,
            paths,
            avatar.layer(DefaultBodyLimit::max(IMAGE_BODY)),
        ))
        .routes(routes!(change_password))
        .routes(routes!(user))
        .routes(routes!(my_blocks))
        .routes(routes!(verify_region))
        .routes(routes!(block_user, unblock_user))
        .routes(routes!(user_reviews))
}

/// 가입 / Sign up.
#[utoipa::path(post, path = "/auth/signup", tag = "accounts",
    request_body = SignupInput,
    responses(
        (status = 201, description = "가입했어요: 사용자와 토큰", body = AuthResponse),
        (status = 409, description = "이메일이나 닉네임이 이미 쓰이고 있어요"),
        (status = 429, description = "한 주소에서 가입이 너무 많아요 (시간당 10번)"),
    ))]
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

/// 로그인 / Log in with email and password.
#[utoipa::path(post, path = "/auth/login", tag = "accounts",
    request_body = LoginInput,
    responses(
        (status = 200, description = "로그인했어요", body = AuthResponse),
        (status = 401, description = "이메일이나 비밀번호가 틀렸어요 (어느 쪽인지 말하지 않아요)"),
        (status = 429, description = "실패가 너무 많아요"),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(input): ApiJson<LoginInput>,
) -> AppResult<Json<AuthResponse>> {
    Ok(Json(service::login(&state, input, &addr).await?))
}

/// 토큰 갱신 / Rotate the refresh token: the old one stops working; reusing it ends the login.
#[utoipa::path(post, path = "/auth/refresh", tag = "accounts",
    request_body = RefreshInput,
    responses(
        (status = 200, description = "새 토큰", body = TokenPair),
        (status = 401, description = "만료되었거나 이미 쓴 토큰이에요"),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<RefreshInput>,
) -> AppResult<Json<TokenPair>> {
    Ok(Json(service::refresh(&state, &input.refresh_token).await?))
}

/// 로그아웃 / End the login of this refresh token (its sockets close with 4401).
#[utoipa::path(post, path = "/auth/logout", tag = "accounts",
    request_body = RefreshInput,
    responses((status = 204, description = "로그아웃했어요")))]
pub async fn logout(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<RefreshInput>,
) -> AppResult<StatusCode> {
    service::logout(&state, &input.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 로그인 제공자 / The configured sign-in providers (none, or Kakao).
#[utoipa::path(get, path = "/auth/providers", tag = "accounts",
    responses((status = 200, body = Vec<ProviderInfo>)))]
pub async fn providers(State(state): State<AppState>) -> Json<Vec<ProviderInfo>> {
    Json(identities::providers(&state))
}

/// 카카오로 로그인 (앱) / Sign in with an ID token from the Kakao SDK; the first time makes the
/// account (201, `created: true`).
#[utoipa::path(post, path = "/auth/oidc/kakao", tag = "accounts",
    request_body = IdTokenInput,
    responses(
        (status = 200, description = "연결된 계정으로 로그인했어요", body = IdentityAuthResponse),
        (status = 201, description = "새 계정을 만들었어요", body = IdentityAuthResponse),
        (status = 401, description = "ID 토큰을 확인하지 못했어요"),
        (status = 403, description = "이용이 정지된 계정이에요"),
        (status = 404, description = "카카오 로그인이 설정되어 있지 않아요"),
    ))]
pub async fn kakao_sign_in(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<IdTokenInput>,
) -> AppResult<(StatusCode, Json<IdentityAuthResponse>)> {
    let r = identities::sign_in_with_token(&state, oidc::KAKAO.id, input).await?;
    let status = if r.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(r)))
}

/// 연결된 로그인 수단 / The account's linked sign-in identities.
#[utoipa::path(get, path = "/me/identities", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<Identity>)))]
pub async fn my_identities(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<Identity>>> {
    Ok(Json(identities::list(&state, user.id).await?))
}

/// 카카오 연결 / Link a Kakao identity (an ID token from the SDK) to this account.
#[utoipa::path(post, path = "/me/identities/kakao", tag = "accounts", security(("bearer" = [])),
    request_body = IdTokenInput,
    responses(
        (status = 201, description = "연결했어요", body = Identity),
        (status = 404, description = "카카오 로그인이 설정되어 있지 않아요"),
        (status = 409, description = "그 카카오 계정은 다른 계정에 연결되어 있어요"),
    ))]
pub async fn link_kakao(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<IdTokenInput>,
) -> AppResult<(StatusCode, Json<Identity>)> {
    let linked = identities::link(&state, user, oidc::KAKAO.id, input).await?;
    Ok((StatusCode::CREATED, Json(linked)))
}

/// 카카오 연결 해제 / Unlink Kakao; refused while it is the account's only way to sign in.
#[utoipa::path(delete, path = "/me/identities/kakao", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 204, description = "연결을 해제했어요"),
        (status = 404, description = "카카오가 연결되어 있지 않아요"),
        (status = 409, description = "다른 로그인 방법이 없어요 (비밀번호를 먼저 설정해 주세요)"),
    ))]
pub async fn unlink_kakao(State(state): State<AppState>, user: AuthUser) -> AppResult<StatusCode> {
    identities::unlink(&state, user, oidc::KAKAO.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 내 정보 / The signed-in user, with email and role.
#[utoipa::path(get, path = "/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = PrivateUser)))]
pub async fn me(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<PrivateUser>> {
    Ok(Json(service::private_user(&state, user.id).await?))
}

/// 프로필 수정 / Change nickname, 동네 (`null` clears it) or bio.
#[utoipa::path(patch, path = "/me", tag = "accounts", security(("bearer" = [])),
    request_body = ProfilePatch,
    responses(
        (status = 200, body = PrivateUser),
        (status = 409, description = "닉네임이 이미 쓰이고 있어요"),
    ))]
pub async fn patch_me(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(patch): ApiJson<ProfilePatch>,
) -> AppResult<Json<PrivateUser>> {
    Ok(Json(service::update_profile(&state, user, patch).await?))
}

/// 프로필 사진 / Replace the avatar (JPEG, PNG, GIF or WebP, at most 10 MB).
#[utoipa::path(put, path = "/me/avatar", tag = "accounts", security(("bearer" = [])),
    request_body(content = ImageUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, body = PrivateUser),
        (status = 413, description = "사진이 너무 커요"),
        (status = 415, description = "multipart가 아니거나 읽을 수 없는 이미지예요"),
    ))]
pub async fn put_avatar(
    State(state): State<AppState>,
    user: AuthUser,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Json<PrivateUser>> {
    let mut images = multipart::images(mp, 1).await?;
    let data = images.pop().unwrap_or_default();
    Ok(Json(service::set_avatar(&state, user, data).await?))
}

/// 비밀번호 변경 / Change the password, or set the first one of an account made with Kakao (no
/// `current_password`); every login of the account ends.
#[utoipa::path(post, path = "/me/password", tag = "accounts", security(("bearer" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "바꿨어요"),
        (status = 429, description = "현재 비밀번호를 너무 많이 틀렸어요"),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<PasswordChange>,
) -> AppResult<StatusCode> {
    service::change_password(&state, user, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 탈퇴 / Delete the account with its password, or `{"confirm": true}` when it has none (its items
/// leave listings; chat history stays for the other party).
#[utoipa::path(delete, path = "/me", tag = "accounts", security(("bearer" = [])),
    request_body = DeleteAccount,
    responses(
        (status = 204, description = "탈퇴했어요"),
        (status = 429, description = "비밀번호를 너무 많이 틀렸어요"),
    ))]
pub async fn delete_me(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<DeleteAccount>,
) -> AppResult<StatusCode> {
    service::delete_account(&state, user, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 사용자 프로필 / A user's public profile.
#[utoipa::path(get, path = "/users/{id}", tag = "accounts",
    security((), ("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = PublicUser)))]
pub async fn user(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    viewer: MaybeUser,
) -> AppResult<Json<PublicUser>> {
    Ok(Json(blocks::profile_for(&state, id, viewer.0).await?))
}

/// 차단 / Block a user: each one's items disappear from the other's listings, and neither can
/// open a chat, send a message or request a rental with the other. Idempotent.
#[utoipa::path(put, path = "/me/blocks/{user_id}", tag = "accounts", security(("bearer" = [])),
    params(("user_id" = i64, Path, minimum = 1)),
    responses(
        (status = 204, description = "차단했어요"),
        (status = 400, description = "나 자신은 차단할 수 없어요"),
    ))]
pub async fn block_user(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(target): ApiPath<i64>,
) -> AppResult<StatusCode> {
    blocks::block(&state, user, target).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 차단 해제 / Lift a block. Idempotent.
#[utoipa::path(delete, path = "/me/blocks/{user_id}", tag = "accounts", security(("bearer" = [])),
    params(("user_id" = i64, Path, minimum = 1)),
    responses(
        (status = 204, description = "차단을 풀었어요"),
        (status = 400, description = "나 자신은 차단할 수 없어요"),
    ))]
pub async fn unblock_user(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(target): ApiPath<i64>,
) -> AppResult<StatusCode> {
    blocks::unblock(&state, user, target).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 동네 인증 / Verify the 동네 from the device's location: within `VERIFY_RADIUS_KM` (default 3)
/// of the 동's centre. Lasts 30 days; changing the 동네 ends it.
#[utoipa::path(post, path = "/me/region/verify", tag = "accounts", security(("bearer" = [])),
    request_body = Location,
    responses(
        (status = 200, description = "인증했어요 (`region_verified: true`)", body = PrivateUser),
        (status = 400, description = "동네가 없거나 위치가 동네에서 너무 멀어요 (거리를 알려 줘요)"),
    ))]
pub async fn verify_region(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(at): ApiJson<Location>,
) -> AppResult<Json<PrivateUser>> {
    Ok(Json(service::verify_region(&state, user, at).await?))
}

/// 차단한 사용자 / The users the caller has blocked (`blocked: true`), most recent first.
#[utoipa::path(get, path = "/me/blocks", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<PublicUser>)))]
pub async fn my_blocks(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<PublicUser>>> {
    Ok(Json(blocks::list(&state, user).await?))
}

/// 받은 후기 / Reviews the user received, newest first.
#[utoipa::path(get, path = "/users/{id}/reviews", tag = "accounts",
    security((), ("bearer" = [])),
    params(("id" = i64, Path, minimum = 1), PageQuery),
    responses((status = 200, body = Page<rentals::model::Review>)))]
pub async fn user_reviews(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(page): ApiQuery<PageQuery>,
    viewer: MaybeUser,
) -> AppResult<Json<Page<rentals::model::Review>>> {
    Ok(Json(
        rentals::service::reviews_of_user(&state, id, viewer.0, page.req()).await?,
    ))
}
