use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use std::collections::BTreeMap;

use crate::clock::{opt_ts, Ts};
use crate::domain::error::{AppError, Problems};

/// Every kind a notification may have, with its wire name (api.md, Notifications).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    ChatMessage,
    RentalRequested,
    RentalAccepted,
    RentalRejected,
    RentalCancelled,
    RentalExpired,
    RentalStartsSoon,
    RentalReturnDue,
    RentalOverdue,
    RentalReturned,
    ReviewReceived,
    ExtensionRequested,
    ExtensionAccepted,
    ExtensionRejected,
    HandoverRecorded,
    DepositUpdated,
    DisputeOpened,
    DisputeResolved,
    KeywordMatch,
    BorrowNearby,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 20] = [
        NotificationKind::ChatMessage,
        NotificationKind::RentalRequested,
        NotificationKind::RentalAccepted,
        NotificationKind::RentalRejected,
        NotificationKind::RentalCancelled,
        NotificationKind::RentalExpired,
        NotificationKind::RentalStartsSoon,
        NotificationKind::RentalReturnDue,
        NotificationKind::RentalOverdue,
        NotificationKind::RentalReturned,
        NotificationKind::ReviewReceived,
        NotificationKind::ExtensionRequested,
        NotificationKind::ExtensionAccepted,
        NotificationKind::ExtensionRejected,
        NotificationKind::HandoverRecorded,
        NotificationKind::DepositUpdated,
        NotificationKind::DisputeOpened,
        NotificationKind::DisputeResolved,
        NotificationKind::KeywordMatch,
        NotificationKind::BorrowNearby,
    ];

    /// The wire (and stored) name.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::ChatMessage => "chat_message",
            NotificationKind::RentalRequested => "rental_requested",
            NotificationKind::RentalAccepted => "rental_accepted",
            NotificationKind::RentalRejected => "rental_rejected",
            NotificationKind::RentalCancelled => "rental_cancelled",
            NotificationKind::RentalExpired => "rental_expired",
            NotificationKind::RentalStartsSoon => "rental_starts_soon",
            NotificationKind::RentalReturnDue => "rental_return_due",
            NotificationKind::RentalOverdue => "rental_overdue",
            NotificationKind::RentalReturned => "rental_returned",
            NotificationKind::ReviewReceived => "review_received",
            NotificationKind::ExtensionRequested => "extension_requested",
            NotificationKind::ExtensionAccepted => "extension_accepted",
            NotificationKind::ExtensionRejected => "extension_rejected",
            NotificationKind::HandoverRecorded => "handover_recorded",
            NotificationKind::DepositUpdated => "deposit_updated",
            NotificationKind::DisputeOpened => "dispute_opened",
            NotificationKind::DisputeResolved => "dispute_resolved",
            NotificationKind::KeywordMatch => "keyword_match",
            NotificationKind::BorrowNearby => "borrow_nearby",
        }
    }

    /// The Korean name the settings page shows.
    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::ChatMessage => "채팅 메시지",
            NotificationKind::RentalRequested => "대여 요청",
            NotificationKind::RentalAccepted => "대여 수락",
            NotificationKind::RentalRejected => "대여 거절",
            NotificationKind::RentalCancelled => "대여 취소",
            NotificationKind::RentalExpired => "대여 요청 만료",
            NotificationKind::RentalStartsSoon => "대여 시작 하루 전",
            NotificationKind::RentalReturnDue => "반납 한 시간 전",
            NotificationKind::RentalOverdue => "반납 연체",
            NotificationKind::RentalReturned => "반납 완료",
            NotificationKind::ReviewReceived => "받은 후기",
            NotificationKind::ExtensionRequested => "연장 요청",
            NotificationKind::ExtensionAccepted => "연장 수락",
            NotificationKind::ExtensionRejected => "연장 거절",
            NotificationKind::HandoverRecorded => "물건 전달 기록",
            NotificationKind::DepositUpdated => "보증금 변경",
            NotificationKind::DisputeOpened => "분쟁 접수",
            NotificationKind::DisputeResolved => "분쟁 처리 결과",
            NotificationKind::KeywordMatch => "키워드 알림",
            NotificationKind::BorrowNearby => "근처 빌려요 글",
        }
    }

    /// A stored name read back; `None` for one this release does not know.
    pub fn parse(s: &str) -> Option<NotificationKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub link: String,
    pub created_at: Ts,
    pub read_at: Option<Ts>,
}

