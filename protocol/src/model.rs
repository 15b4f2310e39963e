//! Data shapes shared by WebSocket events and REST bodies.
//!
//! Timestamps are integers: milliseconds since the Unix epoch, UTC.

use crate::ids::{CommentId, ConversationId, FileId, MessageId, NotificationId, PostId, UserId};
use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch (UTC).
pub type Millis = i64;

/// A per-conversation message sequence number: 1 for the first message, then +1 per message,
/// with no gaps. Clients use it to detect and fetch what they missed.
pub type Seq = i64;

/// A user as other users see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
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
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// Exactly two members, created on the first message between them and reused after.
    Direct,
    /// A named conversation with any number of members.
    Group,
}

/// A conversation as seen by one of its members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct Conversation {
    /// The conversation's id.
    pub id: ConversationId,
    /// Direct or group.
    pub kind: ConversationKind,
    /// The group's name; `None` for direct conversations.
    pub title: Option<String>,
    /// Where the conversation comes from when a product aggregates several (`whatsapp`,
    /// `telegram`…); `None` for Confab's own (since protocol version 4).
    #[serde(default)]
    pub platform: Option<String>,
    /// What the group is about, if its creator said (since protocol version 4).
    #[serde(default)]
    pub description: Option<String>,
    /// Current members.
    pub members: Vec<User>,
    /// A group's owner (its creator): they add and remove members, name admins, and delete
    /// anyone's message. `null` for direct conversations (since protocol version 6).
    #[serde(default)]
    pub owner_id: Option<UserId>,
    /// The group's admins besides its owner: they may delete anyone's message (absent when none;
    /// since protocol version 6).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<Vec<UserId>>", optional))]
    pub admins: Vec<UserId>,
    /// The sequence number of the newest message (0 when empty).
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = i64))]
    pub last_seq: Seq,
    /// The newest message, if any.
    pub last_message: Option<Message>,
    /// Messages from others the viewing user has not read yet.
    pub unread: i64,
    /// How many of those mention the viewing user (absent when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<i64>", optional))]
    pub unread_mentions: i64,
    /// How far each member has received and read the conversation (for receipts).
    pub positions: Vec<MemberPosition>,
    /// When it was created.
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = i64))]
    pub created_at: Millis,
    /// Whether the viewing user muted it (absent when not, or when the mute has ended). Frames
    /// shared by all members (`conversation_updated`) never carry it: clients keep their own,
    /// told by `mute_changed` (since protocol version 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(optional))]
    pub muted: Option<Muted>,
}

/// A conversation its member muted: its direct messages ring no bell and pop up nothing, and
/// clients leave its unread count out of their totals. A mention of the member still rings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct Muted {
    /// When the mute ends by itself; `null` for "until I unmute".
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = Option<i64>))]
    pub until: Option<Millis>,
}

impl Muted {
    /// Whether the mute still holds at `now`.
    pub fn holds_at(&self, now: Millis) -> bool {
        self.until.is_none_or(|until| until > now)
    }
}

/// How far one member has received and read a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct MemberPosition {
    /// The member.
    pub user_id: UserId,
    /// Highest sequence number their client confirmed receiving.
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = i64))]
    pub delivered_seq: Seq,
    /// Highest sequence number they have read.
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = i64))]
    pub read_seq: Seq,
}

/// A chat message. Deleted messages stay as tombstones: `deleted` is true and `body` is empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct Message {
    /// The message's id.
    pub id: MessageId,
    /// The conversation it belongs to.
    pub conversation_id: ConversationId,
    /// Its position in the conversation.
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = i64))]
    pub seq: Seq,
    /// Who sent it.
    pub sender_id: UserId,
    /// The text (empty once deleted).
    pub body: String,
    /// When the server committed it.
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = i64))]
    pub created_at: Millis,
    /// When it was last edited, if ever.
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = Option<i64>))]
    pub edited_at: Option<Millis>,
    /// Whether it was deleted (a tombstone).
    pub deleted: bool,
    /// The pictures and files it carries, in the order sent (absent when none; a tombstone has
    /// none: deleting a message deletes its files; since protocol version 6).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(
        not(target_arch = "wasm32"),
        ts(as = "Option<Vec<Attachment>>", optional)
    )]
    pub attachments: Vec<Attachment>,
    /// Who deleted it, when that was not its sender: the group's owner or an admin, moderating
    /// (absent otherwise; since protocol version 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(optional))]
    pub deleted_by: Option<UserId>,
    /// The message it answers, as that message reads now. Absent when it answers none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(optional))]
    pub reply_to: Option<ReplyPreview>,
    /// The members it mentions (`@username`, recognised against the conversation's members
    /// when it was sent), in the order first mentioned; absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<Vec<UserId>>", optional))]
    pub mentions: Vec<UserId>,
    /// The emoji reactions, most used first (ties: the earliest first). Present in history
    /// and in answers that read the message (absent when it has none); `message_new`,
    /// `message_edited` and `message_deleted` do not carry them: `reactions_changed` does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(
        not(target_arch = "wasm32"),
        ts(as = "Option<Vec<ReactionCount>>", optional)
    )]
    pub reactions: Vec<ReactionCount>,
    /// Which of `reactions` the reading user added. Only in answers to that user (history),
    /// never in frames shared by every member.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<Vec<String>>", optional))]
    pub my_reactions: Vec<String>,
    /// The version of `reactions` (0 when it never had any): a client keeps the highest it
    /// has seen, from here or from `reactions_changed`.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<i64>", optional))]
    pub reactions_version: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// How many people reacted to a message with one emoji.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct ReactionCount {
    /// The emoji (one emoji, at most [`MAX_EMOJI_BYTES`] bytes of UTF-8).
    pub emoji: String,
    /// How many people reacted with it (at least 1).
    pub count: i64,
}

