use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::PublicUser;
use crate::catalog::model::ItemSummary;
use crate::clock::{opt_ts, Rfc3339Time, Ts, DAY_MS};

/// What happened to a rental: the system message's `event.type` and the name stored with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum RentalEvent {
    #[serde(rename = "rental_requested")]
    Requested,
    #[serde(rename = "rental_accepted")]
    Accepted,
    #[serde(rename = "rental_rejected")]
    Rejected,
    #[serde(rename = "rental_cancelled")]
    Cancelled,
    #[serde(rename = "rental_expired")]
    Expired,
    #[serde(rename = "rental_returned")]
    Returned,
    #[serde(rename = "rental_reviewed")]
    Reviewed,
}

impl RentalEvent {
    pub const ALL: [RentalEvent; 7] = [
        RentalEvent::Requested,
        RentalEvent::Accepted,
        RentalEvent::Rejected,
        RentalEvent::Cancelled,
        RentalEvent::Expired,
        RentalEvent::Returned,
        RentalEvent::Reviewed,
    ];

    /// The wire and stored name (the serde names above; a unit test keeps them equal).
    pub fn as_str(self) -> &'static str {
        match self {
            RentalEvent::Requested => "rental_requested",
            RentalEvent::Accepted => "rental_accepted",
            RentalEvent::Rejected => "rental_rejected",
            RentalEvent::Cancelled => "rental_cancelled",
            RentalEvent::Expired => "rental_expired",
            RentalEvent::Returned => "rental_returned",
            RentalEvent::Reviewed => "rental_reviewed",
        }
    }

    /// A stored name read back; `None` for a name this release does not know.
    pub fn parse(s: &str) -> Option<RentalEvent> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

pub const REVIEW_MAX: usize = 300;
pub const REVIEW_HIDDEN_FOR_MS: i64 = 14 * DAY_MS;
pub const MAX_PERIOD_MS: i64 = 366 * DAY_MS;

/// A rental's state (api.md, Rentals), with its wire and stored name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RentalStatus {
    Requested,
    Accepted,
    Rejected,
    Cancelled,
    Expired,
    Returned,
}

impl RentalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RentalStatus::Requested => "requested",
            RentalStatus::Accepted => "accepted",
            RentalStatus::Rejected => "rejected",
            RentalStatus::Cancelled => "cancelled",
            RentalStatus::Expired => "expired",
            RentalStatus::Returned => "returned",
        }
    }

    /// The `state` filter of `GET /rentals` groups statuses.
    pub const PENDING: &'static [RentalStatus] = &[RentalStatus::Requested];
    pub const ONGOING: &'static [RentalStatus] = &[RentalStatus::Accepted];
    pub const CLOSED: &'static [RentalStatus] = &[
        RentalStatus::Returned,
        RentalStatus::Rejected,
        RentalStatus::Cancelled,
        RentalStatus::Expired,
    ];
}

impl TryFrom<String> for RentalStatus {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Ok(match s.as_str() {
            "requested" => RentalStatus::Requested,
            "accepted" => RentalStatus::Accepted,
            "rejected" => RentalStatus::Rejected,
            "cancelled" => RentalStatus::Cancelled,
            "expired" => RentalStatus::Expired,
            "returned" => RentalStatus::Returned,
            _ => return Err(format!("unknown rental status {s:?}")),
        })
    }
}

#[derive(Clone, Debug)]
pub struct RentalRow {
    pub id: i64,
    pub item_id: i64,
    pub lender_id: i64,
    pub borrower_id: i64,
    pub requested_by: i64,
    pub start_at: i64,
    pub end_at: i64,
    pub total_price: Option<i64>,
    pub status: RentalStatus,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    pub returned_at: Option<i64>,
}

