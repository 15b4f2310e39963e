//! Request and response bodies of the REST API (all JSON). Errors use [`crate::ErrorBody`].

use crate::ids::{ConversationId, MessageId, NotificationId, UserId};
use crate::model::{Message, MessageReactions, Millis, Muted, Notification, PostCounts, User};
use serde::{Deserialize, Serialize};

/// `POST /api/auth/register`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct RegisterRequest {
    /// 3–32 characters: letters, digits, `_`, `-`, `.`.
    pub username: String,
    /// 8–128 characters.
    pub password: String,
    /// Optional display name (defaults to the username), at most 64 characters.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Optional email address (unique; told back to the user only, e.g. by the Socket.IO
    /// gateway's `authenticated {userId, email}`).
    #[serde(default)]
    pub email: Option<String>,
}

/// `POST /api/auth/login`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct LoginRequest {
    /// The username.
    pub username: String,
    /// The password.
    pub password: String,
}

/// Reply to register and login. The token is also set as an httpOnly cookie for browsers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct AuthResponse {
    /// The signed-in user.
    pub user: User,
    /// A JWT for `Authorization: Bearer` and the WebSocket.
    pub token: String,
    /// When the token expires.
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = i64))]
    pub expires_at: Millis,
}

/// `GET /api/auth/session`: who the request's credentials belong to, if anyone. Always 200, so
/// a browser can ask without logging an error when nobody is signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct SessionInfo {
    /// The signed-in user, or `None`.
    pub user: Option<User>,
}

/// `POST /api/conversations`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CreateConversationRequest {
    /// Get or create the 1:1 conversation with a user.
    Direct {
        /// The other user.
        user_id: UserId,
    },
    /// Create a group; the caller becomes its owner and a member.
    Group {
        /// 1–64 characters.
        title: String,
        /// Other initial members.
        #[serde(default)]
        member_ids: Vec<UserId>,
        /// Where the conversation comes from when a product aggregates several (`whatsapp`,
        /// `telegram`…): 1–32 of `a-z 0-9 _ -`. Absent for Confab's own.
        #[serde(default)]
        platform: Option<String>,
        /// What the group is about: at most 500 characters.
        #[serde(default)]
        description: Option<String>,
    },
}

/// `POST /api/conversations/{id}/members`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct AddMemberRequest {
    /// The user to add.
    pub user_id: UserId,
}

/// `GET /api/conversations/{id}/messages?before=SEQ&after=SEQ&limit=N`: a page of messages in
/// ascending sequence order. With `before`, the newest messages older than it; with `after`, the
/// oldest messages newer than it; with neither, the newest messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct MessagePage {
    /// The messages, oldest first.
    pub messages: Vec<Message>,
    /// Whether more messages exist beyond this page in the direction requested.
    pub has_more: bool,
}

/// `GET /api/search?q=…`: messages of your conversations that contain every word of `q` (the
/// last one as a prefix), newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct SearchPage {
    /// The matching messages, newest first (each names its conversation and `seq`, to open it
    /// there).
    pub messages: Vec<Message>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(optional))]
    pub next: Option<String>,
}

/// `PUT /api/conversations/{id}/mute`: mute a conversation for the caller.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct MuteRequest {
    /// When the mute ends by itself (in the future, within a year); absent or `null` for
    /// "until I unmute".
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = Option<i64>))]
    pub until: Option<Millis>,
}

/// `PUT`/`DELETE /api/conversations/{id}/mute`: the caller's mute of a conversation now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct MuteState {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// The mute; `null` when not muted.
    pub muted: Option<Muted>,
}

/// `GET /api/messages/{id}/reactions`: who reacted to a message, per emoji (most used first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct ReactionList {
    /// The message.
    pub message_id: MessageId,
    /// One entry per emoji.
    pub reactions: Vec<Reactors>,
}

/// The people who reacted to a message with one emoji.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct Reactors {
    /// The emoji.
    pub emoji: String,
    /// How many people reacted with it.
    pub count: i64,
    /// The first of them (at most 50), earliest first.
    pub users: Vec<User>,
}

