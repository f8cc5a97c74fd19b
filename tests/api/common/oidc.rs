//! A small OpenID provider for tests, shaped like Kakao's: discovery, JWKS (with key rotation),
//! an authorize endpoint whose consent page approves or denies, a token endpoint that checks the
//! client, the secret, the redirect URI, PKCE S256 and single-use codes, and userinfo in Kakao's
//! `kakao_account` shape. It runs on a free loopback port, in the API tests and (through
//! `examples/oidc_provider.rs`) behind the browser tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "egd-test-client";
pub const CLIENT_SECRET: &str = "egd-test-secret";

/// An RSA signing key with its id.
#[derive(Clone)]
pub struct Key {
    pub kid: String,
    der: Vec<u8>,
    n: String,
    e: String,
}

impl Key {
    fn encoding(&self) -> EncodingKey {
        EncodingKey::from_rsa_der(&self.der)
    }

    fn jwk(&self) -> Value {
        json!({"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256", "n": self.n, "e": self.e})
    }
}

/// RSA keys take a moment to make in a debug build: a few are made once per test process.
fn key(i: usize) -> Key {
    static KEYS: OnceLock<Vec<Key>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        (0..4)
            .map(|n| {
                let k = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("RSA key");
                Key {
                    kid: format!("test-key-{n}"),
                    der: k.to_pkcs1_der().expect("DER").as_bytes().to_vec(),
                    n: B64.encode(k.n().to_bytes_be()),
                    e: B64.encode(k.e().to_bytes_be()),
                }
            })
            .collect()
    });
    keys[i % keys.len()].clone()
}

/// Who signs in at the provider.
#[derive(Clone, Debug)]
pub struct Person {
    pub sub: String,
    pub nickname: String,
    pub email: Option<String>,
    pub email_verified: bool,
}

impl Person {
    pub fn new(sub: &str, nickname: &str, email: Option<&str>, verified: bool) -> Person {
        Person {
            sub: sub.to_string(),
            nickname: nickname.to_string(),
            email: email.map(str::to_string),
            email_verified: verified,
        }
    }
}

#[derive(Clone)]
struct AuthRequest {
    redirect_uri: String,
    state: String,
    nonce: Option<String>,
    challenge: String,
}

struct Inner {
    issuer: String,
    /// Keys published in the JWKS; tokens are signed with the last.
    keys: Vec<Key>,
    client_secret: Option<String>,
    requests: HashMap<String, AuthRequest>,
    codes: HashMap<String, (AuthRequest, Person)>,
    access: HashMap<String, Person>,
    /// Put the email in the ID token (Kakao does when `account_email` was agreed) or only in
    /// userinfo.
    email_in_id_token: bool,
    pub jwks_fetches: usize,
    pub token_requests: usize,
}

#[derive(Clone)]
pub struct OidcProvider {
    pub issuer: String,
    inner: Arc<Mutex<Inner>>,
    task: Arc<tokio::task::JoinHandle<()>>,
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        if Arc::strong_count(&self.task) == 1 {
            self.task.abort();
        }
    }
}

fn random(n: usize) -> String {
    use rand::RngCore;
    let mut b = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut b);
    B64.encode(b)
}

/// What a test may change in an ID token it signs.
#[derive(Clone, Default)]
pub struct Tweak {
    pub aud: Option<String>,
    pub iss: Option<String>,
    /// Seconds added to `exp` (and `iat`) relative to now.
    pub shift_secs: i64,
    pub nonce: Option<String>,
    /// Sign with a key the JWKS does not publish.
    pub foreign_key: bool,
    pub alg_none: bool,
    /// HS256 with the public key's modulus as the HMAC secret (the classic confusion attack).
    pub hs256: bool,
}

impl OidcProvider {
    pub async fn start() -> OidcProvider {
        Self::start_on("127.0.0.1:0", Some(CLIENT_SECRET.to_string())).await
    }

