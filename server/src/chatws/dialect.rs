//! The frames of FastAPI chat services' per-conversation WebSocket, as a pure translation:
//! `{type: "message", content}` and `{type: "typing"}` in; `message`, `typing`, `system`
//! (someone joined or left, with `active_users`) and `error` out.

use crate::clock::iso;
use crate::error::AppError;
use protocol::{ClientEvent, ConversationId, Message, UserId};
use serde::Deserialize;
use serde_json::{json, Value};

/// A client frame.
#[derive(Deserialize)]
struct Inbound {
    #[serde(rename = "type")]
    kind: String,
    content: Option<String>,
}

/// The Confab request behind a client frame in `conversation`.
pub fn parse(text: &str, conversation: ConversationId) -> Result<ClientEvent, AppError> {
    let frame: Inbound = serde_json::from_str(text).map_err(|e| {
        AppError::InvalidPayload(format!(
            "a frame is a JSON object {{\"type\": \"message\" | \"typing\", \"content\"?}}: {e}"
        ))
    })?;
    match frame.kind.as_str() {
        "message" => Ok(ClientEvent::SendMessage {
            conversation_id: conversation,
            // Each frame is a new message (the protocol has no client id to retry with).
            temp_id: uuid::Uuid::now_v7().to_string(),
            body: frame.content.unwrap_or_default(),
            reply_to: None,
            attachments: Vec::new(),
        }),
        "typing" => Ok(ClientEvent::TypingStart {
            conversation_id: conversation,
        }),
        other => Err(AppError::InvalidPayload(format!(
            "unknown frame type {other:?}: send \"message\" or \"typing\""
        ))),
    }
}

/// `message`: a message sent in the conversation (to everyone connected, its sender included).
pub fn message(m: &Message, sender_username: &str) -> Value {
    json!({
        "type": "message",
        "content": m.body,
        "sender_id": m.sender_id,
        "sender_username": sender_username,
        "message_id": m.id,
        "conversation_id": m.conversation_id,
        "seq": m.seq,
        "timestamp": iso(m.created_at),
        "is_edited": m.edited_at.is_some(),
    })
}

/// `typing`: someone else is typing.
pub fn typing(user: UserId, username: &str) -> Value {
    json!({ "type": "typing", "sender_id": user, "sender_username": username })
}

/// `system`: someone joined or left, and who is here now.
pub fn joined_or_left(user: UserId, username: &str, joined: bool, active: &[UserId]) -> Value {
    let what = if joined { "joined" } else { "left" };
    json!({
        "type": "system",
        "content": format!("User {username} {what} the conversation"),
        "sender_id": user,
        "active_users": active,
    })
}

/// `system`: how many are here, when the room is too big to name them as they come and go.
pub fn crowd(count: u32, active: &[UserId]) -> Value {
    json!({
        "type": "system",
        "content": format!("{count} people are in the conversation"),
        "active_users": active,
    })
}

/// `error`, with Confab's stable code beside the text.
pub fn error(code: protocol::ErrorCode, content: &str) -> Value {
    json!({ "type": "error", "content": content, "code": code })
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{ErrorCode, MessageId};

    #[test]
    fn messages_and_typing_are_the_two_client_frames() {
        let c = ConversationId::new();
        let sent = parse(r#"{"type":"message","content":"Hello, world!"}"#, c).unwrap();
        assert!(
            matches!(sent, ClientEvent::SendMessage { body, conversation_id, .. }
            if body == "Hello, world!" && conversation_id == c)
        );
        assert_eq!(
            parse(r#"{"type":"typing"}"#, c).unwrap(),
            ClientEvent::TypingStart { conversation_id: c }
        );
        for bad in [r#"{"type":"dance"}"#, "not json", r#"{"content":"x"}"#] {
            assert_eq!(parse(bad, c).unwrap_err().code(), ErrorCode::InvalidPayload);
        }
    }

    #[test]
    fn frames_carry_the_documented_fields() {
        let m = Message {
            id: MessageId::new(),
            conversation_id: ConversationId::new(),
            seq: 1,
            sender_id: UserId::new(),
            body: "Hello, world!".into(),
            created_at: 0,
            edited_at: None,
            deleted: false,
            reply_to: None,
            mentions: Vec::new(),
            reactions: Vec::new(),
            my_reactions: Vec::new(),
            reactions_version: 0,
            deleted_by: None,
            attachments: Vec::new(),
        };
        let frame = message(&m, "john_doe");
        assert_eq!(frame["type"], "message");
        assert_eq!(frame["sender_username"], "john_doe");
        assert_eq!(frame["message_id"], json!(m.id));
        assert_eq!(frame["is_edited"], false);
        let (a, b) = (UserId::new(), UserId::new());
        let system = joined_or_left(a, "john_doe", true, &[a, b]);
        assert_eq!(system["content"], "User john_doe joined the conversation");
        assert_eq!(system["active_users"], json!([a, b]));
        assert_eq!(typing(a, "john_doe")["type"], "typing");
        let e = error(
            ErrorCode::ValidationFailed,
            "Message content cannot be empty",
        );
        assert_eq!(e["code"], "VALIDATION_FAILED");
    }
}
