//! Paging, and the typed pieces query strings are parsed into. The HTTP layer
//! (`http::query::ApiQuery`) reads them from the request; a value out of range is a 400 naming
//! the field, raised while parsing (parse, don't validate).
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

pub const DEFAULT_PER_PAGE: i64 = 12;
pub const MAX_PER_PAGE: i64 = 100;

/// An integer within `MIN..=MAX`, read from a query string or JSON. Out of range, or not an
/// integer, is a parse error carrying a message for the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Bounded<const MIN: i64, const MAX: i64>(pub i64);

impl<const MIN: i64, const MAX: i64> Bounded<MIN, MAX> {
    pub fn get(self) -> i64 {
        self.0
    }

    pub fn new(n: i64) -> Result<Self, String> {
        if (MIN..=MAX).contains(&n) {
            Ok(Bounded(n))
        } else {
            Err(format!("{MIN}에서 {MAX} 사이여야 해요"))
        }
    }
}

impl<'de, const MIN: i64, const MAX: i64> Deserialize<'de> for Bounded<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V<const MIN: i64, const MAX: i64>;
        impl<const MIN: i64, const MAX: i64> serde::de::Visitor<'_> for V<MIN, MAX> {
            type Value = Bounded<MIN, MAX>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(f, "an integer from {MIN} to {MAX}")
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Self::Value, E> {
                Bounded::new(n).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
                let n = i64::try_from(n).map_err(|_| E::custom(range::<MIN, MAX>()))?;
                self.visit_i64(n)
            }
            // Query strings carry text (and flattened or buffered input arrives as text too).
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
                let n: i64 = s.trim().parse().map_err(|_| E::custom("정수여야 해요"))?;
                self.visit_i64(n)
            }
        }
        fn range<const MIN: i64, const MAX: i64>() -> String {
            format!("{MIN}에서 {MAX} 사이여야 해요")
        }
        de.deserialize_any(V::<MIN, MAX>)
    }
}

/// A positive 64-bit id (cursors, references in query strings).
pub type Id = Bounded<1, { i64::MAX }>;

/// `page` and `per_page` of any paged listing.
#[derive(Clone, Copy, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 쪽 번호 (1부터) / 1-based page number.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<Bounded<1, 1_000_000>>,
    /// 한 쪽의 항목 수 / items per page.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, default = 12)]
    pub per_page: Option<Bounded<1, MAX_PER_PAGE>>,
}

impl PageQuery {
    pub fn req(self) -> PageReq {
        PageReq {
            page: self.page.map_or(1, Bounded::get),
            per_page: self.per_page.map_or(DEFAULT_PER_PAGE, Bounded::get),
        }
    }
}

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

/// One page of a listing.
#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    /// 전체 항목 수 / total number of items.
    pub total: i64,
    /// `false` when counting stopped early: more than `total` items match (item listings count
    /// up to 1,000, so a page costs the same however many items match).
    pub total_exact: bool,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, req: PageReq, total: i64) -> Self {
        Page {
            items,
            page: req.page,
            per_page: req.per_page,
            total,
            total_exact: true,
        }
    }

    /// A page whose total may be a lower bound (see `total_exact`).
    pub fn counted(items: Vec<T>, req: PageReq, total: i64, exact: bool) -> Self {
        Page {
            total_exact: exact,
            ..Page::new(items, req, total)
        }
    }
}
