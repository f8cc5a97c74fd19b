//! Sign in with Kakao (api.md, Accounts: "Sign in with Kakao (OpenID Connect)") against the
//! tests' own OpenID provider: the app flow, the web flow, linking, and every refusal.
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::oidc::{self, OidcProvider, Person, Tweak};
use crate::common::{fresh_database, TestApp, PASSWORD};

async fn with_kakao() -> (TestApp, OidcProvider) {
    with_kakao_secret(Some(oidc::CLIENT_SECRET)).await
}

async fn with_kakao_secret(secret: Option<&str>) -> (TestApp, OidcProvider) {
    let provider = OidcProvider::start().await;
    let issuer = provider.issuer.clone();
    let db = fresh_database().await;
    let app = TestApp::spawn_with(db, None, |c| {
        c.kakao = Some(egodaeyeo::config::OidcClient {
            issuer,
            client_id: oidc::CLIENT_ID.to_string(),
            client_secret: secret.map(str::to_string),
        });
    })
    .await;
    (app, provider)
}

fn person(sub: &str, nickname: &str, email: Option<&str>) -> Person {
    Person::new(sub, nickname, email, true)
}

async fn app_sign_in(app: &TestApp, token: &str, nonce: Option<&str>) -> (StatusCode, Value) {
    let mut body = json!({ "id_token": token });
    if let Some(n) = nonce {
        body["nonce"] = json!(n);
    }
    app.post("/auth/oidc/kakao", None, body).await
}

