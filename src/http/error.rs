//! The domains' error as HTTP: its status, and the contract's error JSON as the response.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

pub use crate::domain::error::{AppError, AppResult, ErrorCode, Problems};

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Validation { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The contract's error shape: `{"error": {"code", "message", "fields"?}}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// 사람이 읽을 설명 (한국어) / a message for people, in Korean.
    pub message: String,
    /// 400에서 필드별 문제 / for 400: the problem of each field, by field name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
}

impl AppError {
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.public_message(),
                fields: match self {
                    AppError::Validation { fields, .. } => Some(fields.clone()),
                    _ => None,
                },
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self {
            tracing::error!(error = ?e, "internal error");
        }
        let mut resp = (self.status(), axum::Json(self.body())).into_response();
        match &self {
            AppError::RateLimited {
                retry_after_secs, ..
            } => {
                resp.headers_mut()
                    .insert("retry-after", (*retry_after_secs).max(1).into());
            }
            // A full queue (hashing, image decoding) or a missing dependency: worth a retry soon.
            AppError::Unavailable(_) => {
                resp.headers_mut()
                    .insert("retry-after", axum::http::HeaderValue::from_static("2"));
            }
            _ => {}
        }
        resp
    }
}