/// A message's reactions after a change: what `reactions_changed` and `reaction_saved` carry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct MessageReactions {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// The message.
    pub message_id: MessageId,
    /// Every emoji reacted with, most used first (empty: none left).
    pub counts: Vec<ReactionCount>,
    /// Grows with every change; a client keeps the highest version it has seen.
    pub version: i64,
}

/// Most people one message mentions (further `@names` are plain text).
pub const MAX_MENTIONS: usize = 20;

/// Where `body` names someone: each `@username` (3 to 32 of `a-z 0-9 _ - .`, any case, at the
/// start or after a character that is not part of a name; a trailing `.` or `-` ends the
/// sentence, not the name), as the byte range of the whole `@username` and the username in
/// lower case. Whether it is a mention depends on who is a member; see [`Message::mentions`].
pub fn mention_spans(body: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    let mut spans = Vec::new();
    let mut previous: Option<char> = None;
    for (at, c) in body.char_indices() {
        let starts = c == '@' && !previous.is_some_and(|p| name_char(p) || p == '@');
        previous = Some(c);
        if !starts {
            continue;
        }
        let rest = &body[at + 1..];
        let len = rest.find(|c: char| !name_char(c)).unwrap_or(rest.len());
        let name = rest[..len].trim_end_matches(['.', '-']);
        if (3..=32).contains(&name.len()) {
            spans.push((at..at + 1 + name.len(), name.to_ascii_lowercase()));
        }
    }
    spans
}

/// The distinct usernames `body` names, in order, at most [`MAX_MENTIONS`].
pub fn mentioned_usernames(body: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (_, name) in mention_spans(body) {
        if !names.contains(&name) && names.len() < MAX_MENTIONS {
            names.push(name);
        }
    }
    names
}

/// Most different emojis one message can carry.
pub const MAX_REACTION_EMOJIS: usize = 20;

/// The longest emoji accepted as a reaction, in bytes of UTF-8 (room for family and flag
/// sequences).
pub const MAX_EMOJI_BYTES: usize = 32;

/// Checks that `emoji` is one emoji as a reaction wants it: 1 to [`MAX_EMOJI_BYTES`] bytes, no
/// whitespace or control characters, no ASCII letters, and at least one character outside
/// ASCII (digits, `#` and `*` only as keycaps). The reason when it is not.
pub fn check_emoji(emoji: &str) -> Result<(), &'static str> {
    if emoji.is_empty() {
        return Err("emoji must not be empty");
    }
    if emoji.len() > MAX_EMOJI_BYTES {
        return Err("emoji is too long: one emoji, at most 32 bytes");
    }
    if emoji.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("emoji must not contain spaces or control characters");
    }
    if emoji
        .chars()
        .any(|c| c.is_ascii() && !matches!(c, '0'..='9' | '#' | '*'))
    {
        return Err("emoji must be an emoji, not text");
    }
    if emoji.is_ascii() {
        return Err("emoji must be an emoji, not text");
    }
    Ok(())
}

/// What a reply shows of the message it answers: who wrote it and its first line, as it reads
/// now (an edit shows; a deleted original says so and quotes nothing).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct ReplyPreview {
    /// The original's id.
    pub message_id: MessageId,
    /// Its place in the conversation (to jump to it).
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = i64))]
    pub seq: Seq,
    /// Who wrote it.
    pub sender_id: UserId,
    /// Its first line, at most [`REPLY_EXCERPT_CHARS`] characters (ending in `…` when cut);
    /// empty when it was deleted.
    pub excerpt: String,
    /// Whether it was deleted.
    pub deleted: bool,
}

