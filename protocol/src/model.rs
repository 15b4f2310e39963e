//! Data shapes shared by WebSocket events and REST bodies.
//!
//! Timestamps are integers: milliseconds since the Unix epoch, UTC.

use crate::ids::{ConversationId, MessageId, NotificationId, UserId};
use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch (UTC).
pub type Millis = i64;

/// A per-conversation message sequence number: 1 for the first message, then +1 per message,
/// with no gaps. Clients use it to detect and fetch what they missed.
pub type Seq = i64;

/// A user as other users see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The user's id.
    pub id: UserId,
    /// Unique login name (3–32 characters: letters, digits, `_`, `-`, `.`).
    pub username: String,
    /// The name shown in the UI.
    pub display_name: String,
}

/// Whether a conversation is a 1:1 direct conversation or a named group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// Exactly two members, created on the first message between them and reused after.
    Direct,
    /// A named conversation with any number of members.
    Group,
}

/// A conversation as seen by one of its members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// The conversation's id.
    pub id: ConversationId,
    /// Direct or group.
    pub kind: ConversationKind,
    /// The group's name; `None` for direct conversations.
    pub title: Option<String>,
    /// Current members.
    pub members: Vec<User>,
    /// The sequence number of the newest message (0 when empty).
    pub last_seq: Seq,
    /// The newest message, if any.
    pub last_message: Option<Message>,
    /// Messages from others the viewing user has not read yet.
    pub unread: i64,
    /// How far each member has received and read the conversation (for receipts).
    pub positions: Vec<MemberPosition>,
    /// When it was created.
    pub created_at: Millis,
}

/// How far one member has received and read a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberPosition {
    /// The member.
    pub user_id: UserId,
    /// Highest sequence number their client confirmed receiving.
    pub delivered_seq: Seq,
    /// Highest sequence number they have read.
    pub read_seq: Seq,
}

/// A chat message. Deleted messages stay as tombstones: `deleted` is true and `body` is empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The message's id.
    pub id: MessageId,
    /// The conversation it belongs to.
    pub conversation_id: ConversationId,
    /// Its position in the conversation.
    pub seq: Seq,
    /// Who sent it.
    pub sender_id: UserId,
    /// The text (empty once deleted).
    pub body: String,
    /// When the server committed it.
    pub created_at: Millis,
    /// When it was last edited, if ever.
    pub edited_at: Option<Millis>,
    /// Whether it was deleted (a tombstone).
    pub deleted: bool,
}

/// Availability of a user, aggregated over all of their sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    /// At least one session is connected and active.
    Online,
    /// Connected, but every session is marked away.
    Away,
    /// No session connected (after a short grace period for reconnects), or the user chose to
    /// appear offline.
    Offline,
}

/// A user's presence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// Whose presence this is.
    pub user_id: UserId,
    /// Their current status.
    pub status: PresenceStatus,
    /// Last-seen time: `null` while online; while away, when they went away; while offline,
    /// when they were last connected (or chose to appear offline; `null` if never seen).
    pub last_seen_at: Option<Millis>,
}

/// The two kinds of read receipts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKind {
    /// The recipient's client has received the messages.
    Delivered,
    /// The recipient has seen (read) the messages.
    Seen,
}

/// Unread messages in one conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadCount {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// Messages from others after the user's read position.
    pub unread: i64,
    /// The conversation's newest sequence number when counted: a `message_new` at or below it
    /// is already included in `unread`.
    pub last_seq: Seq,
}

/// What a notification is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Someone added the user to a group (or created a group with them in it).
    AddedToConversation,
    /// Someone removed the user from a group.
    RemovedFromConversation,
}

/// A notification for the bell: something that happened to the user while they may not have
/// been looking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The notification's id.
    pub id: NotificationId,
    /// What happened.
    pub kind: NotificationKind,
    /// Who did it.
    pub actor: User,
    /// The conversation concerned, if any.
    pub conversation_id: Option<ConversationId>,
    /// The conversation's title at the time, if it has one.
    pub conversation_title: Option<String>,
    /// When it happened.
    pub created_at: Millis,
    /// Whether the user has seen it.
    pub read: bool,
}
