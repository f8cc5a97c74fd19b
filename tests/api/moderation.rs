//! Moderation that holds (an admin's hide is not undone by the owner), safe redirects after the
//! session forms, and operator hardening (metrics token, Secure / __Host- cookies).
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::*;

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

/// An item reported by a neighbour and hidden by an admin through `hide_item`.
async fn hidden_by_admin(app: &TestApp, owner: &User, admin: &User) -> i64 {
    let reporter = app.signup("reporter").await;
    let item = app
        .create_item(owner, json!({"title": "수상한 물건"}))
        .await;
    let id = item["id"].as_i64().unwrap();
    let (s, r) = app
        .post(
            &format!("/items/{id}/reports"),
            Some(&reporter.token),
            json!({"reason": "prohibited_item"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, b) = app
        .post(
            &format!("/admin/reports/{}/resolve", r["id"]),
            Some(&admin.token),
            json!({"action": "hide_item"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    id
}

#[tokio::test]
async fn owner_cannot_unhide_an_item_an_admin_hid_until_restored() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let admin = app.signup("moder").await;
    app.make_admin(&admin).await;
    let id = hidden_by_admin(&app, &owner, &admin).await;
    let path = format!("/items/{id}");

    // The owner sees why; the item is hidden.
    let (s, d) = app.get(&path, Some(&owner.token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(d["status"], "hidden");
    assert_eq!(d["moderation"], "hidden");

    // Putting it back in listings is refused, through the status field in any form.
    let (s, b) = app
        .patch(&path, Some(&owner.token), json!({"status": "available"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(b["error"]["code"], "forbidden");
    let (s, b) = app
        .patch(
            &path,
            Some(&owner.token),
            json!({"title": "평범한 물건", "status": "available"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    // Other edits are allowed and keep it hidden.
    let (s, b) = app
        .patch(&path, Some(&owner.token), json!({"title": "고친 제목"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "hidden");
    assert_eq!(b["moderation"], "hidden");
    let (s, b) = app
        .patch(&path, Some(&owner.token), json!({"status": "hidden"}))
        .await;
    assert_eq!(s, StatusCode::OK, "asking for hidden changes nothing: {b}");

    // Nobody else sees it, in detail or listings.
    let (s, _) = app.get(&path, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, page) = app.get("/items", None).await;
    assert!(!ids(&page).contains(&id));
    let (_, page) = app.get("/items?status=any", Some(&admin.token)).await;
    assert!(ids(&page).contains(&id), "admins still see it");

    // Only an admin restores it.
    let restore = format!("/admin/items/{id}/restore");
    let (s, b) = app.post(&restore, Some(&owner.token), json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(b["error"]["code"], "forbidden");
    let (s, b) = app
        .post("/admin/items/999999/restore", Some(&admin.token), json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (s, b) = app.post(&restore, Some(&admin.token), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["id"], id);
    assert_eq!(b["status"], "available");
    assert_eq!(b["moderation"], Value::Null);
    assert!(b.as_object().unwrap().contains_key("moderation"));

    // Listed at once (no stale micro-cache), and the owner is in charge again.
    let (_, page) = app.get("/items", None).await;
    assert!(ids(&page).contains(&id), "restored items are listed");
    let (s, b) = app
        .patch(&path, Some(&owner.token), json!({"status": "hidden"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["moderation"], Value::Null);
    let (s, b) = app
        .patch(&path, Some(&owner.token), json!({"status": "available"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "available");
    app.stop().await;
}

#[tokio::test]
async fn moderation_field_is_shown_only_to_owner_and_admins() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let other = app.signup("neighbour").await;
    let admin = app.signup("moder").await;
    app.make_admin(&admin).await;
    let item = app.create_item(&owner, json!({})).await;
    assert_eq!(item["moderation"], Value::Null, "creator sees null");
    assert!(item.as_object().unwrap().contains_key("moderation"));
    let path = format!("/items/{}", item["id"]);
    for token in [None, Some(other.token.as_str())] {
        let (s, d) = app.get(&path, token).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            !d.as_object().unwrap().contains_key("moderation"),
            "absent for others: {d}"
        );
    }
    for token in [&owner.token, &admin.token] {
        let (_, d) = app.get(&path, Some(token)).await;
        assert!(d.as_object().unwrap().contains_key("moderation"), "{d}");
        assert_eq!(d["moderation"], Value::Null);
    }
    let id = hidden_by_admin(&app, &owner, &admin).await;
    let (_, d) = app.get(&format!("/items/{id}"), Some(&admin.token)).await;
    assert_eq!(d["moderation"], "hidden");
    app.stop().await;
}

#[tokio::test]
async fn hide_then_restore_shows_at_once_in_cached_reads() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let admin = app.signup("moder").await;
    app.make_admin(&admin).await;
    let reporter = app.signup("reporter").await;
    let item = app.create_item(&owner, json!({})).await;
    let id = item["id"].as_i64().unwrap();
    let path = format!("/items/{id}");
    // Warm the listing and detail micro-caches.
    let (_, page) = app.get("/items", None).await;
    assert!(ids(&page).contains(&id));
    let (s, _) = app.get(&path, None).await;
    assert_eq!(s, StatusCode::OK);
    let (_, r) = app
        .post(
            &format!("/items/{id}/reports"),
            Some(&reporter.token),
            json!({"reason": "fraud"}),
        )
        .await;
    app.post(
        &format!("/admin/reports/{}/resolve", r["id"]),
        Some(&admin.token),
        json!({"action": "hide_item"}),
    )
    .await;
    let (s, _) = app.get(&path, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "hide shows at once");
    let (_, page) = app.get("/items", None).await;
    assert!(!ids(&page).contains(&id));
    let (s, _) = app
        .post(
            &format!("/admin/items/{id}/restore"),
            Some(&admin.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get(&path, None).await;
    assert_eq!(s, StatusCode::OK, "restore shows at once");
    let (_, page) = app.get("/items", None).await;
    assert!(ids(&page).contains(&id));
    app.stop().await;
}

#[tokio::test]
async fn restore_leaves_an_item_its_owner_hid_alone() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let admin = app.signup("moder").await;
    app.make_admin(&admin).await;
    let item = app.create_item(&owner, json!({})).await;
    let path = format!("/items/{}", item["id"]);
    let (s, _) = app
        .patch(&path, Some(&owner.token), json!({"status": "hidden"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = app
        .post(
            &format!("/admin/items/{}/restore", item["id"]),
            Some(&admin.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "hidden", "the owner's own choice stands");
    assert_eq!(b["moderation"], Value::Null);
    app.stop().await;
}

// ---- pages: the owner is told, the admin can restore ----

/// A page fetched as a signed-in browser would (the access cookie).
async fn page(app: &TestApp, path: &str, token: &str) -> (StatusCode, String) {
    let resp = app
        .client
        .get(format!("{}{path}", app.addr))
        .header("cookie", format!("egd_access={token}"))
        .send()
        .await
        .expect("page");
    (resp.status(), resp.text().await.unwrap())
}

#[tokio::test]
async fn pages_tell_the_owner_and_offer_the_admin_a_restore() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let admin = app.signup("moder").await;
    app.make_admin(&admin).await;
    let id = hidden_by_admin(&app, &owner, &admin).await;
    const NOTICE: &str = "운영자가 이 물건을 숨겼어요";

    let (s, html) = page(&app, &format!("/items/{id}"), &owner.token).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(NOTICE), "item page notice");
    assert!(!html.contains("id=\"hide-btn\""), "no show/hide toggle");
    let (s, html) = page(&app, &format!("/items/{id}/edit"), &owner.token).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(NOTICE), "edit page notice");
    let (s, html) = page(&app, "/admin", &admin.token).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains(&format!("data-restore=\"{id}\"")),
        "restore button"
    );
    assert!(html.contains("복구"));

    let (s, _) = app
        .post(
            &format!("/admin/items/{id}/restore"),
            Some(&admin.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, html) = page(&app, &format!("/items/{id}"), &owner.token).await;
    assert!(!html.contains(NOTICE));
    assert!(html.contains("id=\"hide-btn\""));
    let (_, html) = page(&app, "/admin", &admin.token).await;
    assert!(!html.contains(&format!("data-restore=\"{id}\"")));
    app.stop().await;
}

// ---- redirects: `next` never leaves our origin ----

/// Targets (as decoded from the query or form) a browser would follow off-site, or into a
/// script, if echoed in `Location`. `next=/%09/evil.example` in a query decodes to the second.
const NASTY: &[&str] = &[
    "/\t/evil.example",
    "/\n/evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "//evil.example",
    "/.//evil.example",
    "https://evil.example",
    "javascript:alert(1)",
    " //evil.example",
];

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut f = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        f.append_pair(k, v);
    }
    f.finish()
}

/// The `Location` of a 303, checked to stay on `app`'s origin as a browser would resolve it.
fn location(app: &TestApp, resp: &reqwest::Response) -> String {
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{resp:?}");
    let to = resp.headers()["location"].to_str().unwrap().to_string();
    let base = url::Url::parse(&app.addr).unwrap();
    assert_eq!(
        base.join(&to).unwrap().origin(),
        base.origin(),
        "Location {to:?} leaves the origin"
    );
    to
}

#[tokio::test]
async fn session_refresh_next_never_leaves_the_origin() {
    let app = TestApp::spawn().await;
    let client = no_redirects();
    for next in NASTY {
        for raw in [enc(next), next.replace('\t', "%09").replace('\n', "%0A")] {
            let resp = client
                .get(format!("{}/session/refresh?next={raw}", app.addr))
                .send()
                .await
                .unwrap();
            assert_eq!(location(&app, &resp), "/", "next={raw}");
        }
    }
    // Kept (normalised) when it stays on our origin. On this http server "http:evil.example" is a
    // relative path (browsers agree); a literal "%09" (double-encoded) is only a strange path.
    let cases = [
        (enc("/ok?x=1#y"), "/ok?x=1#y"),
        ("http:evil.example".to_string(), "/evil.example"),
        ("%2F%2509%2Fevil.example".to_string(), "/%09/evil.example"),
    ];
    for (next, want) in cases {
        let resp = client
            .get(format!("{}/session/refresh?next={next}", app.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(location(&app, &resp), want, "next={next}");
    }
    app.stop().await;
}

#[tokio::test]
async fn login_and_signup_forms_redirect_only_on_our_origin() {
    let app = TestApp::spawn().await;
    let user = app.signup("walker").await;
    let client = no_redirects();
    let post = |path: &str, body: String| {
        client
            .post(format!("{}{path}", app.addr))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", app.addr.clone())
            .body(body)
            .send()
    };
    for next in NASTY.iter().copied().chain(["/me?tab=items"]) {
        let resp = post(
            "/session/login",
            form(&[
                ("email", &user.email),
                ("password", PASSWORD),
                ("next", next),
            ]),
        )
        .await
        .unwrap();
        let want = if next == "/me?tab=items" { next } else { "/" };
        assert_eq!(location(&app, &resp), want, "login next={next:?}");
    }
    // Signed in already: the log-in page sends the browser on at once.
    let resp = client
        .get(format!(
            "{}/login?next={}",
            app.addr,
            enc("/\t/evil.example")
        ))
        .header("cookie", format!("egd_access={}", user.token))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&app, &resp), "/");
    for (i, next) in [
        "/\t/evil.example",
        "//evil.example",
        "/items/new?section=borrow",
    ]
    .iter()
    .enumerate()
    {
        let nickname = format!("joiner{i}");
        let email = format!("{nickname}@example.com");
        let resp = post(
            "/session/signup",
            form(&[
                ("email", &email),
                ("password", PASSWORD),
                ("password2", PASSWORD),
                ("nickname", &nickname),
                ("region_code", SEOGYO),
                ("next", next),
            ]),
        )
        .await
        .unwrap();
        let want = if next.starts_with("/items") {
            next
        } else {
            &"/"
        };
        assert_eq!(location(&app, &resp), *want, "signup next={next:?}");
    }
    app.stop().await;
}

// ---- operators: metrics token, Secure and __Host- cookies, one CSRF check ----

#[tokio::test]
async fn metrics_need_the_bearer_token_when_one_is_set() {
    let app = TestApp::spawn_with(fresh_database().await, None, |c| {
        c.metrics_token = Some("scrape-me-0123456789".into());
    })
    .await;
    let url = format!("{}/metrics", app.addr);
    for auth in [
        None,
        Some("Bearer wrong-token"),
        Some("Bearer scrape-me-012345678"),
        Some("Basic scrape-me-0123456789"),
    ] {
        let mut req = app.client.get(&url);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthenticated", "{auth:?}");
    }
    let resp = app
        .client
        .get(&url)
        .header("authorization", "Bearer scrape-me-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("egd_http_requests_total"));
    app.stop().await;
}

fn set_cookies(resp: &reqwest::Response) -> Vec<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

fn cookie<'a>(all: &'a [String], name: &str) -> &'a str {
    all.iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {all:?}"))
}

fn cookie_value(set_cookie: &str) -> &str {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
}

#[tokio::test]
async fn csrf_cookie_is_host_prefixed_and_all_cookies_secure_only_on_https() {
    const PUBLIC: &str = "https://egd.example";
    let app = TestApp::spawn_with(fresh_database().await, None, |c| {
        c.public_url = Some(PUBLIC.into());
    })
    .await;
    let user = app.signup("secure").await;
    let client = no_redirects();
    let resp = client
        .get(format!("{}/login", app.addr))
        .send()
        .await
        .unwrap();
    let all = set_cookies(&resp);
    let csrf = cookie(&all, "__Host-egd_csrf");
    assert!(
        csrf.contains("; Path=/;") && csrf.contains("; Secure"),
        "{csrf}"
    );
    assert!(!csrf.to_ascii_lowercase().contains("domain="), "{csrf}");
    assert!(!all.iter().any(|c| c.starts_with("egd_csrf=")), "{all:?}");
    let token = cookie_value(csrf).to_string();

    let resp = client
        .post(format!("{}/session/login", app.addr))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("__Host-egd_csrf={token}"))
        .body(form(&[
            ("email", &user.email),
            ("password", PASSWORD),
            ("csrf", &token),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let all = set_cookies(&resp);
    for name in ["egd_access", "egd_refresh"] {
        let c = cookie(&all, name);
        assert!(c.contains("; HttpOnly") && c.contains("; Secure"), "{c}");
    }
    let access = cookie_value(cookie(&all, "egd_access")).to_string();

    // The API takes the same double-submit token, but only under the prefixed name: a plain
    // `egd_csrf` may have been planted over http or by a sibling domain.
    let patch = |cookies: String, origin: Option<&'static str>| {
        let mut req = app
            .client
            .patch(format!("{}/me", app.api))
            .header("cookie", cookies)
            .header("x-csrf-token", token.clone())
            .json(&json!({"bio": "안녕하세요"}));
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };
    let resp = patch(format!("egd_access={access}; egd_csrf={token}"), None)
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = patch(
        format!("egd_access={access}; __Host-egd_csrf={token}"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = patch(format!("egd_access={access}"), Some(PUBLIC))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "our public origin");
    let resp = patch(format!("egd_access={access}"), Some("http://egd.example"))
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::FORBIDDEN,
        "http page, https site"
    );
    // The session forms run the same check.
    let resp = client
        .post(format!("{}/session/login", app.addr))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "http://egd.example")
        .body(form(&[("email", &user.email), ("password", PASSWORD)]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::FORBIDDEN,
        "login form, http origin"
    );
    app.stop().await;

    // Plain http keeps the plain name (browsers refuse `__Host-` without Secure).
    let app = TestApp::spawn().await;
    let resp = client
        .get(format!("{}/login", app.addr))
        .send()
        .await
        .unwrap();
    let all = set_cookies(&resp);
    let csrf = cookie(&all, "egd_csrf");
    assert!(!csrf.contains("Secure"), "{csrf}");
    assert!(!all.iter().any(|c| c.starts_with("__Host-")), "{all:?}");
    app.stop().await;
}
