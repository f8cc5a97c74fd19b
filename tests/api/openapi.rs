//! The OpenAPI document: generated from the same definitions as the router, so it lists exactly
//! the contract's routes, every documented operation is served, and its examples are accepted.
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::*;

/// The contract's routes (api.md) that this release serves, under `/api/v1`.
const CONTRACT: &[(&str, &str)] = &[
    ("post", "/auth/signup"),
    ("post", "/auth/login"),
    ("post", "/auth/refresh"),
    ("post", "/auth/logout"),
    ("get", "/auth/providers"),
    ("post", "/auth/oidc/kakao"),
    ("get", "/me/identities"),
    ("post", "/me/identities/kakao"),
    ("delete", "/me/identities/kakao"),
    ("get", "/me/blocks"),
    ("post", "/me/region/verify"),
    ("put", "/me/blocks/{user_id}"),
    ("delete", "/me/blocks/{user_id}"),
    ("get", "/me"),
    ("patch", "/me"),
    ("delete", "/me"),
    ("put", "/me/avatar"),
    ("post", "/me/password"),
    ("get", "/me/bookmarks"),
    ("get", "/users/{id}"),
    ("get", "/users/{id}/reviews"),
    ("get", "/regions"),
    ("get", "/regions/{code}"),
    ("get", "/categories"),
    ("get", "/items"),
    ("post", "/items"),
    ("get", "/items/{id}"),
    ("patch", "/items/{id}"),
    ("delete", "/items/{id}"),
    ("post", "/items/{id}/images"),
    ("put", "/items/{id}/images/order"),
    ("delete", "/items/{id}/images/{image_id}"),
    ("put", "/items/{id}/bookmark"),
    ("delete", "/items/{id}/bookmark"),
    ("get", "/items/{id}/availability"),
    ("post", "/items/{id}/reports"),
    ("post", "/users/{id}/reports"),
    ("post", "/items/{id}/chats"),
    ("post", "/items/{id}/rentals"),
    ("get", "/rentals"),
    ("get", "/rentals/{id}"),
    ("post", "/rentals/{id}/accept"),
    ("post", "/rentals/{id}/reject"),
    ("post", "/rentals/{id}/cancel"),
    ("post", "/rentals/{id}/return"),
    ("post", "/rentals/{id}/reviews"),
    ("get", "/chats"),
    ("get", "/chats/{room_id}"),
    ("get", "/chats/{room_id}/messages"),
    ("post", "/chats/{room_id}/messages"),
    ("post", "/chats/{room_id}/read"),
    ("put", "/chats/{room_id}/mute"),
    ("delete", "/chats/{room_id}/mute"),
    ("get", "/me/notification-settings"),
    ("patch", "/me/notification-settings"),
    ("get", "/me/keywords"),
    ("post", "/me/keywords"),
    ("delete", "/me/keywords/{id}"),
    ("get", "/notifications"),
    ("post", "/notifications/read"),
    ("post", "/feedback"),
    ("get", "/admin/reports"),
    ("post", "/admin/reports/{id}/resolve"),
    ("get", "/admin/feedback"),
    ("post", "/admin/categories"),
    ("patch", "/admin/categories/{id}"),
    ("delete", "/admin/categories/{id}"),
    ("post", "/admin/users/{id}/suspend"),
    ("post", "/admin/users/{id}/unsuspend"),
    ("post", "/admin/items/{id}/restore"),
    ("get", "/admin/disputes"),
    ("post", "/admin/disputes/{id}/resolve"),
    ("post", "/rentals/{id}/extensions"),
    ("post", "/rentals/{id}/extensions/{ext_id}/accept"),
    ("post", "/rentals/{id}/extensions/{ext_id}/reject"),
    ("post", "/rentals/{id}/extensions/{ext_id}/cancel"),
    ("post", "/rentals/{id}/handovers"),
    ("post", "/rentals/{id}/handovers/{handover_id}/confirm"),
    ("post", "/rentals/{id}/deposit"),
    ("post", "/rentals/{id}/disputes"),
    ("get", "/ws"),
    ("get", "/openapi.json"),
];

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if item.get(*m).is_some() {
                out.push((m.to_string(), path.clone()));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn the_document_lists_exactly_the_contracts_routes() {
    let app = TestApp::spawn().await;
    let (s, doc) = app.get("/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let mut want: Vec<(String, String)> = CONTRACT
        .iter()
        .map(|(m, p)| (m.to_string(), format!("/api/v1{p}")))
        .collect();
    want.sort();
    assert_eq!(operations(&doc), want);
    // Every operation has a unique id, a tag, a success response and the error shape on errors.
    let mut ids = std::collections::HashSet::new();
    for (m, p) in operations(&doc) {
        let op = &doc["paths"][&p][&m];
        assert!(
            ids.insert(op["operationId"].as_str().unwrap().to_string()),
            "{m} {p}"
        );
        assert!(op["tags"][0].is_string(), "{m} {p}");
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses
                .keys()
                .any(|k| k.starts_with('1') || k.starts_with('2')),
            "{m} {p}"
        );
        for (code, r) in responses {
            if code.starts_with('4') || code.starts_with('5') {
                assert_eq!(
                    r["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{m} {p} {code}"
                );
            }
        }
    }
    app.stop().await;
}

/// The router answers every documented operation itself: none falls to the API's 404 fallback
/// or its 405 (which would mean the document describes a route the router does not have).
#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = TestApp::spawn().await;
    let (_, doc) = app.get("/openapi.json", None).await;
    for (m, p) in operations(&doc) {
        let path = p
            .replace("{id}", "1")
            .replace("{image_id}", "1")
            .replace("{room_id}", "1")
            .replace("{code}", "1144069000");
        let method = Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
        let resp = app
            .client
            .request(method, format!("{}{}", app.addr, path))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{m} {p}");
        assert_ne!(body["error"]["message"], "없는 API 경로예요", "{m} {p}");
        let documented = doc["paths"][&p][&m]["responses"]
            .get(status.as_str())
            .is_some();
        assert!(
            documented,
            "{m} {p} answered {status}, which is not documented"
        );
    }
    app.stop().await;
}

fn example(doc: &Value, schema: &str) -> Value {
    let e = doc["components"]["schemas"][schema]["example"].clone();
    assert!(e.is_object(), "{schema} has no example");
    e
}

/// Every example body in the document is accepted by the server, on the route it belongs to.
#[tokio::test]
async fn the_documents_examples_are_accepted() {
    let app = TestApp::spawn().await;
    let (_, doc) = app.get("/openapi.json", None).await;
    let with_examples: Vec<String> = doc["components"]["schemas"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, s)| s.get("example").is_some())
        .map(|(k, _)| k.clone())
        .collect();
    let mut tried = Vec::new();
    let mut ex = |name: &str| {
        tried.push(name.to_string());
        example(&doc, name)
    };

    // Sign-up from the field examples (the schema's properties carry them).
    let props = &doc["components"]["schemas"]["SignupInput"]["properties"];
    let signup: serde_json::Map<String, Value> = props
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v["example"].clone()))
        .collect();
    let (s, body) = app.post("/auth/signup", None, Value::Object(signup)).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let owner = body["access_token"].as_str().unwrap().to_string();
    let login = json!({
        "email": doc["components"]["schemas"]["LoginInput"]["properties"]["email"]["example"],
        "password": doc["components"]["schemas"]["LoginInput"]["properties"]["password"]["example"],
    });
    let (s, body) = app.post("/auth/login", None, login).await;
    assert_eq!(s, StatusCode::OK, "{body}");

    let (s, item) = app.post("/items", Some(&owner), ex("NewItem")).await;
    assert_eq!(s, StatusCode::CREATED, "{item}");
    let item_id = item["id"].as_i64().unwrap();
    let (s, body) = app
        .patch(&format!("/items/{item_id}"), Some(&owner), ex("ItemPatch"))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");

    let neighbour = app.signup("이웃사촌").await;
    let room = app.open_chat(&neighbour, item_id).await;
    let (s, body) = app
        .post(
            &format!("/chats/{room}/messages"),
            Some(&neighbour.token),
            ex("SendInput"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");

    let (s, rental) = app
        .post(
            &format!("/items/{item_id}/rentals"),
            Some(&neighbour.token),
            ex("RentalRequest"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{rental}");
    let rental_id = rental["id"].as_i64().unwrap();
    let (s, body) = app
        .post(
            &format!("/rentals/{rental_id}/accept"),
            Some(&owner),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "accept: {body}");
    let (s, body) = app
        .post(
            &format!("/rentals/{rental_id}/extensions"),
            Some(&neighbour.token),
            ex("ExtensionInput"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = app
        .post(
            &format!("/rentals/{rental_id}/deposit"),
            Some(&owner),
            ex("DepositInput"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = app
        .post(
            &format!("/rentals/{rental_id}/return"),
            Some(&owner),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "return: {body}");
    let (s, dispute) = app
        .post(
            &format!("/rentals/{rental_id}/disputes"),
            Some(&neighbour.token),
            ex("DisputeInput"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{dispute}");
    let (s, body) = app
        .post(
            &format!("/rentals/{rental_id}/reviews"),
            Some(&neighbour.token),
            ex("ReviewInput"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");

    let (s, body) = app
        .post(
            &format!("/items/{item_id}/reports"),
            Some(&neighbour.token),
            ex("ReportInput"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = app
        .post(
            &format!("/users/{}/reports", neighbour.id),
            Some(&owner),
            ex("UserReportInput"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = app
        .post("/feedback", Some(&neighbour.token), ex("FeedbackInput"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = app
        .post("/notifications/read", Some(&owner), ex("MarkRead"))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let (s, body) = app
        .patch(
            "/me/notification-settings",
            Some(&owner),
            ex("SettingsPatch"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = app
        .post("/me/keywords", Some(&owner), ex("NewKeyword"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");

    let admin = app.signup("관리자").await;
    app.make_admin(&admin).await;
    let (s, body) = app
        .post("/admin/categories", Some(&admin.token), ex("CategoryInput"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = app
        .post(
            &format!("/admin/disputes/{}/resolve", dispute["id"]),
            Some(&admin.token),
            ex("ResolutionInput"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");

    tried.sort();
    tried.dedup();
    let mut with_examples = with_examples;
    with_examples.sort();
    assert_eq!(tried, with_examples, "every example is tried");
    app.stop().await;
}

/// Found by schemathesis: serde reads a struct from a JSON array, so `[null, null]` was a valid
/// "patch" of nothing (200) on every all-optional body. Bodies are objects or a 400.
#[tokio::test]
async fn bodies_that_are_not_objects_are_refused() {
    let app = TestApp::spawn().await;
    let owner = app.signup("배열거절").await;
    let item = app
        .create_item(
            &owner,
            json!({"section": "lend", "category_id": 1, "title": "자전거 펌프"}),
        )
        .await;
    let id = item["id"].as_i64().unwrap();
    let admin = app.signup("배열관리").await;
    app.make_admin(&admin).await;
    for (path, token) in [
        (format!("/items/{id}"), &owner.token),
        ("/me".to_string(), &owner.token),
        ("/admin/categories/1".to_string(), &admin.token),
    ] {
        for body in [json!([null, null]), json!([]), json!("x"), json!(7)] {
            let (s, b) = app.patch(&path, Some(token), body.clone()).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{path} {body}: {b}");
            assert_eq!(b["error"]["fields"]["body"], "JSON 객체여야 해요");
        }
        // An absent body is still "change nothing".
        let (s, _) = app.call(Method::PATCH, &path, Some(token), None).await;
        assert_eq!(s, StatusCode::OK, "{path}");
    }
    app.stop().await;
}

/// api.md: wrong types, unknown enum values and out-of-range numbers in a query are 400
/// `validation_failed` naming the parameter; empty values count as absent; unknown parameters are
/// ignored; a query string past 4 KB is refused before it is read.
#[tokio::test]
async fn query_strings_parse_into_typed_filters_or_name_the_bad_parameter() {
    let app = TestApp::spawn().await;
    let user = app.signup("쿼리검사").await;
    for (path, field) in [
        ("/items?per_page=101", "per_page"),
        ("/items?page=0", "page"),
        ("/items?sort=cheapest", "sort"),
        ("/items?section=rent", "section"),
        ("/items?radius_km=abc&region=1144069000", "radius_km"),
        ("/items?min_price=-1", "min_price"),
        ("/items?owner=0", "owner"),
        ("/regions?level=4", "level"),
        ("/items/1/availability?from=tomorrow", "from"),
        ("/notifications?unread=maybe", "unread"),
        ("/rentals?state=lost", "state"),
        ("/chats/1/messages?limit=201", "limit"),
    ] {
        let (s, b) = app.get(path, Some(&user.token)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {b}");
        assert_eq!(b["error"]["code"], "validation_failed", "{path}");
        assert!(b["error"]["fields"][field].is_string(), "{path}: {b}");
    }
    let (s, b) = app
        .get("/items?section=&sort=&per_page=&utm_source=x", None)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["per_page"], 12);
    let long = format!("/items?{}", "pad=x&".repeat(700));
    let (s, b) = app.get(&long, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b["error"]["fields"]["query"].is_string(), "{b}");
    app.stop().await;
}

/// A documented `maxLength` holds for the text as sent: padding with spaces that trimming would
/// remove does not slip past it (found by reading the fuzzer's negative cases).
#[tokio::test]
async fn length_limits_hold_for_the_text_as_sent() {
    let app = TestApp::spawn().await;
    let user = app.signup("길이검사").await;
    let padded = |n: usize, pad: usize| format!("{}{}", "가".repeat(n), " ".repeat(pad));
    let (s, b) = app
        .post(
            "/items",
            Some(&user.token),
            json!({"section": "lend", "category_id": 1, "title": padded(39, 3), "region_code": "1144069000"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b["error"]["fields"]["title"].is_string(), "{b}");
    let (s, b) = app
        .post(
            "/feedback",
            Some(&user.token),
            json!({"title": padded(69, 2), "content": "좋아요"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b["error"]["fields"]["title"].is_string(), "{b}");
    let (s, b) = app
        .patch("/me", Some(&user.token), json!({"bio": padded(299, 2)}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    // Within the limit as sent, the surrounding space is still dropped.
    let (s, b) = app
        .post(
            "/items",
            Some(&user.token),
            json!({"section": "lend", "category_id": 1, "title": " 캠핑 의자 ", "region_code": "1144069000"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["title"], "캠핑 의자");
    app.stop().await;
}

/// Each rental and admin action is its own route now: an unknown action is the API's 404 in the
/// error shape (it used to be a string the service matched).
#[tokio::test]
async fn unknown_actions_are_404() {
    let app = TestApp::spawn().await;
    let user = app.signup("행동검사").await;
    let admin = app.signup("행동관리").await;
    app.make_admin(&admin).await;
    for (path, token) in [
        ("/rentals/1/approve", &user.token),
        ("/rentals/1/reviewz", &user.token),
        ("/admin/users/1/ban", &admin.token),
    ] {
        let (s, b) = app.post(path, Some(token), json!({})).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {b}");
        assert_eq!(b["error"]["code"], "not_found", "{path}");
    }
    app.stop().await;
}
