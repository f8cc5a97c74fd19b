//! Health, readiness and metrics for operators.
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;

use crate::app::AppState;
use crate::http::AppError;

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

/// Every route of the contract: (method, path, summary, success status).
const ROUTES: &[(&str, &str, &str, &str)] = &[
    ("post", "/auth/signup", "Create an account", "201"),
    ("post", "/auth/login", "Sign in", "200"),
    ("post", "/auth/refresh", "Rotate the refresh token", "200"),
    ("post", "/auth/logout", "End a login", "204"),
    ("get", "/me", "The caller's private profile", "200"),
    ("patch", "/me", "Edit nickname, neighbourhood, bio", "200"),
    ("delete", "/me", "Delete the account", "204"),
    (
        "put",
        "/me/avatar",
        "Upload an avatar (multipart `image`)",
        "200",
    ),
    ("post", "/me/password", "Change password", "204"),
    ("get", "/me/bookmarks", "Bookmarked items", "200"),
    ("get", "/users/{id}", "Public profile", "200"),
    ("get", "/users/{id}/reviews", "Reviews received", "200"),
    ("get", "/regions", "Search neighbourhoods", "200"),
    ("get", "/regions/{code}", "One region", "200"),
    ("get", "/categories", "Categories", "200"),
    ("get", "/items", "List and search items", "200"),
    ("post", "/items", "Post an item", "201"),
    ("get", "/items/{id}", "Item detail", "200"),
    ("patch", "/items/{id}", "Edit an item", "200"),
    ("delete", "/items/{id}", "Delete an item", "204"),
    (
        "post",
        "/items/{id}/images",
        "Add photos (multipart `image`)",
        "201",
    ),
    (
        "delete",
        "/items/{id}/images/{image_id}",
        "Delete a photo",
        "204",
    ),
    ("put", "/items/{id}/images/order", "Reorder photos", "200"),
    ("put", "/items/{id}/bookmark", "Bookmark", "200"),
    ("delete", "/items/{id}/bookmark", "Remove bookmark", "200"),
    (
        "get",
        "/items/{id}/availability",
        "Accepted periods in a window",
        "200",
    ),
    ("post", "/items/{id}/reports", "Report an item", "201"),
    (
        "post",
        "/items/{id}/chats",
        "Open the chat about an item",
        "201",
    ),
    ("post", "/items/{id}/rentals", "Request a rental", "201"),
    ("get", "/rentals", "The caller's rentals", "200"),
    ("get", "/rentals/{id}", "One rental", "200"),
    ("post", "/rentals/{id}/accept", "Accept a request", "200"),
    ("post", "/rentals/{id}/reject", "Reject a request", "200"),
    ("post", "/rentals/{id}/cancel", "Cancel", "200"),
    ("post", "/rentals/{id}/return", "Confirm the return", "200"),
    (
        "post",
        "/rentals/{id}/reviews",
        "Review the other party",
        "201",
    ),
    ("get", "/chats", "The caller's rooms", "200"),
    ("get", "/chats/{room_id}", "One room", "200"),
    (
        "get",
        "/chats/{room_id}/messages",
        "Message history (cursors)",
        "200",
    ),
    ("post", "/chats/{room_id}/messages", "Send a message", "201"),
    ("post", "/chats/{room_id}/read", "Mark read", "204"),
    ("get", "/notifications", "Notifications", "200"),
    (
        "post",
        "/notifications/read",
        "Mark notifications read",
        "204",
    ),
    ("post", "/feedback", "Send feedback", "201"),
    ("get", "/admin/reports", "Reports queue (admin)", "200"),
    (
        "post",
        "/admin/reports/{id}/resolve",
        "Resolve a report (admin)",
        "200",
    ),
    ("get", "/admin/feedback", "Feedback inbox (admin)", "200"),
    (
        "post",
        "/admin/categories",
        "Create a category (admin)",
        "201",
    ),
    (
        "patch",
        "/admin/categories/{id}",
        "Edit a category (admin)",
        "200",
    ),
    (
        "delete",
        "/admin/categories/{id}",
        "Delete a category (admin)",
        "204",
    ),
    (
        "post",
        "/admin/items/{id}/restore",
        "Restore an item an admin hid (admin)",
        "200",
    ),
    (
        "post",
        "/admin/users/{id}/suspend",
        "Suspend a user (admin)",
        "204",
    ),
    (
        "post",
        "/admin/users/{id}/unsuspend",
        "Unsuspend a user (admin)",
        "204",
    ),
    (
        "get",
        "/ws",
        "WebSocket upgrade (see api.md for frames)",
        "101",
    ),
    ("get", "/openapi.json", "This document", "200"),
];

pub fn openapi_document() -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let mut paths = Map::new();
    for (method, path, summary, status) in ROUTES {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| {
                let ty = if name == "code" { "string" } else { "integer" };
                json!({"name": name, "in": "path", "required": true, "schema": {"type": ty}})
            })
            .collect();
        let op = json!({
            "summary": summary,
            "parameters": params,
            "responses": {
                *status: {"description": "success"},
                "default": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
        });
        let entry = paths
            .entry(format!("/api/v1{path}"))
            .or_insert_with(|| Value::Object(Map::new()));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "egodaeyeo API", "version": "1"},
        "paths": paths,
        "components": {"schemas": {"Error": {
            "type": "object",
            "properties": {"error": {"type": "object", "properties": {
                "code": {"type": "string"}, "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}}
            }, "required": ["code", "message"]}},
            "required": ["error"]
        }}}
    })
}

pub async fn openapi() -> Json<serde_json::Value> {
    Json(openapi_document())
}