/// `PUT`/`DELETE /api/messages/{id}/reactions/{emoji}`: the caller's reaction after the change,
/// and the message's reactions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct ReactionState {
    /// Whether the caller has this reaction now.
    pub reacted: bool,
    /// The message's reactions after the change.
    pub reactions: MessageReactions,
}

/// `GET /api/users?q=…`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct UserList {
    /// Matching users.
    pub users: Vec<User>,
}

/// `GET /api/conversations`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct ConversationList {
    /// The caller's conversations, most recently active first.
    pub conversations: Vec<crate::model::Conversation>,
}

/// `GET /health/live`: the process answers (it says nothing about its dependencies).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct Liveness {
    /// Always `ok`.
    pub status: String,
    /// The server's version.
    pub version: String,
}

/// `GET /health` and `GET /health/ready` (the latter answers 503 unless `status` is `ok`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct Health {
    /// `ok` when every dependency answers, else `degraded`.
    pub status: String,
    /// `ok` or `unavailable`.
    pub database: String,
    /// Which database backend is in use (`sqlite` or `postgres`).
    pub database_backend: String,
    /// `ok` or `unavailable` (Redis does not answer: local delivery goes on, other instances
    /// are not reached until it is back).
    #[serde(default)]
    pub broker: String,
    /// How instances share events: `local` (this process only) or `redis`.
    #[serde(default)]
    pub broker_backend: String,
    /// Why the status is `degraded`, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Open WebSocket connections on this instance.
    pub connections: usize,
    /// Distinct authenticated users on this instance.
    pub authenticated_users: usize,
    /// Conversations with at least one live viewer on this instance.
    pub rooms: usize,
    /// Presence subscriptions held by this instance's connections.
    pub presence_subscriptions: usize,
    /// Live post subscriptions (session × post) on this instance.
    #[serde(default)]
    pub post_subscriptions: usize,
    /// The server version.
    pub version: String,
    /// [`crate::PROTOCOL_VERSION`].
    pub protocol_version: u32,
    /// When this answer was made, RFC 3339 in UTC (the messaging hub's `/health` carries it).
    #[serde(default)]
    pub timestamp: String,
    /// The same state in the messaging hub's shape (`../shared/reference/04`), so that its
    /// monitoring keeps working.
    #[serde(default)]
    pub services: HealthServices,
}

/// `/health`'s `services`: the messaging hub's names for the same facts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct HealthServices {
    /// `connected` or `disconnected`.
    pub database: String,
    /// `connected`, `disconnected`, or `not_configured` (one instance, in-process fan-out).
    pub redis: String,
    /// The WebSocket and Socket.IO connections of this instance.
    pub websocket: HealthWebSocket,
}

/// `/health`'s `services.websocket` (camelCase, as the messaging hub names it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
#[serde(rename_all = "camelCase")]
pub struct HealthWebSocket {
    /// `active` while this instance accepts connections.
    pub status: String,
    /// Open connections (native WebSocket and Socket.IO).
    pub connections: usize,
    /// Distinct authenticated users among them.
    pub authenticated_users: usize,
}

/// `POST /api/admin/users/{id}/kick`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct KickRequest {
    /// Also ban the user: their tokens stop working and they cannot sign in again.
    #[serde(default)]
    pub ban: bool,
}

/// Reply to a kick.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct KickResponse {
    /// The user.
    pub user_id: UserId,
    /// Whether the user is now banned.
    pub banned: bool,
}

/// `GET /api/notifications?before=ID&limit=N`: notifications newest first (older than
/// `before` when given).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct NotificationList {
    /// Newest first.
    pub notifications: Vec<crate::model::Notification>,
    /// Unread notifications in all.
    pub unread: i64,
    /// Whether older notifications exist (ask again with `before` = the last id).
    #[serde(default)]
    pub has_more: bool,
}

