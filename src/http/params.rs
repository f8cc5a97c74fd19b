//! Query-string parameters read from the request (the type and its getters are the domains').
use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

pub use crate::domain::page::{Page, PageReq, Params, DEFAULT_PER_PAGE, MAX_PER_PAGE};
use crate::http::AppError;

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let map = parts
            .uri
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect::<HashMap<_, _>>()
            })
            .unwrap_or_default();
        Ok(Params(map))
    }
}
