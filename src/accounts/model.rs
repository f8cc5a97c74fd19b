use serde::{Deserialize, Serialize};

use crate::clock::Ts;
use crate::regions::RegionRef;

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 64;
pub const NICKNAME_MIN: usize = 2;
pub const NICKNAME_MAX: usize = 10;
pub const BIO_MAX: usize = 300;
pub const EMAIL_MAX: usize = 254;
pub const DELETED_NICKNAME: &str = "탈퇴한 사용자";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Role {
        if s == "admin" {
            Role::Admin
        } else {
            Role::User
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
}

impl UserRow {
    pub fn is_active(&self) -> bool {
        self.deleted_at.is_none() && self.suspended == 0
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PublicUser {
    pub id: i64,
    pub nickname: String,
    pub avatar_url: Option<String>,
    pub bio: String,
    pub region: Option<RegionRef>,
    pub score: Option<i64>,
    pub review_count: i64,
    pub joined_at: Ts,
    /// Added field: lets clients show "탈퇴한 사용자" without guessing from the nickname.
    pub deleted: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct PrivateUser {
    #[serde(flatten)]
    pub public: PublicUser,
    pub email: String,
    pub role: Role,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignupInput {
    pub email: String,
    pub password: String,
    pub nickname: String,
    #[serde(default)]
    pub region_code: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

#[derive(Deserialize)]
pub struct RefreshInput {
    pub refresh_token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default, deserialize_with = "crate::http::extract_double_option")]
    pub region_code: Option<Option<String>>,
    #[serde(default)]
    pub bio: Option<String>,
}

#[derive(Deserialize)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Deserialize)]
pub struct DeleteAccount {
    pub password: String,
}

#[derive(Serialize)]
pub struct AuthResponse {
    pub user: PrivateUser,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

#[derive(Serialize)]
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
