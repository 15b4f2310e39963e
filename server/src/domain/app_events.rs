//! A product's own events (server API `POST /api/server/v1/events`): published to users, to a
//! conversation's members or to everyone connected as `custom_event {name, data}` (a Socket.IO client gets the event
//! `name` itself), not stored. One frame per event, whatever the audience.

use crate::codec::encode_event;
use crate::error::AppError;
use crate::state::AppState;
use crate::topic::{Except, Topic};
use protocol::{ConversationId, ServerEvent, UserId};
use serde_json::Value;

/// Largest payload of one event, as JSON.
pub const MAX_DATA_BYTES: usize = 16 * 1024;

/// Names a Socket.IO client library keeps for itself (or Confab's gateway uses for errors).
const RESERVED: [&str; 7] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
    "error",
];

/// Checks an event: its name (1–64 of `a-z A-Z 0-9 _ - . :`, none of Socket.IO's own) and the
/// size of its data.
pub fn check(name: &str, data: &Value) -> Result<(), AppError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
    if !ok {
        return Err(AppError::validation(
            "an event name is 1-64 characters: letters, digits, '_', '-', '.' or ':'",
        ));
    }
    if RESERVED.contains(&name) {
        return Err(AppError::validation(format!(
            "{name:?} is an event name Socket.IO clients keep for themselves"
        )));
    }
    let size = serde_json::to_string(data).map_or(usize::MAX, |text| text.len());
    if size > MAX_DATA_BYTES {
        return Err(AppError::PayloadTooLarge(format!(
            "an event's data may be at most {MAX_DATA_BYTES} bytes of JSON; this is {size}"
        )));
    }
    Ok(())
}

fn frame(name: &str, data: Value) -> axum::extract::ws::Utf8Bytes {
    encode_event(ServerEvent::CustomEvent {
        name: name.to_owned(),
        data,
    })
}

/// Publishes an event to every session of each of `users` (one shared frame).
pub async fn to_users(state: &AppState, users: &[UserId], name: &str, data: Value) {
    let frame = frame(name, data);
    for user in users {
        state
            .broker
            .publish(Topic::User(*user), Except::Nobody, frame.clone())
            .await;
    }
}

/// Publishes an event to every member of a conversation.
pub async fn to_conversation(
    state: &AppState,
    conversation: ConversationId,
    name: &str,
    data: Value,
) {
    let topic = Topic::Conversation(conversation);
    state
        .broker
        .publish(topic, Except::Nobody, frame(name, data))
        .await;
}

/// Publishes an event to every connected session of every user, on every instance (one frame
/// per instance, handed to each of its sessions).
pub async fn to_everyone(state: &AppState, name: &str, data: Value) {
    state
        .broker
        .publish(Topic::Everyone, Except::Nobody, frame(name, data))
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sizes_are_checked() {
        assert!(check("job_application_update", &Value::Null).is_ok());
        assert!(check("orders:paid.v2", &serde_json::json!({ "id": 1 })).is_ok());
        assert!(check("", &Value::Null).is_err());
        assert!(check("has space", &Value::Null).is_err());
        assert!(check("disconnect", &Value::Null).is_err());
        let big = Value::String("x".repeat(MAX_DATA_BYTES));
        assert!(matches!(
            check("big", &big),
            Err(AppError::PayloadTooLarge(_))
        ));
    }
}
