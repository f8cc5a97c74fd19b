use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::http::AppError;
use crate::state::AppState;

/// Serves stored media. Keys are random and never rewritten, so they can be cached for a year.
pub async fn serve(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    let valid = !key.contains("..")
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'));
    if !valid {
        return AppError::not_found().into_response();
    }
    match state.media.get(&key).await {
        Some(bytes) => {
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
        None => AppError::not_found().into_response(),
    }
}
