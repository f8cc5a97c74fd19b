//! Browser sessions: log-in and sign-up forms, log-out, and refreshing the access cookie.
//!
//! Cookies: `egd_access` (HttpOnly, the access JWT, path `/`), `egd_refresh` (HttpOnly, the refresh
//! token, only sent to `/session/…`), `egd_csrf` (readable by scripts, sent back as `x-csrf-token`;
//! named `__Host-egd_csrf` on https). All of them are `Secure` when `PUBLIC_URL` is https.
use axum_extra::extract::cookie::{Cookie, SameSite};
use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::render::Layout;
use super::Ctx;
use crate::accounts::model::{LoginInput, SignupInput, TokenPair};
use crate::accounts::service as accounts;
use crate::http::csrf;
use crate::http::extract::ACCESS_COOKIE;
use crate::http::AppError;
use crate::state::AppState;

pub const REFRESH_COOKIE: &str = "egd_refresh";
const SESSION_PATH: &str = "/session";

pub fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A user-supplied `next` target as a path on our own origin (path, query and fragment, as the
/// URL parser normalised them), or "/". The target is resolved against `public_url` the way a
/// browser resolves a `Location` (WHATWG URL rules: tabs and newlines dropped, `\` read as `/`,
/// leading spaces trimmed), so what we check is what the browser would follow.
pub fn safe_next(public_url: &str, next: Option<&str>) -> String {
    let (Some(next), Ok(base)) = (next, url::Url::parse(public_url)) else {
        return "/".to_string();
    };
    let Ok(target) = base.join(next) else {
        return "/".to_string();
    };
    // A path that normalises to `//host` (from `/.//host`) would leave the origin when the
    // browser reads it back as a Location.
    if target.origin() != base.origin() || target.path().starts_with("//") {
        return "/".to_string();
    }
    let mut out = target.path().to_string();
    if let Some(q) = target.query() {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = target.fragment() {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// One `Set-Cookie` value: SameSite=Lax everywhere, Secure on https, HttpOnly for the tokens.
fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age_secs: i64,
    http_only: bool,
    secure: bool,
) -> String {
    Cookie::build((name.to_string(), value.to_string()))
        .path(path.to_string())
        .max_age(time::Duration::seconds(max_age_secs))
        .http_only(http_only)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build()
        .to_string()
}

/// Path=/, no Domain and (on https) Secure: what the `__Host-` name requires.
pub fn csrf_cookie(token: &str, secure: bool) -> String {
    set_cookie(
        csrf::cookie_name(secure),
        token,
        "/",
        31_536_000,
        false,
        secure,
    )
}

fn session_cookies(state: &AppState, pair: &TokenPair, secure: bool) -> Vec<String> {
    let refresh_age = state.config.refresh_ttl_secs;
    vec![
        // The cookie outlives the token on purpose: an expired token tells the page to refresh.
        set_cookie(
            ACCESS_COOKIE,
            &pair.access_token,
            "/",
            refresh_age,
            true,
            secure,
        ),
        set_cookie(
            REFRESH_COOKIE,
            &pair.refresh_token,
            SESSION_PATH,
            refresh_age,
            true,
            secure,
        ),
    ]
}

/// The cookie that binds a provider sign-in to the browser that started it: only sent back to
/// `/auth/…`, for the 10 minutes a sign-in may take. Lax, so the provider's redirect carries it.
pub const PROVIDER_COOKIE: &str = "egd_oidc";

pub(crate) fn provider_cookie(value: &str, max_age_secs: i64, secure: bool) -> String {
    set_cookie(PROVIDER_COOKIE, value, "/auth", max_age_secs, true, secure)
}

/// Signed in: the session cookies, then 303 to `to`.
pub(crate) fn signed_in_redirect(
    state: &AppState,
    ctx: &Ctx,
    auth: &crate::accounts::model::AuthResponse,
    to: &str,
) -> Response {
    let pair = TokenPair {
        access_token: auth.access_token.clone(),
        refresh_token: auth.refresh_token.clone(),
        expires_in: auth.expires_in,
    };
    let mut resp = with_cookies(see_other(to), session_cookies(state, &pair, ctx.secure));
    ctx.add_cookies_fresh(&mut resp);
    resp
}

pub fn clear_cookies(secure: bool) -> Vec<String> {
    vec![
        set_cookie(ACCESS_COOKIE, "", "/", 0, true, secure),
        set_cookie(REFRESH_COOKIE, "", SESSION_PATH, 0, true, secure),
    ]
}

pub(crate) fn with_cookies(mut resp: Response, cookies: Vec<String>) -> Response {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

pub(crate) fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

fn header_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    crate::http::extract::cookie_in(headers, name).filter(|v| !v.is_empty())
}

/// A state-changing session request must carry the CSRF token (form field or header) or a
/// same-origin `Origin`: the same check as the JSON API's.
fn csrf_passes(state: &AppState, headers: &HeaderMap, form_token: Option<&str>) -> bool {
    csrf::passes(headers, &state.public_url, form_token)
}

fn csrf_failed(ctx: &Ctx) -> Response {
    super::render::render_error(
        ctx,
        StatusCode::FORBIDDEN,
        "요청을 확인하지 못했어요",
        "페이지를 새로고침한 뒤 다시 시도해 주세요.",
    )
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: Option<String>,
    /// Why a provider sign-in came back here (a `WebFailure` code; anything else is ignored).
    #[serde(default)]
    error: Option<String>,
}

/// The sign-in providers the login and sign-up pages offer.
#[derive(Clone)]
pub struct ProviderButton {
    pub id: String,
    pub name: String,
    pub href: String,
}

fn provider_buttons(state: &AppState, next: &str) -> Vec<ProviderButton> {
    crate::accounts::identities::providers(state)
        .into_iter()
        .map(|p| ProviderButton {
            href: format!("/auth/{}/start?next={}", p.id, encode(next)),
            id: p.id,
            name: p.name,
        })
        .collect()
}

fn failure_text(code: Option<&str>) -> String {
    code.and_then(crate::accounts::identities::WebFailure::parse)
        .map(|f| f.message().to_string())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    next: String,
    email: String,
    error: String,
    /// Why a provider sign-in failed (shown above the provider buttons).
    provider_error: String,
    providers: Vec<ProviderButton>,
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    l: Layout,
    next: String,
    email: String,
    nickname: String,
    region_code: String,
    region_name: String,
    error: String,
    errors: BTreeMap<String, String>,
    providers: Vec<ProviderButton>,
}

impl SignupPage {
    fn err(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }
}

pub async fn login_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(&state.public_url, q.next.as_deref());
    if ctx.user.is_some() {
        return Redirect::to(&next).into_response();
    }
    let page = LoginPage {
        l: Layout::new(&ctx, "로그인"),
        providers: provider_buttons(&state, &next),
        next,
        email: String::new(),
        error: String::new(),
        provider_error: failure_text(q.error.as_deref()),
    };
    super::render::render(&ctx, StatusCode::OK, &page)
}

pub async fn signup_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(&state.public_url, q.next.as_deref());
    if ctx.user.is_some() {
        return Redirect::to(&next).into_response();
    }
    let page = SignupPage {
        l: Layout::new(&ctx, "회원가입"),
        providers: provider_buttons(&state, &next),
        next,
        email: String::new(),
        nickname: String::new(),
        region_code: String::new(),
        region_name: String::new(),
        error: String::new(),
        errors: BTreeMap::new(),
    };
    super::render::render(&ctx, StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    csrf: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    if !csrf_passes(&state, &headers, f.csrf.as_deref()) {
        return csrf_failed(&ctx);
    }
    let next = safe_next(&state.public_url, f.next.as_deref());
    let input = LoginInput {
        email: f.email.clone(),
        password: f.password,
    };
    match accounts::login(&state, input, &ctx.ip).await {
        Ok(auth) => {
            let pair = TokenPair {
                access_token: auth.access_token,
                refresh_token: auth.refresh_token,
                expires_in: auth.expires_in,
            };
            let mut resp =
                with_cookies(see_other(&next), session_cookies(&state, &pair, ctx.secure));
            ctx.add_cookies_fresh(&mut resp);
            resp
        }
        Err(AppError::Internal(e)) => ctx.fail(AppError::Internal(e)),
        Err(e) => {
            let status = e.status();
            let page = LoginPage {
                l: Layout::new(&ctx, "로그인"),
                providers: provider_buttons(&state, &next),
                provider_error: String::new(),
                next,
                email: f.email,
                error: match &e {
                    AppError::Validation { .. } => "이메일과 비밀번호를 입력해 주세요".to_string(),
                    other => other.to_string(),
                },
            };
            super::render::render(&ctx, status, &page)
        }
    }
}

#[derive(Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
    #[serde(default)]
    nickname: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    region_name: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    csrf: Option<String>,
}

pub async fn signup(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(f): Form<SignupForm>,
) -> Response {
    if !csrf_passes(&state, &headers, f.csrf.as_deref()) {
        return csrf_failed(&ctx);
    }
    let next = safe_next(&state.public_url, f.next.as_deref());
    let mut errors = BTreeMap::new();
    let mut error = String::new();
    let mut status = StatusCode::BAD_REQUEST;
    if f.password != f.password2 {
        errors.insert(
            "password2".to_string(),
            "비밀번호가 서로 달라요".to_string(),
        );
    } else {
        let input = SignupInput {
            email: f.email.clone(),
            password: f.password.clone(),
            nickname: f.nickname.clone(),
            region_code: Some(f.region_code.clone()).filter(|s| !s.trim().is_empty()),
        };
        match accounts::signup(&state, input, &ctx.ip).await {
            Ok(auth) => {
                let pair = TokenPair {
                    access_token: auth.access_token,
                    refresh_token: auth.refresh_token,
                    expires_in: auth.expires_in,
                };
                let mut resp =
                    with_cookies(see_other(&next), session_cookies(&state, &pair, ctx.secure));
                ctx.add_cookies_fresh(&mut resp);
                return resp;
            }
            Err(AppError::Validation { fields, message }) => {
                errors = fields;
                if errors.is_empty() {
                    error = message;
                }
            }
            Err(AppError::Conflict(m)) => {
                status = StatusCode::CONFLICT;
                let field = if m.contains("이메일") {
                    "email"
                } else {
                    "nickname"
                };
                errors.insert(field.to_string(), m);
            }
            Err(AppError::Internal(e)) => return ctx.fail(AppError::Internal(e)),
            Err(e) => {
                status = e.status();
                error = e.to_string();
            }
        }
    }
    let page = SignupPage {
        l: Layout::new(&ctx, "회원가입"),
        providers: provider_buttons(&state, &next),
        next,
        email: f.email,
        nickname: f.nickname,
        region_code: f.region_code,
        region_name: f.region_name,
        error,
        errors,
    };
    super::render::render(&ctx, status, &page)
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: Option<String>,
}

pub async fn logout(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(f): Form<LogoutForm>,
) -> Response {
    if !csrf_passes(&state, &headers, f.csrf.as_deref()) {
        return csrf_failed(&ctx);
    }
    if let Some(token) = header_cookie(&headers, REFRESH_COOKIE) {
        let _ = accounts::logout(&state, &token).await;
    }
    with_cookies(see_other("/"), clear_cookies(ctx.secure))
}

/// Used by scripts: `POST /session/refresh` with the CSRF header → 204 and fresh cookies, or 401.
pub async fn refresh(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> Response {
    if !csrf_passes(&state, &headers, None) {
        return AppError::Forbidden("CSRF 검사에 실패했어요".into()).into_response();
    }
    match header_cookie(&headers, REFRESH_COOKIE) {
        Some(token) => match accounts::refresh(&state, &token).await {
            Ok(pair) => with_cookies(
                StatusCode::NO_CONTENT.into_response(),
                session_cookies(&state, &pair, ctx.secure),
            ),
            Err(e) => with_cookies(e.into_response(), clear_cookies(ctx.secure)),
        },
        None => with_cookies(
            AppError::unauthenticated().into_response(),
            clear_cookies(ctx.secure),
        ),
    }
}

/// Used by pages whose access cookie expired: refresh, then go back (signed out when it fails).
pub async fn refresh_redirect(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(&state.public_url, q.next.as_deref());
    let cookies = match header_cookie(&headers, REFRESH_COOKIE) {
        Some(token) => match accounts::refresh(&state, &token).await {
            Ok(pair) => session_cookies(&state, &pair, ctx.secure),
            Err(_) => clear_cookies(ctx.secure),
        },
        None => clear_cookies(ctx.secure),
    };
    let mut resp = with_cookies(see_other(&next), cookies);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

impl Ctx {
    /// Only the CSRF cookie: used when session cookies were just set (never clears them).
    fn add_cookies_fresh(&self, resp: &mut Response) {
        if self.new_csrf {
            if let Ok(v) = HeaderValue::from_str(&csrf_cookie(&self.csrf, self.secure)) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    const PUBLIC: &str = "https://egd.example";

    #[test]
    fn next_leaving_our_origin_goes_home() {
        for bad in [
            "/\t/evil.example",
            "/\n/evil.example",
            "\\\\evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "//evil.example",
            "///evil.example",
            "/.//evil.example",
            "https://evil.example",
            "https://evil.example/path",
            "http:evil.example",
            "http://egd.example/x",
            "javascript:alert(1)",
            " javascript:alert(1)",
            "data:text/html,x",
            "\t//evil.example",
            " //evil.example",
        ] {
            assert_eq!(safe_next(PUBLIC, Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(PUBLIC, None), "/");
        assert_eq!(safe_next("not a url", Some("/x")), "/");
    }

    #[test]
    fn next_on_our_origin_is_kept_normalised() {
        for (next, want) in [
            ("/ok?x=1#y", "/ok?x=1#y"),
            ("/items/3", "/items/3"),
            ("  /x", "/x"),
            ("\u{1}\t /x", "/x"),
            ("/%09/evil.example", "/%09/evil.example"),
            ("/a/../b", "/b"),
            // Same scheme without slashes is a relative path (as browsers read it).
            ("https:evil.example", "/evil.example"),
            ("/검색?q=드릴", "/%EA%B2%80%EC%83%89?q=%EB%93%9C%EB%A6%B4"),
            ("https://egd.example/me?tab=items", "/me?tab=items"),
            ("", "/"),
        ] {
            assert_eq!(safe_next(PUBLIC, Some(next)), want, "{next:?}");
        }
        assert_eq!(
            safe_next("http://127.0.0.1:8000", Some("/chats/1")),
            "/chats/1"
        );
    }
}