/// `POST /api/notifications/read`: mark every notification up to this one as read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct MarkNotificationsRead {
    /// The newest notification the user has seen.
    pub up_to: NotificationId,
}

/// Reply to marking notifications read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct NotificationsUnread {
    /// Unread notifications left.
    pub unread: i64,
}

/// `POST /api/posts`: write a post.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct CreatePostRequest {
    /// The text (1 to the configured maximum of characters).
    pub body: String,
}

/// A page of posts, newest first (`GET /api/feed`, `GET /api/users/{id}/posts`). Ask for the
/// next with `?before=<id of the last post>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct PostPage {
    /// Newest first.
    pub posts: Vec<crate::model::Post>,
    /// Whether older posts exist.
    pub has_more: bool,
}

/// `POST /api/posts/{id}/comments`: comment on a post.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct CreateCommentRequest {
    /// The text (1 to the configured maximum of characters).
    pub body: String,
}

/// A page of comments, oldest first (`GET /api/posts/{id}/comments`). Ask for the next with
/// `?after=<id of the last comment>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct CommentPage {
    /// Oldest first.
    pub comments: Vec<crate::model::Comment>,
    /// Whether newer comments exist.
    pub has_more: bool,
}

/// `POST /api/notifications/test`: send yourself a notification (to check a client).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct TestNotificationRequest {
    /// The text shown (default "Test notification"; at most 200 characters).
    #[serde(default)]
    pub message: Option<String>,
}

/// `POST /api/posts/{id}/like`: the like button's answer (in the shape Flask-SocketIO social
/// apps give it: `likes_count`), beside the post's counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct LikeToggled {
    /// Always `true` (errors are error bodies).
    pub success: bool,
    /// Whether the caller likes the post now.
    pub liked: bool,
    /// The post's likes (the same as `like_count`).
    pub likes_count: i64,
    /// The post's counts after the change.
    #[serde(flatten)]
    pub counts: PostCounts,
}

/// `GET /api/ws/status`: this instance's real-time service, in the shape Flask-SocketIO
/// social apps report it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct RealtimeStatus {
    /// Always `true`.
    pub success: bool,
    /// Always `true`: the WebSocket and Socket.IO endpoints are part of the server.
    pub websocket_enabled: bool,
    /// Open connections on this instance (native WebSocket and Socket.IO).
    pub active_connections: usize,
    /// Distinct authenticated users among them.
    pub online_users: usize,
    /// Whether instances share events through Redis.
    pub redis_enabled: bool,
}

/// `POST /api/ws/test-notification`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct TestNotificationSent {
    /// Always `true`.
    pub success: bool,
    /// `Test notification sent`.
    pub message: String,
    /// The caller, to whom it was sent.
    pub user_id: UserId,
    /// The notification, as the bell shows it.
    pub notification: Notification,
}

/// `POST /api/chat/conversations`: a conversation as FastAPI chat services create it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct ChatConversationRequest {
    /// A group's name (1–64 characters; "Group conversation" when absent).
    #[serde(default)]
    pub name: Option<String>,
    /// What it is about (at most 500 characters).
    #[serde(default)]
    pub description: Option<String>,
    /// A group (`true`), or a 1-on-1 conversation with the one other participant (`false`:
    /// the existing one is returned if there is one).
    #[serde(default)]
    pub is_group: bool,
    /// The other participants (the caller is always one).
    #[serde(default)]
    pub participant_ids: Vec<UserId>,
}

/// A conversation as `/api/chat/` answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct ChatConversation {
    /// Its id.
    pub id: ConversationId,
    /// A group's name; `null` for a 1-on-1 conversation.
    pub name: Option<String>,
    /// What it is about, if said.
    pub description: Option<String>,
    /// Whether it is a group.
    pub is_group: bool,
    /// When it was created, RFC 3339.
    pub created_at: String,
    /// Its newest message's time (else its creation), RFC 3339.
    pub updated_at: String,
    /// Its members' ids.
    pub participant_ids: Vec<UserId>,
    /// Its members.
    pub participants: Vec<User>,
}

