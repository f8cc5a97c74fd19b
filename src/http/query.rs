//! Query strings parsed into the route's typed struct. A value that does not parse is a 400
//! naming the field, in the contract's error shape.
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::http::AppError;

/// `T` from the query string. Empty values count as absent (HTML forms send every field);
/// parameters `T` does not name are ignored. Values are not trimmed, so a length limit holds for
/// what was sent (numbers are read with surrounding spaces allowed).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parse_query(parts.uri.query().unwrap_or("")).map(ApiQuery)
    }
}

/// Longer query strings are refused before they are read: the longest a client needs (a 200-
/// character Korean search, percent-encoded, and every filter) is under 2 KB.
pub const MAX_QUERY_BYTES: usize = 4096;

pub fn parse_query<T: DeserializeOwned>(raw: &str) -> Result<T, AppError> {
    if raw.len() > MAX_QUERY_BYTES {
        return Err(AppError::field("query", "검색 조건이 너무 길어요"));
    }
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let kept = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(kept.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let (field, problem) = problem(&path, &err.into_inner().to_string());
        AppError::field(&field, problem)
    })
}

/// serde's message turned into the field it concerns and words for a person.
fn problem(path: &str, msg: &str) -> (String, String) {
    let quoted = |rest: &str| rest.split('`').next().unwrap_or("").to_string();
    let at = if path.is_empty() || path == "." {
        "query".to_string()
    } else {
        path.to_string()
    };
    if let Some(rest) = msg.strip_prefix("missing field `") {
        return (quoted(rest), "required".into());
    }
    if let Some(rest) = msg.strip_prefix("duplicate field `") {
        return (quoted(rest), "한 번만 보내야 해요".into());
    }
    // "unknown variant `x`, expected `a` or `b`" (or "expected one of `a`, `b`, `c`").
    if let Some((_, expected)) = msg
        .strip_prefix("unknown variant `")
        .and_then(|rest| rest.split_once("expected "))
    {
        let names: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        return (at, format!("다음 중 하나여야 해요: {}", names.join(", ")));
    }
    // Messages of our own parsers are already in words for a person.
    if !msg.is_ascii() {
        return (at, msg.to_string());
    }
    (at, "형식이 올바르지 않아요".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::page::PageQuery;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Color {
        Red,
        Blue,
    }

    #[derive(serde::Deserialize, Debug)]
    struct Q {
        color: Option<Color>,
        q: Option<String>,
    }

    fn fields(e: AppError) -> Vec<(String, String)> {
        match e {
            AppError::Validation { fields, .. } => fields.into_iter().collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn empty_values_are_absent() {
        let p: PageQuery = parse_query("page=&per_page=%2020%20&other=x").unwrap();
        assert_eq!(p.req().page, 1);
        assert_eq!(p.req().per_page, 20);
        let q: Q = parse_query("q=%EC%A0%84%EB%8F%99+&color=").unwrap();
        assert_eq!(q.q.as_deref(), Some("전동 "));
        assert_eq!(q.color, None);
    }

    #[test]
    fn bad_values_name_their_field() {
        let e = parse_query::<PageQuery>("per_page=101").unwrap_err();
        assert_eq!(
            fields(e),
            vec![("per_page".into(), "1에서 100 사이여야 해요".into())]
        );
        let e = parse_query::<PageQuery>("page=abc").unwrap_err();
        assert_eq!(fields(e), vec![("page".into(), "정수여야 해요".into())]);
        let e = parse_query::<PageQuery>("page=99999999999999999999").unwrap_err();
        assert_eq!(fields(e)[0].0, "page");
        let e = parse_query::<Q>("color=green").unwrap_err();
        assert_eq!(
            fields(e),
            vec![("color".into(), "다음 중 하나여야 해요: red, blue".into())]
        );
        let e = parse_query::<PageQuery>("page=1&page=2").unwrap_err();
        assert_eq!(fields(e)[0].0, "page");
    }
}
