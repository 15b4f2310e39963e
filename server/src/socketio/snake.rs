//! The snake_case vocabulary of Flask-SocketIO apps: the token in the handshake's `auth`,
//! `connected`, `ping`/`pong`, `join_conversation`, `typing`, `new_message`, `user_status`,
//! `notification`, `like_update`, `comment_update`. Payloads are objects with snake_case keys;
//! ids are Confab's UUIDs and times RFC 3339 strings.

use super::events::{arg, custom, error_json, iso, token_arg, unknown, Emit, Inbound};
use super::memory::Memory;
use crate::error::AppError;
use crate::store::now_ms;
use protocol::{
    ClientEvent, ConversationId, Message, MessageId, Notification, NotificationKind, PostId,
    PresenceStatus, ReceiptKind, Seq, ServerEvent, UserId,
};
use serde::Deserialize;
use serde_json::{json, Value};

/// This vocabulary as errors name it.
const SPOKEN: &str = "snake_case (token in the handshake)";

/// `join_conversation`, `leave_conversation`.
#[derive(Deserialize)]
struct Room {
    conversation_id: ConversationId,
}

/// `typing`.
#[derive(Deserialize)]
struct Typing {
    conversation_id: ConversationId,
    is_typing: bool,
}

/// `send_message`.
#[derive(Deserialize)]
struct Send {
    conversation_id: ConversationId,
    content: String,
    /// The client's id for the message, echoed in the acknowledgement (optional).
    temp_id: Option<String>,
}

/// `edit_message`.
#[derive(Deserialize)]
struct Edit {
    message_id: MessageId,
    content: String,
}

/// `delete_message`.
#[derive(Deserialize)]
struct Delete {
    message_id: MessageId,
}

/// `mark_delivered`, `mark_read`.
#[derive(Deserialize)]
struct Mark {
    conversation_id: ConversationId,
    up_to_seq: Seq,
}

/// `subscribe_posts`, `unsubscribe_posts`.
#[derive(Deserialize)]
struct Posts {
    post_ids: Vec<PostId>,
}

/// `set_status`.
#[derive(Deserialize)]
struct Status {
    status: PresenceStatus,
}

/// The Confab request behind a snake_case event.
pub fn parse(event: &str, value: Value) -> Result<Inbound, AppError> {
    Ok(Inbound::Event(match event {
        "ping" => ClientEvent::Ping,
        "refresh_token" => ClientEvent::RefreshToken {
            token: token_arg(event, value)?,
        },
        "join_conversation" => ClientEvent::JoinConversation {
            conversation_id: arg::<Room>(event, value, "{conversation_id}")?.conversation_id,
        },
        "leave_conversation" => ClientEvent::LeaveConversation {
            conversation_id: arg::<Room>(event, value, "{conversation_id}")?.conversation_id,
        },
        "get_online_users" => {
            let room: Room = arg(event, value, "{conversation_id}")?;
            return Ok(Inbound::OnlineUsers(room.conversation_id));
        }
        "typing" => {
            let typing: Typing = arg(event, value, "{conversation_id, is_typing}")?;
            let conversation_id = typing.conversation_id;
            if typing.is_typing {
                ClientEvent::TypingStart { conversation_id }
            } else {
                ClientEvent::TypingStop { conversation_id }
            }
        }
        "send_message" => {
            let send: Send = arg(event, value, "{conversation_id, content, temp_id?}")?;
            ClientEvent::SendMessage {
                conversation_id: send.conversation_id,
                // Sends are idempotent per temp_id: without one, each send is new.
                temp_id: send
                    .temp_id
                    .unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
                body: send.content,
                reply_to: None,
                attachments: Vec::new(),
            }
        }
        "edit_message" => {
            let edit: Edit = arg(event, value, "{message_id, content}")?;
            ClientEvent::EditMessage {
                message_id: edit.message_id,
                body: edit.content,
            }
        }
        "delete_message" => ClientEvent::DeleteMessage {
            message_id: arg::<Delete>(event, value, "{message_id}")?.message_id,
        },
        "mark_delivered" | "mark_read" => {
            let mark: Mark = arg(event, value, "{conversation_id, up_to_seq}")?;
            let kind = if event == "mark_read" {
                ReceiptKind::Seen
            } else {
                ReceiptKind::Delivered
            };
            ClientEvent::receipt(kind, mark.conversation_id, mark.up_to_seq)
        }
        "subscribe_posts" => ClientEvent::SubscribePosts {
            post_ids: arg::<Posts>(event, value, "{post_ids}")?.post_ids,
        },
        "unsubscribe_posts" => ClientEvent::UnsubscribePosts {
            post_ids: arg::<Posts>(event, value, "{post_ids}")?.post_ids,
        },
        "set_status" => ClientEvent::SetPresence {
            status: arg::<Status>(event, value, "{status}")?.status,
        },
        _ => return Err(unknown(event, SPOKEN)),
    }))
}

