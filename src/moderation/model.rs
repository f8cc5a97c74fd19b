use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::clock::{opt_ts, Ts};

pub const DETAIL_MAX: usize = 500;
pub const FEEDBACK_TITLE_MAX: usize = 70;
pub const FEEDBACK_CONTENT_MAX: usize = 512;

/// 신고 사유 / why an item is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    ProhibitedItem,
    NotARental,
    ProfessionalSeller,
    Fraud,
    Other,
}

impl Reason {
    pub const ALL: [Reason; 5] = [
        Reason::ProhibitedItem,
        Reason::NotARental,
        Reason::ProfessionalSeller,
        Reason::Fraud,
        Reason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::ProhibitedItem => "prohibited_item",
            Reason::NotARental => "not_a_rental",
            Reason::ProfessionalSeller => "professional_seller",
            Reason::Fraud => "fraud",
            Reason::Other => "other",
        }
    }

    /// The stored name; a name this version does not know reads as `Other`.
    pub fn from_column(s: &str) -> Reason {
        match s {
            "prohibited_item" => Reason::ProhibitedItem,
            "not_a_rental" => Reason::NotARental,
            "professional_seller" => Reason::ProfessionalSeller,
            "fraud" => Reason::Fraud,
            _ => Reason::Other,
        }
    }
}

/// 사용자 신고 사유 / why a user is reported. The wire and stored names are the ones below.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserReason {
    Fraud,
    Abusive,
    NoShow,
    NotReturned,
    Spam,
    Other,
}

impl UserReason {
    pub const ALL: [UserReason; 6] = [
        UserReason::Fraud,
        UserReason::Abusive,
        UserReason::NoShow,
        UserReason::NotReturned,
        UserReason::Spam,
        UserReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UserReason::Fraud => "fraud",
            UserReason::Abusive => "abusive",
            UserReason::NoShow => "no_show",
            UserReason::NotReturned => "not_returned",
            UserReason::Spam => "spam",
            UserReason::Other => "other",
        }
    }

    /// The stored name; a name this version does not know reads as `Other`.
    pub fn from_column(s: &str) -> UserReason {
        match s {
            "fraud" => UserReason::Fraud,
            "abusive" => UserReason::Abusive,
            "no_show" => UserReason::NoShow,
            "not_returned" => UserReason::NotReturned,
            "spam" => UserReason::Spam,
            _ => UserReason::Other,
        }
    }
}

/// A report's reason: an item reason for item reports, a user reason for user reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AnyReason {
    Item(Reason),
    User(UserReason),
}

/// Documented as one string enum of every name: the two lists share `fraud` and `other`, so a
/// `oneOf` of them would be ambiguous (a value may match both).
impl utoipa::PartialSchema for AnyReason {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let mut names: Vec<&'static str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
        for u in UserReason::ALL {
            if !names.contains(&u.as_str()) {
                names.push(u.as_str());
            }
        }
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(names))
            .description(Some(
                "물품 신고는 물품 사유, 사용자 신고는 사용자 사유 / an item reason for item reports, a user reason for user reports",
            ))
            .into()
    }
}

impl utoipa::ToSchema for AnyReason {}

/// 신고 대상 / what a report is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReportTarget {
    Item { id: i64 },
    User { id: i64 },
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "no_show", "detail": "약속 장소에 오지 않았어요"}))]
pub struct UserReportInput {
    pub reason: UserReason,
    /// 500자까지 / at most 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub detail: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "not_a_rental", "detail": "판매 글이에요"}))]
pub struct ReportInput {
    pub reason: Reason,
    /// 500자까지 / at most 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub detail: Option<String>,
}

/// A report's state, with its wire and stored name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Open,
    Resolved,
}

impl ReportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Open => "open",
            ReportStatus::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<ReportStatus> {
        match s {
            "open" => Some(ReportStatus::Open),
            "resolved" => Some(ReportStatus::Resolved),
            _ => None,
        }
    }
}