    pub async fn start_on(bind: &str, client_secret: Option<String>) -> OidcProvider {
        let listener = tokio::net::TcpListener::bind(bind).await.expect("bind");
        let issuer = format!("http://{}", listener.local_addr().expect("addr"));
        let inner = Arc::new(Mutex::new(Inner {
            issuer: issuer.clone(),
            keys: vec![key(0)],
            client_secret,
            requests: HashMap::new(),
            codes: HashMap::new(),
            access: HashMap::new(),
            email_in_id_token: true,
            jwks_fetches: 0,
            token_requests: 0,
        }));
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/.well-known/jwks.json", get(jwks))
            .route("/oauth/authorize", get(authorize))
            .route("/oauth/decide", post(decide))
            .route("/oauth/token", post(token))
            .route("/v1/oidc/userinfo", get(userinfo))
            .route("/profile.png", get(profile_picture))
            .with_state(inner.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        OidcProvider {
            issuer,
            inner,
            task: Arc::new(task),
        }
    }

    /// Publishes a new signing key and drops the old one.
    pub fn rotate(&self) {
        let mut s = self.inner.lock().unwrap();
        let next = s.keys.last().map(|k| k.kid.clone()).unwrap_or_default();
        let i = next
            .rsplit('-')
            .next()
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        s.keys = vec![key(i + 1)];
    }

    pub fn jwks_fetches(&self) -> usize {
        self.inner.lock().unwrap().jwks_fetches
    }

    pub fn set_email_in_id_token(&self, yes: bool) {
        self.inner.lock().unwrap().email_in_id_token = yes;
    }

    /// An ID token as the provider's SDK would hand an app, changed by `tweak`.
    pub fn id_token(&self, person: &Person, nonce: Option<&str>, tweak: Tweak) -> String {
        let s = self.inner.lock().unwrap();
        let claims = claims(&s, person, nonce, &tweak, true);
        let signing = s.keys.last().expect("a key").clone();
        drop(s);
        sign(&claims, &signing, &tweak)
    }
}

fn claims(s: &Inner, p: &Person, nonce: Option<&str>, tweak: &Tweak, with_email: bool) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + tweak.shift_secs;
    let mut c = json!({
        "iss": tweak.iss.clone().unwrap_or_else(|| s.issuer.clone()),
        "aud": tweak.aud.clone().unwrap_or_else(|| CLIENT_ID.to_string()),
        "sub": p.sub,
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
        "nickname": p.nickname,
        "picture": format!("{}/profile.png", s.issuer),
    });
    if let Some(n) = tweak.nonce.as_deref().or(nonce) {
        c["nonce"] = json!(n);
    }
    if with_email {
        if let Some(e) = &p.email {
            c["email"] = json!(e);
            c["email_verified"] = json!(p.email_verified);
        }
    }
    c
}

