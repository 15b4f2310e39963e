//! The vocabulary of multi-platform messaging hubs (`../shared/reference/04-…`): a socket sends
//! `authenticate {token}` within the deadline, gets `authenticated {userId, email}` (or
//! `auth_error {message}` and is disconnected), and then listens to everything of the user's:
//! `new_message {message, timestamp}`, `message_status_update`, `unread_count_update
//! {unreadCounts, totalUnread, timestamp}` (unread counts by platform), `conversation_update
//! {conversation, timestamp}` and `error {error, code, timestamp}`. Payloads are camelCase; ids
//! are Confab's UUIDs and times RFC 3339 strings.
//!
//! Unread counts are kept in the session's [`Memory`] (loaded with the session, kept by its
//! events): an update costs no query, whatever the number of conversations.

use super::events::{arg, custom, iso, unknown, Emit, Inbound};
use super::kebab;
use super::memory::Memory;
use crate::error::AppError;
use crate::store::now_ms;
use protocol::{Conversation, ErrorCode, ReceiptKind, ServerEvent, UserId};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// This vocabulary as errors name it.
const SPOKEN: &str = "hub (`authenticate` after connecting, then listen)";

/// The platform a conversation without one is counted under in `unreadCounts`.
pub const OWN_PLATFORM: &str = "confab";

/// `authenticate`.
#[derive(Deserialize)]
struct Authenticate {
    token: String,
}

/// The Confab request behind a hub event: only `authenticate` (the hub's clients listen).
pub fn parse(event: &str, value: Value) -> Result<Inbound, AppError> {
    match event {
        "authenticate" => Ok(Inbound::Auth(
            arg::<Authenticate>(event, value, "{token}")?.token,
        )),
        _ => Err(unknown(event, SPOKEN)),
    }
}

/// `authenticated {userId, email}`.
pub fn ready(user: UserId, email: Option<&str>) -> Emit {
    Emit::one("authenticated", json!({ "userId": user, "email": email }))
}

/// A failure as the hub says it: `auth_error {message}` for authentication (the socket is
/// then disconnected), `error {error, code, timestamp}` for anything else.
pub fn error(request: Option<&str>, code: ErrorCode, message: &str) -> Emit {
    let auth = matches!(
        code,
        ErrorCode::AuthFailed | ErrorCode::AuthTimeout | ErrorCode::NotAuthenticated
    ) || request == Some("authenticate");
    if auth {
        Emit::one(
            "auth_error",
            json!({ "message": message, "code": code.as_str() }),
        )
    } else {
        Emit::one(
            "error",
            json!({ "error": message, "code": code.as_str(), "timestamp": iso(now_ms()) }),
        )
    }
}

/// `unread_count_update` from what the session knows.
pub fn unread_update(memory: &Memory) -> Emit {
    let mut by_platform = Map::new();
    let mut total = 0;
    for (conversation, unread) in memory.unread_counts() {
        let platform = memory.platform_of(conversation).unwrap_or(OWN_PLATFORM);
        let entry = by_platform.entry(platform).or_insert(json!(0));
        *entry = json!(entry.as_i64().unwrap_or(0) + unread);
        total += unread;
    }
    Emit::one(
        "unread_count_update",
        json!({
            "unreadCounts": by_platform,
            "totalUnread": total,
            "timestamp": iso(now_ms()),
        }),
    )
}

