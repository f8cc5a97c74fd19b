use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::clock::{opt_ts, Ts};

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
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 11] = [
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
}