impl Notification {
    /// The notification of a stored row; `None` for a kind this release does not know (written by
    /// a newer release during a rolling upgrade), which is left out rather than mislabelled.
    pub fn from_row(r: &NotificationRow) -> Option<Self> {
        Some(Notification {
            id: r.id,
            kind: NotificationKind::parse(&r.kind)?,
            title: r.title.clone(),
            body: r.body.clone(),
            link: r.link.clone(),
            created_at: Ts(r.created_at),
            read_at: opt_ts(r.read_at),
        })
    }
}

/// 한 쪽의 알림과 안 읽은 수 / a page of notifications with the unread count.
#[derive(Serialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    pub unread_count: i64,
}

#[derive(Clone, Debug)]
pub struct NewNotification {
    pub user_id: i64,
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub link: String,
}

/// The latest chat message for a recipient in a room, after a batch.
#[derive(Clone, Debug)]
pub struct ChatNote {
    pub user_id: i64,
    pub room_id: i64,
    pub title: String,
    pub body: String,
    pub link: String,
}

/// `ids` 또는 `all: true` / some notifications by id, or all of them.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"all": true}))]
pub struct MarkRead {
    #[serde(default)]
    pub ids: Option<Vec<i64>>,
    #[serde(default)]
    pub all: Option<bool>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// 안 읽은 것만 / only unread ones.
    pub unread: Option<bool>,
}

pub const RADIUS_MIN_KM: i64 = 1;
pub const RADIUS_MAX_KM: i64 = 20;
pub const RADIUS_DEFAULT_KM: i64 = 3;

/// 알림 설정 / which kinds are on (every kind is listed) and the keyword-alert radius.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NotificationSettings {
    /// 종류별 켜짐 / every kind, `true` when it is on.
    pub kinds: BTreeMap<String, bool>,
    /// 키워드 알림 반경 (1–20 km) / the keyword-alert radius.
    pub alert_radius_km: i64,
}

impl NotificationSettings {
    /// The settings of a user who turned `off` off (every other kind is on).
    pub fn from_parts(off: &[NotificationKind], alert_radius_km: i64) -> Self {
        NotificationSettings {
            kinds: NotificationKind::ALL
                .into_iter()
                .map(|k| (k.as_str().to_string(), !off.contains(&k)))
                .collect(),
            alert_radius_km,
        }
    }

    pub fn is_on(&self, kind: NotificationKind) -> bool {
        self.kinds.get(kind.as_str()).copied().unwrap_or(true)
    }
}

/// 알림 설정 바꾸기 (일부만) / a partial change: the kinds named, the radius when given.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kinds": {"chat_message": false}, "alert_radius_km": 5}))]
pub struct SettingsPatch {
    /// 종류 → 켜짐 / kind → on; kinds not named keep their setting.
    #[serde(default)]
    pub kinds: Option<BTreeMap<String, bool>>,
    /// 1–20 km
    #[serde(default)]
    #[schema(minimum = 1, maximum = 20)]
    pub alert_radius_km: Option<i64>,
}

/// A checked settings change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsChange {
    pub kinds: Vec<(NotificationKind, bool)>,
    pub alert_radius_km: Option<i64>,
}

