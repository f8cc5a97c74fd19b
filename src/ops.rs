//! Health, readiness and metrics for operators.
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;

use crate::http::AppError;
use crate::state::AppState;

#[derive(Default)]
pub struct Metrics {
    pub requests: [AtomicU64; 5],
    pub ws_open: AtomicU64,
    pub messages_sent: AtomicU64,
    /// Full argon2 verifications (logins and re-authentication), unknown emails included.
    pub password_checks: AtomicU64,
}

impl Metrics {
    pub fn record_status(&self, status: u16) {
        let class = (status / 100).clamp(1, 5) as usize - 1;
        self.requests[class].fetch_add(1, Ordering::Relaxed);
    }
}

pub async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({"status": "ok"}))
}

pub async fn readyz(State(state): State<AppState>) -> axum::response::Response {
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
    let m = &state.metrics;
    let mut out = String::new();
    out.push_str("# HELP egd_http_requests_total HTTP responses by status class.\n");
    out.push_str("# TYPE egd_http_requests_total counter\n");
    for (i, c) in m.requests.iter().enumerate() {
        out.push_str(&format!(
            "egd_http_requests_total{{class=\"{}xx\"}} {}\n",
            i + 1,
            c.load(Ordering::Relaxed)
        ));
    }
    out.push_str("# HELP egd_ws_connections Open WebSocket connections on this instance.\n");
    out.push_str("# TYPE egd_ws_connections gauge\n");
    out.push_str(&format!(
        "egd_ws_connections {}\n",
        m.ws_open.load(Ordering::Relaxed)
    ));
    out.push_str("# HELP egd_chat_messages_total Chat messages stored by this instance.\n");
    out.push_str("# TYPE egd_chat_messages_total counter\n");
    out.push_str(&format!(
        "egd_chat_messages_total {}\n",
        m.messages_sent.load(Ordering::Relaxed)
    ));
    out.push_str("# HELP egd_password_checks_total Password verifications (argon2), unknown emails included.\n");
    out.push_str("# TYPE egd_password_checks_total counter\n");
    out.push_str(&format!(
        "egd_password_checks_total {}\n",
        m.password_checks.load(Ordering::Relaxed)
    ));
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        out,
    )
        .into_response()
}
