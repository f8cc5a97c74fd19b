use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::PublicUser;
use crate::catalog::model::Image;
use crate::catalog::model::ItemSummary;
use crate::clock::{opt_ts, Rfc3339Time, Ts, DAY_MS, HOUR_MS};
use crate::domain::error::{AppError, AppResult};

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
    #[serde(rename = "extension_requested")]
    ExtensionRequested,
    #[serde(rename = "extension_accepted")]
    ExtensionAccepted,
    #[serde(rename = "extension_rejected")]
    ExtensionRejected,
    #[serde(rename = "handover_recorded")]
    HandoverRecorded,
    #[serde(rename = "deposit_updated")]
    DepositUpdated,
    #[serde(rename = "dispute_opened")]
    DisputeOpened,
    /// Notifies both parties; not a chat line (api.md lists no such `event.type`).
    #[serde(rename = "dispute_resolved")]
    DisputeResolved,
}

impl RentalEvent {
    pub const ALL: [RentalEvent; 14] = [
        RentalEvent::Requested,
        RentalEvent::Accepted,
        RentalEvent::Rejected,
        RentalEvent::Cancelled,
        RentalEvent::Expired,
        RentalEvent::Returned,
        RentalEvent::Reviewed,
        RentalEvent::ExtensionRequested,
        RentalEvent::ExtensionAccepted,
        RentalEvent::ExtensionRejected,
        RentalEvent::HandoverRecorded,
        RentalEvent::DepositUpdated,
        RentalEvent::DisputeOpened,
        RentalEvent::DisputeResolved,
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
            RentalEvent::ExtensionRequested => "extension_requested",
            RentalEvent::ExtensionAccepted => "extension_accepted",
            RentalEvent::ExtensionRejected => "extension_rejected",
            RentalEvent::HandoverRecorded => "handover_recorded",
            RentalEvent::DepositUpdated => "deposit_updated",
            RentalEvent::DisputeOpened => "dispute_opened",
            RentalEvent::DisputeResolved => "dispute_resolved",
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

/// Statuses are read back through their `TryFrom<String>`: an unknown stored name is a decode
/// error, never a silent default.
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
    #[sqlx(try_from = "String")]
    pub status: RentalStatus,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    pub returned_at: Option<i64>,
    /// The item's deposit when it was asked for (0: none).
    pub deposit_amount: i64,
    #[sqlx(try_from = "String")]
    pub deposit_status: DepositStatus,
    pub deposit_note: String,
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
    /// Every extension asked for, oldest first.
    pub extensions: Vec<Extension>,
    /// The condition records at pickup and return, oldest first.
    pub handovers: Vec<Handover>,
    /// Present when the rental carries a deposit.
    pub deposit: Option<Deposit>,
    /// The open dispute, or the latest resolved one.
    pub dispute: Option<Dispute>,
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
            extensions: Vec::new(),
            handovers: Vec::new(),
            deposit: (r.deposit_amount > 0).then(|| Deposit {
                amount: r.deposit_amount,
                status: r.deposit_status,
                note: r.deposit_note.clone(),
            }),
            dispute: None,
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
        for action in [
            Action::Extend,
            Action::HandoverPickup,
            Action::HandoverReturn,
            Action::Deposit,
            Action::Dispute,
        ] {
            if self.check(user, now, action).is_ok() {
                out.push(action);
            }
        }
        out
    }

    fn party(&self, user: i64) -> AppResult<()> {
        if user == self.lender.id || user == self.borrower.id {
            Ok(())
        } else {
            Err(AppError::Forbidden("이 대여의 당사자가 아니에요".into()))
        }
    }

    /// Started and not yet returned: in progress or overdue.
    fn started(&self, now: i64) -> bool {
        self.status == RentalStatus::Accepted && now >= self.start_at.0
    }

