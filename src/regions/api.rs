use axum::extract::{Path, State};
use axum::Json;

use super::Region;
use crate::app::AppState;
use crate::http::params::Params;
use crate::http::{AppError, AppResult};

pub async fn list(State(state): State<AppState>, params: Params) -> AppResult<Json<Vec<Region>>> {
    let level = params.int("level", 1, 3)?;
    let q = params.str("q");
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
    let hits = state.regions.search(q, level);
    Ok(Json(hits.into_iter().cloned().collect()))
}

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