/// By column name, as the derive would, plus the status parsed into its enum (an unknown stored
/// status is a decode error, never a silent default).
impl sqlx::FromRow<'_, sqlx::any::AnyRow> for RentalRow {
    fn from_row(r: &sqlx::any::AnyRow) -> sqlx::Result<Self> {
        use sqlx::Row;
        let status: String = r.try_get("status")?;
        Ok(RentalRow {
            id: r.try_get("id")?,
            item_id: r.try_get("item_id")?,
            lender_id: r.try_get("lender_id")?,
            borrower_id: r.try_get("borrower_id")?,
            requested_by: r.try_get("requested_by")?,
            start_at: r.try_get("start_at")?,
            end_at: r.try_get("end_at")?,
            total_price: r.try_get("total_price")?,
            status: RentalStatus::try_from(status).map_err(|e| sqlx::Error::ColumnDecode {
                index: "status".into(),
                source: e.into(),
            })?,
            created_at: r.try_get("created_at")?,
            decided_at: r.try_get("decided_at")?,
            returned_at: r.try_get("returned_at")?,
        })
    }
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

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Rental {
    pub id: i64,
    pub item: ItemSummary,
    pub lender: PublicUser,
    pub borrower: PublicUser,
    pub requested_by: i64,
    pub start_at: Ts,
    pub end_at: Ts,
    pub total_price: Option<i64>,
    pub status: RentalStatus,
    pub created_at: Ts,
    pub decided_at: Option<Ts>,
    pub returned_at: Option<Ts>,
    pub in_progress: bool,
    pub overdue: bool,
    /// What the caller may do now (api.md, Rentals): decided here, only displayed by clients.
    pub actions: Vec<Action>,
}

impl Rental {
    pub fn build(
        r: &RentalRow,
        item: ItemSummary,
        lender: PublicUser,
        borrower: PublicUser,
        now: i64,
    ) -> Rental {
        let accepted = r.status == RentalStatus::Accepted;
        Rental {
            id: r.id,
            item,
            lender,
            borrower,
            requested_by: r.requested_by,
            start_at: Ts(r.start_at),
            end_at: Ts(r.end_at),
            total_price: r.total_price,
            status: r.status,
            created_at: Ts(r.created_at),
            decided_at: opt_ts(r.decided_at),
            returned_at: opt_ts(r.returned_at),
            in_progress: accepted && now >= r.start_at && now < r.end_at,
            overdue: accepted && now >= r.end_at,
            actions: Vec::new(),
        }
    }

    /// What `user` may do now: the rules `service::transition` and `service::review` enforce,
    /// so clients offer exactly what will succeed. `reviewed`: the user already reviewed it.
    pub fn actions_for(&self, user: i64, now: i64, reviewed: bool) -> Vec<Action> {
        if user != self.lender.id && user != self.borrower.id {
            return Vec::new();
        }
        let counterparty = if self.requested_by == self.lender.id {
            self.borrower.id
        } else {
            self.lender.id
        };
        let mut out = Vec::new();
        match self.status {
            RentalStatus::Requested => {
                if user == counterparty {
                    if now < self.start_at.0 {
                        out.push(Action::Accept);
                    }
                    out.push(Action::Reject);
                }
                if user == self.requested_by {
                    out.push(Action::Cancel);
                }
            }
            RentalStatus::Accepted => {
                if user == self.lender.id {
                    out.push(Action::Return);
                }
                if now < self.start_at.0 {
                    out.push(Action::Cancel);
                }
            }
            RentalStatus::Returned if !reviewed => out.push(Action::Review),
            _ => {}
        }
        out
    }
}

/// 대여 요청: 기간 / the period asked for (from now on, at most a year).
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"start_at": "2030-05-01T09:00:00Z", "end_at": "2030-05-03T18:00:00Z"}))]
pub struct RentalRequest {
    #[schema(value_type = String, format = DateTime)]
    pub start_at: Rfc3339Time,
    #[schema(value_type = String, format = DateTime)]
    pub end_at: Rfc3339Time,
}

/// Which side of the rentals to list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartyRole {
    Lender,
    Borrower,
    #[default]
    Any,
}

/// Rentals grouped by where they stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RentalState {
    /// 요청됨 / requested
    Pending,
    /// 수락됨 / accepted, not yet returned
    Ongoing,
    /// 끝남 / rejected, cancelled, expired or returned
    Closed,
}

