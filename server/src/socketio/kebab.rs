//! The kebab-case vocabulary of Node Socket.IO chat servers with Redis: authenticate with an
//! `auth` event, `join-room`, `typing-start`, `message-new`, `presence`, `receipt`,
//! `heartbeat`, `get-online-users`. Payloads are camelCase; ids are Confab's UUIDs and times
//! RFC 3339 strings.

use super::events::{arg, custom, error_json, iso, token_arg, unknown, Emit, Inbound};
use super::memory::Memory;
use crate::error::AppError;
use protocol::{
    ClientEvent, ConversationId, ErrorCode, Message, MessageId, Notification, PresenceStatus,
    ReceiptKind, Seq, ServerEvent,
};
use serde::Deserialize;
use serde_json::{json, Value};

/// This vocabulary as errors name it.
const SPOKEN: &str = "kebab-case (`auth` after connecting)";

const ROOM: &str = "a conversation id (string)";

/// `send-message`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Send {
    conversation_id: ConversationId,
    temp_id: String,
    content: String,
}

/// `edit-message`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Edit {
    message_id: MessageId,
    content: String,
}

/// `delete-message`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Delete {
    message_id: MessageId,
}

/// `mark-delivered` and `mark-read`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Mark {
    conversation_id: ConversationId,
    up_to_seq: Seq,
}

/// The Confab request behind a kebab-case event.
pub fn parse(event: &str, value: Value) -> Result<Inbound, AppError> {
    let room = |value| arg::<ConversationId>(event, value, ROOM);
    Ok(Inbound::Event(match event {
        "auth" => return Ok(Inbound::Auth(arg(event, value, "a token (string)")?)),
        "get-online-users" => return Ok(Inbound::OnlineUsers(room(value)?)),
        "refresh-token" => ClientEvent::RefreshToken {
            token: token_arg(event, value)?,
        },
        "heartbeat" => ClientEvent::Ping,
        "join-room" => ClientEvent::JoinConversation {
            conversation_id: room(value)?,
        },
        "leave-room" => ClientEvent::LeaveConversation {
            conversation_id: room(value)?,
        },
        "typing-start" => ClientEvent::TypingStart {
            conversation_id: room(value)?,
        },
        "typing-stop" => ClientEvent::TypingStop {
            conversation_id: room(value)?,
        },
        "presence-update" => ClientEvent::SetPresence {
            status: arg::<PresenceStatus>(
                event,
                value,
                "\"online\", \"away\", \"busy\" or \"offline\"",
            )?,
        },
        "send-message" => {
            let send: Send = arg(event, value, "{conversationId, tempId, content}")?;
            ClientEvent::SendMessage {
                conversation_id: send.conversation_id,
                temp_id: send.temp_id,
                body: send.content,
                reply_to: None,
                attachments: Vec::new(),
            }
        }
        "edit-message" => {
            let edit: Edit = arg(event, value, "{messageId, content}")?;
            ClientEvent::EditMessage {
                message_id: edit.message_id,
                body: edit.content,
            }
        }
        "delete-message" => ClientEvent::DeleteMessage {
            message_id: arg::<Delete>(event, value, "{messageId}")?.message_id,
        },
        "mark-delivered" | "mark-read" => {
            let mark: Mark = arg(event, value, "{conversationId, upToSeq}")?;
            let kind = if event == "mark-read" {
                ReceiptKind::Seen
            } else {
                ReceiptKind::Delivered
            };
            ClientEvent::receipt(kind, mark.conversation_id, mark.up_to_seq)
        }
        _ => return Err(unknown(event, SPOKEN)),
    }))
}

/// The reference's own code for a failed request, where it has one: a `join-room` refused
/// (not a member, no such conversation, a malformed id) is `JOIN_ROOM_FAILED`.
pub fn error_code(event: &str, code: ErrorCode) -> Option<&'static str> {
    match (event, code) {
        (
            "join-room",
            ErrorCode::NotAMember
            | ErrorCode::NotFound
            | ErrorCode::Forbidden
            | ErrorCode::InvalidPayload,
        ) => Some("JOIN_ROOM_FAILED"),
        _ => None,
    }
}

