//! The one error type of the domains (and the field problems a form learns about at once). The
//! HTTP layer (`http::error`) maps it to a status and renders the contract's error JSON.
use std::collections::BTreeMap;

use serde_json::json;

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    Validation {
        message: String,
        fields: BTreeMap<String, String>,
    },
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429 with `Retry-After`: when the caller may try again.
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A 400 naming one field.
    pub fn field(field: &str, problem: impl Into<String>) -> Self {
        let problem = problem.into();
        let mut fields = BTreeMap::new();
        fields.insert(field.to_string(), problem.clone());
        AppError::Validation {
            message: format!("{field}: {problem}"),
            fields,
        }
    }

    pub fn validation(message: impl Into<String>, fields: BTreeMap<String, String>) -> Self {
        AppError::Validation {
            message: message.into(),
            fields,
        }
    }

    pub fn not_found() -> Self {
        AppError::NotFound("찾을 수 없어요".into())
    }

    pub fn forbidden() -> Self {
        AppError::Forbidden("권한이 없어요".into())
    }

    pub fn unauthenticated() -> Self {
        AppError::Unauthenticated("로그인이 필요해요".into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation { .. } => "validation_failed",
            AppError::Unauthenticated(_) => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::MethodNotAllowed(_) => "method_not_allowed",
            AppError::Conflict(_) => "conflict",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn body(&self) -> serde_json::Value {
        let message = match self {
            AppError::Internal(_) => {
                "서버에 문제가 생겼어요. 잠시 후 다시 시도해 주세요".to_string()
            }
            other => other.to_string(),
        };
        let mut err = json!({"code": self.code(), "message": message});
        if let AppError::Validation { fields, .. } = self {
            err["fields"] = json!(fields);
        }
        json!({ "error": err })
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e))
    }
}

/// Collects field problems so a form learns about all of them at once.
#[derive(Default)]
pub struct Problems(std::collections::BTreeMap<String, String>);

impl Problems {
    pub fn check(&mut self, ok: bool, field: &str, problem: &str) {
        if !ok && !self.0.contains_key(field) {
            self.0.insert(field.to_string(), problem.to_string());
        }
    }

    pub fn add(&mut self, field: &str, problem: &str) {
        self.check(false, field, problem);
    }

    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            return Ok(());
        }
        let message = self
            .0
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        Err(AppError::validation(message, self.0))
    }
}
