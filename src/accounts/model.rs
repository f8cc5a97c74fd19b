use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock::Ts;
use crate::regions::RegionRef;

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 64;
pub const NICKNAME_MIN: usize = 2;
pub const NICKNAME_MAX: usize = 10;
pub const BIO_MAX: usize = 300;
pub const EMAIL_MAX: usize = 254;
pub const DELETED_NICKNAME: &str = "탈퇴한 사용자";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    /// The stored role; anything but `admin` is a user.
    pub fn parse(s: &str) -> Role {
        match s {
            "admin" => Role::Admin,
            _ => Role::User,
        }
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub nickname: String,
    pub region_code: Option<String>,
    pub bio: String,
    pub avatar_key: Option<String>,
    pub role: String,
    pub suspended: i64,
    pub deleted_at: Option<i64>,
    pub created_at: i64,
    pub region_verified_at: Option<i64>,
    pub trust_tenths: i64,
}

/// A 동네 verification lasts this long.
pub const REGION_VERIFIED_FOR_MS: i64 = 30 * 24 * 3600 * 1000;

/// The stored email of an account made from a sign-in identity without a verified, unused email:
/// unique like any email, never a valid address, shown as `null`.
pub const NO_EMAIL_PREFIX: &str = "nomail:";

impl UserRow {
    pub fn is_active(&self) -> bool {
        self.deleted_at.is_none() && self.suspended == 0
    }

    /// The account's email, `None` when it has none.
    pub fn email(&self) -> Option<&str> {
        Some(self.email.as_str()).filter(|e| !e.starts_with(NO_EMAIL_PREFIX))
    }

    /// Accounts made from a sign-in identity have no password until they set one.
    pub fn has_password(&self) -> bool {
        !self.password_hash.is_empty()
    }
}

/// 공개 프로필 / a public profile.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PublicUser {
    pub id: i64,
    pub nickname: String,
    pub avatar_url: Option<String>,
    pub bio: String,
    pub region: Option<RegionRef>,
    /// 지난 30일 안에 위치로 동네를 인증했는지 / whether the 동네 was verified on location in the
    /// last 30 days.
    pub region_verified: bool,
    /// 받은 별점 평균 × 20 (0–100), 후기가 없으면 null / mean stars × 20.
    pub score: Option<i64>,
    pub review_count: i64,
    /// 이웃 온도: 36.5에서 시작, 0–99.9 (docs/trust.md) / trust, from 36.5, one decimal.
    #[schema(example = 36.5)]
    pub trust: f64,
    pub joined_at: Ts,
    /// Added field: lets clients show "탈퇴한 사용자" without guessing from the nickname.
    pub deleted: bool,
    /// 내가 이 사용자를 차단했는지 (로그인한 경우에만) / whether the signed-in caller has blocked
    /// this user; absent for anonymous callers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked: Option<bool>,
}

/// 내 정보: 공개 프로필 + 이메일, 역할, 로그인 방법 / the public profile with email, role and the
/// ways the account signs in.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PrivateUser {
    #[serde(flatten)]
    pub public: PublicUser,
    /// 카카오로 만든 계정은 확인된 이메일이 없으면 null / `null` for an account made from a
    /// sign-in identity without a verified, unused email.
    pub email: Option<String>,
    pub role: Role,
    /// 비밀번호로 로그인할 수 있는지 / whether the account has a password.
    pub has_password: bool,
    /// 연결된 로그인 수단 / linked sign-in identities.
    pub identities: Vec<Identity>,
}

/// 연결된 로그인 수단 / a linked sign-in identity.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Identity {
    /// `kakao`
    #[schema(example = "kakao")]
    pub provider: String,
    pub linked_at: Ts,
}

/// 로그인 제공자 / a configured sign-in provider.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProviderInfo {
    #[schema(example = "kakao")]
    pub id: String,
    #[schema(example = "카카오")]
    pub name: String,
}

/// 카카오 SDK로 받은 ID 토큰 / an ID token an app got from the provider's SDK.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdTokenInput {
    /// RS256 JWT
    #[schema(max_length = 8192)]
    pub id_token: String,
    /// 앱이 보낸 nonce; 보냈다면 토큰의 nonce와 같아야 해요 / must equal the token's nonce.
    #[serde(default)]
    #[schema(max_length = 512)]
    pub nonce: Option<String>,
}