/// A message as `/api/chat/` answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct ChatMessage {
    /// Its id.
    pub id: MessageId,
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// Who sent it.
    pub sender_id: UserId,
    /// Their username.
    pub sender_username: String,
    /// Its text (empty once deleted).
    pub content: String,
    /// Whether it was edited.
    pub is_edited: bool,
    /// Whether it was deleted.
    pub is_deleted: bool,
    /// Its position in the conversation (1, 2, …).
    pub seq: i64,
    /// When it was sent, RFC 3339.
    pub created_at: String,
    /// When it was last edited (else sent), RFC 3339.
    pub updated_at: String,
}

/// What an API key may do on the server API (`/api/server/v1/…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
#[serde(rename_all = "snake_case")]
pub enum ApiScope {
    /// Create, update, look up, ban and delete users by the product's own ids.
    Users,
    /// Online status, last-seen, connection counts; disconnect a user's sessions.
    Presence,
    /// Create conversations, add and remove members.
    Conversations,
    /// Post messages.
    Messages,
    /// Publish the product's own events to users and conversations.
    Events,
    /// Put the product's own notifications in users' bells.
    Notifications,
    /// Register webhook endpoints, read their delivery logs, replay deliveries.
    Webhooks,
    /// Everything, including managing API keys.
    Admin,
}

/// `POST /api/admin/api-keys`: a new API key for a product's backend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct CreateApiKeyRequest {
    /// A name to tell keys apart (1–64 characters).
    pub name: String,
    /// What it may do (at least one).
    pub scopes: Vec<ApiScope>,
}

/// An API key as listed (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct ApiKeyInfo {
    /// Its id (the part of the key before the secret).
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<ApiScope>,
    /// When it was created.
    pub created_at: Millis,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Millis>,
    /// When it was last used (to the minute), if ever.
    pub last_used_at: Option<Millis>,
}

/// A new API key: the only time its secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct ApiKeyCreated {
    /// The key as listed.
    pub info: ApiKeyInfo,
    /// The key to send as `Authorization: Bearer <key>`; stored hashed, shown only now.
    pub key: String,
}

/// `GET /api/admin/api-keys`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct ApiKeyList {
    /// Newest first, revoked ones included.
    pub keys: Vec<ApiKeyInfo>,
}

/// `PUT /api/server/v1/users/{external_id}`: create or update a user by the product's own id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct UpsertServerUser {
    /// 3–32 characters: letters, digits, `_`, `-`, `.` (unique).
    pub username: String,
    /// At most 64 characters (defaults to the username).
    #[serde(default)]
    pub display_name: Option<String>,
    /// Optional email (unique).
    #[serde(default)]
    pub email: Option<String>,
    /// Optional picture (an `http(s)` URL, at most 2,048 characters).
    #[serde(default)]
    pub avatar_url: Option<String>,
}

/// A user as the server API answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct ServerUser {
    /// Confab's id.
    pub id: UserId,
    /// The product's id.
    pub external_id: String,
    /// The username.
    pub username: String,
    /// The display name.
    pub display_name: String,
    /// The email, if any.
    pub email: Option<String>,
    /// The picture, if any.
    pub avatar_url: Option<String>,
    /// Whether the user is banned.
    pub banned: bool,
}

impl ServerUser {
    /// The user as everyone else sees them.
    pub fn as_user(&self) -> User {
        User {
            id: self.id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
        }
    }
}

/// `POST /api/server/v1/presence`: whose status to tell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct PresenceQuery {
    /// The product's user ids (at most 1,000).
    pub external_ids: Vec<String>,
}

/// One user's presence as the server API tells it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct ServerPresence {
    /// The product's id.
    pub external_id: String,
    /// Confab's id.
    pub user_id: UserId,
    /// `online`, `away` or `offline` (appearing offline is offline).
    pub status: crate::model::PresenceStatus,
    /// When they were last connected (`null` while online).
    pub last_seen_at: Option<Millis>,
}