impl TryFrom<String> for ReportStatus {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        ReportStatus::parse(&s).ok_or_else(|| format!("unknown report status {s:?}"))
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub reporter_id: i64,
    pub item_id: Option<i64>,
    pub target_user_id: Option<i64>,
    pub reason: String,
    pub detail: String,
    #[sqlx(try_from = "String")]
    pub status: ReportStatus,
    pub action: Option<String>,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
}

impl ReportRow {
    /// What the row reports; the table's check keeps exactly one of the two ids set.
    pub fn target(&self) -> ReportTarget {
        match (self.item_id, self.target_user_id) {
            (Some(id), _) => ReportTarget::Item { id },
            (None, Some(id)) => ReportTarget::User { id },
            (None, None) => ReportTarget::Item { id: 0 },
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Report {
    pub id: i64,
    pub reporter_id: i64,
    /// 신고 대상 / `{type: "item", id}` or `{type: "user", id}`.
    pub target: ReportTarget,
    /// 물품 신고의 물품 (사용자 신고는 null) / the item of an item report.
    pub item_id: Option<i64>,
    pub item_title: Option<String>,
    pub owner_id: Option<i64>,
    /// 신고된 사용자의 닉네임 (사용자 신고만) / the reported user's nickname, for user reports.
    pub target_nickname: Option<String>,
    /// 물품 신고는 물품 사유, 사용자 신고는 사용자 사유 / an item or a user reason.
    pub reason: AnyReason,
    pub detail: String,
    pub status: ReportStatus,
    /// 처리한 방법 / how it was resolved.
    pub action: Option<ResolveAction>,
    pub created_at: Ts,
    pub resolved_at: Option<Ts>,
}

impl Report {
    /// `item` is the reported item's (title, owner); `nickname` the reported user's.
    pub fn from_row(r: &ReportRow, item: Option<(&str, i64)>, nickname: Option<&str>) -> Report {
        let target = r.target();
        Report {
            id: r.id,
            reporter_id: r.reporter_id,
            target,
            item_id: r.item_id,
            item_title: item.map(|(t, _)| t.to_string()),
            owner_id: item.map(|(_, o)| o),
            target_nickname: nickname.map(str::to_string),
            reason: match target {
                ReportTarget::Item { .. } => AnyReason::Item(Reason::from_column(&r.reason)),
                ReportTarget::User { .. } => AnyReason::User(UserReason::from_column(&r.reason)),
            },
            detail: r.detail.clone(),
            status: r.status,
            action: r.action.as_deref().and_then(ResolveAction::parse),
            created_at: Ts(r.created_at),
            resolved_at: opt_ts(r.resolved_at),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "지도 보기가 있으면 좋겠어요", "content": "동네 지도에서 물건을 찾고 싶어요."}))]
pub struct FeedbackInput {
    /// 1–70자
    #[schema(min_length = 1, max_length = 70)]
    pub title: String,
    /// 1–512자
    #[schema(min_length = 1, max_length = 512)]
    pub content: String,
}

#[derive(Serialize, sqlx::FromRow, ToSchema)]
pub struct FeedbackRow {
    pub id: i64,
    pub user_id: Option<i64>,
    pub title: String,
    pub content: String,
    #[serde(skip)]
    #[schema(ignore)]
    pub created_at: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Feedback {
    #[serde(flatten)]
    pub row: FeedbackRow,
    pub created_at: Ts,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResolveAction {
    Dismiss,
    HideItem,
    SuspendUser,
}

impl ResolveAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ResolveAction::Dismiss => "dismiss",
            ResolveAction::HideItem => "hide_item",
            ResolveAction::SuspendUser => "suspend_user",
        }
    }

    pub fn parse(s: &str) -> Option<ResolveAction> {
        Some(match s {
            "dismiss" => ResolveAction::Dismiss,
            "hide_item" => ResolveAction::HideItem,
            "suspend_user" => ResolveAction::SuspendUser,
            _ => return None,
        })
    }
}

#[derive(Deserialize, ToSchema)]
pub struct ResolveInput {
    pub action: ResolveAction,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportFilter {
    /// 기본 open
    #[param(inline)]
    pub status: Option<ReportStatus>,
}