    /// Whether `user` may take one of the record-keeping actions now (extend, handovers, deposit,
    /// dispute): the rule the service enforces and `actions` shows. 403 for the wrong person,
    /// 409 for the wrong moment.
    pub fn check(&self, user: i64, now: i64, action: Action) -> AppResult<()> {
        self.party(user)?;
        let wrong_time = |why: &str| Err(AppError::Conflict(why.to_string()));
        match action {
            Action::Extend => {
                if user != self.borrower.id {
                    return Err(AppError::Forbidden(
                        "빌린 사람만 연장을 요청할 수 있어요".into(),
                    ));
                }
                if self.status != RentalStatus::Accepted {
                    return wrong_time("진행 중인 대여만 연장할 수 있어요");
                }
                if now >= self.end_at.0 {
                    return wrong_time("반납 시간이 지나 연장을 요청할 수 없어요");
                }
                if self
                    .extensions
                    .iter()
                    .any(|e| e.status == ExtensionStatus::Requested)
                {
                    return wrong_time("답을 기다리는 연장 요청이 이미 있어요");
                }
                if self.extensions.len() >= EXTENSIONS_MAX {
                    return wrong_time("한 대여에 연장 요청은 10번까지 할 수 있어요");
                }
                Ok(())
            }
            Action::HandoverPickup | Action::HandoverReturn => {
                let stage = if action == Action::HandoverPickup {
                    HandoverStage::Pickup
                } else {
                    HandoverStage::Return
                };
                self.may_record(user, now, stage)
            }
            Action::Deposit => [
                DepositAction::Held,
                DepositAction::Returned,
                DepositAction::Withheld,
            ]
            .into_iter()
            .map(|a| self.check_deposit(user, a))
            .find(|r| r.is_ok())
            .unwrap_or_else(|| self.check_deposit(user, DepositAction::Held)),
            Action::Dispute => {
                let recent = self.status == RentalStatus::Returned
                    && self
                        .returned_at
                        .is_some_and(|Ts(at)| now < at + DISPUTE_AFTER_RETURN_MS);
                if !self.started(now) && !recent {
                    return wrong_time(
                        "대여가 시작된 뒤부터 반납 후 14일까지 분쟁을 신청할 수 있어요",
                    );
                }
                if self
                    .dispute
                    .as_ref()
                    .is_some_and(|d| d.status == DisputeStatus::Open)
                {
                    return wrong_time("이미 진행 중인 분쟁이 있어요");
                }
                Ok(())
            }
            _ => Err(AppError::not_found()),
        }
    }

    /// A condition record of `stage` by `user`: pickup while accepted and not returned; return
    /// once started, or within 24 hours after the return; one per party per stage.
    pub fn may_record(&self, user: i64, now: i64, stage: HandoverStage) -> AppResult<()> {
        self.party(user)?;
        let open = match stage {
            HandoverStage::Pickup => self.status == RentalStatus::Accepted,
            HandoverStage::Return => {
                self.started(now)
                    || (self.status == RentalStatus::Returned
                        && self
                            .returned_at
                            .is_some_and(|Ts(at)| now < at + HANDOVER_AFTER_RETURN_MS))
            }
        };
        if !open {
            let why = match stage {
                HandoverStage::Pickup => "수락된 대여를 반납하기 전까지 인수 기록을 남길 수 있어요",
                HandoverStage::Return => {
                    "대여가 시작된 뒤부터 반납 후 24시간까지 반납 기록을 남길 수 있어요"
                }
            };
            return Err(AppError::Conflict(why.into()));
        }
        if self
            .handovers
            .iter()
            .any(|h| h.stage == stage && h.author.id == user)
        {
            return Err(AppError::Conflict("이 단계의 기록을 이미 남겼어요".into()));
        }
        Ok(())
    }

    /// One step of the deposit: `held` (the lender got it), `returned` (the borrower got it
    /// back), `withheld` (the lender keeps it after the return, which opens a dispute).
    pub fn check_deposit(&self, user: i64, action: DepositAction) -> AppResult<()> {
        self.party(user)?;
        let Some(deposit) = &self.deposit else {
            return Err(AppError::Conflict("보증금이 없는 대여예요".into()));
        };
        let (who, ok, why) = match action {
            DepositAction::Held => (
                self.lender.id,
                deposit.status == DepositStatus::None
                    && matches!(self.status, RentalStatus::Accepted | RentalStatus::Returned),
                "수락된 대여에서 아직 받지 않은 보증금만 받았다고 표시할 수 있어요",
            ),
            DepositAction::Returned => (
                self.borrower.id,
                deposit.status == DepositStatus::Held,
                "맡긴 보증금만 돌려받았다고 표시할 수 있어요",
            ),
            DepositAction::Withheld => (
                self.lender.id,
                deposit.status == DepositStatus::Held && self.status == RentalStatus::Returned,
                "반납이 끝난 뒤, 맡아 둔 보증금만 돌려주지 않을 수 있어요",
            ),
        };
        if user != who {
            return Err(AppError::Forbidden(if who == self.lender.id {
                "빌려준 사람만 할 수 있어요".into()
            } else {
                "빌린 사람만 할 수 있어요".into()
            }));
        }
        if !ok {
            return Err(AppError::Conflict(why.into()));
        }
        Ok(())
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
    Extend,
    HandoverPickup,
    HandoverReturn,
    Deposit,
    Dispute,
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

/// An enum stored and sent by its wire name (the variant in snake_case): `as_str`, `parse` and
/// `ALL` come from one list, and a unit test keeps them equal to the serde (and OpenAPI) names.
macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vm])* $v),+
        }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($s => Some($name::$v),)+ _ => None }
            }
        }
        /// A stored name read back (`#[sqlx(try_from = "String")]`); an unknown name is a
        /// decode error, never a silent default.
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                Self::parse(&s).ok_or_else(|| format!("unknown {} {s:?}", stringify!($name)))
            }
        }
    };
}

