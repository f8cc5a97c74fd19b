use serde::{Deserialize, Serialize};

use crate::accounts::PublicUser;
use crate::catalog::model::ItemSummary;
use crate::clock::Ts;

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

#[derive(Clone, Debug, Serialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: String,
    pub rental_id: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Message {
    pub id: i64,
    pub room_id: i64,
    pub sender_id: Option<i64>,
    pub kind: String,
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
            kind: m.kind.clone(),
            body: m.body.clone(),
            event: match (&m.event_type, m.rental_id) {
                (Some(t), Some(r)) => Some(Event {
                    kind: t.clone(),
                    rental_id: r,
                }),
                _ => None,
            },
            created_at: Ts(m.created_at),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Room {
    pub id: i64,
    pub item: ItemSummary,
    pub other_user: PublicUser,
    pub last_message: Option<Message>,
    pub unread_count: i64,
    pub created_at: Ts,
    /// Added: what the other participant has read, for read marks.
    pub other_last_read_id: i64,
    pub my_last_read_id: i64,
}

#[derive(Serialize)]
pub struct History {
    pub messages: Vec<Message>,
    pub has_more: bool,
}

#[derive(Deserialize)]
pub struct SendInput {
    pub body: String,
}

#[derive(Deserialize)]
pub struct ReadInput {
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
    pub kind: &'static str,
    pub body: String,
    pub event_type: Option<String>,
    pub rental_id: Option<i64>,
}
