//! What the server-rendered pages share (request context, layout, rendering, view helpers),
//! browser sessions and embedded static assets. Each domain's pages are in its `pages.rs`.
//!
//! Pages are askama templates rendered from the same service functions the JSON API calls; the live
//! parts are small ES modules under `static/` that talk to the JSON API with the session cookie and
//! the double-submit CSRF token.

// Page helpers return a ready `Response` as their error: that is what a handler sends back.
#![allow(clippy::result_large_err)]
pub mod api_docs;
mod assets;
pub(crate) mod render;
pub(crate) mod session;
pub(crate) mod view;

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::accounts::service::Access;
use crate::accounts::tokens::random_token;
use crate::http::csrf;
use crate::http::extract::{cookie, AuthUser, ACCESS_COOKIE};
use crate::http::AppError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(session::login_page))
        .route("/signup", get(session::signup_page))
        .route("/session/login", post(session::login))
        .route("/session/signup", post(session::signup))
        .route("/session/logout", post(session::logout))
        .route(
            "/session/refresh",
            get(session::refresh_redirect).post(session::refresh),
        )
        .route("/static/{*path}", get(assets::serve))
        .fallback(render::not_found)
}

/// What every page knows about the request: the signed-in user (if any), the CSRF token for
/// forms and scripts, and where the browser is (for `next=` links).
pub struct Ctx {
    pub user: Option<AuthUser>,
    pub csrf: String,
    new_csrf: bool,
    pub path: String,
    pub ip: String,
    pub secure: bool,
    /// An access cookie was present but no longer valid (and refresh was not possible here).
    pub stale_cookie: bool,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let secure = csrf::is_https(&state.public_url);
        let (csrf, new_csrf) =
            match cookie(parts, csrf::cookie_name(secure)).filter(|c| c.len() >= 16) {
                Some(c) => (c.to_string(), false),
                None => (random_token(18), true),
            };
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let ip =
            crate::http::extract::client_addr(peer, &parts.headers, &state.config.trusted_proxies);
        let mut ctx = Ctx {
            user: None,
            csrf,
            new_csrf,
            path,
            ip,
            secure,
            stale_cookie: false,
        };
        let Some(token) = cookie(parts, ACCESS_COOKIE).filter(|t| !t.is_empty()) else {
            return Ok(ctx);
        };
        let fresh =
            crate::accounts::service::access_must_be_fresh(parts.method.as_str(), parts.uri.path());
        let access = crate::accounts::service::check_access(state, &token, fresh)
            .await
            .map_err(|e| error_page(&ctx, e))?;
        match access {
            Access::Valid { user, .. } => ctx.user = Some(user),
            Access::Ended => ctx.stale_cookie = true,
            Access::Expired => {
                // Expired access token: pages refresh it through the session endpoint and come back.
                if parts.method == Method::GET && !parts.uri.path().starts_with("/session/") {
                    let next = session::encode(&ctx.path);
                    return Err(
                        Redirect::to(&format!("/session/refresh?next={next}")).into_response()
                    );
                }
                ctx.stale_cookie = true;
            }
        }
        Ok(ctx)
    }
}

/// A page's query string, read leniently: any URL shows a sensible page (unknown values fall
/// back to defaults) instead of an error.
pub struct QueryMap(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let map = url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
        Ok(QueryMap(map))
    }
}

impl QueryMap {
    /// A non-empty value, trimmed.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// `page`, 1 when absent or unreadable, at most 10,000.
    pub fn page(&self) -> i64 {
        self.str("page")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(1)
            .clamp(1, 10_000)
    }
}

impl Ctx {
    /// The signed-in user, or a redirect to the login page that comes back here.
    pub fn require(&self) -> Result<AuthUser, Response> {
        self.user.ok_or_else(|| {
            Redirect::to(&format!("/login?next={}", session::encode(&self.path))).into_response()
        })
    }

    /// The signed-in user with their private profile, or the redirect to the login page (what a
    /// personal page opens with).
    pub async fn me(
        &self,
        state: &AppState,
    ) -> Result<(AuthUser, crate::accounts::PrivateUser), Response> {
        let user = self.require()?;
        let me = crate::accounts::service::private_user(state, user.id)
            .await
            .map_err(|e| self.fail(e))?;
        Ok((user, me))
    }

    /// Wraps rendered HTML with the page headers (CSP, no caching of personal pages, CSRF cookie).
    pub fn html(&self, status: StatusCode, body: String) -> Response {
        let mut resp = (status, axum::response::Html(body)).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache, private"),
        );
        self.add_cookies(&mut resp);
        resp
    }

    pub fn add_cookies(&self, resp: &mut Response) {
        if self.new_csrf {
            if let Ok(v) = HeaderValue::from_str(&session::csrf_cookie(&self.csrf, self.secure)) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        if self.stale_cookie {
            for c in session::clear_cookies(self.secure) {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    resp.headers_mut().append(header::SET_COOKIE, v);
                }
            }
        }
    }

    /// An error from a service turned into the fitting HTML page.
    pub fn fail(&self, e: AppError) -> Response {
        error_page(self, e)
    }
}

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: http: https:; \
font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

fn error_page(ctx: &Ctx, e: AppError) -> Response {
    let status = e.status();
    let (title, message) = match &e {
        AppError::NotFound(_) => (
            "페이지를 찾을 수 없어요",
            "주소가 바뀌었거나 삭제된 페이지예요. 홈에서 다른 물건을 둘러보세요.".to_string(),
        ),
        AppError::Unauthenticated(_) => {
            return Redirect::to(&format!("/login?next={}", session::encode(&ctx.path)))
                .into_response();
        }
        AppError::Forbidden(m) => ("볼 수 없는 페이지예요", m.clone()),
        AppError::Internal(_) => (
            "잠시 문제가 생겼어요",
            "서버에 문제가 생겼어요. 잠시 후 다시 시도해 주세요.".to_string(),
        ),
        other => ("요청을 처리하지 못했어요", other.to_string()),
    };
    if let AppError::Internal(err) = &e {
        tracing::error!(error = ?err, "page error");
    }
    render::render_error(ctx, status, title, &message)
}

/// A panic in a page handler comes out of the panic layer as the API's JSON 500; a browser on a
/// page should get the friendly HTML page instead.
pub async fn html_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let path = req.uri().path().to_owned();
    let resp = next.run(req).await;
    let page_path = ![
        "/api/", "/media/", "/static/", "/healthz", "/readyz", "/metrics",
    ]
    .iter()
    .any(|p| path.starts_with(p));
    let json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if page_path && json && resp.status() == StatusCode::INTERNAL_SERVER_ERROR {
        let ctx = Ctx {
            user: None,
            csrf: String::new(),
            new_csrf: false,
            path,
            ip: String::new(),
            secure: false,
            stale_cookie: false,
        };
        return render::render_error(
            &ctx,
            StatusCode::INTERNAL_SERVER_ERROR,
            "잠시 문제가 생겼어요",
            "서버에 문제가 생겼어요. 잠시 후 다시 시도해 주세요.",
        );
    }
    resp
}