impl SettingsPatch {
    /// Every kind must be one of the contract's, the radius within 1–20 km; each problem names
    /// its field (`kinds.<name>`, `alert_radius_km`).
    pub fn check(self) -> Result<SettingsChange, AppError> {
        let mut p = Problems::default();
        let mut kinds = Vec::new();
        for (name, on) in self.kinds.unwrap_or_default() {
            match NotificationKind::parse(&name) {
                Some(k) => kinds.push((k, on)),
                None => p.add(&format!("kinds.{name}"), "알 수 없는 알림 종류예요"),
            }
        }
        if let Some(r) = self.alert_radius_km {
            p.check(
                (RADIUS_MIN_KM..=RADIUS_MAX_KM).contains(&r),
                "alert_radius_km",
                "알림 반경은 1–20km로 정해 주세요",
            );
        }
        p.finish()?;
        Ok(SettingsChange {
            kinds,
            alert_radius_km: self.alert_radius_km,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialize_as_their_stored_names() {
        for k in NotificationKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
            assert_eq!(NotificationKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(NotificationKind::parse("rental_teleported"), None);
    }

    #[test]
    fn a_settings_patch_names_each_bad_field() {
        let patch: SettingsPatch = serde_json::from_value(
            serde_json::json!({"kinds": {"chat_message": false, "rental_teleported": true}, "alert_radius_km": 21}),
        )
        .unwrap();
        let AppError::Validation { fields, .. } = patch.check().unwrap_err() else {
            panic!("not a validation error");
        };
        assert!(fields.contains_key("kinds.rental_teleported"));
        assert!(fields.contains_key("alert_radius_km"));
    }
}

/// 관심 키워드 / a keyword the user wants to hear about.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Keyword {
    pub id: i64,
    pub keyword: String,
    pub created_at: Ts,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct KeywordRow {
    pub id: i64,
    pub user_id: i64,
    pub keyword: String,
    pub created_at: i64,
}

impl From<&KeywordRow> for Keyword {
    fn from(r: &KeywordRow) -> Self {
        Keyword {
            id: r.id,
            keyword: r.keyword.clone(),
            created_at: Ts(r.created_at),
        }
    }
}

/// `{keyword}`: 1–20 characters once trimmed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"keyword": "텐트"}))]
pub struct NewKeyword {
    pub keyword: String,
}

pub const KEYWORD_MAX_CHARS: usize = 20;
pub const KEYWORDS_PER_USER: i64 = 30;
/// At most this many `keyword_match` notifications per user in any 24 hours.
pub const KEYWORD_ALERTS_PER_DAY: i64 = 20;
/// At most this many `borrow_nearby` notifications per user in any 24 hours.
pub const BORROW_ALERTS_PER_DAY: i64 = 5;

/// The folded form keywords are compared in: lower case, spaces collapsed.
pub fn fold_keyword(k: &str) -> String {
    k.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Whether `keyword` matches an item the way `q` does: every word of it occurs in the title or
/// the description as a case-insensitive substring (what FTS5 trigram, its LIKE fallback for
/// short words such as 텐트, and ILIKE all answer), checked in memory on the new item only.
pub fn keyword_matches(keyword: &str, title: &str, description: &str) -> bool {
    let (t, d) = (title.to_lowercase(), description.to_lowercase());
    let words: Vec<String> = keyword.split_whitespace().map(str::to_lowercase).collect();
    !words.is_empty() && crate::catalog::model::has_words(&words, &t, &d)
}

#[cfg(test)]
mod keyword_tests {
    use super::*;

    #[test]
    fn keywords_match_like_q_case_insensitively_on_every_word() {
        assert!(keyword_matches("텐트", "캠핑 텐트 빌려드려요", ""));
        assert!(keyword_matches("텐트", "캠핑용품", "4인용 텐트예요"));
        assert!(keyword_matches("Coleman", "버너", "COLEMAN 투버너"));
        assert!(keyword_matches("캠핑 의자", "의자", "캠핑에 좋아요"));
        assert!(!keyword_matches("캠핑 의자", "캠핑 테이블", ""));
        assert!(!keyword_matches("텐트", "타프", "그늘막"));
        assert!(!keyword_matches("  ", "아무거나", ""));
        assert_eq!(fold_keyword("  Camping   Chair "), "camping chair");
    }
}
