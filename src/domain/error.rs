//! The one error type of the domains (and the field problems a form learns about at once). The
//! HTTP layer (`http::error`) maps it to a status and renders the contract's error JSON.
use std::collections::BTreeMap;

pub type AppResult<T> = Result<T, AppError>;

/// The contract's error codes, with their wire names (HTTP bodies and socket `error` frames).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    ValidationFailed,
    Unauthenticated,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    Unavailable,
    Internal,
}

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

    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Validation { .. } => ErrorCode::ValidationFailed,
            AppError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::MethodNotAllowed(_) => ErrorCode::MethodNotAllowed,
            AppError::Conflict(_) => ErrorCode::Conflict,
            AppError::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            AppError::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            AppError::RateLimited { .. } => ErrorCode::RateLimited,
            AppError::Unavailable(_) => ErrorCode::Unavailable,
            AppError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// What the client is told: an internal error's cause stays in the log.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => {
                "서버에 문제가 생겼어요. 잠시 후 다시 시도해 주세요".to_string()
            }
            other => other.to_string(),
        }
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

    /// User text, trimmed. The maximum holds for the text as sent (so a documented `maxLength`
    /// is exact) and the minimum for what remains once blank space is dropped.
    pub fn text(
        &mut self,
        field: &str,
        raw: &str,
        min: usize,
        max: usize,
        problem: &str,
    ) -> String {
        let trimmed = raw.trim();
        self.check(
            raw.chars().count() <= max && trimmed.chars().count() >= min,
            field,
            problem,
        );
        trimmed.to_string()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_but_its_limit_counts_what_was_sent() {
        let mut p = Problems::default();
        assert_eq!(p.text("a", "  의자  ", 2, 6, "x"), "의자");
        assert!(p.0.is_empty());
        // Trimmed it would fit; as sent it is over the limit.
        p.text("b", "의자      ", 2, 6, "too long");
        // Blank space alone does not reach the minimum.
        p.text("c", "   ", 1, 10, "required");
        assert_eq!(p.0.get("b").map(String::as_str), Some("too long"));
        assert_eq!(p.0.get("c").map(String::as_str), Some("required"));
    }
}
