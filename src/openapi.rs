//! The OpenAPI 3.1 document. Each domain's `api::router()` registers its handlers through
//! utoipa-axum, so routing and description come from one definition: a route cannot be served
//! without being described. The handlers' annotations give paths, parameters, bodies, success
//! responses and the errors particular to them; `conventions` adds what follows from the
//! layers every route shares (the error shape, 400/401/404/413/500/503), in one place.
use serde_json::{json, Map, Value};
use utoipa::OpenApi;

use crate::http::error::{ErrorBody, ErrorDetail};

pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "이거대여 API",
        version = "1",
        description = "동네 이웃끼리 물건을 빌리고 빌려주는 이거대여의 HTTP API입니다.\n\n\
            The HTTP API of egodaeyeo, a neighbourhood peer-to-peer rental marketplace. JSON in \
            and out (UTF-8); errors always have the shape of `ErrorBody`. Authenticate with \
            `Authorization: Bearer <access_token>` from `/auth/signup` or `/auth/login`. Live \
            chat and alerts use the WebSocket at `/api/v1/ws` (see the contract, api.md).",
        license(name = "MIT")
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    tags(
        (name = "accounts", description = "계정, 로그인, 프로필 / accounts, sessions, profiles"),
        (name = "regions", description = "동네 (행정구역) / Korean regions"),
        (name = "catalog", description = "물건, 카테고리, 검색, 관심 / items, categories, search, bookmarks"),
        (name = "chat", description = "1:1 채팅 / one-to-one chat"),
        (name = "rentals", description = "대여 요청, 일정, 후기 / rentals, availability, reviews"),
        (name = "notifications", description = "알림 / notifications"),
        (name = "moderation", description = "신고, 의견, 관리자 / reports, feedback, administration"),
        (name = "realtime", description = "웹소켓 / the WebSocket"),
        (name = "meta", description = "이 문서 / this document"),
    )
)]
pub struct ApiDoc;

/// Follow-up operations a client (and the fuzzer's stateful phase) can take with an id from a
/// response: (operation, status, operations it leads to, their parameter, where the value is).
const LINKS: &[(&str, &str, &[&str], &str, &str)] = &[
    (
        "catalog_create",
        "201",
        &[
            "catalog_detail",
            "catalog_update",
            "catalog_delete",
            "catalog_add_images",
            "catalog_bookmark",
            "catalog_unbookmark",
            "catalog_reorder_images",
            "rentals_availability",
            "rentals_request",
            "chat_open_room",
            "moderation_report",
        ],
        "id",
        "$response.body#/id",
    ),
    (
        "chat_open_room",
        "201",
        &["chat_room", "chat_messages", "chat_send", "chat_read"],
        "room_id",
        "$response.body#/id",
    ),
    (
        "rentals_request",
        "201",
        &[
            "rentals_get",
            "rentals_accept",
            "rentals_reject",
            "rentals_cancel",
            "rentals_mark_returned",
            "rentals_review",
        ],
        "id",
        "$response.body#/id",
    ),
    (
        "moderation_admin_create_category",
        "201",
        &[
            "moderation_admin_update_category",
            "moderation_admin_delete_category",
        ],
        "id",
        "$response.body#/id",
    ),
    (
        "accounts_signup",
        "201",
        &["accounts_user", "accounts_user_reviews"],
        "id",
        "$response.body#/user/id",
    ),
];

fn links(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            let id = op["operationId"].as_str().unwrap_or("").to_string();
            for (from, status, to, param, expr) in LINKS {
                if *from != id {
                    continue;
                }
                let links: Map<String, Value> = to
                    .iter()
                    .map(|t| {
                        (
                            t.to_string(),
                            json!({"operationId": t, "parameters": {*param: expr}}),
                        )
                    })
                    .collect();
                op["responses"][*status]["links"] = Value::Object(links);
            }
        }
    }
}

/// Whether a `$ref`'d body schema has no required field (the body may then be left out: an empty
/// body reads as `{}`).
fn all_optional(doc: &Value, body: &Value) -> bool {
    let Some(name) = body["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    else {
        return false;
    };
    let schema = &doc["components"]["schemas"][name];
    schema["type"] == "object" && schema["required"].as_array().is_none_or(|r| r.is_empty())
}

