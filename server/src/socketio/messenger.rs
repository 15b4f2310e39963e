//! The vocabulary of Flask-SocketIO messengers (`../shared/reference/01`): the token in the
//! handshake's `auth`, `private_message {sender_id, recipient_id, content}` (the 1:1
//! conversation is created on first use), `conversation_message {sender_id, conversation_id,
//! content}`, `join_conversation` / `leave_conversation`, `typing {user_id, recipient_id |
//! conversation_id, is_typing}`; the server sends `online_users {users}` once connected (the
//! user's direct contacts who are online), then `user_online` / `user_offline {user_id}`,
//! `message_delivered` (the message object, to its sender as confirmation and to every other
//! member) and `user_typing {user_id, is_typing}`. Payloads are snake_case.

use super::events::{arg, custom, error_json, iso, unknown, Emit, Inbound};
use super::memory::Memory;
use super::snake;
use crate::error::AppError;
use protocol::{
    ClientEvent, ConversationId, Message, Presence, PresenceStatus, ServerEvent, UserId,
};
use serde::Deserialize;
use serde_json::{json, Value};

/// This vocabulary as errors name it.
const SPOKEN: &str = "messenger (token in the handshake, `private_message`)";

/// `private_message`.
#[derive(Deserialize)]
struct PrivateMessage {
    /// Must be the authenticated user when given.
    sender_id: Option<UserId>,
    recipient_id: UserId,
    content: String,
    /// The client's id for the message (deduplicates a retry), echoed in `message_delivered`.
    temp_id: Option<String>,
}

/// `conversation_message`.
#[derive(Deserialize)]
struct ConversationMessage {
    sender_id: Option<UserId>,
    conversation_id: ConversationId,
    content: String,
    temp_id: Option<String>,
}

/// `typing`: to one person or in a conversation.
#[derive(Deserialize)]
struct Typing {
    user_id: Option<UserId>,
    recipient_id: Option<UserId>,
    conversation_id: Option<ConversationId>,
    is_typing: bool,
}

/// Whether an event is one only this vocabulary has (a socket whose vocabulary is not settled
/// yet speaks this one from then on): the two sends, and `typing` naming its typist.
pub fn distinctive(event: &str, arg: &Value) -> bool {
    match event {
        "private_message" | "conversation_message" => true,
        "typing" => arg.get("user_id").is_some() || arg.get("recipient_id").is_some(),
        _ => false,
    }
}

