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
/// request across hops); anything else gets a fresh one: this process's random prefix and a
/// sequence number (unique across instances without drawing random bytes per request).
#[derive(Clone, Copy, Default)]
pub struct NewRequestId;

static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let prefix = PREFIX.get_or_init(|| crate::accounts::tokens::random_token(6));
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        HeaderValue::from_str(&format!("{prefix}-{n:x}"))
            .ok()
            .map(RequestId::new)
    }
}

/// Drops a client-sent `x-request-id` that is not a plain short token, so logs never carry
/// arbitrary client text. A plain function for `MapRequestLayer`: no boxed middleware per request.
pub fn sanitize_request_id(mut req: Request) -> Request {
    let ok = req.headers().get(&REQUEST_ID).is_none_or(|v| {
        v.len() <= 64
            && v.as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    });
    if !ok {
        req.headers_mut().remove(&REQUEST_ID);
    }
    req
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