fn sign(claims: &Value, published: &Key, tweak: &Tweak) -> String {
    if tweak.alg_none {
        let header = json!({"alg": "none", "typ": "JWT", "kid": published.kid});
        return format!(
            "{}.{}.",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
    }
    if tweak.hs256 {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some(published.kid.clone());
        let secret = B64.decode(&published.n).unwrap();
        return jsonwebtoken::encode(&h, claims, &EncodingKey::from_secret(&secret)).unwrap();
    }
    let signing = if tweak.foreign_key {
        let mut k = key(3);
        k.kid = published.kid.clone();
        // Same kid, another key: the signature cannot verify. (A new kid is tested separately.)
        k
    } else {
        published.clone()
    };
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(signing.kid.clone());
    jsonwebtoken::encode(&h, claims, &signing.encoding()).unwrap()
}

/// An ID token signed with a key whose `kid` the provider never published.
pub fn token_with_unknown_kid(issuer: &str, person: &Person) -> String {
    let s = Inner {
        issuer: issuer.to_string(),
        keys: vec![],
        client_secret: None,
        requests: HashMap::new(),
        codes: HashMap::new(),
        access: HashMap::new(),
        email_in_id_token: true,
        jwks_fetches: 0,
        token_requests: 0,
    };
    let c = claims(&s, person, None, &Tweak::default(), true);
    let mut k = key(2);
    k.kid = format!("never-published-{}", random(6));
    sign(&c, &k, &Tweak::default())
}

type Shared = Arc<Mutex<Inner>>;

async fn discovery(State(s): State<Shared>) -> Json<Value> {
    let issuer = s.lock().unwrap().issuer.clone();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "userinfo_endpoint": format!("{issuer}/v1/oidc/userinfo"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn jwks(State(s): State<Shared>) -> Json<Value> {
    let mut s = s.lock().unwrap();
    s.jwks_fetches += 1;
    Json(json!({"keys": s.keys.iter().map(Key::jwk).collect::<Vec<_>>()}))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The consent page: who signs in (editable, for tests), approve or deny.
async fn authorize(State(s): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    if get("response_type") != "code"
        || get("client_id") != CLIENT_ID
        || get("code_challenge_method") != "S256"
        || get("code_challenge").is_empty()
        || !get("scope").split(' ').any(|x| x == "openid")
    {
        return (StatusCode::BAD_REQUEST, "invalid_request").into_response();
    }
    let id = random(12);
    s.lock().unwrap().requests.insert(
        id.clone(),
        AuthRequest {
            redirect_uri: get("redirect_uri"),
            state: get("state"),
            nonce: q.get("nonce").cloned(),
            challenge: get("code_challenge"),
        },
    );
    let sub = format!("{}", 1_000_000 + rand::random::<u32>() % 9_000_000);
    Html(format!(
        r#"<!doctype html><html lang="ko"><meta charset="utf-8"><title>카카오계정 로그인 (테스트)</title>
<h1>테스트 카카오</h1><p>이거대여에 다음 정보를 제공할까요?</p>
<form method="post" action="/oauth/decide">
<input type="hidden" name="request" value="{id}">
<label>sub <input name="sub" value="{sub}"></label>
<label>닉네임 <input name="nickname" value="카카오이웃"></label>
<label>이메일 <input name="email" value="kakao{sub}@example.com"></label>
<label><input type="checkbox" name="email_verified" value="true" checked> 이메일 확인됨</label>
<button name="decision" value="approve">동의하고 계속하기</button>
<button name="decision" value="deny">취소</button>
</form>"#,
        id = escape(&id),
    ))
    .into_response()
}

#[derive(Deserialize)]
pub struct Decision {
    request: String,
    decision: String,
    #[serde(default)]
    sub: String,
    #[serde(default)]
    nickname: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    email_verified: Option<String>,
}

async fn decide(State(s): State<Shared>, Form(d): Form<Decision>) -> Response {
    let mut s = s.lock().unwrap();
    let Some(req) = s.requests.remove(&d.request) else {
        return (StatusCode::BAD_REQUEST, "unknown request").into_response();
    };
    let mut to = url::Url::parse(&req.redirect_uri).expect("redirect_uri");
    if d.decision != "approve" {
        to.query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("error_description", "User denied access")
            .append_pair("state", &req.state);
        return Redirect::to(to.as_str()).into_response();
    }
    let person = Person {
        sub: d.sub,
        nickname: d.nickname,
        email: Some(d.email).filter(|e| !e.is_empty()),
        email_verified: d.email_verified.as_deref() == Some("true"),
    };
    let code = random(16);
    to.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &req.state);
    s.codes.insert(code, (req, person));
    Redirect::to(to.as_str()).into_response()
}

#[derive(Deserialize)]
pub struct TokenForm {
    grant_type: String,
    code: String,
    redirect_uri: String,
    client_id: String,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    code_verifier: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({"error": error}))).into_response()
}

async fn token(State(s): State<Shared>, Form(f): Form<TokenForm>) -> Response {
    let mut s = s.lock().unwrap();
    s.token_requests += 1;
    if f.grant_type != "authorization_code" {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    if f.client_id != CLIENT_ID || (s.client_secret.is_some() && f.client_secret != s.client_secret)
    {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    // Single use: the code is gone whatever happens next.
    let Some((req, person)) = s.codes.remove(&f.code) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    };
    if f.redirect_uri != req.redirect_uri {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let verifier = f.code_verifier.unwrap_or_default();
    if B64.encode(Sha256::digest(verifier.as_bytes())) != req.challenge {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let c = claims(
        &s,
        &person,
        req.nonce.as_deref(),
        &Tweak::default(),
        s.email_in_id_token,
    );
    let key = s.keys.last().expect("a key").clone();
    let id_token = sign(&c, &key, &Tweak::default());
    let access = random(16);
    s.access.insert(access.clone(), person);
    Json(json!({
        "token_type": "bearer",
        "access_token": access,
        "id_token": id_token,
        "expires_in": 21599,
        "scope": "openid profile_nickname profile_image account_email",
    }))
    .into_response()
}

async fn userinfo(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let s = s.lock().unwrap();
    let Some(p) = s.access.get(token) else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_token");
    };
    Json(json!({
        "sub": p.sub,
        "nickname": p.nickname,
        "picture": format!("{}/profile.png", s.issuer),
        "kakao_account": {"email": p.email, "is_email_verified": p.email_verified},
    }))
    .into_response()
}

/// Everyone's profile picture: a small yellow square.
async fn profile_picture() -> Response {
    let img = image::RgbImage::from_pixel(64, 64, image::Rgb([254, 229, 0]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    ([(header::CONTENT_TYPE, "image/png")], out.into_inner()).into_response()
}
