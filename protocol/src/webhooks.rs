//! Webhooks: what Confab POSTs to a product's endpoints, and the server API's bodies that
//! register endpoints and read their delivery log.
//!
//! Each delivery is one [`WebhookEvent`] as JSON, signed following Standard Webhooks: headers
//! `webhook-id` (the event's id, the same on every retry), `webhook-timestamp` (Unix seconds of
//! this attempt) and `webhook-signature` (`v1,` + base64 of HMAC-SHA256 over
//! `{id}.{timestamp}.{body}` keyed by the base64 part of the endpoint's `whsec_…` secret).

use crate::ids::{ConversationId, MessageId, PostId, UserId};
use crate::model::{Comment, ConversationKind, Message, Notification};
use serde::{Deserialize, Serialize};

/// The body of one delivery: what happened (`type` and `data`) and when (`timestamp`, RFC 3339).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct WebhookEvent {
    /// What happened, with its data.
    #[serde(flatten)]
    pub change: WebhookChange,
    /// When it happened (the commit), RFC 3339 in UTC.
    pub timestamp: String,
}

/// What a webhook event reports: its `type` and the `data` of that type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
#[serde(tag = "type", content = "data")]
pub enum WebhookChange {
    /// A message was stored (its `seq` is its place in the conversation).
    #[serde(rename = "message.created")]
    MessageCreated(Message),
    /// A message's text was replaced.
    #[serde(rename = "message.edited")]
    MessageEdited(Message),
    /// A message was deleted (a tombstone: `deleted` true, `body` empty).
    #[serde(rename = "message.deleted")]
    MessageDeleted(Message),
    /// A conversation was created.
    #[serde(rename = "conversation.created")]
    ConversationCreated(ConversationCreated),
    /// Someone joined a group.
    #[serde(rename = "conversation.member_added")]
    MemberAdded(MembershipChange),
    /// Someone left or was removed from a group.
    #[serde(rename = "conversation.member_removed")]
    MemberRemoved(MembershipChange),
    /// A notification was put in someone's bell (a grouped "liked your post" entry is created
    /// anew, with a new id, for each new liker).
    #[serde(rename = "notification.created")]
    NotificationCreated(NotificationCreated),
    /// Someone reacted to a message with an emoji (since protocol version 7).
    #[serde(rename = "message.reaction_added")]
    ReactionAdded(MessageReaction),
    /// Someone took back their reaction to a message (since protocol version 7).
    #[serde(rename = "message.reaction_removed")]
    ReactionRemoved(MessageReaction),
    /// Someone liked a post.
    #[serde(rename = "post.liked")]
    PostLiked(PostLiked),
    /// Someone commented on a post.
    #[serde(rename = "post.commented")]
    PostCommented(PostCommented),
    /// A user came online: their first session connected, or one came back from away.
    #[serde(rename = "user.online")]
    UserOnline(PresenceChange),
    /// A user went offline: their last session left (after the reconnect grace period), or
    /// they chose to appear offline.
    #[serde(rename = "user.offline")]
    UserOffline(PresenceChange),
}

impl WebhookChange {
    /// Its `type`, as endpoints subscribe to it.
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::MessageCreated(_) => "message.created",
            Self::MessageEdited(_) => "message.edited",
            Self::MessageDeleted(_) => "message.deleted",
            Self::ReactionAdded(_) => "message.reaction_added",
            Self::ReactionRemoved(_) => "message.reaction_removed",
            Self::ConversationCreated(_) => "conversation.created",
            Self::MemberAdded(_) => "conversation.member_added",
            Self::MemberRemoved(_) => "conversation.member_removed",
            Self::NotificationCreated(_) => "notification.created",
            Self::PostLiked(_) => "post.liked",
            Self::PostCommented(_) => "post.commented",
            Self::UserOnline(_) => "user.online",
            Self::UserOffline(_) => "user.offline",
        }
    }

    /// What its order is kept within: events with the same key reach an endpoint in the order
    /// they happened (a conversation's, a user's, a post's).
    pub fn ordering_key(&self) -> String {
        match self {
            Self::MessageCreated(m) | Self::MessageEdited(m) | Self::MessageDeleted(m) => {
                format!("c:{}", m.conversation_id)
            }
            Self::ReactionAdded(r) | Self::ReactionRemoved(r) => {
                format!("c:{}", r.conversation_id)
            }
            Self::ConversationCreated(c) => format!("c:{}", c.conversation_id),
            Self::MemberAdded(c) | Self::MemberRemoved(c) => format!("c:{}", c.conversation_id),
            Self::NotificationCreated(n) => format!("u:{}", n.user_id),
            Self::PostLiked(l) => format!("p:{}", l.post_id),
            Self::PostCommented(c) => format!("p:{}", c.post_id),
            Self::UserOnline(p) | Self::UserOffline(p) => format!("u:{}", p.user_id),
        }
    }
}

