//! Static assets embedded in the binary, served under fingerprinted URLs (`/static/app.css?v=<hash>`).
//!
//! References between assets (`url("/static/fonts/…")` in CSS, `from './lib.js'` in modules) are
//! rewritten at start-up to carry the hash too, so every asset can be cached for a year.
use std::collections::HashMap;
use std::sync::OnceLock;

use axum::extract::{Path, Query};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// In dependency order: an asset may only refer to assets listed before it.
const FILES: &[(&str, &[u8])] = &[
    // Vendored (see its README.txt): first, so the start-up rewriting below never touches it.
    (
        "vendor/rapidoc/rapidoc-min.js",
        include_bytes!("../../static/vendor/rapidoc/rapidoc-min.js"),
    ),
    (
        "fonts/Pretendard-Regular.subset.woff2",
        include_bytes!("../../static/fonts/Pretendard-Regular.subset.woff2"),
    ),
    (
        "fonts/Pretendard-Bold.subset.woff2",
        include_bytes!("../../static/fonts/Pretendard-Bold.subset.woff2"),
    ),
    ("icon.svg", include_bytes!("../../static/icon.svg")),
    ("app.css", include_bytes!("../../static/app.css")),
    ("api-docs.css", include_bytes!("../../static/api-docs.css")),
    ("theme.js", include_bytes!("../../static/theme.js")),
    ("lib.js", include_bytes!("../../static/lib.js")),
    ("app.js", include_bytes!("../../static/app.js")),
    ("calendar.js", include_bytes!("../../static/calendar.js")),
    ("item.js", include_bytes!("../../static/item.js")),
    ("item-form.js", include_bytes!("../../static/item-form.js")),
    ("signup.js", include_bytes!("../../static/signup.js")),
    ("me.js", include_bytes!("../../static/me.js")),
    ("settings.js", include_bytes!("../../static/settings.js")),
    ("welcome.js", include_bytes!("../../static/welcome.js")),
    ("block.js", include_bytes!("../../static/block.js")),
    ("chats.js", include_bytes!("../../static/chats.js")),
    ("chat.js", include_bytes!("../../static/chat.js")),
    ("rental.js", include_bytes!("../../static/rental.js")),
    (
        "notifications.js",
        include_bytes!("../../static/notifications.js"),
    ),
    ("admin.js", include_bytes!("../../static/admin.js")),
    (
        "user-report.js",
        include_bytes!("../../static/user-report.js"),
    ),
    ("api-docs.js", include_bytes!("../../static/api-docs.js")),
];

pub struct Asset {
    pub body: Vec<u8>,
    pub hash: String,
    pub mime: &'static str,
}

fn mime(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("woff2") => "font/woff2",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

fn hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

pub fn all() -> &'static HashMap<&'static str, Asset> {
    static ASSETS: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let mut map: HashMap<&'static str, Asset> = HashMap::new();
        let mut done: Vec<(&str, String)> = Vec::new();
        for (name, bytes) in FILES {
            let m = mime(name);
            let body = if m.starts_with("text/") {
                let mut text = String::from_utf8_lossy(bytes).into_owned();
                for (dep, h) in &done {
                    text = text
                        .replace(
                            &format!("/static/{dep}\""),
                            &format!("/static/{dep}?v={h}\""),
                        )
                        .replace(&format!("'./{dep}'"), &format!("'./{dep}?v={h}'"));
                }
                text.into_bytes()
            } else {
                bytes.to_vec()
            };
            let h = hash(&body);
            done.push((name, h.clone()));
            map.insert(
                name,
                Asset {
                    body,
                    hash: h,
                    mime: m,
                },
            );
        }
        map
    })
}

/// The fingerprinted URL of an asset.
pub fn url(name: &str) -> String {
    match all().get(name) {
        Some(a) => format!("/static/{name}?v={}", a.hash),
        None => format!("/static/{name}"),
    }
}

#[derive(Deserialize)]
pub struct Version {
    #[serde(default)]
    v: Option<String>,
}

pub async fn serve(
    Path(path): Path<String>,
    Query(q): Query<Version>,
    headers: HeaderMap,
) -> Response {
    let Some(asset) = all().get(path.as_str()) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let etag = format!("\"{}\"", asset.hash);
    let cache = if q.v.as_deref() == Some(asset.hash.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    let mut resp = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, asset.mime)], asset.body.clone()).into_response()
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    resp
}
