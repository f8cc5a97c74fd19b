//! What a domain needs from one that depends on it. Rentals depend on catalog and accounts (an
//! item, its owner, the borrower); item pages and profiles in turn show rental facts (bookings,
//! reviews). Catalog and accounts ask through this trait, which rentals implements and `app.rs`
//! installs in the state, so no service imports a service that imports it back.
use std::collections::HashMap;

use futures_util::future::BoxFuture;

use crate::accounts::model::ReviewStats;
use crate::catalog::model::Period;
use crate::domain::caller::AuthUser;
use crate::domain::error::AppResult;
use crate::rentals::model::Review;
use crate::state::AppState;

pub trait RentalFacts: Send + Sync {
    /// Accepted periods of an item from now on (its calendar).
    fn booked_from_now<'a>(
        &'a self,
        state: &'a AppState,
        item: i64,
    ) -> BoxFuture<'a, AppResult<Vec<Period>>>;

    /// Reviews written on rentals of an item that `viewer` may see.
    fn reviews_of_item<'a>(
        &'a self,
        state: &'a AppState,
        item: i64,
        viewer: Option<AuthUser>,
    ) -> BoxFuture<'a, AppResult<Vec<Review>>>;

    /// The items on which `user` wrote a review that only they can see yet.
    fn hidden_review_items<'a>(
        &'a self,
        state: &'a AppState,
        user: i64,
    ) -> BoxFuture<'a, AppResult<Vec<i64>>>;

    /// The next time a review on the item or about its owner becomes visible, if any.
    fn next_review_visible<'a>(
        &'a self,
        state: &'a AppState,
        item: i64,
        owner: i64,
    ) -> BoxFuture<'a, AppResult<Option<i64>>>;

    /// Visible review counts and sums of these users.
    fn review_stats<'a>(
        &'a self,
        state: &'a AppState,
        users: &'a [i64],
    ) -> BoxFuture<'a, AppResult<HashMap<i64, ReviewStats>>>;
}