/// Every event type an endpoint can subscribe to.
pub const WEBHOOK_EVENT_TYPES: [&str; 13] = [
    "message.created",
    "message.edited",
    "message.deleted",
    "message.reaction_added",
    "message.reaction_removed",
    "conversation.created",
    "conversation.member_added",
    "conversation.member_removed",
    "notification.created",
    "post.liked",
    "post.commented",
    "user.online",
    "user.offline",
];

/// `message.reaction_added` / `message.reaction_removed`: who reacted to which message with
/// which emoji (or took it back), and how many people's reaction with it the message has now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct MessageReaction {
    /// The message's conversation.
    pub conversation_id: ConversationId,
    /// The message.
    pub message_id: MessageId,
    /// Who reacted (or took it back).
    pub user_id: UserId,
    /// The emoji.
    pub emoji: String,
    /// How many people have reacted to the message with this emoji after the change.
    pub count: i64,
}

/// `conversation.created`: the new conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct ConversationCreated {
    /// Its id.
    pub conversation_id: ConversationId,
    /// Direct or group.
    pub kind: ConversationKind,
    /// A group's title.
    pub title: Option<String>,
    /// Where it comes from, when a product aggregates several platforms.
    pub platform: Option<String>,
    /// Who created it.
    pub created_by: UserId,
    /// Its members, the creator first.
    pub member_ids: Vec<UserId>,
}

/// `conversation.member_added` / `conversation.member_removed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct MembershipChange {
    /// The group.
    pub conversation_id: ConversationId,
    /// Who joined or left.
    pub user_id: UserId,
}

/// `notification.created`: whose bell, and the entry as the bell shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct NotificationCreated {
    /// The recipient.
    pub user_id: UserId,
    /// The notification.
    pub notification: Notification,
}

/// `post.liked`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct PostLiked {
    /// The post.
    pub post_id: PostId,
    /// Who liked it.
    pub user_id: UserId,
    /// Its likes after this one (and any liked with it).
    pub like_count: i64,
}

/// `post.commented`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct PostCommented {
    /// The post.
    pub post_id: PostId,
    /// The comment.
    pub comment: Comment,
    /// Its comments after this one.
    pub comment_count: i64,
}

/// `user.online` / `user.offline`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct PresenceChange {
    /// The user.
    pub user_id: UserId,
    /// When they were last connected (Unix ms): set for `user.offline`.
    pub last_seen_at: Option<i64>,
}

/// `POST /api/server/v1/webhooks`: a new endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct CreateWebhook {
    /// Where to POST: an `http(s)` URL, at most 2048 characters.
    pub url: String,
    /// The event types it wants (from [`WEBHOOK_EVENT_TYPES`]), or `["*"]` for all.
    pub event_types: Vec<String>,
    /// A note to tell endpoints apart (at most 200 characters).
    #[serde(default)]
    pub description: Option<String>,
}

/// A registered endpoint (its secret only when created).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct WebhookEndpoint {
    /// Its id.
    pub id: String,
    /// Where deliveries go.
    pub url: String,
    /// The event types it gets (`["*"]`: all).
    pub event_types: Vec<String>,
    /// Its note.
    pub description: Option<String>,
    /// When it was registered (Unix ms).
    pub created_at: i64,
    /// When it was removed (Unix ms): nothing new is queued for it.
    pub disabled_at: Option<i64>,
    /// The signing secret (`whsec_…`): in the answer to its creation only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// `GET /api/server/v1/webhooks`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct WebhookEndpointList {
    /// Every endpoint, newest first.
    pub endpoints: Vec<WebhookEndpoint>,
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not delivered yet: waiting for its turn or for its next attempt.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Retried for the whole retry window without success; replayable.
    Failed,
}

/// One event's delivery to one endpoint, as the log shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct WebhookDelivery {
    /// The event's id (`webhook-id`).
    pub event_id: String,
    /// Its type.
    pub event_type: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: i64,
    /// The HTTP status of the last attempt (none: no answer).
    pub last_status: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the event happened (Unix ms).
    pub created_at: i64,
    /// When it is tried next (Unix ms), while pending.
    pub next_attempt_at: Option<i64>,
    /// When the endpoint took it (Unix ms).
    pub delivered_at: Option<i64>,
}

/// `GET /api/server/v1/webhooks/{id}/deliveries`: newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct WebhookDeliveryList {
    /// The deliveries.
    pub deliveries: Vec<WebhookDelivery>,
}