/// The snake_case events for a Confab event.
pub fn render(event: &ServerEvent, memory: &mut Memory) -> Vec<Emit> {
    use ServerEvent as E;
    let one = |name, value| vec![Emit::one(name, value)];
    match event {
        E::Pong { server_time } => one("pong", json!({ "timestamp": iso(*server_time) })),
        E::ConversationJoined {
            conversation_id,
            viewers,
            viewer_count,
        } => one(
            "conversation_joined",
            json!({
                "conversation_id": conversation_id,
                "viewers": viewers,
                "viewer_count": viewer_count,
            }),
        ),
        E::ConversationLeft { conversation_id } => one(
            "conversation_left",
            json!({ "conversation_id": conversation_id }),
        ),
        E::MessageAck { temp_id, message } => one(
            "message_sent",
            json!({ "temp_id": temp_id, "message": message_json(message) }),
        ),
        E::MessageNew { message } => one("new_message", message_json(message)),
        E::MessageEdited { message } => one("message_edited", message_json(message)),
        E::MessageDeleted { message } => one(
            "message_deleted",
            json!({ "conversation_id": message.conversation_id, "message_id": message.id }),
        ),
        E::Receipt {
            conversation_id,
            user_id,
            kind,
            up_to_seq,
        } => one(
            "receipt",
            json!({
                "conversation_id": conversation_id,
                "user_id": user_id,
                "type": kind,
                "up_to_seq": up_to_seq,
            }),
        ),
        E::TypingStarted {
            conversation_id,
            user_id,
            display_name,
        } => {
            // Remembered for the stop, which does not carry it.
            memory.name(*user_id, display_name);
            one(
                "typing",
                typing_json(memory, *conversation_id, *user_id, true),
            )
        }
        E::TypingStopped {
            conversation_id,
            user_id,
        } => one(
            "typing",
            typing_json(memory, *conversation_id, *user_id, false),
        ),
        E::PresenceChanged { users } => users
            .iter()
            .map(|p| {
                Emit::one(
                    "user_status",
                    json!({
                        "user_id": p.user_id,
                        "status": p.status,
                        "last_seen_at": p.last_seen_at.map(iso),
                        "timestamp": iso(now_ms()),
                    }),
                )
            })
            .collect(),
        E::UnreadChanged {
            conversation_id,
            unread,
            ..
        } => one(
            "unread_update",
            json!({ "conversation_id": conversation_id, "unread": unread }),
        ),
        E::NotificationNew {
            notification,
            unread_notifications,
        } => one(
            "notification",
            notification_json(notification, *unread_notifications),
        ),
        E::PostsSubscribed { posts } => {
            for counts in posts {
                memory.counts(counts);
            }
            one("posts_subscribed", json!({ "posts": posts }))
        }
        E::PostCountsChanged { counts } => {
            let before = memory.counts(counts);
            let at = iso(now_ms());
            let mut emits = Vec::new();
            if before
                .as_ref()
                .is_none_or(|b| b.like_count != counts.like_count)
            {
                emits.push(Emit::one(
                    "like_update",
                    json!({ "post_id": counts.post_id, "like_count": counts.like_count, "timestamp": at }),
                ));
            }
            if before
                .as_ref()
                .is_none_or(|b| b.comment_count != counts.comment_count)
            {
                emits.push(Emit::one(
                    "comment_update",
                    json!({ "post_id": counts.post_id, "comment_count": counts.comment_count, "timestamp": at }),
                ));
            }
            emits
        }
        E::CommentNew { comment, counts } => {
            // The counts with this comment: the coalesced counts that follow then change
            // nothing, and say nothing (one `comment_update` per comment, with its count).
            memory.counts(counts);
            let count = memory.comment_count(comment.post_id);
            one(
                "comment_update",
                json!({
                    "post_id": comment.post_id,
                    "comment_count": count,
                    "comment": {
                        "id": comment.id,
                        "content": comment.body,
                        "user_id": comment.author.id,
                        "user_name": comment.author.display_name,
                    },
                    "timestamp": iso(comment.created_at),
                }),
            )
        }
        E::PostDeleted { post_id } => one("post_deleted", json!({ "post_id": post_id })),
        E::ConversationUpdated { conversation } => {
            for member in &conversation.members {
                memory.name(member.id, &member.display_name);
            }
            one(
                "conversation_updated",
                json!({ "conversation_id": conversation.id }),
            )
        }
        E::ConversationRemoved { conversation_id } => one(
            "conversation_removed",
            json!({ "conversation_id": conversation_id }),
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
        | E::NotificationsRead { .. }
        | E::NotificationRemoved { .. }
        | E::ReactionsChanged { .. }
        | E::ReactionSaved { .. }
        | E::BlocksChanged { .. }
        | E::MuteChanged { .. }
        | E::CommentDeleted { .. } => Vec::new(),
        E::CustomEvent { name, data } => custom(name, data),
        E::TokenExpiring { expires_at } => token_event("token_expiring", *expires_at),
        E::TokenRefreshed { expires_at } => token_event("token_refreshed", *expires_at),
    }
}

/// `token_expiring` / `token_refreshed {expires_at}` (both Flask-SocketIO vocabularies').
pub fn token_event(name: &'static str, expires_at: protocol::Millis) -> Vec<Emit> {
    vec![Emit::one(name, json!({ "expires_at": iso(expires_at) }))]
}

/// A message as `new_message` carries it.
fn message_json(message: &Message) -> Value {
    json!({
        "conversation_id": message.conversation_id,
        "message_id": message.id,
        "sender_id": message.sender_id,
        "content": message.body,
        "seq": message.seq,
        "timestamp": iso(message.created_at),
        "edited_at": message.edited_at.map(iso),
        "deleted": message.deleted,
    })
}

fn typing_json(memory: &Memory, conversation: ConversationId, user: UserId, on: bool) -> Value {
    json!({
        "conversation_id": conversation,
        "user_id": user,
        "user_name": memory.name_of(user),
        "is_typing": on,
    })
}

/// A notification's `type` in this vocabulary's words (`like`, `comment`, `follow`,
/// `message`); the kinds it has no word for keep Confab's names.
fn notification_type(kind: NotificationKind) -> Value {
    match kind {
        NotificationKind::PostLiked => json!("like"),
        NotificationKind::PostCommented => json!("comment"),
        NotificationKind::Followed => json!("follow"),
        NotificationKind::MessageReceived => json!("message"),
        other => json!(other),
    }
}

fn notification_json(n: &Notification, unread: i64) -> Value {
    json!({
        "id": n.id,
        "type": notification_type(n.kind),
        "user_id": n.actor.id,
        "user_name": n.actor.display_name,
        "conversation_id": n.conversation_id,
        "post_id": n.post_id,
        "message": n.text,
        "timestamp": iso(n.created_at),
        "unread_count": unread,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::PostCounts;

    #[test]
    fn typing_is_one_event_with_a_flag() {
        let conversation = ConversationId::new();
        let value = json!({ "conversation_id": conversation, "is_typing": false });
        assert_eq!(
            parse("typing", value).unwrap(),
            Inbound::Event(ClientEvent::TypingStop {
                conversation_id: conversation
            })
        );
        let mut memory = Memory::default();
        let user = UserId::new();
        let emits = render(
            &ServerEvent::TypingStarted {
                conversation_id: conversation,
                user_id: user,
                display_name: "Bob".into(),
            },
            &mut memory,
        );
        assert_eq!(emits[0].args[0]["user_name"], "Bob");
        assert_eq!(emits[0].args[0]["is_typing"], true);
        let stop = render(
            &ServerEvent::TypingStopped {
                conversation_id: conversation,
                user_id: user,
            },
            &mut memory,
        );
        assert_eq!(stop[0].args[0]["user_name"], "Bob");
        assert_eq!(stop[0].args[0]["is_typing"], false);
    }

    #[test]
    fn counters_become_like_and_comment_updates_only_when_they_change() {
        let mut memory = Memory::default();
        let post = PostId::new();
        let counts = |likes, comments, version| ServerEvent::PostCountsChanged {
            counts: PostCounts {
                post_id: post,
                like_count: likes,
                comment_count: comments,
                version,
            },
        };
        let names = |emits: Vec<Emit>| emits.iter().map(|e| e.event.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(render(&counts(1, 0, 1), &mut memory)),
            ["like_update", "comment_update"]
        );
        assert_eq!(
            names(render(&counts(2, 0, 2), &mut memory)),
            ["like_update"]
        );
        assert_eq!(
            names(render(&counts(2, 1, 3), &mut memory)),
            ["comment_update"]
        );
        // A stale version says nothing.
        assert!(render(&counts(1, 0, 1), &mut memory).is_empty());
    }

    #[test]
    fn a_comment_is_one_comment_update_with_its_count() {
        let mut memory = Memory::default();
        let post = PostId::new();
        let counts = |comments, version| PostCounts {
            post_id: post,
            like_count: 4,
            comment_count: comments,
            version,
        };
        let author = protocol::User {
            id: UserId::new(),
            username: "bob".into(),
            display_name: "Bob".into(),
        };
        let comment = protocol::Comment {
            id: protocol::CommentId::new(),
            post_id: post,
            author,
            body: "Great post!".into(),
            created_at: 0,
        };
        let emits = render(
            &ServerEvent::CommentNew {
                comment,
                counts: counts(1, 2),
            },
            &mut memory,
        );
        assert_eq!(emits.len(), 1);
        assert_eq!(emits[0].event, "comment_update");
        assert_eq!(emits[0].args[0]["comment_count"], 1);
        assert_eq!(emits[0].args[0]["comment"]["content"], "Great post!");
        // The coalesced counts that follow say nothing new.
        let after = ServerEvent::PostCountsChanged {
            counts: counts(1, 2),
        };
        assert!(render(&after, &mut memory).is_empty());
    }

    #[test]
    fn unknown_events_and_malformed_payloads_are_refused() {
        assert!(parse("join-room", json!("x")).is_err());
        let wrong = json!({ "conversation": ConversationId::new() });
        assert_eq!(
            parse("join_conversation", wrong).unwrap_err().code(),
            protocol::ErrorCode::InvalidPayload
        );
    }

    #[test]
    fn a_send_without_temp_id_gets_a_fresh_one() {
        let send = json!({ "conversation_id": ConversationId::new(), "content": "hi" });
        let temp = |inbound| match inbound {
            Inbound::Event(ClientEvent::SendMessage { temp_id, .. }) => temp_id,
            other => panic!("not a send: {other:?}"),
        };
        let a = temp(parse("send_message", send.clone()).unwrap());
        let b = temp(parse("send_message", send).unwrap());
        assert!(!a.is_empty() && a != b);
    }
}