wire_enum!(
    /// An extension's state.
    ExtensionStatus {
        Requested = "requested",
        Accepted = "accepted",
        Rejected = "rejected",
        Cancelled = "cancelled",
        Expired = "expired",
    }
);

wire_enum!(
    /// When a condition record is made: 인수 (pickup) or 반납 (return).
    HandoverStage {
        Pickup = "pickup",
        Return = "return",
    }
);

wire_enum!(
    /// Where the deposit stands.
    DepositStatus {
        None = "none",
        Held = "held",
        Returned = "returned",
        Withheld = "withheld",
    }
);

wire_enum!(
    /// A step of the deposit (`POST /rentals/{id}/deposit`).
    DepositAction {
        /// 보증금 받음 (the lender)
        Held = "held",
        /// 보증금 돌려받음 (the borrower)
        Returned = "returned",
        /// 보증금 보류 (the lender, after the return, with a note; opens a dispute)
        Withheld = "withheld",
    }
);

wire_enum!(
    /// Why a party opens a dispute.
    DisputeReason {
        Damaged = "damaged",
        NotReturned = "not_returned",
        MissingParts = "missing_parts",
        Deposit = "deposit",
        Other = "other",
    }
);

wire_enum!(
    /// A dispute is open until an admin resolves it.
    DisputeStatus {
        Open = "open",
        Resolved = "resolved",
    }
);

impl DisputeReason {
    pub fn label(self) -> &'static str {
        match self {
            DisputeReason::Damaged => "파손",
            DisputeReason::NotReturned => "미반납",
            DisputeReason::MissingParts => "구성품 누락",
            DisputeReason::Deposit => "보증금",
            DisputeReason::Other => "기타",
        }
    }
}

/// Disputes may be opened up to 14 days after the return.
pub const DISPUTE_AFTER_RETURN_MS: i64 = 14 * DAY_MS;
/// A return record may still be made for 24 hours after the return.
pub const HANDOVER_AFTER_RETURN_MS: i64 = 24 * HOUR_MS;
pub const HANDOVER_NOTE_MAX: usize = 500;
/// Extension requests one rental may have in all (asking and withdrawing again and again would
/// otherwise notify the lender without end).
pub const EXTENSIONS_MAX: usize = 10;
pub const HANDOVER_IMAGES_MAX: usize = 6;
pub const DISPUTE_DETAIL_MAX: usize = 1000;
pub const RESOLUTION_MAX: usize = 1000;
pub const DEPOSIT_NOTE_MAX: usize = 500;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ExtensionRow {
    pub id: i64,
    pub rental_id: i64,
    pub end_at: i64,
    pub expires_at: i64,
    #[sqlx(try_from = "String")]
    pub status: ExtensionStatus,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

/// 연장 요청 / An extension of a rental's end.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Extension {
    pub id: i64,
    pub rental_id: i64,
    pub end_at: Ts,
    pub status: ExtensionStatus,
    pub created_at: Ts,
    pub decided_at: Option<Ts>,
}

impl From<&ExtensionRow> for Extension {
    fn from(r: &ExtensionRow) -> Self {
        Extension {
            id: r.id,
            rental_id: r.rental_id,
            end_at: Ts(r.end_at),
            status: r.status,
            created_at: Ts(r.created_at),
            decided_at: opt_ts(r.decided_at),
        }
    }
}

