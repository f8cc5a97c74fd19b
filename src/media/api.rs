use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::http::AppError;
use crate::state::AppState;

/// Serves stored media, from the local directory or through S3 (the bucket stays private: one
/// origin, one URL whatever the store; nginx caches these responses, docs/operations.md). Keys
/// are random and never rewritten, so they can be cached for a year.
pub async fn serve(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    if !super::valid_key(&key) {
        return AppError::not_found().into_response();
    }
    match state.media.get(&key).await {
        Ok(Some(bytes)) => {
            let mut resp = bytes.into_response();
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(super::image::content_type(&key)),
            );
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            );
            resp
        }
        Ok(None) => AppError::not_found().into_response(),
        Err(e) => {
            tracing::warn!(key, error = %e, "media store unavailable");
            AppError::Unavailable("사진을 잠시 불러올 수 없어요".into()).into_response()
        }
    }
}