/// The kebab-case events for a Confab event.
pub fn render(event: &ServerEvent, memory: &mut Memory) -> Vec<Emit> {
    use ServerEvent as E;
    let one = |name, value| vec![Emit::one(name, value)];
    match event {
        E::ConversationJoined {
            conversation_id,
            viewers,
            viewer_count,
        } => one(
            "room-joined",
            json!({
                "conversationId": conversation_id,
                "viewers": viewers,
                "viewerCount": viewer_count,
            }),
        ),
        E::ConversationLeft { conversation_id } => {
            one("room-left", json!({ "conversationId": conversation_id }))
        }
        E::Pong { .. } => vec![Emit::many("heartbeat-ack", Vec::new())],
        E::MessageAck { temp_id, message } => {
            memory.message(message);
            vec![Emit::many(
                "message-ack",
                vec![json!(temp_id), json!(message.id)],
            )]
        }
        E::MessageNew { message } => {
            memory.message(message);
            one("message-new", message_json(message))
        }
        E::MessageEdited { message } => one("message-edited", message_json(message)),
        E::MessageDeleted { message } => vec![Emit::many(
            "message-deleted",
            vec![json!(message.id), json!(message.conversation_id)],
        )],
        E::Receipt {
            conversation_id,
            user_id,
            kind,
            up_to_seq,
        } => vec![Emit::many(
            "receipt",
            vec![
                json!(memory.message_at(*conversation_id, *up_to_seq)),
                json!(user_id),
                json!(kind),
                json!({ "conversationId": conversation_id, "upToSeq": up_to_seq }),
            ],
        )],
        E::TypingStarted {
            conversation_id,
            user_id,
            ..
        } => vec![Emit::many(
            "typing",
            vec![json!(user_id), json!(conversation_id)],
        )],
        E::TypingStopped {
            conversation_id,
            user_id,
        } => vec![Emit::many(
            "typing-stop",
            vec![json!(user_id), json!(conversation_id)],
        )],
        E::PresenceChanged { users } => users
            .iter()
            .map(|p| {
                Emit::many(
                    "presence",
                    vec![
                        json!(p.user_id),
                        json!(p.status),
                        json!(p.last_seen_at.map(iso)),
                    ],
                )
            })
            .collect(),
        E::ConversationUpdated { conversation } => one(
            "conversation-updated",
            json!({ "conversationId": conversation.id }),
        ),
        E::ConversationRemoved { conversation_id } => one(
            "conversation-removed",
            json!({ "conversationId": conversation_id }),
        ),
        E::NotificationNew {
            notification,
            unread_notifications,
        } => one(
            "notification",
            notification_json(notification, *unread_notifications),
        ),
        E::Resync => vec![Emit::many("resync", Vec::new())],
        E::Error { code, message } => one("error", error_json(*code, message)),
        // No word for these in this vocabulary.
        E::Authenticated { .. }
        | E::UnreadSnapshot { .. }
        | E::PresenceSnapshot { .. }
        | E::ViewerJoined { .. }
        | E::ViewerLeft { .. }
        | E::ViewersChanged { .. }
        | E::UnreadChanged { .. }
        | E::NotificationsRead { .. }
        | E::NotificationRemoved { .. }
        | E::PostsSubscribed { .. }
        | E::PostCountsChanged { .. }
        | E::CommentNew { .. }
        | E::CommentDeleted { .. }
        | E::ReactionsChanged { .. }
        | E::ReactionSaved { .. }
        | E::BlocksChanged { .. }
        | E::MuteChanged { .. }
        | E::PostDeleted { .. } => Vec::new(),
        E::CustomEvent { name, data } => custom(name, data),
        E::TokenExpiring { expires_at } => {
            one("token-expiring", json!({ "expiresAt": iso(*expires_at) }))
        }
        E::TokenRefreshed { expires_at } => {
            one("token-refreshed", json!({ "expiresAt": iso(*expires_at) }))
        }
    }
}

