use axum::extract::{Path, State};
use axum::Json;

use super::Region;
use crate::app::AppState;
use crate::http::params::Params;
use crate::http::{AppError, AppResult};

pub async fn list(State(state): State<AppState>, params: Params) -> AppResult<Json<Vec<Region>>> {
    let level = params.int("level", 1, 3)?;
    let hits = state.regions.search(params.str("q"), level);
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
