use serde::{Deserialize, Serialize};

use crate::accounts::PublicUser;
use crate::catalog::model::ItemSummary;
use crate::clock::{opt_ts, Ts, DAY_MS};

pub const REVIEW_MAX: usize = 300;
pub const REVIEW_HIDDEN_FOR_MS: i64 = 14 * DAY_MS;
pub const MAX_PERIOD_MS: i64 = 366 * DAY_MS;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RentalRow {
    pub id: i64,
    pub item_id: i64,
    pub lender_id: i64,
    pub borrower_id: i64,
    pub requested_by: i64,
    pub start_at: i64,
    pub end_at: i64,
    pub total_price: Option<i64>,
    pub status: String,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    pub returned_at: Option<i64>,
}

impl RentalRow {
    pub fn is_party(&self, user: i64) -> bool {
        self.lender_id == user || self.borrower_id == user
    }
    /// The one who did not create the request: the item's owner, who decides.
    pub fn counterparty(&self) -> i64 {
        if self.requested_by == self.lender_id {
            self.borrower_id
        } else {
            self.lender_id
        }
    }
    pub fn other(&self, user: i64) -> i64 {
        if self.lender_id == user {
            self.borrower_id
        } else {
            self.lender_id
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Rental {
    pub id: i64,
    pub item: ItemSummary,
    pub lender: PublicUser,
    pub borrower: PublicUser,
    pub requested_by: i64,
    pub start_at: Ts,
    pub end_at: Ts,
    pub total_price: Option<i64>,
    pub status: String,
    pub created_at: Ts,
    pub decided_at: Option<Ts>,
    pub returned_at: Option<Ts>,
    pub in_progress: bool,
    pub overdue: bool,
}

impl Rental {
    pub fn build(
        r: &RentalRow,
        item: ItemSummary,
        lender: PublicUser,
        borrower: PublicUser,
        now: i64,
    ) -> Rental {
        let accepted = r.status == "accepted";
        Rental {
            id: r.id,
            item,
            lender,
            borrower,
            requested_by: r.requested_by,
            start_at: Ts(r.start_at),
            end_at: Ts(r.end_at),
            total_price: r.total_price,
            status: r.status.clone(),
            created_at: Ts(r.created_at),
            decided_at: opt_ts(r.decided_at),
            returned_at: opt_ts(r.returned_at),
            in_progress: accepted && now >= r.start_at && now < r.end_at,
            overdue: accepted && now >= r.end_at,
        }
    }
}

#[derive(Deserialize)]
pub struct RentalRequest {
    pub start_at: String,
    pub end_at: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Accept,
    Reject,
    Cancel,
    Return,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "accept" => Action::Accept,
            "reject" => Action::Reject,
            "cancel" => Action::Cancel,
            "return" => Action::Return,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ReviewRow {
    pub id: i64,
    pub rental_id: i64,
    pub item_id: i64,
    pub author_id: i64,
    pub subject_id: i64,
    pub rating: i64,
    pub content: String,
    pub created_at: i64,
    pub visible_at: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Review {
    pub id: i64,
    pub rental_id: i64,
    pub item_id: i64,
    pub author: PublicUser,
    pub subject: PublicUser,
    pub rating: i64,
    pub content: String,
    pub created_at: Ts,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub rating: i64,
    #[serde(default)]
    pub content: String,
}
