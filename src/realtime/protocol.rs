//! The socket protocol of api.md as types: every frame a client may send and every frame the
//! server sends, with their wire names (`type`) in one place.
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::chat::model::Message;
use crate::domain::error::ErrorCode;
use crate::notifications::model::Notification;
use crate::rentals::model::Rental;

/// Client → server.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    Send {
        room_id: i64,
        body: String,
        /// Echoed in the `ack` (or `error`) so the client can match them; any JSON value.
        #[serde(default)]
        client_id: Value,
    },
    Read {
        room_id: i64,
        last_read_id: i64,
        #[serde(default)]
        client_id: Value,
    },
    Ping,
}

/// What can still be read from a frame that is not a valid [`ClientFrame`]: its `client_id`, so
/// the error names the request it answers.
#[derive(Deserialize, Default)]
pub struct FrameId {
    #[serde(default)]
    pub client_id: Value,
}

/// Server → client. Serialized straight from references: no JSON tree is built per frame.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame<'a> {
    /// The sender's message, stored (sent only after the commit).
    Ack {
        client_id: &'a Value,
        message: &'a Message,
    },
    /// A message for a room the user is in.
    Message {
        message: &'a Message,
    },
    /// Someone read a room up to `last_read_id`.
    Read {
        room_id: i64,
        user_id: i64,
        last_read_id: i64,
    },
    Notification {
        notification: &'a Notification,
        unread_count: i64,
    },
    /// A rental changed (the rental as the API renders it).
    Rental {
        rental: &'a Rental,
    },
    Pong,
    Error {
        code: ErrorCode,
        client_id: &'a Value,
        message: &'a str,
    },
}

impl ServerFrame<'_> {
    pub fn to_text(&self) -> String {
        // Every variant is plain data: serialization cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_frames_parse_by_type() {
        let f: ClientFrame = serde_json::from_str(
            r#"{"type":"send","room_id":1,"body":"안녕하세요","client_id":"c-17"}"#,
        )
        .unwrap();
        assert_eq!(
            f,
            ClientFrame::Send {
                room_id: 1,
                body: "안녕하세요".into(),
                client_id: json!("c-17")
            }
        );
        let f: ClientFrame =
            serde_json::from_str(r#"{"type":"read","room_id":1,"last_read_id":42}"#).unwrap();
        assert!(matches!(
            f,
            ClientFrame::Read {
                room_id: 1,
                last_read_id: 42,
                ..
            }
        ));
        assert_eq!(
            serde_json::from_str::<ClientFrame>(r#"{"type":"ping"}"#).unwrap(),
            ClientFrame::Ping
        );
        for bad in [
            r#"{"type":"nope"}"#,
            r#"{"type":"send","room_id":"1","body":"x"}"#,
            r#"{"type":"send","body":"x"}"#,
            r#"{"room_id":1}"#,
        ] {
            assert!(serde_json::from_str::<ClientFrame>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn server_frames_carry_their_wire_names() {
        assert_eq!(ServerFrame::Pong.to_text(), r#"{"type":"pong"}"#);
        let read = ServerFrame::Read {
            room_id: 1,
            user_id: 7,
            last_read_id: 42,
        };
        assert_eq!(
            serde_json::from_str::<Value>(&read.to_text()).unwrap(),
            json!({"type": "read", "room_id": 1, "user_id": 7, "last_read_id": 42})
        );
        let err = ServerFrame::Error {
            code: ErrorCode::Forbidden,
            client_id: &json!("c-17"),
            message: "no",
        };
        assert_eq!(
            serde_json::from_str::<Value>(&err.to_text()).unwrap(),
            json!({"type": "error", "code": "forbidden", "client_id": "c-17", "message": "no"})
        );
    }
}