/// The longest excerpt a reply quotes, in characters.
pub const REPLY_EXCERPT_CHARS: usize = 100;

impl ReplyPreview {
    /// The preview of `original` as it reads now.
    pub fn of(original: &Message) -> Self {
        Self {
            message_id: original.id,
            seq: original.seq,
            sender_id: original.sender_id,
            excerpt: if original.deleted {
                String::new()
            } else {
                excerpt(&original.preview())
            },
            deleted: original.deleted,
        }
    }
}

impl Message {
    /// What a preview of it says: its text, or, for files alone, `📎` and their names.
    pub fn preview(&self) -> String {
        preview_text(&self.body, &self.attachments)
    }
}

/// A message's text, or, for files alone, `📎` and their names (what previews, quotes and
/// notifications show).
pub fn preview_text(body: &str, attachments: &[Attachment]) -> String {
    if !body.is_empty() || attachments.is_empty() {
        return body.to_owned();
    }
    let names: Vec<&str> = attachments.iter().map(|a| a.name.as_str()).collect();
    format!("📎 {}", names.join(", "))
}

/// The first non-empty line of `body`, cut to [`REPLY_EXCERPT_CHARS`] characters.
pub fn excerpt(body: &str) -> String {
    let line = body
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    if line.chars().count() <= REPLY_EXCERPT_CHARS {
        return line.to_owned();
    }
    let cut: String = line.chars().take(REPLY_EXCERPT_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// An uploaded file: a picture (shown inline, with a thumbnail the server made) or any other
/// allowed file (a named download). Only members of its conversation can fetch it
/// (`GET /api/files/{id}`, and `/thumbnail`); anyone else gets `404` (since protocol version 6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct Attachment {
    /// The file's id.
    pub id: FileId,
    /// The conversation it was uploaded to.
    pub conversation_id: ConversationId,
    /// Its name as uploaded (at most 255 characters, no path).
    pub name: String,
    /// Its type, as read from its bytes (never from the name): e.g. `image/png`.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// For pictures: width and height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(optional))]
    pub width: Option<u32>,
    /// For pictures: height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(optional))]
    pub height: Option<u32>,
    /// Whether `GET /api/files/{id}/thumbnail` has a small version (pictures).
    pub thumbnail: bool,
}

/// Availability of a user, aggregated over all of their sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    /// At least one session is connected and active.
    Online,
    /// Connected, but every session is marked away.
    Away,
    /// Connected, and the user chose "busy / do not disturb" (for all of their sessions, until a
    /// session chooses another status): others see it; the user's notifications are kept but
    /// their clients do not pop them up (since protocol version 6).
    Busy,
    /// No session connected (after a short grace period for reconnects), or the user chose to
    /// appear offline.
    Offline,
}

/// A user's presence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct Presence {
    /// Whose presence this is.
    pub user_id: UserId,
    /// Their current status.
    pub status: PresenceStatus,
    /// Last-seen time: `null` while online or busy; while away, when they went away; while offline,
    /// when they were last connected (or chose to appear offline; `null` if never seen).
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = Option<i64>))]
    pub last_seen_at: Option<Millis>,
}

/// The two kinds of read receipts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKind {
    /// The recipient's client has received the messages.
    Delivered,
    /// The recipient has seen (read) the messages.
    Seen,
}

/// Unread messages in one conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct UnreadCount {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// Messages from others after the user's read position.
    pub unread: i64,
    /// The conversation's newest sequence number when counted: a `message_new` at or below it
    /// is already included in `unread`.
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = i64))]
    pub last_seq: Seq,
}

/// What a notification is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Someone added the user to a group (or created a group with them in it).
    AddedToConversation,
    /// Someone removed the user from a group.
    RemovedFromConversation,
    /// People liked the user's post. One entry per post: `actor` is the latest, `others` how
    /// many more ("Bob and 3 others liked your post"); an unlike updates or removes it.
    PostLiked,
    /// Someone commented on the user's post (`text`: the start of the comment).
    PostCommented,
    /// Someone started following the user.
    Followed,
    /// A direct message arrived while the user had no session viewing that conversation
    /// (`text`: the start of the message). Group messages are counted by unread badges instead.
    MessageReceived,
    /// A test notification the user sent themselves (`POST /api/notifications/test`).
    Test,
    /// The product's own notification (server API `POST /api/server/v1/notifications`):
    /// `text` says it, `link` is where it leads, `actor` who it is from.
    App,
    /// Someone mentioned the user (`@username`) in a message, even in a conversation they
    /// have not opened: `text` is the start of the message, `conversation_id`,
    /// `conversation_title` and `message_id` where it is.
    Mentioned,
    /// People reacted to the user's message. One entry per message, like `post_liked`:
    /// `actor` is the latest, `others` how many more people; `text` the start of the message,
    /// `conversation_id` and `message_id` where it is. Removing reactions updates or removes it.
    MessageReacted,
}