/// The hub events for a Confab event.
pub fn render(event: &ServerEvent, memory: &mut Memory) -> Vec<Emit> {
    use ServerEvent as E;
    let now = || iso(now_ms());
    match event {
        E::MessageNew { message } => {
            memory.message(message);
            let mut emits = vec![Emit::one(
                "new_message",
                json!({
                    "message": message_json(message, memory),
                    "timestamp": now(),
                }),
            )];
            let theirs = Some(message.sender_id) != memory.me() && !message.deleted;
            if theirs && memory.count_unread(message.conversation_id, message.seq) {
                emits.push(unread_update(memory));
            }
            emits
        }
        E::Receipt {
            conversation_id,
            user_id,
            kind,
            up_to_seq,
        } => vec![Emit::one(
            "message_status_update",
            json!({
                "messageId": memory.message_at(*conversation_id, *up_to_seq),
                "conversationId": conversation_id,
                "status": match kind {
                    ReceiptKind::Seen => "read",
                    ReceiptKind::Delivered => "delivered",
                },
                "userId": user_id,
                "upToSeq": up_to_seq,
                "timestamp": now(),
            }),
        )],
        E::UnreadChanged {
            conversation_id,
            unread,
            ..
        } => {
            memory.set_unread(*conversation_id, *unread);
            vec![unread_update(memory)]
        }
        E::ConversationUpdated { conversation } => {
            // (Its `unread` is the updater's view: the session's own count stands.)
            memory.set_platform(conversation.id, conversation.platform.as_deref());
            vec![Emit::one(
                "conversation_update",
                json!({
                    "conversation": conversation_json(conversation, memory),
                    "timestamp": now(),
                }),
            )]
        }
        E::ConversationRemoved { conversation_id } => {
            memory.forget_conversation(*conversation_id);
            vec![unread_update(memory)]
        }
        E::Error { code, message } => vec![error(None, *code, message)],
        // The hub's clients do not join, type, watch presence or posts: no word for these.
        E::Authenticated { .. }
        | E::UnreadSnapshot { .. }
        | E::Pong { .. }
        | E::ConversationJoined { .. }
        | E::ConversationLeft { .. }
        | E::MessageAck { .. }
        | E::MessageEdited { .. }
        | E::MessageDeleted { .. }
        | E::TypingStarted { .. }
        | E::TypingStopped { .. }
        | E::PresenceChanged { .. }
        | E::PresenceSnapshot { .. }
        | E::ViewerJoined { .. }
        | E::ViewerLeft { .. }
        | E::ViewersChanged { .. }
        | E::NotificationNew { .. }
        | E::NotificationsRead { .. }
        | E::NotificationRemoved { .. }
        | E::PostsSubscribed { .. }
        | E::PostCountsChanged { .. }
        | E::CommentNew { .. }
        | E::CommentDeleted { .. }
        | E::PostDeleted { .. }
        | E::ReactionsChanged { .. }
        | E::ReactionSaved { .. }
        | E::BlocksChanged { .. }
        | E::MuteChanged { .. }
        | E::Resync => Vec::new(),
        E::CustomEvent { name, data } => custom(name, data),
        E::TokenExpiring { expires_at } => vec![Emit::one(
            "token_expiring",
            json!({ "expiresAt": iso(*expires_at), "timestamp": iso(now_ms()) }),
        )],
        // A second `authenticate` (a fresh token) is answered as the first.
        E::TokenRefreshed { .. } => match memory.me() {
            Some(me) => vec![ready(me, memory.email())],
            None => Vec::new(),
        },
    }
}

/// A message as the hub's clients read it: the kebab-case shape plus its conversation's platform.
fn message_json(message: &protocol::Message, memory: &Memory) -> Value {
    let mut json = kebab::message_json(message);
    json["platform"] = json!(memory
        .platform_of(message.conversation_id)
        .unwrap_or(OWN_PLATFORM));
    json
}

