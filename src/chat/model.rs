use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::PublicUser;
use crate::catalog::model::ItemSummary;
use crate::clock::Ts;
use crate::domain::page::Bounded;
use crate::rentals::model::RentalEvent;

pub const BODY_MAX: usize = 1000;
pub const LIMIT_DEFAULT: i64 = 50;
pub const LIMIT_MAX: i64 = 200;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RoomRow {
    pub id: i64,
    pub item_id: i64,
    pub owner_id: i64,
    pub inquirer_id: i64,
    pub owner_last_read_id: i64,
    pub inquirer_last_read_id: i64,
    pub last_message_id: Option<i64>,
    pub last_activity_at: i64,
    pub created_at: i64,
}

impl RoomRow {
    pub fn has(&self, user: i64) -> bool {
        self.owner_id == user || self.inquirer_id == user
    }
    pub fn other(&self, user: i64) -> i64 {
        if self.owner_id == user {
            self.inquirer_id
        } else {
            self.owner_id
        }
    }
    pub fn last_read(&self, user: i64) -> i64 {
        if self.owner_id == user {
            self.owner_last_read_id
        } else {
            self.inquirer_last_read_id
        }
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub room_id: i64,
    pub sender_id: Option<i64>,
    pub kind: String,
    pub body: String,
    pub event_type: Option<String>,
    pub rental_id: Option<i64>,
    pub created_at: i64,
}

/// A participant's words, or a line the server writes about a rental.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Text,
    System,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::System => "system",
        }
    }

    pub fn from_column(s: &str) -> MessageKind {
        match s {
            "system" => MessageKind::System,
            _ => MessageKind::Text,
        }
    }
}

/// The rental a system line is about.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Event {
    /// 대여 이벤트 / the rental event.
    #[serde(rename = "type")]
    pub kind: RentalEvent,
    pub rental_id: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Message {
    pub id: i64,
    pub room_id: i64,
    /// 시스템 줄이면 null / null for system lines.
    pub sender_id: Option<i64>,
    pub kind: MessageKind,
    pub body: String,
    pub event: Option<Event>,
    pub created_at: Ts,
}

impl From<&MessageRow> for Message {
    fn from(m: &MessageRow) -> Self {
        Message {
            id: m.id,
            room_id: m.room_id,
            sender_id: m.sender_id,
            kind: MessageKind::from_column(&m.kind),
            body: m.body.clone(),
            // A stored name this release does not know (written by a newer one) shows the line
            // without its link rather than under a wrong name.
            event: match (
                m.event_type.as_deref().and_then(RentalEvent::parse),
                m.rental_id,
            ) {
                (Some(kind), Some(rental_id)) => Some(Event { kind, rental_id }),
                _ => None,
            },
            created_at: Ts(m.created_at),
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Room {
    pub id: i64,
    pub item: ItemSummary,
    pub other_user: PublicUser,
    pub last_message: Option<Message>,
    pub unread_count: i64,
    /// 내가 알림을 끈 방 / whether the caller muted this room (no `chat_message` notifications).
    pub muted: bool,
    pub created_at: Ts,
    /// Added: what the other participant has read, for read marks.
    pub other_last_read_id: i64,
    pub my_last_read_id: i64,
}

/// A cursor over a room's messages: before or after a message id.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// 이 id보다 앞의 메시지 / messages before this id (older history).
    #[param(value_type = Option<i64>, minimum = 0)]
    pub before: Option<Bounded<0, { i64::MAX }>>,
    /// 이 id 다음 메시지 (재접속 후 따라잡기) / messages after this id (catching up).
    #[param(value_type = Option<i64>, minimum = 0)]
    pub after: Option<Bounded<0, { i64::MAX }>>,
    /// 기본 50, 최대 200
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<Bounded<1, LIMIT_MAX>>,
}

/// 메시지 (오래된 것부터) / messages, oldest first.
#[derive(Serialize, ToSchema)]
pub struct History {
    pub messages: Vec<Message>,
    pub has_more: bool,
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"body": "안녕하세요, 이번 주말에 빌릴 수 있을까요?"}))]
pub struct SendInput {
    /// 1–1000자 / 1–1000 characters.
    #[schema(min_length = 1, max_length = 1000)]
    pub body: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ReadInput {
    /// 읽은 마지막 메시지 id / the last message read.
    #[schema(minimum = 0)]
    pub last_read_id: i64,
}

/// A message to store: text from a participant or a system line about a rental.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub room_id: i64,
    pub item_id: i64,
    /// Both participants, so delivery needs no lookup.
    pub participants: [i64; 2],
    pub sender_id: Option<i64>,
    pub kind: MessageKind,
    pub body: String,
    pub event_type: Option<String>,
    pub rental_id: Option<i64>,
}