#[tokio::test]
async fn providers_are_listed_only_when_configured() {
    let plain = TestApp::spawn().await;
    let (s, b) = plain.get("/auth/providers", None).await;
    assert_eq!((s, b), (StatusCode::OK, json!([])));
    let (s, b) = plain
        .post("/auth/oidc/kakao", None, json!({"id_token": "x.y.z"}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    assert_eq!(b["error"]["code"], "not_found");
    let (s, _) = plain
        .get(&format!("{}/auth/kakao/start", plain.addr), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, html) = plain.get(&format!("{}/login", plain.addr), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.as_str().unwrap().contains("카카오로 시작하기"));
    plain.stop().await;

    let (app, _p) = with_kakao().await;
    let (s, b) = app.get("/auth/providers", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b, json!([{"id": "kakao", "name": "카카오"}]));
    for page in ["/login", "/signup"] {
        let (_, html) = app.get(&format!("{}{page}", app.addr), None).await;
        let html = html.as_str().unwrap();
        assert!(html.contains("카카오로 시작하기"), "{page}");
        assert!(html.contains("/auth/kakao/start?next="), "{page}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_id_token_makes_an_account_once_then_signs_it_in() {
    let (app, p) = with_kakao().await;
    let who = person("4001", "망원 이웃", Some("mangwon@example.com"));
    let (s, b) = app_sign_in(
        &app,
        &p.id_token(&who, Some("n-1"), Tweak::default()),
        Some("n-1"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["created"], true);
    let user = &b["user"];
    assert_eq!(user["nickname"], "망원이웃");
    assert_eq!(user["email"], "mangwon@example.com");
    assert_eq!(user["has_password"], false);
    assert_eq!(user["region"], Value::Null);
    assert_eq!(user["identities"][0]["provider"], "kakao");
    assert!(user["identities"][0]["linked_at"].is_string());
    let id = user["id"].as_i64().unwrap();
    let token = b["access_token"].as_str().unwrap().to_string();
    let (s, me) = app.get("/me", Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["id"], id);
    // Kakao's profile picture becomes the avatar, in the background, through the image pipeline.
    let mut avatar = Value::Null;
    for _ in 0..50 {
        avatar = app.get("/me", Some(&token)).await.1["avatar_url"].clone();
        if avatar.is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let avatar = avatar
        .as_str()
        .expect("the provider's picture became the avatar");
    let resp = app.client.get(avatar).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("image/"));
    let (s, ids) = app.get("/me/identities", Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ids.as_array().unwrap().len(), 1);
    assert_eq!(ids[0]["provider"], "kakao");

    // The same identity again: the same account, 200.
    let (s, b) = app_sign_in(&app, &p.id_token(&who, None, Tweak::default()), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["created"], false);
    assert_eq!(b["user"]["id"], id);
    // Refresh and logout work as for any login.
    let refresh = b["refresh_token"].as_str().unwrap();
    let (s, _) = app
        .post("/auth/refresh", None, json!({"refresh_token": refresh}))
        .await;
    assert_eq!(s, StatusCode::OK);

    // Within the 60 s leeway an expired token still passes; past it, it does not.
    let late = Tweak {
        shift_secs: -3600 - 30,
        ..Default::default()
    };
    let (s, _) = app_sign_in(&app, &p.id_token(&who, None, late), None).await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn every_bad_id_token_is_refused_with_401() {
    let (app, p) = with_kakao().await;
    let who = person("4002", "검사", Some("check@example.com"));
    // A good token first, so the keys are cached and refusals are about the token.
    let (s, _) = app_sign_in(&app, &p.id_token(&who, None, Tweak::default()), None).await;
    assert_eq!(s, StatusCode::CREATED);
    let bad = |tweak: Tweak| p.id_token(&who, None, tweak);
    let d = Tweak::default;
    let cases: Vec<(&str, String, Option<&str>)> = vec![
        (
            "wrong aud",
            bad(Tweak {
                aud: Some("someone-else".into()),
                ..d()
            }),
            None,
        ),
        (
            "wrong iss",
            bad(Tweak {
                iss: Some("https://evil.example".into()),
                ..d()
            }),
            None,
        ),
        (
            "expired",
            bad(Tweak {
                shift_secs: -3600 - 120,
                ..d()
            }),
            None,
        ),
        (
            "issued in the future",
            bad(Tweak {
                shift_secs: 600,
                ..d()
            }),
            None,
        ),
        (
            "unknown key",
            oidc::token_with_unknown_kid(&p.issuer, &who),
            None,
        ),
        (
            "signature of another key",
            bad(Tweak {
                foreign_key: true,
                ..d()
            }),
            None,
        ),
        (
            "alg none",
            bad(Tweak {
                alg_none: true,
                ..d()
            }),
            None,
        ),
        (
            "HS256 with the public key",
            bad(Tweak { hs256: true, ..d() }),
            None,
        ),
        (
            "nonce mismatch",
            p.id_token(&who, Some("nonce-b"), d()),
            Some("nonce-a"),
        ),
        ("nonce missing from the token", bad(d()), Some("nonce-a")),
        ("not a JWT", "definitely.not.ajwt".to_string(), None),
    ];
    for (what, token, nonce) in cases {
        let (s, b) = app_sign_in(&app, &token, nonce).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{what}: {b}");
        assert_eq!(b["error"]["code"], "unauthenticated", "{what}");
        assert!(b.get("access_token").is_none(), "{what}");
    }
    // Malformed bodies are 400, not 401.
    let (s, b) = app.post("/auth/oidc/kakao", None, json!({})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, b) = app
        .post(
            "/auth/oidc/kakao",
            None,
            json!({"id_token": "a".repeat(9000)}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b["error"]["fields"]["id_token"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn rotated_keys_are_fetched_again_at_most_once_a_minute() {
    let (app, p) = with_kakao().await;
    let who = person("4003", "회전", None);
    let (s, _) = app_sign_in(&app, &p.id_token(&who, None, Tweak::default()), None).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(p.jwks_fetches(), 1);
    // A flood of made-up key ids within the minute: no request to the provider.
    for _ in 0..20 {
        let (s, _) = app_sign_in(&app, &oidc::token_with_unknown_kid(&p.issuer, &who), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        p.jwks_fetches(),
        1,
        "unknown kids within a minute fetch nothing"
    );
    // The provider rotates its key; a minute later the new kid fetches the keys once.
    p.rotate();
    app.state.clock.advance_ms(61_000);
    let (s, b) = app_sign_in(&app, &p.id_token(&who, None, Tweak::default()), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(p.jwks_fetches(), 2);
    for _ in 0..10 {
        let (s, _) = app_sign_in(&app, &oidc::token_with_unknown_kid(&p.issuer, &who), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(p.jwks_fetches(), 2);
    // The old key is gone from the provider and from us once refetched: its tokens fail.
    app.stop().await;
}

#[tokio::test]
async fn emails_are_kept_only_when_verified_and_unused_and_never_link_accounts() {
    let (app, p) = with_kakao().await;
    // An account with a password and this email exists.
    let (s, b) = app
        .post(
            "/auth/signup",
            None,
            json!({"email": "taken@example.com", "password": PASSWORD, "nickname": "원래주인"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let owner = b["user"]["id"].as_i64().unwrap();
    // A Kakao identity with the same, verified email makes a separate account without email.
    let who = person("4004", "가로채기", Some("taken@example.com"));
    let (s, b) = app_sign_in(&app, &p.id_token(&who, None, Tweak::default()), None).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_ne!(b["user"]["id"], owner);
    assert_eq!(b["user"]["email"], Value::Null);
    // The owner's account is untouched: still signs in with its password, no identity.
    let (s, b) = app
        .post(
            "/auth/login",
            None,
            json!({"email": "taken@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["user"]["id"], owner);
    assert_eq!(b["user"]["identities"], json!([]));
    assert_eq!(b["user"]["has_password"], true);

    // An unverified email is not kept.
    let unverified = Person::new("4005", "미확인", Some("unverified@example.com"), false);
    let (s, b) = app_sign_in(&app, &p.id_token(&unverified, None, Tweak::default()), None).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(b["user"]["email"], Value::Null);
    // ... so a later sign-up with that address is free to use it.
    let (s, _) = app
        .post(
            "/auth/signup",
            None,
            json!({"email": "unverified@example.com", "password": PASSWORD, "nickname": "진짜주인"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    app.stop().await;
}

#[tokio::test]
async fn nicknames_from_kakao_are_made_valid_and_unique() {
    let (app, p) = with_kakao().await;
    let mut names = Vec::new();
    for (sub, nick) in [
        ("4101", "카카오이웃"),
        ("4102", "카카오이웃"),
        ("4103", "🙂"),
        ("4104", "a"),
    ] {
        let (s, b) = app_sign_in(
            &app,
            &p.id_token(&person(sub, nick, None), None, Tweak::default()),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        names.push(b["user"]["nickname"].as_str().unwrap().to_string());
    }
    assert_eq!(names, ["카카오이웃", "카카오이웃2", "이웃", "a이웃"]);
    app.stop().await;
}

#[tokio::test]
async fn linking_and_unlinking_follow_the_409_rules() {
    let (app, p) = with_kakao().await;
    let a = app.signup("링크에이").await;
    let b = app.signup("링크비").await;
    let kakao = person("4201", "연결", None);
    let link = |token: String| json!({ "id_token": token });
    let (s, body) = app
        .post(
            "/me/identities/kakao",
            Some(&a.token),
            link(p.id_token(&kakao, None, Tweak::default())),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["provider"], "kakao");
    // The identity now signs in to A.
    let (s, signed) = app_sign_in(&app, &p.id_token(&kakao, None, Tweak::default()), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(signed["user"]["id"], a.id);
    // B cannot take it.
    let (s, body) = app
        .post(
            "/me/identities/kakao",
            Some(&b.token),
            link(p.id_token(&kakao, None, Tweak::default())),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    // A cannot link a second Kakao account while one is linked.
    let other = person("4202", "둘째", None);
    let (s, _) = app
        .post(
            "/me/identities/kakao",
            Some(&a.token),
            link(p.id_token(&other, None, Tweak::default())),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // A bad token is 401, not a link.
    let (s, _) = app
        .post(
            "/me/identities/kakao",
            Some(&b.token),
            link(p.id_token(
                &other,
                None,
                Tweak {
                    aud: Some("x".into()),
                    ..Default::default()
                },
            )),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Unauthenticated linking is 401.
    let (s, _) = app
        .post(
            "/me/identities/kakao",
            None,
            link(p.id_token(&other, None, Tweak::default())),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // A has a password: unlinking is fine, once.
    let (s, _) = app
        .delete("/me/identities/kakao", Some(&a.token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .delete("/me/identities/kakao", Some(&a.token), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, me) = app.get("/me", Some(&a.token)).await;
    assert_eq!(me["identities"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn a_password_less_account_keeps_a_way_in_sets_a_password_and_deletes_with_confirm() {
    let (app, p) = with_kakao().await;
    let who = person("4301", "비번없음", Some("nopass@example.com"));
    let (_, b) = app_sign_in(&app, &p.id_token(&who, None, Tweak::default()), None).await;
    let token = b["access_token"].as_str().unwrap().to_string();
    let id = b["user"]["id"].as_i64().unwrap();
    // The only way to sign in: 409.
    let (s, body) = app.delete("/me/identities/kakao", Some(&token), None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    // Password login does not work for it (no password).
    let (s, _) = app
        .post(
            "/auth/login",
            None,
            json!({"email": "nopass@example.com", "password": ""}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // A first password without current_password; every login ends, as a password change does.
    let (s, body) = app
        .post(
            "/me/password",
            Some(&token),
            json!({"new_password": "first1234"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let (s, _) = app.get("/me", Some(&token)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, b) = app
        .post(
            "/auth/login",
            None,
            json!({"email": "nopass@example.com", "password": "first1234"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["user"]["has_password"], true);
    let token = b["access_token"].as_str().unwrap().to_string();
    // Now the current password is required.
    let (s, body) = app
        .post(
            "/me/password",
            Some(&token),
            json!({"new_password": "second1234"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body["error"]["fields"]["current_password"].is_string());
    // With a password (and an email to type it with), Kakao may be unlinked.
    let (s, _) = app.delete("/me/identities/kakao", Some(&token), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // An account without email: a password would not let it sign in, so Kakao stays.
    let nomail = person("4302", "메일없음", None);
    let (_, b) = app_sign_in(&app, &p.id_token(&nomail, None, Tweak::default()), None).await;
    let token = b["access_token"].as_str().unwrap().to_string();
    let (s, _) = app
        .post(
            "/me/password",
            Some(&token),
            json!({"new_password": "first1234"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, b) = app_sign_in(&app, &p.id_token(&nomail, None, Tweak::default()), None).await;
    let token = b["access_token"].as_str().unwrap().to_string();
    let (s, _) = app.delete("/me/identities/kakao", Some(&token), None).await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Deleting a password-less account takes {"confirm": true}.
    let gone = person("4303", "탈퇴예정", None);
    let (_, b) = app_sign_in(&app, &p.id_token(&gone, None, Tweak::default()), None).await;
    let token = b["access_token"].as_str().unwrap().to_string();
    let gone_id = b["user"]["id"].as_i64().unwrap();
    let (s, body) = app.delete("/me", Some(&token), Some(json!({}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["fields"]["confirm"].is_string());
    let (s, _) = app
        .delete("/me", Some(&token), Some(json!({"confirm": true})))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get("/me", Some(&token)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // The Kakao account is free again: signing in makes a new account.
    let (s, b) = app_sign_in(&app, &p.id_token(&gone, None, Tweak::default()), None).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_ne!(b["user"]["id"], gone_id);
    assert_ne!(b["user"]["id"], id);
    app.stop().await;
}

#[tokio::test]
async fn a_suspended_account_cannot_sign_in_with_kakao() {
    let (app, p) = with_kakao().await;
    let who = person("4401", "정지대상", None);
    let (_, b) = app_sign_in(&app, &p.id_token(&who, None, Tweak::default()), None).await;
    let id = b["user"]["id"].as_i64().unwrap();
    egodaeyeo::accounts::service::set_suspended(&app.state, id, true)
        .await
        .unwrap();
    let (s, b) = app_sign_in(&app, &p.id_token(&who, None, Tweak::default()), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    app.stop().await;
}

// ---------------------------------------------------------------- the web flow

/// A browser without redirects or a cookie store: each step is checked by hand.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn cookie_value(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers().get_all(SET_COOKIE).iter().find_map(|v| {
        let v = v.to_str().ok()?;
        let (pair, _) = v.split_once(';').unwrap_or((v, ""));
        let (n, val) = pair.split_once('=')?;
        (n == name).then(|| val.to_string())
    })
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers()[LOCATION].to_str().unwrap().to_string()
}

/// `/auth/kakao/start` → the provider's consent page → the decision. Returns the callback URL
/// the provider sent the browser to and the binding cookie.
async fn through_provider(
    app: &TestApp,
    start_query: &str,
    cookies: &str,
    decision: &str,
    who: &Person,
) -> (String, String) {
    let client = browser();
    let resp = client
        .get(format!("{}/auth/kakao/start?{start_query}", app.addr))
        .header(COOKIE, cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND, "start");
    let binding = cookie_value(&resp, "egd_oidc").expect("binding cookie");
    let to = url::Url::parse(&location(&resp)).unwrap();
    let q: std::collections::HashMap<_, _> = to.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], oidc::CLIENT_ID);
    assert_eq!(
        q["redirect_uri"],
        format!("{}/auth/kakao/callback", app.addr)
    );
    assert_eq!(
        q["scope"],
        "openid profile_nickname profile_image account_email"
    );
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["state"].len() >= 32 && q["nonce"].len() >= 32);
    let page = client
        .get(to.as_str())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let request = page
        .split("name=\"request\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("consent page")
        .to_string();
    let issuer = format!("{}://{}", to.scheme(), to.host_str().unwrap());
    let issuer = format!("{issuer}:{}", to.port().unwrap());
    let resp = client
        .post(format!("{issuer}/oauth/decide"))
        .form(&[
            ("request", request.as_str()),
            ("decision", decision),
            ("sub", &who.sub),
            ("nickname", &who.nickname),
            ("email", who.email.as_deref().unwrap_or("")),
            (
                "email_verified",
                if who.email_verified { "true" } else { "false" },
            ),
        ])
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_redirection());
    (location(&resp), binding)
}

async fn callback(url: &str, binding: Option<&str>) -> reqwest::Response {
    let mut req = browser().get(url);
    if let Some(b) = binding {
        req = req.header(COOKIE, format!("egd_oidc={b}"));
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn the_web_flow_signs_up_asks_for_the_neighbourhood_then_signs_in() {
    let (app, p) = with_kakao().await;
    // Kakao's web flow marks the email in userinfo, not in the ID token.
    p.set_email_in_id_token(false);
    let who = person("4501", "웹이웃", Some("web@example.com"));
    let (cb, binding) = through_provider(&app, "next=%2Fitems%2Fnew", "", "approve", &who).await;
    assert!(
        cb.starts_with(&format!("{}/auth/kakao/callback?code=", app.addr)),
        "{cb}"
    );
    let resp = callback(&cb, Some(&binding)).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/welcome?next=%2Fitems%2Fnew");
    let access = cookie_value(&resp, "egd_access").expect("signed in");
    assert!(cookie_value(&resp, "egd_refresh").is_some());
    // The binding cookie is cleared.
    assert_eq!(cookie_value(&resp, "egd_oidc").as_deref(), Some(""));
    let me: Value = browser()
        .get(format!("{}/me", app.api))
        .header(COOKIE, format!("egd_access={access}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "web@example.com");
    assert_eq!(me["has_password"], false);
    assert_eq!(me["identities"][0]["provider"], "kakao");
    // The welcome page asks for the 동네.
    let html = browser()
        .get(format!("{}/welcome?next=%2Fitems%2Fnew", app.addr))
        .header(COOKIE, format!("egd_access={access}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("동네를 정해 주세요") && html.contains("data-region-picker"));

    // The callback URL again (state used): nobody is signed in.
    let resp = callback(&cb, Some(&binding)).await;
    assert_eq!(location(&resp), "/login?error=expired");
    assert!(cookie_value(&resp, "egd_access").is_none());

    // Next time: straight to `next`, same account.
    let (cb, binding) = through_provider(&app, "next=%2Fchats", "", "approve", &who).await;
    let resp = callback(&cb, Some(&binding)).await;
    assert_eq!(location(&resp), "/chats");
    assert!(cookie_value(&resp, "egd_access").is_some());
    // An outside `next` is not followed.
    let (cb, binding) = through_provider(
        &app,
        "next=https%3A%2F%2Fevil.example%2F",
        "",
        "approve",
        &who,
    )
    .await;
    let resp = callback(&cb, Some(&binding)).await;
    assert_eq!(location(&resp), "/");
    app.stop().await;
}

#[tokio::test]
async fn web_flow_failures_return_to_login_and_sign_nobody_in() {
    let (app, _p) = with_kakao().await;
    let who = person("4601", "실패", None);
    // Denied consent.
    let (cb, binding) = through_provider(&app, "next=%2F", "", "deny", &who).await;
    assert!(cb.contains("error=access_denied"));
    let resp = callback(&cb, Some(&binding)).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/login?error=denied");
    assert!(cookie_value(&resp, "egd_access").is_none());
    let (_, html) = app
        .get(&format!("{}/login?error=denied", app.addr), None)
        .await;
    assert!(html
        .as_str()
        .unwrap()
        .contains("카카오 로그인을 취소했어요"));

    // A callback in another browser (no binding cookie, or another one): refused.
    let (cb, _binding) = through_provider(&app, "next=%2F", "", "approve", &who).await;
    let resp = callback(&cb, None).await;
    assert_eq!(location(&resp), "/login?error=expired");
    let (cb, _binding) = through_provider(&app, "next=%2F", "", "approve", &who).await;
    let resp = callback(&cb, Some("another-browser-binding")).await;
    assert_eq!(location(&resp), "/login?error=expired");
    assert!(cookie_value(&resp, "egd_access").is_none());

    // A made-up state.
    let resp = callback(
        &format!("{}/auth/kakao/callback?code=abc&state=made-up", app.addr),
        Some("whatever-binding-value"),
    )
    .await;
    assert_eq!(location(&resp), "/login?error=expired");

    // A replayed code under a fresh state: the provider refuses it, we sign nobody in.
    let (cb1, b1) = through_provider(&app, "next=%2F", "", "approve", &who).await;
    let first = callback(&cb1, Some(&b1)).await;
    assert!(cookie_value(&first, "egd_access").is_some());
    let old_code = url::Url::parse(&cb1)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .to_string();
    let (cb2, b2) = through_provider(&app, "next=%2F", "", "approve", &who).await;
    let fresh_state = url::Url::parse(&cb2)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string();
    let replay = format!(
        "{}/auth/kakao/callback?code={old_code}&state={fresh_state}",
        app.addr
    );
    let resp = callback(&replay, Some(&b2)).await;
    assert_eq!(location(&resp), "/login?error=invalid");
    assert!(cookie_value(&resp, "egd_access").is_none());
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_client_secret_fails_the_exchange() {
    let (app, _p) = with_kakao_secret(Some("not-the-secret")).await;
    let who = person("4701", "비밀틀림", None);
    let (cb, binding) = through_provider(&app, "next=%2F", "", "approve", &who).await;
    let resp = callback(&cb, Some(&binding)).await;
    assert_eq!(location(&resp), "/login?error=invalid");
    assert!(cookie_value(&resp, "egd_access").is_none());
    app.stop().await;
}

#[tokio::test]
async fn a_signed_in_user_links_kakao_from_the_web() {
    let (app, _p) = with_kakao().await;
    let user = app.signup("웹연결").await;
    let who = person("4801", "웹연결카카오", None);
    // Linking needs a signed-in browser.
    let resp = browser()
        .get(format!(
            "{}/auth/kakao/start?link=1&next=%2Fme%2Fsettings",
            app.addr
        ))
        .send()
        .await
        .unwrap();
    assert!(location(&resp).starts_with("/login?next="));
    let cookies = format!("egd_access={}", user.token);
    let (cb, binding) = through_provider(
        &app,
        "link=1&next=%2Fme%2Fsettings",
        &cookies,
        "approve",
        &who,
    )
    .await;
    let resp = callback(&cb, Some(&binding)).await;
    assert_eq!(location(&resp), "/me/settings");
    let (_, me) = app.get("/me", Some(&user.token)).await;
    assert_eq!(me["identities"][0]["provider"], "kakao");
    // The settings page lists it with an unlink button.
    let html = browser()
        .get(format!("{}/me/settings", app.addr))
        .header(COOKIE, &cookies)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-unlink=\"kakao\""), "{html}");
    // Another account trying to link the same Kakao account comes back to settings with why.
    let other = app.signup("웹연결둘").await;
    let cookies = format!("egd_access={}", other.token);
    let (cb, binding) = through_provider(
        &app,
        "link=1&next=%2Fme%2Fsettings",
        &cookies,
        "approve",
        &who,
    )
    .await;
    let resp = callback(&cb, Some(&binding)).await;
    assert_eq!(location(&resp), "/me/settings?error=taken");
    app.stop().await;
}

// ---------------------------------------------------------------- logs and limits

struct LogWriter(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything the server's crates log in this test process, down to trace level.
fn server_logs() -> std::sync::Arc<std::sync::Mutex<Vec<u8>>> {
    static BUF: std::sync::OnceLock<std::sync::Arc<std::sync::Mutex<Vec<u8>>>> =
        std::sync::OnceLock::new();
    BUF.get_or_init(|| {
        let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let writer = buf.clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter("egodaeyeo=trace,sqlx=debug,tower_http=trace")
            .with_ansi(false)
            .with_writer(move || LogWriter(writer.clone()))
            .try_init();
        buf
    })
    .clone()
}

#[tokio::test]
async fn no_code_state_token_or_secret_reaches_a_log_line() {
    let logs = server_logs();
    let (app, p) = with_kakao().await;
    let who = person("4901", "로그검사", Some("logs@example.com"));
    let (cb, binding) = through_provider(&app, "next=%2F", "", "approve", &who).await;
    let resp = callback(&cb, Some(&binding)).await;
    let access = cookie_value(&resp, "egd_access").expect("signed in");
    let refresh = cookie_value(&resp, "egd_refresh").expect("refresh cookie");
    let params: std::collections::HashMap<_, _> = url::Url::parse(&cb)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let id_token = p.id_token(&who, Some("log-nonce"), Tweak::default());
    let (s, b) = app_sign_in(&app, &id_token, Some("log-nonce")).await;
    assert_eq!(s, StatusCode::OK);
    let bad = p.id_token(
        &who,
        None,
        Tweak {
            aud: Some("x".into()),
            ..Default::default()
        },
    );
    let (s, _) = app_sign_in(&app, &bad, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let text = String::from_utf8_lossy(&logs.lock().unwrap()).to_string();
    // The log is on and saw these requests and the refusal...
    assert!(
        text.contains("/auth/kakao/callback"),
        "request lines are logged"
    );
    assert!(text.contains("identity refused"), "refusals are logged");
    // ... and carries none of the secrets.
    for (what, secret) in [
        ("code", params["code"].as_str()),
        ("state", params["state"].as_str()),
        ("binding cookie", binding.as_str()),
        ("access cookie", access.as_str()),
        ("refresh cookie", refresh.as_str()),
        ("ID token", id_token.as_str()),
        ("refused ID token", bad.as_str()),
        ("access token", b["access_token"].as_str().unwrap()),
        ("client secret", oidc::CLIENT_SECRET),
    ] {
        assert!(!text.contains(secret), "the log carries the {what}");
    }
    app.stop().await;
}

#[tokio::test]
async fn anonymous_starts_are_limited_per_address() {
    let (app, _p) = with_kakao().await;
    let client = browser();
    let mut statuses = Vec::new();
    for _ in 0..31 {
        let resp = client
            .get(format!("{}/auth/kakao/start?next=%2F", app.addr))
            .send()
            .await
            .unwrap();
        statuses.push(resp.status());
    }
    assert!(statuses[..30].iter().all(|s| *s == StatusCode::FOUND));
    assert_eq!(statuses[30], StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}