/// A conversation as the hub's clients read it, with the session's unread count.
fn conversation_json(c: &Conversation, memory: &Memory) -> Value {
    let unread = memory.unread_of(c.id);
    json!({
        "id": c.id,
        "type": c.kind,
        "title": c.title,
        "platform": c.platform.as_deref().unwrap_or(OWN_PLATFORM),
        "participants": c.members.iter().map(|m| json!({
            "id": m.id,
            "username": m.username,
            "displayName": m.display_name,
        })).collect::<Vec<_>>(),
        "lastMessage": c.last_message.as_ref().map(kebab::message_json),
        "lastSeq": c.last_seq,
        "unreadCount": unread,
        "createdAt": iso(c.created_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{ConversationId, Message, MessageId};

    fn message(conversation: ConversationId, sender: UserId, seq: i64) -> Message {
        Message {
            id: MessageId::new(),
            conversation_id: conversation,
            seq,
            sender_id: sender,
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
        }
    }

    #[test]
    fn only_authenticate_is_understood() {
        assert_eq!(
            parse("authenticate", json!({ "token": "a.b.c" })).unwrap(),
            Inbound::Auth("a.b.c".into())
        );
        let err = parse("authenticate", json!("a.b.c")).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidPayload);
        let err = parse("join-room", json!("x")).unwrap_err();
        assert!(err.public_message().contains("authenticate"));
    }

    #[test]
    fn failures_take_the_hubs_shapes() {
        let auth = error(Some("authenticate"), ErrorCode::AuthFailed, "invalid token");
        assert_eq!(auth.event, "auth_error");
        assert_eq!(auth.args[0]["message"], "invalid token");
        let other = error(None, ErrorCode::RateLimited, "slow down");
        assert_eq!(other.event, "error");
        assert_eq!(other.args[0]["error"], "slow down");
        assert_eq!(other.args[0]["code"], "RATE_LIMITED");
        assert!(other.args[0]["timestamp"].is_string());
    }

    #[test]
    fn unread_counts_are_kept_by_platform_from_the_sessions_events() {
        let (me, them) = (UserId::new(), UserId::new());
        let (own, whatsapp) = (ConversationId::new(), ConversationId::new());
        let mut memory = Memory::default();
        memory.start_inbox(
            me,
            [(own, 2, 2), (whatsapp, 0, 0)],
            [(whatsapp, "whatsapp".into())],
        );
        let counts = |emits: &[Emit]| emits.last().unwrap().args[0].clone();

        // Someone else's message counts; mine does not.
        let emits = render(
            &ServerEvent::MessageNew {
                message: message(whatsapp, them, 1),
            },
            &mut memory,
        );
        assert_eq!(emits[0].event, "new_message");
        assert_eq!(emits[0].args[0]["message"]["platform"], "whatsapp");
        let update = counts(&emits);
        assert_eq!(
            update["unreadCounts"],
            json!({ "confab": 2, "whatsapp": 1 })
        );
        assert_eq!(update["totalUnread"], 3);
        let mine = render(
            &ServerEvent::MessageNew {
                message: message(own, me, 3),
            },
            &mut memory,
        );
        assert_eq!(mine.len(), 1, "no unread change for my own message");

        // A read (on any device) sets the exact count.
        let read = render(
            &ServerEvent::UnreadChanged {
                conversation_id: own,
                unread: 0,
                read_seq: 3,
            },
            &mut memory,
        );
        assert_eq!(counts(&read)["totalUnread"], 1);
        assert_eq!(counts(&read)["unreadCounts"]["confab"], 0);

        // Receipts name the message this session saw at that position.
        let seen = message(own, them, 4);
        render(
            &ServerEvent::MessageNew {
                message: seen.clone(),
            },
            &mut memory,
        );
        let status = render(
            &ServerEvent::Receipt {
                conversation_id: own,
                user_id: them,
                kind: ReceiptKind::Seen,
                up_to_seq: 4,
            },
            &mut memory,
        );
        assert_eq!(status[0].event, "message_status_update");
        assert_eq!(status[0].args[0]["messageId"], json!(seen.id));
        assert_eq!(status[0].args[0]["status"], "read");

        // Leaving a conversation drops its count.
        let gone = render(
            &ServerEvent::ConversationRemoved {
                conversation_id: whatsapp,
            },
            &mut memory,
        );
        assert_eq!(counts(&gone)["unreadCounts"], json!({ "confab": 1 }));
    }
}
