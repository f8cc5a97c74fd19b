//! `/api/docs`: the OpenAPI document (`/api/v1/openapi.json`) rendered for developers by the
//! vendored RapiDoc viewer (`static/vendor/rapidoc/`, see its README.txt), fully offline.
//!
//! The route lives outside the `/api/v1` nest (whose fallback answers JSON 404s), so it is merged
//! next to the pages' routes.
use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::assets;
use crate::state::AppState;

/// Where the page loads the document from.
pub const SPEC_URL: &str = "/api/v1/openapi.json";

/// The site's [`super::CSP`] with two differences, for this page only:
/// - `style-src` adds `'unsafe-inline'`: RapiDoc (lit web components) renders `<style>` elements
///   with theme-dependent content inside its shadow DOM and sets hundreds of `style="…"`
///   attributes; without it the viewer shows unstyled. Scripts stay `'self'` only (no
///   `'unsafe-inline'`, no `'unsafe-eval'`: RapiDoc needs neither).
/// - `img-src` is narrowed to `'self' data:` (the viewer's icons are data: URIs; the document has
///   no remote images), instead of the pages' `http: https:` for listing photos.
///
/// No remote origin anywhere: fonts are ours (`load-fonts="false"` stops RapiDoc from loading
/// Open Sans from Google) and the document is fetched from this server (`connect-src 'self'`).
pub const API_DOCS_CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
form-action 'self'; frame-ancestors 'none'";

pub fn router() -> Router<AppState> {
    Router::new().route("/api/docs", get(page))
}

/// Fingerprinted asset URLs for the template.
struct Assets;

impl Assets {
    fn url(&self, name: &str) -> String {
        assets::url(name)
    }
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct ApiDocsPage {
    a: Assets,
    spec_url: &'static str,
}

async fn page() -> Response {
    let html = match (ApiDocsPage {
        a: Assets,
        spec_url: SPEC_URL,
    })
    .render()
    {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, "template error");
            return (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response();
        }
    };
    let mut resp = Html(html).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(API_DOCS_CSP),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_is_strict_but_for_inline_styles() {
        let directives: Vec<&str> = API_DOCS_CSP.split("; ").collect();
        assert!(directives.contains(&"script-src 'self'"));
        assert!(directives.contains(&"style-src 'self' 'unsafe-inline'"));
        assert!(!API_DOCS_CSP.contains("unsafe-eval"));
        assert!(!API_DOCS_CSP.contains("http"), "no remote origins");
        // Everything else is the pages' policy.
        let site: Vec<&str> = super::super::CSP.split("; ").collect();
        let differ: Vec<&&str> = directives.iter().filter(|d| !site.contains(d)).collect();
        assert_eq!(
            differ,
            [&"style-src 'self' 'unsafe-inline'", &"img-src 'self' data:"]
        );
    }

    #[tokio::test]
    async fn page_links_the_document_and_fingerprinted_assets() {
        let resp = page().await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(
            resp.headers()[header::CONTENT_SECURITY_POLICY],
            API_DOCS_CSP
        );
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        let html = String::from_utf8(body.to_vec()).unwrap();
        assert!(html.contains("<html lang=\"ko\">"));
        assert!(html.contains("<title>이거대여 API 문서</title>"));
        assert!(html.contains("spec-url=\"/api/v1/openapi.json\""));
        assert!(html.contains("load-fonts=\"false\""));
        for name in [
            "vendor/rapidoc/rapidoc-min.js",
            "api-docs.js",
            "api-docs.css",
        ] {
            let url = assets::url(name);
            assert!(url.contains("?v="), "{name} is embedded");
            assert!(html.contains(&url), "{name} is linked");
        }
        for tag in html.split("<script").skip(1) {
            let open = &tag[..tag.find('>').unwrap()];
            assert!(open.contains(" src=\""), "no inline script: <script{open}>");
        }
    }

    #[test]
    fn vendored_viewer_is_served_unmodified() {
        let asset = &assets::all()["vendor/rapidoc/rapidoc-min.js"];
        assert_eq!(
            asset.body.as_slice(),
            include_bytes!("../../static/vendor/rapidoc/rapidoc-min.js")
        );
        assert_eq!(asset.mime, "text/javascript; charset=utf-8");
    }
}