/// 연장 요청: 새 반납 시각 / The new end asked for (after the current end).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"end_at": "2030-05-05T18:00:00Z"}))]
pub struct ExtensionInput {
    #[schema(value_type = String, format = DateTime)]
    pub end_at: Rfc3339Time,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct HandoverRow {
    pub id: i64,
    pub rental_id: i64,
    #[sqlx(try_from = "String")]
    pub stage: HandoverStage,
    pub author_id: i64,
    pub note: String,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct HandoverImageRow {
    pub id: i64,
    pub handover_id: i64,
    pub key: String,
    pub thumb_key: String,
}

/// 인수·반납 기록 / The item's condition at pickup or return, confirmed by the other party.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Handover {
    pub id: i64,
    pub rental_id: i64,
    pub stage: HandoverStage,
    pub author: PublicUser,
    pub note: String,
    pub images: Vec<Image>,
    pub created_at: Ts,
    pub confirmed_at: Option<Ts>,
}

/// The multipart form of `POST /rentals/{id}/handovers` (documentation only; the handler reads
/// the parts as they stream).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct HandoverUpload {
    /// pickup 또는 return
    pub stage: HandoverStage,
    /// 500자까지
    #[schema(max_length = 500)]
    pub note: Option<String>,
    /// 사진 1–6장 (JPEG, PNG, WebP, GIF; 10MB까지)
    #[schema(value_type = Vec<String>, format = Binary, min_items = 1, max_items = 6)]
    pub image: Vec<Vec<u8>>,
}

/// 보증금 / The deposit of a rental and where it stands.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Deposit {
    pub amount: i64,
    pub status: DepositStatus,
    pub note: String,
}

/// 보증금 단계 / One step of the deposit; `withheld` needs a note.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "held"}))]
pub struct DepositInput {
    pub action: DepositAction,
    /// 보류할 때 이유 (500자까지)
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DisputeRow {
    pub id: i64,
    pub rental_id: i64,
    pub opened_by: i64,
    #[sqlx(try_from = "String")]
    pub reason: DisputeReason,
    pub detail: String,
    #[sqlx(try_from = "String")]
    pub status: DisputeStatus,
    pub resolution: Option<String>,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
}

/// What the parties may do with an open extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtensionDecision {
    /// 수락 (the lender)
    Accept,
    /// 거절 (the lender)
    Reject,
    /// 취소 (the borrower)
    Cancel,
}

impl ExtensionDecision {
    /// Whether `user` may take this decision on an extension of a rental between `lender` and
    /// `borrower`: the lender accepts or rejects, the borrower cancels, only while the extension
    /// waits for an answer (`ext_open`); accepting also needs the rental accepted and not yet
    /// at its end (`rental_open`). The service enforces it and the rental page shows buttons by it.
    pub fn check(
        self,
        user: i64,
        lender: i64,
        borrower: i64,
        ext_open: bool,
        rental_open: bool,
    ) -> AppResult<()> {
        let who = match self {
            ExtensionDecision::Accept | ExtensionDecision::Reject => lender,
            ExtensionDecision::Cancel => borrower,
        };
        if user != who {
            return Err(AppError::Forbidden(if who == lender {
                format!("빌려준 사람만 연장 요청을 {}할 수 있어요", self.verb())
            } else {
                format!("연장을 요청한 사람만 {}할 수 있어요", self.verb())
            }));
        }
        if !ext_open {
            return Err(self.closed());
        }
        if self == ExtensionDecision::Accept && !rental_open {
            return Err(AppError::Conflict(
                "반납 시각이 지났거나 끝난 대여는 연장할 수 없어요".into(),
            ));
        }
        Ok(())
    }

    /// The refusal when the extension no longer waits for an answer.
    pub fn closed(self) -> AppError {
        AppError::Conflict(format!(
            "답을 기다리는 연장 요청만 {}할 수 있어요",
            self.verb()
        ))
    }

    fn verb(self) -> &'static str {
        match self {
            ExtensionDecision::Accept => "수락",
            ExtensionDecision::Reject => "거절",
            ExtensionDecision::Cancel => "취소",
        }
    }
}

impl DisputeRow {
    /// A dispute `user` opens now on `rental` (not stored yet).
    pub fn open(rental: i64, user: i64, reason: DisputeReason, detail: String, now: i64) -> Self {
        DisputeRow {
            id: 0,
            rental_id: rental,
            opened_by: user,
            reason,
            detail,
            status: DisputeStatus::Open,
            resolution: None,
            created_at: now,
            resolved_at: None,
        }
    }
}

/// 분쟁 / A disagreement about a rental, settled by an admin.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Dispute {
    pub id: i64,
    pub rental_id: i64,
    pub opened_by: i64,
    pub reason: DisputeReason,
    pub detail: String,
    pub status: DisputeStatus,
    pub resolution: Option<String>,
    pub created_at: Ts,
    pub resolved_at: Option<Ts>,
}