impl RentalState {
    pub fn statuses(self) -> &'static [RentalStatus] {
        match self {
            RentalState::Pending => RentalStatus::PENDING,
            RentalState::Ongoing => RentalStatus::ONGOING,
            RentalState::Closed => RentalStatus::CLOSED,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RentalFilter {
    /// 기본 any
    #[param(inline)]
    pub role: Option<PartyRole>,
    #[param(inline)]
    pub state: Option<RentalState>,
}

/// `GET /items/{id}/availability`: the window to show (default: now to 180 days on).
#[derive(Clone, Copy, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityQuery {
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<Rfc3339Time>,
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<Rfc3339Time>,
}

/// An action on a rental, with its wire name (`actions` in the rental JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Accept,
    Reject,
    Cancel,
    Return,
    Review,
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

/// Reviews are written on rentals; the shape shown on profiles and item pages lives with the
/// people it is about (accounts), so catalog's model need not import rentals'.
pub use crate::accounts::model::Review;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rating": 5, "content": "깨끗하게 쓰고 제때 돌려주셨어요."}))]
pub struct ReviewInput {
    /// 별점 1–5
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i64,
    /// 300자까지 / at most 300 characters.
    #[serde(default)]
    #[schema(max_length = 300)]
    pub content: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::model::{Category, ItemStatus, Section};
    use crate::regions::RegionRef;

    #[test]
    fn rental_events_have_one_name_on_the_wire_and_in_storage() {
        for e in RentalEvent::ALL {
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str());
            assert_eq!(RentalEvent::parse(e.as_str()), Some(e));
        }
        // An unknown stored name is not relabelled as another event.
        assert_eq!(RentalEvent::parse("rental_teleported"), None);
    }

    fn user(id: i64) -> PublicUser {
        PublicUser {
            id,
            nickname: format!("u{id}"),
            avatar_url: None,
            bio: String::new(),
            region: None,
            region_verified: false,
            score: None,
            review_count: 0,
            trust: 36.5,
            joined_at: Ts(0),
            deleted: false,
            blocked: None,
        }
    }

    /// Lender 1, borrower 2 (who asked), starting at 100.
    fn rental(status: RentalStatus) -> Rental {
        let item = ItemSummary {
            id: 9,
            section: Section::Lend,
            title: "의자".into(),
            price: None,
            price_unit: None,
            deposit: 0,
            category: Category {
                id: 1,
                slug: "etc".into(),
                name: "기타".into(),
            },
            region: RegionRef {
                code: "1144066000".into(),
                name: "서교동".into(),
            },
            thumbnail_url: None,
            status: ItemStatus::Available,
            bookmark_count: 0,
            chat_count: 0,
            created_at: Ts(0),
            owner_id: 1,
            owner_verified: None,
        };
        let row = RentalRow {
            id: 5,
            item_id: 9,
            lender_id: 1,
            borrower_id: 2,
            requested_by: 2,
            start_at: 100,
            end_at: 200,
            total_price: None,
            status,
            created_at: 0,
            decided_at: None,
            returned_at: None,
        };
        Rental::build(&row, item, user(1), user(2), 0)
    }

    #[test]
    fn actions_follow_the_transition_rules() {
        let r = rental(RentalStatus::Requested);
        assert_eq!(
            r.actions_for(1, 50, false),
            vec![Action::Accept, Action::Reject]
        );
        assert_eq!(
            r.actions_for(1, 100, false),
            vec![Action::Reject],
            "no accepting once the start has passed"
        );
        assert_eq!(r.actions_for(2, 50, false), vec![Action::Cancel]);
        let r = rental(RentalStatus::Accepted);
        assert_eq!(
            r.actions_for(1, 50, false),
            vec![Action::Return, Action::Cancel]
        );
        assert_eq!(r.actions_for(2, 50, false), vec![Action::Cancel]);
        assert_eq!(r.actions_for(2, 150, false), vec![]);
        let r = rental(RentalStatus::Returned);
        assert_eq!(r.actions_for(1, 50, false), vec![Action::Review]);
        assert_eq!(r.actions_for(2, 50, true), vec![], "reviewed once");
        assert_eq!(
            rental(RentalStatus::Rejected).actions_for(1, 50, false),
            vec![]
        );
        assert_eq!(r.actions_for(3, 50, false), vec![], "not a party");
    }
}
