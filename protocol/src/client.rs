//! Events a client sends to the server over the WebSocket.

use crate::ids::{ConversationId, FileId, MessageId, PostId, UserId};
use crate::model::{PresenceStatus, ReceiptKind, Seq};
use serde::{Deserialize, Serialize};

/// One client→server frame: an optional correlation `id` plus the event.
///
/// ```json
/// {"type": "send_message", "id": "r1", "conversation_id": "…", "temp_id": "t1", "body": "hi"}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema, ts_rs::TS))]
pub struct ClientFrame {
    /// Optional request id (at most 64 bytes); echoed on the reply or error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The event.
    #[serde(flatten)]
    pub event: ClientEvent,
}

impl ClientFrame {
    /// A frame without a request id.
    pub fn new(event: ClientEvent) -> Self {
        Self { id: None, event }
    }

    /// A frame carrying a request id.
    pub fn with_id(id: impl Into<String>, event: ClientEvent) -> Self {
        Self {
            id: Some(id.into()),
            event,
        }
    }
}

/// Client→server events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema, ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientEvent {
    /// Authenticate with a token from `POST /api/auth/login` when the token was not given in the
    /// upgrade request. Must be the first event, within the authentication deadline (10 s).
    /// Reply: `authenticated`, or `error` `AUTH_FAILED` and close.
    Authenticate {
        /// The JWT.
        token: String,
    },
    /// Application-level heartbeat (for clients that cannot send WebSocket pings). Reply: `pong`.
    Ping,
    /// Start viewing a conversation live (the other viewers get `viewer_joined`, later
    /// `viewer_left`). Reply: `conversation_joined` with everyone viewing it. Errors:
    /// `NOT_A_MEMBER`.
    JoinConversation {
        /// The conversation to view.
        conversation_id: ConversationId,
    },
    /// Stop watching a conversation. Reply: `conversation_left`.
    LeaveConversation {
        /// The conversation to stop viewing.
        conversation_id: ConversationId,
    },
    /// Watch the presence of these users (the people the client is showing: its direct
    /// conversations, an open member list). Reply: `presence_snapshot` with their current
    /// presence; afterwards their changes arrive as `presence_changed`. Only users who share a
    /// conversation with the caller can be watched; others are left out of the snapshot.
    /// Subscriptions end with the connection and are bounded per connection (1000 by default;
    /// beyond it: `VALIDATION_FAILED`, nothing subscribed).
    SubscribePresence {
        /// The users to watch (at most 1000 per request).
        user_ids: Vec<UserId>,
    },
    /// Stop watching the presence of these users. No reply.
    UnsubscribePresence {
        /// The users to stop watching.
        user_ids: Vec<UserId>,
    },
    /// Watch the live counters (and new comments) of the posts the client shows. Answered by
    /// `posts_subscribed` with their current counts; unknown posts are left out. Subscriptions
    /// end with the connection and are bounded per connection (500 by default; beyond it:
    /// `VALIDATION_FAILED`, nothing subscribed).
    SubscribePosts {
        /// The posts to watch (at most 500 per request).
        post_ids: Vec<PostId>,
    },
    /// Stop watching these posts. No reply.
    UnsubscribePosts {
        /// The posts to stop watching.
        post_ids: Vec<PostId>,
    },
    /// Replace the session's token with a fresh one of the same user (after `token_expiring`,
    /// from `POST /api/auth/refresh`), so that the connection outlives the old token. Reply:
    /// `token_refreshed` with the new expiry. Errors: `AUTH_FAILED` (invalid, expired or revoked
    /// token; the session keeps its old one), `FORBIDDEN` (another user's token).
    RefreshToken {
        /// The fresh JWT.
        token: String,
    },
    /// Send a message to a conversation the user belongs to. Reply to the sender, once committed:
    /// `message_ack`; every session of every member (except the sending one) gets `message_new`.
    /// Re-sending the same `temp_id` in the same conversation returns the original message.
    SendMessage {
        /// Target conversation.
        conversation_id: ConversationId,
        /// Client-chosen id (at most 64 bytes), echoed in `message_ack`; deduplicates retries.
        temp_id: String,
        /// Text, 1 to the configured maximum of characters (4000 by default); may be empty when
        /// the message carries files.
        body: String,
        /// The message this one answers, in the same conversation (absent: none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(not(target_arch = "wasm32"), ts(optional))]
        reply_to: Option<MessageId>,
        /// Files to send with it (at most [`crate::MAX_ATTACHMENTS`]): your own uploads to this
        /// conversation (`POST /api/conversations/{id}/files`), not sent with another message
        /// (absent: none; since protocol version 6).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<Vec<FileId>>", optional))]
        attachments: Vec<FileId>,
    },
    /// Send a direct message to a user: the 1:1 conversation is created on first use and reused
    /// afterwards. Same replies as `send_message`.
    SendDirectMessage {
        /// The other user.
        recipient_id: UserId,
        /// Client-chosen id, as in `send_message`.
        temp_id: String,
        /// Text, as in `send_message`.
        body: String,
    },
    /// Replace the text of one of the user's own messages. Broadcast as `message_edited`.
    /// Errors: `FORBIDDEN` (not the sender), `NOT_FOUND`.
    EditMessage {
        /// The message.
        message_id: MessageId,
        /// The new text.
        body: String,
    },
    /// Delete one of the user's own messages, leaving a tombstone. Broadcast as
    /// `message_deleted`. Errors: `FORBIDDEN`, `NOT_FOUND`.
    DeleteMessage {
        /// The message.
        message_id: MessageId,
    },
    /// React to a message of one of the user's conversations with an emoji (once per emoji per
    /// person: adding it again changes nothing). Reply, once committed, to every session of the
    /// user: `reaction_saved`; everyone in the conversation gets `reactions_changed`. A message
    /// carries at most 20 different emojis. Errors: `VALIDATION_FAILED` (not one emoji, a 21st
    /// emoji, a deleted message), `NOT_FOUND` (no such message in the user's conversations).
    AddReaction {
        /// The message.
        message_id: MessageId,
        /// The emoji, e.g. `"👍"` (one emoji, at most 32 bytes).
        emoji: String,
    },
    /// Take back one of the user's reactions (removing one that is not there changes nothing).
    /// Same replies and errors as `add_reaction`.
    RemoveReaction {
        /// The message.
        message_id: MessageId,
        /// The emoji.
        emoji: String,
    },
    /// Confirm that this client received messages up to `up_to_seq`; the other members get a
    /// `receipt` of kind `delivered`.
    MarkDelivered {
        /// The conversation.
        conversation_id: ConversationId,
        /// Highest sequence number received.
        up_to_seq: Seq,
    },
    /// Mark messages read up to `up_to_seq`; the other members get a `receipt` of kind `seen`
    /// and every session of the user gets `unread_changed` with the exact counts.
    MarkRead {
        /// The conversation.
        conversation_id: ConversationId,
        /// Highest sequence number read.
        up_to_seq: Seq,
    },
    /// The user is typing. Send again every few seconds while typing continues; without a
    /// refresh the server stops it after 5 s.
    TypingStart {
        /// The conversation.
        conversation_id: ConversationId,
    },
    /// The user stopped typing.
    TypingStop {
        /// The conversation.
        conversation_id: ConversationId,
    },
    /// Set this session's availability: `online`, `away`; `busy` for "do not disturb", or
    /// `offline` to appear offline while staying connected (these two apply to all of the user's
    /// sessions until one sets `online`; while appearing offline watchers see `offline` with
    /// last-seen frozen at that moment).
    SetPresence {
        /// The new status.
        status: PresenceStatus,
    },
}