impl From<&DisputeRow> for Dispute {
    fn from(r: &DisputeRow) -> Self {
        Dispute {
            id: r.id,
            rental_id: r.rental_id,
            opened_by: r.opened_by,
            reason: r.reason,
            detail: r.detail.clone(),
            status: r.status,
            resolution: r.resolution.clone(),
            created_at: Ts(r.created_at),
            resolved_at: opt_ts(r.resolved_at),
        }
    }
}

/// 분쟁 신청 / Open a dispute.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "damaged", "detail": "돌려받은 텐트 폴대가 휘어 있어요."}))]
pub struct DisputeInput {
    pub reason: DisputeReason,
    /// 1000자까지
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub detail: String,
}

/// 분쟁 처리 (관리자) / How an admin settled a dispute.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"resolution": "사진 기록을 확인했어요. 보증금의 절반을 돌려주세요."}))]
pub struct ResolutionInput {
    /// 1–1000자
    #[schema(min_length = 1, max_length = 1000)]
    pub resolution: String,
}

/// `GET /admin/disputes`: which ones (default open).
#[derive(Clone, Copy, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DisputeFilter {
    #[param(inline)]
    pub status: Option<DisputeStatus>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::model::{Category, ItemStatus, Section};
    use crate::regions::RegionRef;

    #[test]
    fn extension_decisions_belong_to_one_side_and_only_while_open() {
        use ExtensionDecision::*;
        let (lender, borrower, stranger) = (1, 2, 3);
        let ok = |d: ExtensionDecision, user, ext_open, rental_open| {
            d.check(user, lender, borrower, ext_open, rental_open)
        };
        assert!(ok(Accept, lender, true, true).is_ok());
        assert!(ok(Reject, lender, true, true).is_ok());
        assert!(ok(Cancel, borrower, true, true).is_ok());
        for (d, user) in [(Accept, borrower), (Reject, stranger), (Cancel, lender)] {
            assert!(matches!(
                ok(d, user, true, true),
                Err(AppError::Forbidden(_))
            ));
        }
        assert!(matches!(
            ok(Reject, lender, false, true),
            Err(AppError::Conflict(_))
        ));
        // Past the rental's end only accepting is closed: rejecting and cancelling still answer.
        assert!(matches!(
            ok(Accept, lender, true, false),
            Err(AppError::Conflict(_))
        ));
        assert!(ok(Reject, lender, true, false).is_ok());
        assert!(ok(Cancel, borrower, true, false).is_ok());
    }

    #[test]
    fn record_enums_have_one_name_on_the_wire_in_storage_and_in_the_document() {
        fn check<T: Serialize + Copy>(all: &[T], name: fn(T) -> &'static str) {
            for &v in all {
                assert_eq!(serde_json::to_value(v).unwrap(), name(v));
            }
        }
        check(ExtensionStatus::ALL, ExtensionStatus::as_str);
        check(HandoverStage::ALL, HandoverStage::as_str);
        check(DepositStatus::ALL, DepositStatus::as_str);
        check(DepositAction::ALL, DepositAction::as_str);
        check(DisputeReason::ALL, DisputeReason::as_str);
        check(DisputeStatus::ALL, DisputeStatus::as_str);
        use utoipa::PartialSchema;
        let doc = serde_json::to_value(DepositStatus::schema()).unwrap();
        assert_eq!(
            doc["enum"],
            serde_json::json!(["none", "held", "returned", "withheld"])
        );
        assert_eq!(
            DisputeReason::parse("not_returned"),
            Some(DisputeReason::NotReturned)
        );
    }

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
            deposit_amount: 0,
            deposit_status: DepositStatus::None,
            deposit_note: String::new(),
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
            vec![Action::Return, Action::Cancel, Action::HandoverPickup]
        );
        assert_eq!(
            r.actions_for(2, 50, false),
            vec![Action::Cancel, Action::Extend, Action::HandoverPickup]
        );
        assert_eq!(
            r.actions_for(2, 150, false),
            vec![
                Action::Extend,
                Action::HandoverPickup,
                Action::HandoverReturn,
                Action::Dispute
            ],
            "in progress"
        );
        assert_eq!(
            r.actions_for(2, 250, false),
            vec![
                Action::HandoverPickup,
                Action::HandoverReturn,
                Action::Dispute
            ],
            "overdue: too late to extend"
        );
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
