//! The domain layer: one function per action (validate → persist → publish), called by the
//! REST handlers ([`crate::http`]) and the session's event handlers ([`crate::session`]) alike,
//! which only translate. Fan-out goes to [`Topic`]s through the broker, one serialized frame per event.
//!
//! - [`messages`]: send (through the batching [`writer`]), send direct, edit, delete.
//! - [`receipts`]: delivered/read positions and the reader's exact unread counts, written in
//!   batches by the [`receipt_writer`].
//! - [`conversations`]: direct conversations, groups and their members (moving sessions in
//!   and out of conversation topics).
//! - [`views`]: who is viewing a conversation; [`viewer_counts`] coalesces big rooms' changes.
//! - [`typing`]: typing indicators.
//! - [`presence`]: announcing presence, watching it, appearing offline.
//! - [`notifications`]: the bell; [`bell`] rings it with the store and broker alone;
//!   [`message_bell`] rings it for direct messages, in batches.
//! - [`posts`]: posts, likes and comments with live, coalesced counters.
//! - [`reactions`]: emoji reactions to messages, live and coalesced like post counters.
//! - [`batcher`]: the batching write path likes ([`like_writer`]) and reactions
//!   ([`reaction_writer`]) share.
//! - [`follows`]: following people; [`blocks`]: blocking them.
//! - [`files`]: pictures and files uploaded to a conversation, fetched by its members only.
//! - [`mutes`]: muting a conversation (its direct messages stop ringing the bell).
//! - [`sessions`]: what opening and closing a WebSocket session does.
//! - [`app_events`]: a product's own events (server API), to users or a conversation.

pub mod app_events;
pub mod batcher;
pub mod bell;
pub mod blocks;
pub mod conversations;
pub mod files;
pub mod follows;
pub mod like_writer;
pub mod message_bell;
pub mod messages;
pub mod mutes;
pub mod notifications;
pub mod posts;
pub mod presence;
pub mod reaction_writer;
pub mod reactions;
pub mod receipt_writer;
pub mod receipts;
pub mod sessions;
pub mod typing;
pub mod viewer_counts;
pub mod views;
pub mod writer;

use crate::codec::encode_event;
use crate::error::AppError;
use crate::state::AppState;
use crate::topic::{Except, Topic};
use protocol::{ConversationId, ServerEvent, SessionId, User};

/// Who performs an action: a user, and the WebSocket session it came from (none over REST).
#[derive(Clone, Copy, Debug)]
pub struct Actor<'a> {
    /// The user.
    pub user: &'a User,
    /// The session, for WebSocket actions.
    pub session: Option<SessionId>,
}

impl<'a> Actor<'a> {
    /// An action over REST.
    pub fn rest(user: &'a User) -> Self {
        Self {
            user,
            session: None,
        }
    }

    /// An action from a WebSocket session.
    pub fn session(user: &'a User, session: SessionId) -> Self {
        Self {
            user,
            session: Some(session),
        }
    }

    /// The session that caused an event, which already has its answer.
    pub fn except(&self) -> Except {
        self.session.map_or(Except::Nobody, Except::Session)
    }
}

/// Serializes an event once and publishes it to a topic.
pub async fn publish(state: &AppState, topic: Topic, except: Except, event: ServerEvent) {
    state
        .broker
        .publish(topic, except, encode_event(event))
        .await;
}

/// `NOT_A_MEMBER` unless the actor belongs to the conversation. A session answers from its
/// topics (kept correct on every membership change), so no query is made; REST asks the store.
pub async fn require_member(
    state: &AppState,
    actor: Actor<'_>,
    conversation: ConversationId,
) -> Result<(), AppError> {
    let member = match actor.session {
        Some(session) => state
            .hub
            .is_subscribed(session, Topic::Conversation(conversation)),
        None => state.store.is_member(conversation, actor.user.id).await?,
    };
    if member {
        Ok(())
    } else {
        Err(AppError::NotAMember)
    }
}
