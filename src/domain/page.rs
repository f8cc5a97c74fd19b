//! Paging, and the query parameters of a listing with typed getters that name the offending
//! field (a 400). The HTTP layer (`http::params`) reads them from the request.
use std::collections::HashMap;

use crate::domain::error::AppError;

pub const DEFAULT_PER_PAGE: i64 = 12;
pub const MAX_PER_PAGE: i64 = 100;

pub struct Params(pub HashMap<String, String>);

#[derive(Clone, Copy, Debug)]
pub struct PageReq {
    pub page: i64,
    pub per_page: i64,
}

impl PageReq {
    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }
}

impl Params {
    /// A non-empty value, or `None` when absent or empty.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, AppError> {
        let Some(raw) = self.str(name) else {
            return Ok(None);
        };
        let n: i64 = raw
            .parse()
            .map_err(|_| AppError::field(name, "정수여야 해요"))?;
        if n < min || n > max {
            return Err(AppError::field(
                name,
                format!("{min}에서 {max} 사이여야 해요"),
            ));
        }
        Ok(Some(n))
    }

    pub fn one_of<'a>(&'a self, name: &str, allowed: &[&str]) -> Result<Option<&'a str>, AppError> {
        match self.str(name) {
            None => Ok(None),
            Some(v) if allowed.contains(&v) => Ok(Some(v)),
            Some(_) => Err(AppError::field(
                name,
                format!("다음 중 하나여야 해요: {}", allowed.join(", ")),
            )),
        }
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, AppError> {
        match self.str(name) {
            None => Ok(None),
            Some("true") | Some("1") => Ok(Some(true)),
            Some("false") | Some("0") => Ok(Some(false)),
            Some(_) => Err(AppError::field(name, "true 또는 false여야 해요")),
        }
    }

    pub fn page(&self) -> Result<PageReq, AppError> {
        Ok(PageReq {
            page: self.int("page", 1, 1_000_000)?.unwrap_or(1),
            per_page: self
                .int("per_page", 1, MAX_PER_PAGE)?
                .unwrap_or(DEFAULT_PER_PAGE),
        })
    }
}

#[derive(serde::Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, req: PageReq, total: i64) -> Self {
        Page {
            items,
            page: req.page,
            per_page: req.per_page,
            total,
        }
    }
}
