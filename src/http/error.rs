//! The domains' error as HTTP: its status, and the contract's error JSON as the response.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub use crate::domain::error::{AppError, AppResult, Problems};

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