/// 로그인 결과 + 새 계정인지 / tokens, and whether the account was just made.
#[derive(Serialize, ToSchema)]
pub struct IdentityAuthResponse {
    #[serde(flatten)]
    pub auth: AuthResponse,
    pub created: bool,
}

/// A review of a rental's other party, as profiles and item pages show it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Review {
    pub id: i64,
    pub rental_id: i64,
    pub item_id: i64,
    pub author: PublicUser,
    pub subject: PublicUser,
    /// 별점 1–5
    pub rating: i64,
    pub content: String,
    pub created_at: Ts,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct ReviewStats {
    pub count: i64,
    pub sum: i64,
}

impl ReviewStats {
    /// Mean star rating × 20, rounded; `None` without reviews.
    pub fn score(&self) -> Option<i64> {
        (self.count > 0).then(|| ((self.sum as f64 / self.count as f64) * 20.0).round() as i64)
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupInput {
    /// 이메일 (254자까지, 대소문자 구분 없이 하나) / email, unique case-insensitively.
    #[schema(example = "neighbour@example.com")]
    pub email: String,
    /// 8–64자, 영문자와 숫자 포함 / 8–64 characters with a letter and a digit.
    #[schema(min_length = 8, max_length = 64, example = "rent2me-please")]
    pub password: String,
    /// 2–10자의 한글, 영문, 숫자, `_` / 2–10 Hangul, letters, digits or `_`.
    #[schema(example = "망원동이웃")]
    pub nickname: String,
    /// 동네의 행정구역 코드 (`GET /regions`) / a region code.
    #[schema(example = "1144069000")]
    #[serde(default)]
    pub region_code: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct LoginInput {
    #[schema(example = "neighbour@example.com")]
    pub email: String,
    #[schema(max_length = 64, example = "rent2me-please")]
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshInput {
    pub refresh_token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    #[serde(default)]
    pub nickname: Option<String>,
    /// `null`이면 동네를 지워요 / `null` clears the 동네.
    #[serde(default, deserialize_with = "crate::http::extract_double_option")]
    #[schema(value_type = Option<String>)]
    pub region_code: Option<Option<String>>,
    /// 300자까지 / at most 300 characters.
    #[serde(default)]
    #[schema(max_length = 300)]
    pub bio: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    /// 비밀번호가 없는 계정(카카오로 가입)은 빼요 / omitted by an account without a password.
    #[schema(max_length = 64)]
    #[serde(default)]
    pub current_password: Option<String>,
    #[schema(min_length = 8, max_length = 64)]
    pub new_password: String,
}

/// 비밀번호가 있으면 `password`, 없으면 `{"confirm": true}` / the password, or `confirm` for an
/// account without one.
#[derive(Deserialize, ToSchema)]
pub struct DeleteAccount {
    #[schema(max_length = 64)]
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub confirm: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct AuthResponse {
    pub user: PrivateUser,
    pub access_token: String,
    pub refresh_token: String,
    /// access_token의 남은 초 / seconds the access token lives.
    pub expires_in: i64,
}

#[derive(Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn valid_email(email: &str) -> bool {
    if email.len() > EMAIL_MAX || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

pub fn valid_password(pw: &str) -> bool {
    let n = pw.chars().count();
    (PASSWORD_MIN..=PASSWORD_MAX).contains(&n)
        && pw.chars().any(|c| c.is_alphabetic())
        && pw.chars().any(|c| c.is_ascii_digit())
}

pub fn valid_nickname(nick: &str) -> bool {
    let n = nick.chars().count();
    (NICKNAME_MIN..=NICKNAME_MAX).contains(&n)
        && nick.chars().all(|c| {
            c.is_ascii_alphanumeric() || c == '_' || ('\u{AC00}'..='\u{D7A3}').contains(&c)
        })
}

pub const PASSWORD_RULE: &str = "8–64자, 영문자와 숫자를 포함해야 해요";
pub const NICKNAME_RULE: &str = "2–10자의 한글, 영문, 숫자, _만 쓸 수 있어요";

/// 지금 위치 (브라우저의 위치 정보) / where the device is now, from the browser's geolocation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// 위도 / latitude, −90 to 90
    #[schema(minimum = -90, maximum = 90, example = 37.5551)]
    pub lat: f64,
    /// 경도 / longitude, −180 to 180
    #[schema(minimum = -180, maximum = 180, example = 126.9195)]
    pub lng: f64,
}
