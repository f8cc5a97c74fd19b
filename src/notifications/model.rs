use serde::{Deserialize, Serialize};

use crate::clock::{opt_ts, Ts};

/// Every kind a notification may have. Open: rentals and reviews add theirs here.
pub const KINDS: &[&str] = &[
    "chat_message",
    "rental_requested",
    "rental_accepted",
    "rental_rejected",
    "rental_cancelled",
    "rental_expired",
    "rental_starts_soon",
    "rental_return_due",
    "rental_overdue",
    "rental_returned",
    "review_received",
];

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

#[derive(Clone, Debug, Serialize)]
pub struct Notification {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub created_at: Ts,
    pub read_at: Option<Ts>,
}

impl From<&NotificationRow> for Notification {
    fn from(r: &NotificationRow) -> Self {
        Notification {
            id: r.id,
            kind: r.kind.clone(),
            title: r.title.clone(),
            body: r.body.clone(),
            link: r.link.clone(),
            created_at: Ts(r.created_at),
            read_at: opt_ts(r.read_at),
        }
    }
}

#[derive(Serialize)]
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
    pub kind: &'static str,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    #[serde(default)]
    pub ids: Option<Vec<i64>>,
    #[serde(default)]
    pub all: Option<bool>,
}