/// Reply to `POST /api/server/v1/presence` (unknown ids left out).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct ServerPresenceList {
    /// One entry per known user.
    pub users: Vec<ServerPresence>,
}

/// `GET /api/server/v1/stats`: this instance's connections.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct ServerStats {
    /// Authenticated connections on this instance.
    pub connections: u64,
    /// Distinct users connected to this instance.
    pub users: u64,
}

/// Reply to `POST /api/server/v1/users/{external_id}/disconnect`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct Disconnected {
    /// Confab's id of the user whose sessions were ended (on every instance).
    pub user_id: UserId,
}

/// `POST /api/server/v1/conversations`: a conversation between users the product knows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct CreateServerConversation {
    /// `direct` (exactly two members; the existing one is returned if there is one) or `group`.
    pub kind: crate::model::ConversationKind,
    /// The members, by the product's ids (a group's owner first unless `owner_external_id`
    /// says; at most 256).
    pub member_external_ids: Vec<String>,
    /// A group's owner, by the product's id (defaults to the first member).
    #[serde(default)]
    pub owner_external_id: Option<String>,
    /// A group's title (1–64 characters).
    #[serde(default)]
    pub title: Option<String>,
    /// Where a group comes from when the product aggregates several (`whatsapp`…).
    #[serde(default)]
    pub platform: Option<String>,
    /// What a group is about (at most 500 characters).
    #[serde(default)]
    pub description: Option<String>,
}

/// `POST /api/server/v1/conversations/{id}/members`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct AddServerMember {
    /// The user to add, by the product's id.
    pub external_id: String,
}

/// `POST /api/server/v1/conversations/{id}/messages`: a message from a member, or from the
/// system when no sender is given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct PostServerMessage {
    /// The sender, by the product's id (a member). Absent: the system posts it (its
    /// `sender_id` is [`crate::UserId::SYSTEM`], the nil UUID).
    #[serde(default)]
    pub sender_external_id: Option<String>,
    /// The text.
    pub body: String,
    /// A retried call with the same key (per sender and conversation) stores one message
    /// and answers it again (1–64 bytes).
    pub idempotency_key: String,
}

/// `POST /api/server/v1/events`: an event of the product's, to users or a conversation. Not
/// stored: whoever is connected gets it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct PublishServerEvent {
    /// Its name: 1–64 of `a-z A-Z 0-9 _ - . :` (Socket.IO's own event names are refused).
    pub name: String,
    /// Its payload (at most 16 KiB of JSON).
    #[serde(default)]
    pub data: serde_json::Value,
    /// To these users, by the product's ids (at most 1,000).
    #[serde(default)]
    pub user_external_ids: Vec<String>,
    /// Or to every member of this conversation.
    #[serde(default)]
    pub conversation_id: Option<ConversationId>,
    /// Or to everyone connected, on every instance (an announcement to all users).
    #[serde(default)]
    pub everyone: bool,
}

/// Reply to `POST /api/server/v1/events`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct EventPublished {
    /// How many users it was addressed to (unknown external ids left out), or for a
    /// conversation, its members; 0 for `everyone` (not counted: every connected session gets it).
    pub recipients: u64,
}

/// `POST /api/server/v1/notifications`: the product's own notification, in users' bells.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct CreateServerNotification {
    /// Who gets it, by the product's ids (at most 1,000; unknown ids left out).
    pub user_external_ids: Vec<String>,
    /// Who it is from, by the product's id (its own account, say); never notified itself.
    pub actor_external_id: String,
    /// What it says (1–500 characters).
    pub text: String,
    /// Where it leads: an `http(s)` URL or a path of the app (`/c/…`), at most 2,048 characters.
    #[serde(default)]
    pub link: Option<String>,
}

/// Reply to `POST /api/server/v1/notifications`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct NotificationsCreated {
    /// How many users got it.
    pub recipients: u64,
}
