//! The broker carries what must be shared between instances: frames published to topics,
//! membership changes (which move sessions between topics), presence changes, and the presence
//! registry. This build has the in-process implementation ([`local::LocalBroker`]); a Redis
//! implementation maps each [`Topic`] onto a channel, subscribed by an instance while any of its
//! sessions is in the topic, and slots in as another variant without touching the callers.

pub mod local;

use crate::hub::{CloseReason, Hub};
use crate::presence::{PresenceUpdate, SessionEnd};
use crate::store::now_ms;
use crate::topic::{Except, Topic};
use axum::extract::ws::Utf8Bytes;
use protocol::{ConversationId, Presence, PresenceStatus, SessionId, UserId};
use std::sync::Arc;

/// The fan-out and shared-state backend (enum dispatch: no boxed futures on the hot path).
#[derive(Clone, Debug)]
pub enum Broker {
    /// Everything in this process.
    Local(Arc<local::LocalBroker>),
}

impl Broker {
    /// The in-process broker delivering to `hub`.
    pub fn local(hub: Arc<Hub>) -> Self {
        Self::Local(Arc::new(local::LocalBroker::new(hub)))
    }

    /// Delivers a serialized frame to a topic's sessions on every instance.
    pub async fn publish(&self, topic: Topic, except: Except, frame: Utf8Bytes) {
        match self {
            Self::Local(b) => {
                b.hub().deliver(topic, except, &frame);
            }
        }
    }

    /// Users joined a conversation: their sessions on every instance enter its topic.
    pub async fn members_added(&self, conversation: ConversationId, users: &[UserId]) {
        match self {
            Self::Local(b) => {
                for user in users {
                    b.hub()
                        .subscribe_user(*user, Topic::Conversation(conversation));
                }
            }
        }
    }

    /// A user left a conversation: their sessions on every instance leave its topics.
    pub async fn member_removed(&self, conversation: ConversationId, user: UserId) {
        match self {
            Self::Local(b) => {
                b.hub()
                    .unsubscribe_user(user, Topic::Conversation(conversation));
                b.hub().unsubscribe_user(user, Topic::Viewers(conversation));
            }
        }
    }

    /// Queues a presence change for its watchers on every instance (delivered in batches).
    pub async fn presence_changed(&self, presence: Presence) {
        match self {
            Self::Local(b) => b.hub().queue_presence(presence),
        }
    }

    /// Closes every session of a user on every instance.
    pub async fn close_user(&self, user: UserId, reason: CloseReason) {
        match self {
            Self::Local(b) => {
                b.hub().close_user(user, &reason);
            }
        }
    }

    /// Records a new session of `user`; returns the presence to announce, if it changed.
    pub async fn session_started(
        &self,
        user: UserId,
        session: SessionId,
    ) -> Option<PresenceUpdate> {
        match self {
            Self::Local(b) => b.presence(|r| r.connect(user, session, now_ms())),
        }
    }

    /// Sets one session's status; returns the presence to announce, if it changed.
    pub async fn set_status(
        &self,
        user: UserId,
        session: SessionId,
        status: PresenceStatus,
    ) -> Option<PresenceUpdate> {
        match self {
            Self::Local(b) => b.presence(|r| r.set_status(user, session, status, now_ms())),
        }
    }

    /// Forgets a session (see [`SessionEnd`]).
    pub async fn session_ended(&self, user: UserId, session: SessionId) -> SessionEnd {
        match self {
            Self::Local(b) => b.presence(|r| r.disconnect(user, session, now_ms())),
        }
    }

    /// After the grace period: whether the user is to be announced offline now.
    pub async fn expire(&self, user: UserId) -> bool {
        match self {
            Self::Local(b) => b.presence(|r| r.expire(user)),
        }
    }

    /// The announced status of each user, with since when they are away if they are.
    pub async fn statuses(&self, users: &[UserId]) -> Vec<(PresenceStatus, Option<i64>)> {
        match self {
            Self::Local(b) => {
                b.presence(|r| users.iter().map(|u| r.status_and_away_since(*u)).collect())
            }
        }
    }
}
