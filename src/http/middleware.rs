//! Request logging (path only: query strings can carry tokens), security headers, fallbacks.
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::AppError;

static REQUEST_SEQ: AtomicU64 = AtomicU64::new(1);

/// One log line per request: id, method, path, status, latency. Never the query or headers.
pub async fn log_requests(
    State(state): State<crate::app::AppState>,
    req: Request,
    next: Next,
) -> Response {
    let id = REQUEST_SEQ.fetch_add(1, Ordering::Relaxed);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let start = Instant::now();
    let mut resp = next.run(req).await;
    let status = resp.status().as_u16();
    state.metrics.record_status(status);
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(request_id = id, %method, %path, status, latency_ms = ms, "request");
    } else {
        tracing::info!(request_id = id, %method, %path, status, latency_ms = ms, "request");
    }
    if let Ok(v) = HeaderValue::from_str(&id.to_string()) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    resp
}

pub async fn api_not_found() -> Response {
    AppError::NotFound("없는 API 경로예요".into()).into_response()
}

pub async fn method_not_allowed() -> Response {
    AppError::MethodNotAllowed("허용되지 않은 메서드예요".into()).into_response()
}

/// A panic becomes the contract's 500 instead of a dropped connection.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    AppError::Internal(anyhow::anyhow!("handler panicked")).into_response()
}

/// Any state-changing request may change what listings show: drop the catalog micro-cache.
pub async fn invalidate_on_write(
    State(state): State<crate::app::AppState>,
    req: Request,
    next: Next,
) -> Response {
    let writes = !matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    if writes {
        state.writes.bump();
    }
    let resp = next.run(req).await;
    if writes {
        // Bump again after the write: a read that ran meanwhile may have cached the old state.
        state.writes.bump();
    }
    resp
}
