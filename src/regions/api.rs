//! JSON handlers for regions (read-only, from the bundled data).
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Region;
use crate::domain::page::Bounded;
use crate::http::query::ApiQuery;
use crate::http::{AppError, AppResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionQuery {
    /// 1 시·도, 2 시·군·구, 3 읍·면·동
    #[param(value_type = Option<i64>, minimum = 1, maximum = 3)]
    pub level: Option<Bounded<1, 3>>,
    /// 이름 검색어 (40자, 4단어까지) / words of the name.
    #[param(max_length = 40, example = "망원")]
    pub q: Option<String>,
}

/// 동네 찾기 / Regions by name (at most 50).
#[utoipa::path(get, path = "/regions", tag = "regions", params(RegionQuery),
    responses((status = 200, body = Vec<Region>)))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<RegionQuery>,
) -> AppResult<Json<Vec<Region>>> {
    let q = query.q.as_deref();
    // Every word is matched against every region name: bound the work before doing it.
    if let Some(q) = q {
        if q.chars().count() > super::QUERY_MAX_CHARS
            || q.split_whitespace().count() > super::QUERY_MAX_WORDS
        {
            return Err(AppError::field(
                "q",
                format!(
                    "검색어는 {}자, {}단어까지 쓸 수 있어요",
                    super::QUERY_MAX_CHARS,
                    super::QUERY_MAX_WORDS
                ),
            ));
        }
    }
    let hits = state.regions.search(q, query.level.map(Bounded::get));
    Ok(Json(hits.into_iter().cloned().collect()))
}

/// 행정구역 하나 / One region by code.
#[utoipa::path(get, path = "/regions/{code}", tag = "regions",
    params(("code" = String, Path, example = "1144069000")),
    responses((status = 200, body = Region)))]
pub async fn get(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> AppResult<Json<Region>> {
    state
        .regions
        .get(&code)
        .cloned()
        .map(Json)
        .ok_or_else(AppError::not_found)
}