impl ClientEvent {
    /// The receipt a client sends for messages up to `up_to_seq`: `mark_delivered` for
    /// [`ReceiptKind::Delivered`], `mark_read` for [`ReceiptKind::Seen`].
    pub fn receipt(kind: ReceiptKind, conversation_id: ConversationId, up_to_seq: Seq) -> Self {
        match kind {
            ReceiptKind::Delivered => Self::MarkDelivered {
                conversation_id,
                up_to_seq,
            },
            ReceiptKind::Seen => Self::MarkRead {
                conversation_id,
                up_to_seq,
            },
        }
    }

    /// The event's `type` on the wire (`send_message`, …), without serializing it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Authenticate { .. } => "authenticate",
            Self::Ping => "ping",
            Self::JoinConversation { .. } => "join_conversation",
            Self::LeaveConversation { .. } => "leave_conversation",
            Self::SubscribePresence { .. } => "subscribe_presence",
            Self::UnsubscribePresence { .. } => "unsubscribe_presence",
            Self::SubscribePosts { .. } => "subscribe_posts",
            Self::UnsubscribePosts { .. } => "unsubscribe_posts",
            Self::SendMessage { .. } => "send_message",
            Self::SendDirectMessage { .. } => "send_direct_message",
            Self::EditMessage { .. } => "edit_message",
            Self::DeleteMessage { .. } => "delete_message",
            Self::AddReaction { .. } => "add_reaction",
            Self::RemoveReaction { .. } => "remove_reaction",
            Self::MarkDelivered { .. } => "mark_delivered",
            Self::MarkRead { .. } => "mark_read",
            Self::TypingStart { .. } => "typing_start",
            Self::TypingStop { .. } => "typing_stop",
            Self::SetPresence { .. } => "set_presence",
            Self::RefreshToken { .. } => "refresh_token",
        }
    }
}