/// A send without a `temp_id` is a new message each time.
fn temp_id(given: Option<String>) -> String {
    given.unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

/// Wraps an event whose payload names its sender, which must then be the user.
fn signed(sender: Option<UserId>, event: ClientEvent) -> Inbound {
    match sender {
        Some(sender) => Inbound::Signed { sender, event },
        None => Inbound::Event(event),
    }
}

/// The Confab request behind a messenger event.
pub fn parse(event: &str, value: Value) -> Result<Inbound, AppError> {
    match event {
        "join_conversation" | "leave_conversation" | "refresh_token" => snake::parse(event, value),
        "private_message" => {
            let send: PrivateMessage =
                arg(event, value, "{sender_id, recipient_id, content, temp_id?}")?;
            let request = ClientEvent::SendDirectMessage {
                recipient_id: send.recipient_id,
                temp_id: temp_id(send.temp_id),
                body: send.content,
            };
            Ok(signed(send.sender_id, request))
        }
        "conversation_message" => {
            let send: ConversationMessage = arg(
                event,
                value,
                "{sender_id, conversation_id, content, temp_id?}",
            )?;
            let request = ClientEvent::SendMessage {
                conversation_id: send.conversation_id,
                temp_id: temp_id(send.temp_id),
                body: send.content,
                reply_to: None,
                attachments: Vec::new(),
            };
            Ok(signed(send.sender_id, request))
        }
        "typing" => {
            let expected = "{user_id, recipient_id or conversation_id, is_typing}";
            let typing: Typing = arg(event, value, expected)?;
            match (typing.conversation_id, typing.recipient_id) {
                (Some(conversation_id), _) => {
                    let request = if typing.is_typing {
                        ClientEvent::TypingStart { conversation_id }
                    } else {
                        ClientEvent::TypingStop { conversation_id }
                    };
                    Ok(signed(typing.user_id, request))
                }
                (None, Some(recipient)) => Ok(Inbound::TypingTo {
                    sender: typing.user_id,
                    recipient,
                    typing: typing.is_typing,
                }),
                (None, None) => Err(AppError::InvalidPayload(format!(
                    "typing takes {expected}: neither recipient_id nor conversation_id is given"
                ))),
            }
        }
        _ => Err(unknown(event, SPOKEN)),
    }
}

/// The messenger events for a Confab event.
pub fn render(event: &ServerEvent, memory: &mut Memory) -> Vec<Emit> {
    use ServerEvent as E;
    let one = |name, value| vec![Emit::one(name, value)];
    match event {
        E::MessageNew { message } => one("message_delivered", message_json(message, None)),
        E::MessageAck { temp_id, message } => one(
            "message_delivered",
            message_json(message, Some(temp_id.as_str())),
        ),
        E::TypingStarted {
            conversation_id,
            user_id,
            ..
        } => one("user_typing", typing_json(*conversation_id, *user_id, true)),
        E::TypingStopped {
            conversation_id,
            user_id,
        } => one(
            "user_typing",
            typing_json(*conversation_id, *user_id, false),
        ),
        // Others' comings and goings (a user's own sessions also hear their own).
        E::PresenceChanged { users } => users
            .iter()
            .filter(|p| Some(p.user_id) != memory.me())
            .map(status_change)
            .collect(),
        E::Error { code, message } => one("error", error_json(*code, message)),
        E::CustomEvent { name, data } => custom(name, data),
        E::TokenExpiring { expires_at } => snake::token_event("token_expiring", *expires_at),
        E::TokenRefreshed { expires_at } => snake::token_event("token_refreshed", *expires_at),
        // No word for the rest in this vocabulary.
        _ => Vec::new(),
    }
}

/// `online_users {users}`: who of `users` is online (away and busy count as online: connected).
pub fn online_users(users: &[Presence]) -> Emit {
    let online: Vec<UserId> = users
        .iter()
        .filter(|p| p.status != PresenceStatus::Offline)
        .map(|p| p.user_id)
        .collect();
    Emit::one("online_users", json!({ "users": online }))
}

/// `user_online` / `user_offline {user_id}` for one user's new presence.
fn status_change(presence: &Presence) -> Emit {
    match presence.status {
        PresenceStatus::Offline => Emit::one(
            "user_offline",
            json!({ "user_id": presence.user_id, "last_seen_at": presence.last_seen_at.map(iso) }),
        ),
        PresenceStatus::Online | PresenceStatus::Away | PresenceStatus::Busy => Emit::one(
            "user_online",
            json!({ "user_id": presence.user_id, "status": presence.status }),
        ),
    }
}

/// A message with all its metadata, as `message_delivered` carries it.
fn message_json(message: &Message, temp_id: Option<&str>) -> Value {
    let mut value = json!({
        "id": message.id,
        "conversation_id": message.conversation_id,
        "sender_id": message.sender_id,
        "content": message.body,
        "seq": message.seq,
        "created_at": iso(message.created_at),
        "edited_at": message.edited_at.map(iso),
        "deleted": message.deleted,
    });
    if let Some(temp_id) = temp_id {
        value["temp_id"] = json!(temp_id);
    }
    value
}

fn typing_json(conversation: ConversationId, user: UserId, on: bool) -> Value {
    json!({ "user_id": user, "conversation_id": conversation, "is_typing": on })
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::MessageId;

    fn message() -> Message {
        Message {
            id: MessageId::new(),
            conversation_id: ConversationId::new(),
            seq: 3,
            sender_id: UserId::new(),
            body: "hello".into(),
            created_at: 1_736_942_400_000,
            edited_at: None,
            deleted: false,
            reply_to: None,
            mentions: Vec::new(),
            reactions: Vec::new(),
            my_reactions: Vec::new(),
            reactions_version: 0,
            deleted_by: None,
            attachments: Vec::new(),
        }
    }

    #[test]
    fn a_private_message_is_a_direct_send_signed_by_its_sender() {
        let (me, you) = (UserId::new(), UserId::new());
        let value = json!({ "sender_id": me, "recipient_id": you, "content": "hi" });
        let Inbound::Signed { sender, event } = parse("private_message", value).unwrap() else {
            panic!("not signed");
        };
        assert_eq!(sender, me);
        let ClientEvent::SendDirectMessage {
            recipient_id, body, ..
        } = event
        else {
            panic!("not a direct send: {event:?}");
        };
        assert_eq!((recipient_id, body.as_str()), (you, "hi"));
        // Without a sender it is simply the user's.
        let value = json!({ "conversation_id": ConversationId::new(), "content": "x" });
        assert!(matches!(
            parse("conversation_message", value).unwrap(),
            Inbound::Event(ClientEvent::SendMessage { .. })
        ));
    }

    #[test]
    fn typing_goes_to_a_person_or_a_conversation_and_needs_one() {
        let (me, you, room) = (UserId::new(), UserId::new(), ConversationId::new());
        let to_person = json!({ "user_id": me, "recipient_id": you, "is_typing": true });
        assert_eq!(
            parse("typing", to_person).unwrap(),
            Inbound::TypingTo {
                sender: Some(me),
                recipient: you,
                typing: true
            }
        );
        let in_room = json!({ "user_id": me, "conversation_id": room, "is_typing": false });
        assert_eq!(
            parse("typing", in_room).unwrap(),
            Inbound::Signed {
                sender: me,
                event: ClientEvent::TypingStop {
                    conversation_id: room
                }
            }
        );
        let nowhere = json!({ "user_id": me, "is_typing": true });
        assert_eq!(
            parse("typing", nowhere).unwrap_err().code(),
            protocol::ErrorCode::InvalidPayload
        );
        let typist = UserId::new();
        let emits = render(
            &ServerEvent::TypingStarted {
                conversation_id: room,
                user_id: typist,
                display_name: "Bob".into(),
            },
            &mut Memory::default(),
        );
        assert_eq!(emits[0].event, "user_typing");
        assert_eq!(emits[0].args[0]["user_id"], json!(typist));
        assert_eq!(emits[0].args[0]["is_typing"], true);
    }

    #[test]
    fn messages_are_delivered_with_their_metadata_and_the_senders_temp_id() {
        let message = message();
        let mut memory = Memory::default();
        let new = render(
            &ServerEvent::MessageNew {
                message: message.clone(),
            },
            &mut memory,
        );
        assert_eq!(new[0].event, "message_delivered");
        assert_eq!(new[0].args[0]["content"], "hello");
        assert_eq!(new[0].args[0]["created_at"], "2025-01-15T12:00:00Z");
        assert!(new[0].args[0].get("temp_id").is_none());
        let ack = render(
            &ServerEvent::MessageAck {
                temp_id: "t1".into(),
                message,
            },
            &mut memory,
        );
        assert_eq!(ack[0].event, "message_delivered");
        assert_eq!(ack[0].args[0]["temp_id"], "t1");
    }

    #[test]
    fn presence_is_online_or_offline_and_away_is_online() {
        let (a, b, c) = (UserId::new(), UserId::new(), UserId::new());
        let users = vec![
            Presence {
                user_id: a,
                status: PresenceStatus::Online,
                last_seen_at: None,
            },
            Presence {
                user_id: b,
                status: PresenceStatus::Away,
                last_seen_at: Some(1),
            },
            Presence {
                user_id: c,
                status: PresenceStatus::Offline,
                last_seen_at: Some(1),
            },
        ];
        assert_eq!(online_users(&users).args[0], json!({ "users": [a, b] }));
        let event = ServerEvent::PresenceChanged { users };
        let emits = render(&event, &mut Memory::default());
        let names: Vec<_> = emits.iter().map(|e| e.event.clone()).collect();
        assert_eq!(names, ["user_online", "user_online", "user_offline"]);
        // The user's own presence is not news to them.
        let mut mine = Memory::default();
        mine.set_me(a);
        assert_eq!(render(&event, &mut mine).len(), 2);
    }

    #[test]
    fn only_its_sends_and_a_named_typist_set_this_vocabulary_apart() {
        assert!(distinctive("private_message", &json!({})));
        assert!(distinctive("typing", &json!({ "user_id": "x" })));
        assert!(!distinctive("typing", &json!({ "conversation_id": "x" })));
        assert!(!distinctive("join_conversation", &json!({})));
        assert!(parse("send_message", json!({})).is_err());
    }
}
