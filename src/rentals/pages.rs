//! Rentals' HTML page: one rental, for its parties.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::rentals;
use crate::state::AppState;
use crate::web::render::{parse_id, render, Layout};
use crate::web::view::{self, RentalView};
use crate::web::Ctx;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/rentals/{id}", get(rental))
        .merge(super::lending::router())
}

#[derive(Template)]
#[template(path = "rental.html")]
struct RentalPage {
    l: Layout,
    r: RentalView,
    lender: String,
    lender_id: i64,
    borrower: String,
    borrower_id: i64,
    requested: String,
    price: String,
    reviewed: bool,
}

pub async fn rental(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let user = ctx.require()?;
    let id = parse_id(&ctx, &id)?;
    let r = rentals::service::get(&state, user, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let rv = view::rental(user, &r);
    // A party of a returned rental that may no longer review it has reviewed it.
    let party = r.lender.id == user.id || r.borrower.id == user.id;
    let reviewed =
        r.status == crate::rentals::model::RentalStatus::Returned && party && !rv.can_review;
    let page = RentalPage {
        l: Layout::new(&ctx, "대여 정보"),
        r: rv,
        lender: r.lender.nickname.clone(),
        lender_id: r.lender.id,
        borrower: r.borrower.nickname.clone(),
        borrower_id: r.borrower.id,
        requested: view::datetime(r.created_at.0),
        price: view::price_line(r.item.price, r.item.price_unit),
        reviewed,
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}
