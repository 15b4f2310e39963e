//! Events the server sends to clients over the WebSocket.

use crate::error::ErrorCode;
use crate::ids::{CommentId, ConversationId, NotificationId, PostId, SessionId, UserId};
use crate::model::{
    Comment, Conversation, Message, MessageReactions, Millis, Muted, Notification, PostCounts,
    Presence, ReadNotifications, ReceiptKind, Seq, UnreadCount, User,
};
use serde::{Deserialize, Serialize};

/// One server→client frame: the event plus, on replies and errors, the `id` of the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema, ts_rs::TS))]
pub struct ServerFrame {
    /// The request id this frame answers, if the request carried one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The event.
    #[serde(flatten)]
    pub event: ServerEvent,
}

impl ServerFrame {
    /// A frame that answers no particular request (a broadcast).
    pub fn new(event: ServerEvent) -> Self {
        Self { id: None, event }
    }

    /// A frame answering the request with the given id.
    pub fn reply(id: Option<String>, event: ServerEvent) -> Self {
        Self { id, event }
    }
}

/// Server→client events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema, ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    /// The session is authenticated. Followed by `unread_snapshot`.
    Authenticated {
        /// The signed-in user.
        user: User,
        /// This session's id.
        session_id: SessionId,
        /// The server clock, for skew correction.
        server_time: Millis,
        /// [`crate::PROTOCOL_VERSION`] of the server.
        protocol_version: u32,
        /// The longest message body this server takes, in characters (Unicode scalar values),
        /// so that a client can show the limit instead of having a send refused.
        max_message_chars: u32,
    },
    /// Reply to `subscribe_presence`: the current presence of each watched user (with
    /// last-seen). Users the caller may not watch are left out.
    PresenceSnapshot {
        /// One entry per watched user.
        users: Vec<Presence>,
    },
    /// Unread counts of every conversation of the user, sent after authentication. From here a
    /// client keeps the counts itself: a `message_new` from someone else with a `seq` above the
    /// conversation's known `last_seq` adds one (unless the client is reading it), a
    /// `message_deleted` of someone else's message above the user's read position removes one,
    /// and `unread_changed` (after a read on any device) sets the exact values.
    UnreadSnapshot {
        /// Conversations with their unread counts and newest sequence numbers.
        conversations: Vec<UnreadCount>,
        /// Sum over all conversations.
        total: i64,
        /// Unread notifications (the bell's badge).
        notifications: i64,
    },
    /// Reply to `ping`.
    Pong {
        /// The server clock.
        server_time: Millis,
    },
    /// Reply to `join_conversation`: the session now views the conversation.
    ConversationJoined {
        /// The conversation.
        conversation_id: ConversationId,
        /// Users currently viewing it (including the caller), sorted, when they are at most
        /// [`crate::MAX_LISTED_VIEWERS`]; empty when more view it (see `viewer_count`).
        viewers: Vec<UserId>,
        /// How many users view it now (including the caller).
        viewer_count: u32,
    },
    /// Reply to `leave_conversation`.
    ConversationLeft {
        /// The conversation.
        conversation_id: ConversationId,
    },
    /// Another user started viewing a conversation this session views (their first session
    /// to view it), while at most [`crate::MAX_LISTED_VIEWERS`] users view it.
    ViewerJoined {
        /// The conversation.
        conversation_id: ConversationId,
        /// Who started viewing.
        user_id: UserId,
    },
    /// A user stopped viewing a conversation this session views (left, or their last session
    /// viewing it closed), when at most [`crate::MAX_LISTED_VIEWERS`] users viewed it.
    ViewerLeft {
        /// The conversation.
        conversation_id: ConversationId,
        /// Who stopped viewing.
        user_id: UserId,
    },
    /// Who views a conversation this session views changed, in a conversation viewed by more
    /// than [`crate::MAX_LISTED_VIEWERS`] users (or just back to that many): instead of a
    /// `viewer_joined`/`viewer_left` per change, at most one of these a second, with the count
    /// at the time it is sent.
    ViewersChanged {
        /// The conversation.
        conversation_id: ConversationId,
        /// How many users view it.
        count: u32,
        /// Who, sorted, when they are at most [`crate::MAX_LISTED_VIEWERS`]; else empty.
        viewers: Vec<UserId>,
    },
    /// Reply to `send_message`/`send_direct_message`, sent only after the message is committed.
    MessageAck {
        /// The `temp_id` the client chose.
        temp_id: String,
        /// The stored message with its id and sequence number.
        message: Message,
    },
    /// A new message in one of the user's conversations (one frame shared by every session of
    /// every member, except the session that sent it). Clients count unread from it: see
    /// `unread_snapshot`.
    MessageNew {
        /// The message.
        message: Message,
    },
    /// A message was edited.
    MessageEdited {
        /// The message with its new body and `edited_at`.
        message: Message,
    },
    /// A message was deleted; the tombstone keeps its id and sequence number.
    MessageDeleted {
        /// The tombstone.
        message: Message,
    },
    /// A message's reactions changed (one frame shared by every session of every member).
    /// Under a burst these are coalesced to at most 10 per second per message, always ending
    /// on the exact final counts; keep the highest `version`.
    ReactionsChanged {
        /// The message's reactions now.
        reactions: MessageReactions,
    },
    /// Reply to `add_reaction`/`remove_reaction`, once committed, sent to every session of
    /// the user who reacted (so each of their devices knows which reactions are theirs).
    ReactionSaved {
        /// The emoji.
        emoji: String,
        /// Whether the user now has this reaction on the message.
        reacted: bool,
        /// The message's reactions after the change (versioned like `reactions_changed`).
        reactions: MessageReactions,
    },
    /// Another member received or read messages up to a sequence number.
    Receipt {
        /// The conversation.
        conversation_id: ConversationId,
        /// The member who received or read.
        user_id: UserId,
        /// Delivered or seen.
        kind: ReceiptKind,
        /// Messages up to and including this sequence number.
        up_to_seq: Seq,
    },
    /// The user read a conversation (on any device): its exact unread count, sent to all of the
    /// user's sessions. The total is the sum of the conversations' counts, which the client
    /// keeps (since protocol version 3 it is not sent: computing it costs all of the reader's
    /// conversations).
    UnreadChanged {
        /// The conversation whose count changed.
        conversation_id: ConversationId,
        /// Its new unread count.
        unread: i64,
        /// The user's read position in the conversation now.
        read_seq: Seq,
    },
    /// A member started typing.
    TypingStarted {
        /// The conversation.
        conversation_id: ConversationId,
        /// Who is typing.
        user_id: UserId,
        /// Their display name (since protocol version 3), so that a client can name a typist
        /// it has not loaded.
        display_name: String,
    },
    /// A member stopped typing (explicitly, by timeout, by sending, or by disconnecting).
    TypingStopped {
        /// The conversation.
        conversation_id: ConversationId,
        /// Who stopped.
        user_id: UserId,
    },
    /// Watched users' presence changed (and, for the user's own sessions, the user's own).
    /// Changes that happen together arrive together, one entry per user.
    PresenceChanged {
        /// The new presence of each user that changed.
        users: Vec<Presence>,
    },
    /// A conversation the user belongs to was created or its membership changed. One frame is
    /// shared by all members, so its `unread` is 0: clients keep their own count (a
    /// conversation new to the recipient has nothing unread).
    ConversationUpdated {
        /// The conversation.
        // Boxed: by far the biggest event, it would otherwise size every other.
        conversation: Box<Conversation>,
    },
    /// The user was removed from a conversation (or left it).
    ConversationRemoved {
        /// The conversation.
        conversation_id: ConversationId,
    },
    /// The user blocked or unblocked someone (on any device; to all of their sessions): while
    /// blocked, clients hide that person's presence and typing and collapse their messages
    /// (since protocol version 6).
    BlocksChanged {
        /// Who was blocked or unblocked.
        user_id: UserId,
        /// Whether they are blocked now.
        blocked: bool,
    },
    /// The user muted or unmuted a conversation (on any device; to all of their sessions)
    /// (since protocol version 7).
    MuteChanged {
        /// The conversation.
        conversation_id: ConversationId,
        /// The mute now; `null` when unmuted.
        muted: Option<Muted>,
    },
    /// A new notification for the user (to all of their sessions).
    NotificationNew {
        /// The notification.
        notification: Notification,
        /// The user's unread notifications, this one included.
        unread_notifications: i64,
    },
    /// The user read notifications (on any device): which ones, and the bell's new count.
    NotificationsRead {
        /// Which notifications are read now.
        read: ReadNotifications,
        /// Unread notifications left.
        unread_notifications: i64,
    },
    /// A notification went away (the only like it grouped was taken back).
    NotificationRemoved {
        /// The notification.
        notification_id: NotificationId,
        /// The bell's new count.
        unread_notifications: i64,
    },
    /// Events for you may have been missed (this server lost its link to the other instances
    /// for a while): fetch what changed, as after a reconnect (the conversation list with its
    /// unread counts, messages after the last `seq` you have, the bell, presence).
    Resync,
    /// The session's token expires soon (sent once per token, `--token-warning-secs` before):
    /// send `refresh_token` with a fresh one, or the server closes the connection at
    /// `expires_at` with `TOKEN_EXPIRED` (close code 4010).
    TokenExpiring {
        /// When the token expires (milliseconds since the Unix epoch).
        expires_at: Millis,
    },
    /// An event the product's backend published (server API `POST /api/server/v1/events`) to
    /// this user or a conversation they are in; Confab does not interpret it. Socket.IO clients
    /// get it as the event `name` itself, with `data` as its argument.
    CustomEvent {
        /// The product's name for it (`job_application_update`…).
        name: String,
        /// Its payload, as the product sent it.
        data: serde_json::Value,
    },
    /// Reply to `refresh_token`: the session now runs on the fresh token.
    TokenRefreshed {
        /// When the fresh token expires (milliseconds since the Unix epoch).
        expires_at: Millis,
    },
    /// Reply to `subscribe_posts`: the current counters of each watched post.
    PostsSubscribed {
        /// One entry per known post.
        posts: Vec<PostCounts>,
    },
    /// A watched post's counters changed. Under a burst these are coalesced to at most 10 per
    /// second per post, always ending on the exact final value; keep the highest `version`.
    PostCountsChanged {
        /// The new counters.
        counts: PostCounts,
    },
    /// A comment on a watched post.
    CommentNew {
        /// The comment.
        comment: Comment,
        /// The post's counts with this comment (versioned like `post_counts_changed`: a
        /// client keeps the highest version it has seen).
        counts: PostCounts,
    },
    /// A comment on a watched post was deleted.
    CommentDeleted {
        /// The post.
        post_id: PostId,
        /// The comment.
        comment_id: CommentId,
    },
    /// A watched post was deleted.
    PostDeleted {
        /// The post.
        post_id: PostId,
    },
    /// A request failed, or the session is about to be closed.
    Error {
        /// The stable code.
        code: ErrorCode,
        /// A human-readable explanation.
        message: String,
    },
}

impl ServerEvent {
    /// An error event.
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Error {
            code,
            message: message.into(),
        }
    }
}
