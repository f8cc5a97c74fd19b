//! The one CSRF check for cookie-authenticated requests that change state, shared by the JSON API
//! extractor and the browser session forms: a double-submit token that matches the CSRF cookie,
//! or an `Origin` that is our own.
use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};
use url::Url;

pub const CSRF_HEADER: &str = "x-csrf-token";

/// On https the cookie carries the `__Host-` prefix: browsers accept it only with `Secure`,
/// `Path=/` and no `Domain`, so neither a sibling subdomain nor a plain-http response can plant a
/// token of the attacker's choosing.
const COOKIE_HTTPS: &str = "__Host-egd_csrf";
const COOKIE_HTTP: &str = "egd_csrf";

/// Whether the deployment is served over https (`PUBLIC_URL`): cookies are then `Secure`.
pub fn is_https(public_url: &str) -> bool {
    Url::parse(public_url).is_ok_and(|u| u.scheme() == "https")
}

/// The CSRF cookie's name for this deployment.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        COOKIE_HTTPS
    } else {
        COOKIE_HTTP
    }
}

/// Equality whose time does not depend on where the inputs differ (digests: equal lengths).
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    let (x, y) = (Sha256::digest(a), Sha256::digest(b));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

/// True when the request proves it comes from our own pages: the token sent (a form field, else
/// the `x-csrf-token` header) matches the CSRF cookie, or the `Origin` is ours.
pub fn passes(headers: &HeaderMap, public_url: &str, form_token: Option<&str>) -> bool {
    let name = cookie_name(is_https(public_url));
    let cookie = super::extract::cookie_in(headers, name).filter(|c| !c.is_empty());
    let sent = form_token.or_else(|| headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()));
    if let (Some(c), Some(s)) = (cookie, sent) {
        if same_secret(c.as_bytes(), s.as_bytes()) {
            return true;
        }
    }
    origin_is_ours(headers, public_url)
}

/// The `Origin` is the public origin, or (same scheme) the host the browser addressed, for a
/// server reached by another name than `PUBLIC_URL` (127.0.0.1 vs localhost). An absent,
/// `null` or unparsable Origin never passes.
fn origin_is_ours(headers: &HeaderMap, public_url: &str) -> bool {
    let Some(origin) = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .and_then(|o| Url::parse(o).ok())
        .filter(|o| matches!(o.scheme(), "http" | "https"))
    else {
        return false;
    };
    let Ok(public) = Url::parse(public_url) else {
        return false;
    };
    if origin.origin() == public.origin() {
        return true;
    }
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let authority = match (origin.host_str(), origin.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => return false,
    };
    origin.scheme() == public.scheme() && authority.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const PUBLIC: &str = "https://egd.example";

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn same_origin_passes() {
        let h = headers(&[("origin", "https://egd.example"), ("host", "egd.example")]);
        assert!(passes(&h, PUBLIC, None));
        // Reached by another name on the same scheme (no PUBLIC_URL in development).
        let h = headers(&[
            ("origin", "http://localhost:8000"),
            ("host", "localhost:8000"),
        ]);
        assert!(passes(&h, "http://127.0.0.1:8000", None));
    }

    #[test]
    fn foreign_origin_fails() {
        for origin in [
            "https://evil.example",
            "https://egd.example.evil.example",
            "http://egd.example", // a plain-http page on an https deployment
            "https://evil.example:443",
        ] {
            let h = headers(&[("origin", origin), ("host", "egd.example")]);
            assert!(!passes(&h, PUBLIC, None), "{origin}");
        }
    }

    #[test]
    fn null_or_garbage_origin_fails() {
        for origin in ["null", "", "egd.example", "file:///etc/passwd"] {
            let h = headers(&[("origin", origin), ("host", "egd.example")]);
            assert!(!passes(&h, PUBLIC, None), "{origin:?}");
        }
    }

    #[test]
    fn missing_origin_without_token_fails() {
        let h = headers(&[
            ("host", "egd.example"),
            ("cookie", "__Host-egd_csrf=abcdefghijklmnop"),
        ]);
        assert!(!passes(&h, PUBLIC, None));
    }

    #[test]
    fn matching_double_submit_token_passes() {
        let h = headers(&[
            ("cookie", "egd_access=x; __Host-egd_csrf=abcdefghijklmnop"),
            ("x-csrf-token", "abcdefghijklmnop"),
        ]);
        assert!(passes(&h, PUBLIC, None));
        let h = headers(&[("cookie", "__Host-egd_csrf=abcdefghijklmnop")]);
        assert!(passes(&h, PUBLIC, Some("abcdefghijklmnop")), "form field");
        let h = headers(&[
            ("cookie", "egd_csrf=abcdefghijklmnop"),
            ("x-csrf-token", "abcdefghijklmnop"),
        ]);
        assert!(passes(&h, "http://127.0.0.1:8000", None), "plain http name");
    }

    #[test]
    fn wrong_empty_or_unprefixed_token_fails() {
        let h = headers(&[
            ("cookie", "__Host-egd_csrf=abcdefghijklmnop"),
            ("x-csrf-token", "abcdefghijklmnoq"),
        ]);
        assert!(!passes(&h, PUBLIC, None));
        let h = headers(&[("cookie", "__Host-egd_csrf="), ("x-csrf-token", "")]);
        assert!(!passes(&h, PUBLIC, None));
        // On https a cookie without the prefix may have been planted: it is not ours.
        let h = headers(&[
            ("cookie", "egd_csrf=abcdefghijklmnop"),
            ("x-csrf-token", "abcdefghijklmnop"),
        ]);
        assert!(!passes(&h, PUBLIC, None));
    }

    #[test]
    fn https_follows_the_public_url() {
        assert!(is_https("https://egd.example"));
        assert!(is_https("HTTPS://egd.example/"));
        assert!(!is_https("http://127.0.0.1:8000"));
        assert_eq!(cookie_name(true), "__Host-egd_csrf");
        assert_eq!(cookie_name(false), "egd_csrf");
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
    }
}