/// A message as this vocabulary's clients read it.
pub fn message_json(message: &Message) -> Value {
    json!({
        "id": message.id,
        "conversationId": message.conversation_id,
        "seq": message.seq,
        "senderId": message.sender_id,
        "content": message.body,
        "createdAt": iso(message.created_at),
        "editedAt": message.edited_at.map(iso),
        "deleted": message.deleted,
    })
}

fn notification_json(n: &Notification, unread: i64) -> Value {
    json!({
        "id": n.id,
        "type": n.kind,
        "actorId": n.actor.id,
        "actorName": n.actor.display_name,
        "conversationId": n.conversation_id,
        "postId": n.post_id,
        "text": n.text,
        "createdAt": iso(n.created_at),
        "unreadCount": unread,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::UserId;

    #[test]
    fn events_take_their_reference_arguments() {
        let room = ConversationId::new();
        let id = json!(room);
        assert_eq!(
            parse("join-room", id.clone()).unwrap(),
            Inbound::Event(ClientEvent::JoinConversation {
                conversation_id: room
            })
        );
        assert_eq!(
            parse("auth", json!("a.b.c")).unwrap(),
            Inbound::Auth("a.b.c".into())
        );
        assert_eq!(
            parse("heartbeat", Value::Null).unwrap(),
            Inbound::Event(ClientEvent::Ping)
        );
        assert_eq!(
            parse("presence-update", json!("away")).unwrap(),
            Inbound::Event(ClientEvent::SetPresence {
                status: PresenceStatus::Away
            })
        );
        let send = json!({ "conversationId": room, "tempId": "t1", "content": "hi" });
        assert!(matches!(
            parse("send-message", send).unwrap(),
            Inbound::Event(ClientEvent::SendMessage { body, .. }) if body == "hi"
        ));
    }

    #[test]
    fn bad_input_is_an_invalid_payload_naming_the_event() {
        let err = parse("join-room", json!(42)).unwrap_err();
        assert_eq!(err.code(), protocol::ErrorCode::InvalidPayload);
        assert!(err.public_message().contains("join-room"));
        let err = parse("new_message", json!({})).unwrap_err();
        // A snake_case event on a kebab-case socket: the error says which vocabulary it speaks.
        assert!(err.public_message().contains("unknown event"));
        assert!(err.public_message().contains("kebab-case"));
    }

    #[test]
    fn a_refused_join_is_join_room_failed_and_other_failures_keep_their_codes() {
        assert_eq!(
            error_code("join-room", ErrorCode::NotAMember),
            Some("JOIN_ROOM_FAILED")
        );
        assert_eq!(
            error_code("join-room", ErrorCode::InvalidPayload),
            Some("JOIN_ROOM_FAILED")
        );
        assert_eq!(error_code("join-room", ErrorCode::RateLimited), None);
        assert_eq!(error_code("typing-start", ErrorCode::NotAMember), None);
    }

    #[test]
    fn typing_and_receipts_are_positional_as_in_the_reference() {
        let mut memory = Memory::default();
        let conversation = ConversationId::new();
        let user = UserId::new();
        let typing = render(
            &ServerEvent::TypingStarted {
                conversation_id: conversation,
                user_id: user,
                display_name: "Bob".into(),
            },
            &mut memory,
        );
        assert_eq!(typing[0].event, "typing");
        assert_eq!(typing[0].args, vec![json!(user), json!(conversation)]);
        let message = Message {
            id: MessageId::new(),
            conversation_id: conversation,
            seq: 7,
            sender_id: user,
            body: "hi".into(),
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
        render(
            &ServerEvent::MessageNew {
                message: message.clone(),
            },
            &mut memory,
        );
        let receipt = render(
            &ServerEvent::Receipt {
                conversation_id: conversation,
                user_id: user,
                kind: protocol::ReceiptKind::Seen,
                up_to_seq: 7,
            },
            &mut memory,
        );
        assert_eq!(receipt[0].args[0], json!(message.id));
        assert_eq!(receipt[0].args[2], json!("seen"));
    }
}
