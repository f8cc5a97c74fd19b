//! Health, readiness, draining, metrics and backups for operators (docs/operations.md).
pub mod backup;
pub mod metrics;

use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;

use crate::http::AppError;
use crate::state::AppState;

pub use metrics::Metrics;

/// Where the instance is in its life. A shutdown signal starts the drain: `/readyz` answers 503
/// at once so balancers move away, new sockets are refused (a balancer retries them on another
/// instance), responses ask to close their connection, and everything else is served as usual
/// until `DRAIN_SECONDS` have passed (`app::serve`).
#[derive(Default)]
pub struct Lifecycle {
    draining: AtomicBool,
    /// Stop without the drain (Ctrl-C at a terminal: nobody balances to this instance).
    at_once: AtomicBool,
}

impl Lifecycle {
    pub fn stop_at_once(&self) {
        self.at_once.store(true, Ordering::Release);
    }

    pub fn stops_at_once(&self) -> bool {
        self.at_once.load(Ordering::Acquire)
    }

    pub fn begin_drain(&self) {
        self.draining.store(true, Ordering::Release);
    }

    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}

pub async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({"status": "ok"}))
}

pub async fn readyz(State(state): State<AppState>) -> axum::response::Response {
    if state.lifecycle.draining() {
        return AppError::Unavailable("서버를 다시 시작하는 중이에요".into()).into_response();
    }
    if !state.db.ping().await {
        return AppError::Unavailable("데이터베이스에 연결할 수 없어요".into()).into_response();
    }
    if !state.realtime.broker_ready() {
        return AppError::Unavailable("Redis에 연결할 수 없어요".into()).into_response();
    }
    Json(serde_json::json!({"status": "ready"})).into_response()
}

/// With `METRICS_TOKEN` set, only `Authorization: Bearer <METRICS_TOKEN>` reads the metrics.
fn metrics_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(want) = state.config.metrics_token.as_deref() else {
        return true;
    };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    sent.is_some_and(|t| crate::http::csrf::same_secret(t.as_bytes(), want.as_bytes()))
}

pub async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> axum::response::Response {
    if !metrics_allowed(&state, &headers) {
        return AppError::Unauthenticated("메트릭을 보려면 토큰이 필요해요".into()).into_response();
    }
    let c = &state.cache;
    let sample = metrics::Sample {
        ws_dropped: state.realtime.hub.dropped(),
        draining: state.lifecycle.draining(),
        pools: state.db.pool_stats(),
        caches: vec![
            c.lists.stats("item_lists"),
            c.details.stats("item_details"),
            c.marks.stats("viewer_marks"),
            c.categories.stats("categories"),
            c.index.stats("listing_index"),
            state.profiles.stats("profiles"),
            state.blocks.stats("blocks"),
        ],
    };
    state.metrics.upkeep();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(sample),
    )
        .into_response()
}
