//! Extractors that turn every malformed input into the contract's 400, and find the caller.
use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method};
use serde::de::DeserializeOwned;

use crate::accounts;
use crate::accounts::service::Access;
use crate::http::AppError;
use crate::state::AppState;

pub const ACCESS_COOKIE: &str = "egd_access";

/// JSON body parsed strictly: bad syntax, wrong types, missing fields and unknown enum values are
/// 400 `validation_failed` naming the field.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge("요청이 너무 커요".into())
            } else {
                AppError::field("body", "본문을 읽을 수 없어요")
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    // Every body is an object; serde would also read a struct from an array (`[null]`). The
    // first byte decides, so a refused body is never parsed.
    let text = match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => &b"{}"[..],
        Some(b'{') => bytes,
        Some(_) => return Err(AppError::field("body", "JSON 객체여야 해요")),
    };
    let de = &mut serde_json::Deserializer::from_slice(text);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let msg = inner.to_string();
        let (field, problem) = if inner.is_syntax() || inner.is_eof() {
            (
                "body".to_string(),
                "JSON 형식이 올바르지 않아요".to_string(),
            )
        } else if let Some(rest) = msg.strip_prefix("missing field `") {
            let name = rest.split('`').next().unwrap_or("");
            let field = if path == "." || path.is_empty() {
                name.to_string()
            } else {
                format!("{path}.{name}")
            };
            (field, "required".to_string())
        } else {
            let field = if path == "." || path.is_empty() {
                "body".to_string()
            } else {
                path
            };
            // Drop serde's position suffix; keep what was wrong.
            let problem = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            (field, problem)
        };
        let mut fields = BTreeMap::new();
        fields.insert(field.clone(), problem.clone());
        AppError::validation(format!("{field}: {problem}"), fields)
    })
}

pub use crate::domain::caller::{AuthUser, MaybeUser};

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match authenticate(parts, state).await? {
            Some(user) => Ok(user),
            None => Err(AppError::unauthenticated()),
        }
    }
}

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(MaybeUser(authenticate(parts, state).await?))
    }
}

pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    cookie_in(&parts.headers, name)
}

/// The value of cookie `name` in the request headers (axum-extra's cookie jar).
pub fn cookie_in(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    axum_extra::extract::cookie::CookieJar::from_headers(headers)
        .get(name)
        .map(|c| c.value().to_string())
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// The full request path: inside the nested `/api/v1` router `parts.uri` has the prefix stripped.
fn request_path(parts: &Parts) -> &str {
    parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(parts.uri.path(), |o| o.0.path())
}

fn query_token(parts: &Parts) -> Option<String> {
    let q = parts.uri.query()?;
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
}

/// The caller of a WebSocket upgrade, with the login its socket is bound to.
pub struct SocketCaller {
    pub user: AuthUser,
    pub family: String,
}

impl FromRequestParts<AppState> for SocketCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match authenticate_login(parts, state).await? {
            Some((user, family)) => Ok(SocketCaller { user, family }),
            None => Err(AppError::unauthenticated()),
        }
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<AuthUser>, AppError> {
    Ok(authenticate_login(parts, state).await?.map(|(u, _)| u))
}

async fn authenticate_login(
    parts: &Parts,
    state: &AppState,
) -> Result<Option<(AuthUser, String)>, AppError> {
    let ws_token = (request_path(parts) == "/api/v1/ws")
        .then(|| query_token(parts))
        .flatten();
    // Borrowed from the header when it comes as a bearer token (most API calls).
    let (token, from_cookie): (std::borrow::Cow<str>, bool) = if let Some(t) = bearer(parts) {
        (t.into(), false)
    } else if let Some(t) = ws_token {
        (t.into(), false)
    } else if let Some(t) = cookie(parts, ACCESS_COOKIE) {
        (t.into(), true)
    } else {
        return Ok(None);
    };
    if from_cookie && !csrf_ok(parts, state) {
        return Err(AppError::Forbidden("CSRF 검사에 실패했어요".into()));
    }
    let fresh = accounts::service::access_must_be_fresh(parts.method.as_str(), request_path(parts));
    match accounts::service::check_access(state, &token, fresh).await? {
        Access::Valid { user, family } => Ok(Some((user, family))),
        Access::Expired => Err(AppError::Unauthenticated(
            "로그인이 만료되었어요. 다시 로그인해 주세요".into(),
        )),
        Access::Ended => Err(AppError::unauthenticated()),
    }
}

/// The client's address: the TCP peer, or, when the peer is a trusted proxy (`TRUSTED_PROXIES`),
/// the right-most `X-Forwarded-For` entry that is not itself a trusted proxy. Entries left of
/// that are the client's own claims and never believed.
pub fn client_addr(
    peer: Option<std::net::IpAddr>,
    headers: &axum::http::HeaderMap,
    trusted: &[ipnet::IpNet],
) -> String {
    let Some(peer) = peer else {
        return String::new();
    };
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer.to_string();
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    // Walk from the right (what our own proxies appended) past the proxies themselves.
    for entry in entries.iter().rev() {
        match entry.parse::<std::net::IpAddr>() {
            Ok(ip) if is_trusted(&ip) => continue,
            Ok(ip) => return ip.to_string(),
            Err(_) => break,
        }
    }
    peer.to_string()
}

/// The client's address (see [`client_addr`]).
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientAddr(client_addr(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

/// Cookie-authenticated requests that change state (and socket upgrades, which browsers send
/// cross-site) pass the shared CSRF check.
pub fn csrf_ok(parts: &Parts, state: &AppState) -> bool {
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
        && request_path(parts) != "/api/v1/ws"
    {
        return true;
    }
    super::csrf::passes(&parts.headers, &state.public_url, None)
}

/// Path parameters; anything that does not parse (a non-numeric id) is a 404, like a missing row.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|_| AppError::not_found())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", v.parse().unwrap());
        h
    }

    #[test]
    fn client_address_believes_forwarded_only_from_trusted_proxies() {
        let trusted = crate::config::parse_proxies("10.0.0.0/8").unwrap();
        let proxy = Some("10.0.0.5".parse().unwrap());
        let stranger = Some("203.0.113.9".parse().unwrap());
        // No proxies configured: the peer, whatever the header says.
        assert_eq!(client_addr(proxy, &xff("1.2.3.4"), &[]), "10.0.0.5");
        // An untrusted peer cannot claim another address.
        assert_eq!(
            client_addr(stranger, &xff("1.2.3.4"), &trusted),
            "203.0.113.9"
        );
        // Through the proxy: the right-most untrusted entry, not a client-forged left one.
        assert_eq!(
            client_addr(proxy, &xff("6.6.6.6, 198.51.100.7"), &trusted),
            "198.51.100.7"
        );
        assert_eq!(
            client_addr(proxy, &xff("198.51.100.7, 10.0.0.9"), &trusted),
            "198.51.100.7"
        );
        // A trusted peer without the header is the client itself.
        assert_eq!(client_addr(proxy, &HeaderMap::new(), &trusted), "10.0.0.5");
    }
}