/// Statuses every route may answer, by what the route takes; each with the error shape.
fn conventions(doc: &mut Value) {
    let snapshot = doc.clone();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                continue;
            }
            // Handler names repeat across domains (`list`, `get`): qualified by the tag.
            let tag = op["tags"][0].as_str().unwrap_or("api").to_string();
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                op["operationId"] = json!(format!("{tag}_{id}"));
            }
            let has_body = op.get("requestBody").is_some();
            if let Some(body) = op.get_mut("requestBody") {
                if all_optional(&snapshot, body) {
                    body["required"] = json!(false);
                }
            }
            // An empty value counts as absent (HTML forms send every field).
            if let Some(ps) = op.get_mut("parameters").and_then(Value::as_array_mut) {
                for p in ps.iter_mut() {
                    if p["in"] == "query" && p["required"] != true {
                        p["allowEmptyValue"] = json!(true);
                    }
                }
            }
            let has_query = op
                .get("parameters")
                .and_then(Value::as_array)
                .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
            let security = op.get("security").and_then(Value::as_array);
            let bearer = security.is_some_and(|s| s.iter().any(|r| r.get(BEARER).is_some()));
            let responses = op
                .as_object_mut()
                .expect("an operation is an object")
                .entry("responses")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("responses is an object");
            let mut add = |status: u16| {
                responses
                    .entry(status.to_string())
                    .or_insert_with(|| json!({}));
            };
            if has_body || has_query {
                add(400);
            }
            if bearer {
                add(401);
            }
            if path.contains('{') {
                add(404);
            }
            if has_body {
                add(413);
            }
            add(500);
            add(503);
            for (status, resp) in responses.iter_mut() {
                let Ok(code) = status.parse::<u16>() else {
                    continue;
                };
                if code >= 400 {
                    describe_error(code, resp);
                } else if resp.get("description").is_none_or(|d| d == "") {
                    resp["description"] = json!("성공 / success");
                }
            }
        }
    }
}

fn describe_error(code: u16, resp: &mut Value) {
    let resp = match resp.as_object_mut() {
        Some(r) => r,
        None => return,
    };
    if resp.get("description").is_none_or(|d| d == "") {
        let words = match code {
            400 => "입력이 올바르지 않아요 (`validation_failed`): `fields` names each problem",
            401 => "로그인이 필요하거나 토큰이 만료·폐기됐어요 (`unauthenticated`)",
            403 => "권한이 없어요 (`forbidden`)",
            404 => "찾을 수 없어요 (`not_found`)",
            409 => "지금 상태와 맞지 않아요 (`conflict`)",
            413 => "요청이 너무 커요 (`payload_too_large`)",
            415 => "지원하지 않는 형식이에요 (`unsupported_media_type`)",
            429 => "요청이 너무 잦아요 (`rate_limited`): see `Retry-After`",
            500 => "서버 오류 (`internal`)",
            503 => "잠시 처리할 수 없어요 (`unavailable`): see `Retry-After`",
            _ => "오류 / error",
        };
        resp.insert("description".into(), json!(words));
    }
    resp.insert(
        "content".into(),
        json!({"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}),
    );
    if code == 429 || code == 503 {
        resp.insert(
            "headers".into(),
            json!({"Retry-After": {
                "description": "다시 시도해도 되는 때까지의 초 / seconds until a retry may succeed",
                "schema": {"type": "integer", "minimum": 1}
            }}),
        );
    }
}

/// The document as served: the routers' paths and schemas, the bearer scheme and the shared
/// error responses.
pub fn finish(doc: utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(&doc).expect("the document serializes");
    let components = doc
        .as_object_mut()
        .expect("the document is an object")
        .entry("components")
        .or_insert_with(|| Value::Object(Map::new()));
    components["securitySchemes"] = json!({
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "`/auth/login`의 `access_token` (15분) / the access token from login or signup"
        }
    });
    conventions(&mut doc);
    links(&mut doc);
    doc
}

static DOCUMENT: std::sync::OnceLock<bytes::Bytes> = std::sync::OnceLock::new();

/// Keeps the finished document for `GET /api/v1/openapi.json`: it is the same for every
/// router this binary builds.
pub fn publish(doc: Value) {
    let _ = DOCUMENT.set(bytes::Bytes::from(
        serde_json::to_vec(&doc).expect("the document serializes"),
    ));
}

/// 이 문서 / This document (OpenAPI 3.1).
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "OpenAPI 3.1 문서", body = Object)))]
pub async fn document() -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = DOCUMENT.get().cloned().unwrap_or_default();
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}