/// Which notifications a `notifications_read` marks read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum ReadNotifications {
    /// This notification and every older one ("mark all read" up to the newest seen).
    UpTo {
        /// The newest notification read.
        notification_id: NotificationId,
    },
    /// One notification (it was opened).
    One {
        /// The notification read.
        notification_id: NotificationId,
    },
    /// Those about one conversation (the user opened it).
    Conversation {
        /// The conversation.
        conversation_id: ConversationId,
    },
}

/// A notification for the bell: something that happened to the user while they may not have
/// been looking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
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
    /// The post concerned, if any.
    #[serde(default)]
    pub post_id: Option<PostId>,
    /// The message concerned (`message_reacted`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(optional))]
    pub message_id: Option<MessageId>,
    /// How many other people did the same (grouped likes); 0 otherwise.
    #[serde(default)]
    pub others: i64,
    /// A short excerpt (comment, message or test text), if any.
    #[serde(default)]
    pub text: Option<String>,
    /// Where it leads, for the product's own notifications (a URL, or a path of the app).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// When it happened (for grouped likes: the latest).
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = i64))]
    pub created_at: Millis,
    /// Whether the user has seen it.
    pub read: bool,
}

/// A post in a feed or on a profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct Post {
    /// The post's id.
    pub id: PostId,
    /// Who wrote it.
    pub author: User,
    /// The text (1 to the configured maximum of characters).
    pub body: String,
    /// When it was written.
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = i64))]
    pub created_at: Millis,
    /// Likes, exact.
    pub like_count: i64,
    /// Comments, exact.
    pub comment_count: i64,
    /// Whether the caller likes it.
    pub liked_by_me: bool,
}

/// A post's live counters. `version` grows with every change of either count, so a client (or
/// a server coalescing updates) keeps the highest version it has seen and never goes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct PostCounts {
    /// The post.
    pub post_id: PostId,
    /// Likes.
    pub like_count: i64,
    /// Comments.
    pub comment_count: i64,
    /// Changes so far.
    pub version: i64,
}

/// A comment on a post.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct Comment {
    /// The comment's id.
    pub id: CommentId,
    /// The post it is on.
    pub post_id: PostId,
    /// Who wrote it.
    pub author: User,
    /// The text.
    pub body: String,
    /// When it was written.
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = i64))]
    pub created_at: Millis,
}

/// A person's public profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct Profile {
    /// The user.
    pub user: User,
    /// People following them.
    pub follower_count: i64,
    /// People they follow.
    pub following_count: i64,
    /// Whether the caller follows them.
    pub followed_by_me: bool,
    /// Whether the caller blocked them (since protocol version 6).
    #[serde(default)]
    pub blocked_by_me: bool,
}

#[cfg(test)]
mod tests {
    use super::{check_emoji, mention_spans, mentioned_usernames};

    #[test]
    fn mentions_are_found_where_a_name_starts() {
        let body = "@Ann, ask @bob.smith. Not mail@example.com or @@x or @yo; @carol-";
        let spans = mention_spans(body);
        let names: Vec<&str> = spans.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, vec!["ann", "bob.smith", "carol"]);
        assert_eq!(&body[spans[0].0.clone()], "@Ann");
        assert_eq!(&body[spans[1].0.clone()], "@bob.smith");
        assert_eq!(&body[spans[2].0.clone()], "@carol");
        assert_eq!(mentioned_usernames("@ann @ANN @bob"), vec!["ann", "bob"]);
        let many: String = (0..30).map(|i| format!("@user{i} ")).collect();
        assert_eq!(mentioned_usernames(&many).len(), 20);
        assert!(mention_spans("héllo @élan @abc")
            .iter()
            .all(|(_, n)| n == "abc"));
    }

    #[test]
    fn emojis_are_accepted_and_text_is_not() {
        for ok in ["👍", "❤️", "🎉", "👩‍👩‍👧‍👦", "🇫🇷", "1️⃣", "#️⃣", "😂", "✅"]
        {
            assert_eq!(check_emoji(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "a",
            "ok",
            "1",
            "👍 ",
            " 👍",
            "👍a",
            "\u{0}",
            "👍\n",
            &"👍".repeat(9),
        ] {
            assert!(check_emoji(bad).is_err(), "{bad:?}");
        }
    }
}
