//! Request logging (path only: query strings can carry tokens), security headers, fallbacks.
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::http::AppError;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids: a balancer's `x-request-id` is kept when it is a plain short token (so one id
/// follows a request across hops; anything else could put client text in our logs); otherwise
/// the request gets a fresh one: this process's random prefix and a sequence number (unique
/// across instances without drawing random bytes per request).
fn request_id(req: &Request) -> Option<HeaderValue> {
    req.headers()
        .get(&REQUEST_ID)
        .filter(|v| {
            v.len() <= 64
                && v.as_bytes()
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .cloned()
}

fn new_request_id() -> HeaderValue {
    static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let prefix = PREFIX.get_or_init(|| crate::accounts::tokens::random_token(6));
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    HeaderValue::from_str(&format!("{prefix}-{n:x}")).expect("base64url and hex are header-safe")
}

/// The request id (kept or made, set on the request for handlers and on the response), one
/// span per request carrying it (every log line inside names the request), and one log line per
/// request: method, path, status, latency. Never the query or headers: query strings can carry
/// tokens. One middleware rather than tower-http's `SetRequestId` + `PropagateRequestId`: those
/// two layers cost about 10% of a small request's throughput (BENCHMARKS.md, issue #11).
pub async fn log_requests(
    State(state): State<crate::state::AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let id = match request_id(&req) {
        Some(id) => id,
        None => {
            let id = new_request_id();
            req.headers_mut().insert(REQUEST_ID, id.clone());
            id
        }
    };
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = id.to_str().unwrap_or(""));
    let start = Instant::now();
    let mut resp = next.run(req).instrument(span.clone()).await;
    let took = start.elapsed();
    let status = resp.status().as_u16();
    state.metrics.record_status(status);
    let route = resp
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    state.metrics.observe_request(route, &method, status, took);
    if status != 101 && state.lifecycle.draining() {
        // Draining: no connection is kept alive past this response, so the balancer holds no
        // idle connection to us when the listener closes (a request sent on one would fail).
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    let ms = took.as_secs_f64() * 1000.0;
    {
        let _enter = span.enter();
        if status >= 500 {
            tracing::warn!(%method, %path, status, latency_ms = ms, "request");
        } else {
            tracing::info!(%method, %path, status, latency_ms = ms, "request");
        }
    }
    resp.headers_mut().insert(REQUEST_ID, id);
    resp
}

/// Copies the route's `MatchedPath` from the request to the response, where `log_requests`
/// (which wraps the whole router and so runs before routing) finds it for the latency metric.
/// Applied with `Router::route_layer`; a plain service (no boxing, no `from_fn`), so each
/// request pays one `Arc` clone and one extension insert.
#[derive(Clone, Copy)]
pub struct CarryMatchedPath;

impl<S> tower::Layer<S> for CarryMatchedPath {
    type Service = CarryMatchedPathService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        CarryMatchedPathService { inner }
    }
}

#[derive(Clone)]
pub struct CarryMatchedPathService<S> {
    inner: S,
}

impl<S, B> tower::Service<axum::http::Request<B>> for CarryMatchedPathService<S>
where
    S: tower::Service<axum::http::Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = CarryFuture<S::Future>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: axum::http::Request<B>) -> Self::Future {
        let path = req.extensions().get::<MatchedPath>().cloned();
        CarryFuture {
            inner: self.inner.call(req),
            path,
        }
    }
}

pin_project_lite::pin_project! {
    pub struct CarryFuture<F> {
        #[pin]
        inner: F,
        path: Option<MatchedPath>,
    }
}

impl<F, E> std::future::Future for CarryFuture<F>
where
    F: std::future::Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let this = self.project();
        let mut resp = std::task::ready!(this.inner.poll(cx))?;
        if let Some(path) = this.path.take() {
            resp.extensions_mut().insert(path);
        }
        std::task::Poll::Ready(Ok(resp))
    }
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

/// A state-changing request makes what it may have changed stale in the micro-caches, before
/// and again after it runs (a read that ran meanwhile may have cached the old state).
pub async fn invalidate_on_write(
    State(state): State<crate::state::AppState>,
    req: Request,
    next: Next,
) -> Response {
    let scope = write_scope(req.method(), req.uri().path());
    state.writes.record(scope);
    let resp = next.run(req).await;
    state.writes.record(scope);
    resp
}

/// What a request may change in cached pages and counts, by route: the frequent writes that
/// change nothing cached (logins, chat, read markers, settings) leave every cache alone, and
/// those that change pages but not which items match (bookmarks, chats opened, rentals, blocks)
/// leave listing counts alone. A route not named here may change anything.
pub fn write_scope(method: &axum::http::Method, path: &str) -> crate::cache::WriteScope {
    use crate::cache::WriteScope::*;
    use axum::http::Method;
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Nothing;
    }
    let api = path.strip_prefix("/api/v1").unwrap_or(path);
    let parts: Vec<&str> = api.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["auth", "login" | "logout" | "refresh"]
        | ["session", "login" | "logout" | "refresh"]
        | ["chats", ..]
        | ["notifications", ..]
        | ["feedback"]
        | ["items" | "users", _, "reports"]
        | ["me", "password" | "identities" | "keywords" | "notification-settings", ..] => Nothing,
        // New accounts: a profile looked up before it existed must not stay missing.
        ["auth", ..] | ["session", "signup"] => Content,
        ["items", _, "bookmark" | "chats" | "images", ..]
        | ["rentals", ..]
        | ["me", "avatar" | "blocks", ..] => Content,
        _ => Membership,
    }
}

#[cfg(test)]
mod tests {
    use super::write_scope;
    use crate::cache::WriteScope::*;
    use axum::http::Method;

    #[test]
    fn writes_invalidate_what_they_may_change() {
        let post = |p| write_scope(&Method::POST, p);
        assert_eq!(write_scope(&Method::GET, "/api/v1/items"), Nothing);
        assert_eq!(post("/api/v1/auth/login"), Nothing);
        assert_eq!(post("/session/logout"), Nothing);
        assert_eq!(post("/api/v1/chats/3/messages"), Nothing);
        assert_eq!(post("/api/v1/items/3/reports"), Nothing);
        assert_eq!(
            write_scope(&Method::PATCH, "/api/v1/me/notification-settings"),
            Nothing
        );
        assert_eq!(post("/api/v1/auth/signup"), Content);
        assert_eq!(
            write_scope(&Method::PUT, "/api/v1/items/3/bookmark"),
            Content
        );
        assert_eq!(post("/api/v1/items/3/chats"), Content);
        assert_eq!(post("/api/v1/rentals/3/return"), Content);
        assert_eq!(write_scope(&Method::PUT, "/api/v1/me/blocks/4"), Content);
        assert_eq!(post("/api/v1/items"), Membership);
        assert_eq!(write_scope(&Method::PATCH, "/api/v1/items/3"), Membership);
        assert_eq!(write_scope(&Method::DELETE, "/api/v1/me"), Membership);
        assert_eq!(write_scope(&Method::PATCH, "/api/v1/me"), Membership);
        assert_eq!(post("/api/v1/me/region/verify"), Membership);
        assert_eq!(post("/api/v1/admin/users/4/suspend"), Membership);
        assert_eq!(
            post("/api/v1/something/new"),
            Membership,
            "unknown routes change anything"
        );
        assert_eq!(post("/api/v1/items/3/reports/../../4"), Membership);
    }
}
