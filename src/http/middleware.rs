//! Request logging (path only: query strings can carry tokens), security headers, fallbacks.
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::request_id::{MakeRequestId, RequestId};
use tracing::Instrument;

use crate::http::AppError;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids: a balancer's `x-request-id` is kept when it looks like an id (so one id follows a
/// request across hops); anything else gets a fresh random one.
#[derive(Clone, Copy, Default)]
pub struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let id = crate::accounts::tokens::random_token(12);
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// Drops a client-sent `x-request-id` that is not a plain short token, so logs never carry
/// arbitrary client text.
pub async fn sanitize_request_id(mut req: Request, next: Next) -> Response {
    let ok = req.headers().get(&REQUEST_ID).is_some_and(|v| {
        v.len() <= 64
            && v.as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    });
    if !ok {
        req.headers_mut().remove(&REQUEST_ID);
    }
    next.run(req).await
}

/// One span per request carrying its id (every log line inside it names the request), and one
/// log line per request: method, path, status, latency. Never the query or headers: query
/// strings can carry tokens.
pub async fn log_requests(
    State(state): State<crate::state::AppState>,
    req: Request,
    next: Next,
) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %id);
    let start = Instant::now();
    let resp = next.run(req).instrument(span.clone()).await;
    let status = resp.status().as_u16();
    state.metrics.record_status(status);
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let _enter = span.enter();
    if status >= 500 {
        tracing::warn!(%method, %path, status, latency_ms = ms, "request");
    } else {
        tracing::info!(%method, %path, status, latency_ms = ms, "request");
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
    State(state): State<crate::state::AppState>,
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
