//! The broker carries what must be shared between instances: frames published to topics,
//! membership changes (which move sessions between topics), presence changes, and the presence
//! registry. In process ([`local::LocalBroker`], the default) or through Redis
//! ([`redis::RedisBroker`], with `REDIS_URL`), which maps each [`Topic`] onto a channel
//! subscribed by an instance while any of its sessions is in the topic.

pub mod local;
pub mod redis;
pub mod wire;

pub use self::redis::Departures;

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
    /// Several instances through Redis.
    Redis(Arc<redis::RedisBroker>),
}

impl Broker {
    /// The in-process broker delivering to `hub`.
    pub fn local(hub: Arc<Hub>) -> Self {
        Self::Local(Arc::new(local::LocalBroker::new(hub)))
    }

    /// The Redis broker delivering to `hub` (Redis must answer now).
    pub async fn redis(url: &str, hub: Arc<Hub>) -> Result<Self, crate::error::AppError> {
        Ok(Self::Redis(redis::RedisBroker::connect(url, hub).await?))
    }

    /// `local` or `redis`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Local(_) => "local",
            Self::Redis(_) => "redis",
        }
    }

    /// `None` while the broker works, else why not (`/health` reports it).
    pub fn problem(&self) -> Option<String> {
        match self {
            Self::Local(_) => None,
            Self::Redis(b) => b.problem(),
        }
    }

    /// Counts one use of a quota that every instance shares (`limit` per `window` for `name`):
    /// `false` once it is used up. In process there is nothing to share: always `true` (the
    /// caller's own limiter is the whole limit).
    pub async fn within_quota(&self, name: &str, limit: u32, window: std::time::Duration) -> bool {
        match self {
            Self::Local(_) => true,
            Self::Redis(b) => b.within_quota(name, limit, window).await,
        }
    }

    /// Delivers a serialized frame to a topic's sessions on every instance.
    pub async fn publish(&self, topic: Topic, except: Except, frame: Utf8Bytes) {
        match self {
            Self::Local(b) => {
                b.hub().deliver(topic, except, &frame);
            }
            Self::Redis(b) => b.publish(topic, except, &frame),
        }
    }

    /// A post's counters changed (coalesced already): to its watchers on every instance, at
    /// most 10 updates a second per post each.
    pub fn counts_changed(&self, counts: protocol::PostCounts) {
        match self {
            Self::Local(b) => {
                let frame =
                    crate::codec::encode_event(protocol::ServerEvent::PostCountsChanged { counts });
                b.hub()
                    .deliver(Topic::Post(counts.post_id), Except::Nobody, &frame);
            }
            Self::Redis(b) => b.counts_changed(counts),
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
            Self::Redis(b) => {
                for user in users {
                    b.membership(wire::Membership::Joined {
                        user: *user,
                        conversation,
                    });
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
            Self::Redis(b) => {
                b.membership(wire::Membership::Left { user, conversation });
                b.view_forget(conversation, user).await;
            }
        }
    }

    /// `user` blocked `watched`: their sessions on every instance stop watching `watched`'s
    /// presence.
    pub async fn unwatch(&self, user: UserId, watched: UserId) {
        match self {
            Self::Local(b) => {
                b.hub().unsubscribe_user(user, Topic::Presence(watched));
            }
            Self::Redis(b) => b.membership(wire::Membership::Unwatched { user, watched }),
        }
    }

    /// Queues a presence change for its watchers on every instance (delivered in batches).
    pub async fn presence_changed(&self, presence: Presence) {
        match self {
            Self::Local(b) => b.hub().queue_presence(presence),
            Self::Redis(b) => b.presence_changed(presence),
        }
    }

    /// Closes every session of a user on every instance.
    pub async fn close_user(&self, user: UserId, reason: CloseReason) {
        match self {
            Self::Local(b) => {
                b.hub().close_user(user, &reason);
            }
            Self::Redis(b) => b.membership(wire::Membership::Closed {
                user,
                close_code: reason.close_code,
                error: reason.error,
                message: reason.message,
            }),
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
            Self::Redis(b) => b.session_started(user, session).await,
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
            Self::Redis(b) => b.set_status(user, session, status).await,
        }
    }

    /// Forgets a session (see [`SessionEnd`]).
    pub async fn session_ended(&self, user: UserId, session: SessionId) -> SessionEnd {
        match self {
            Self::Local(b) => b.presence(|r| r.disconnect(user, session, now_ms())),
            Self::Redis(b) => b.session_ended(user, session).await,
        }
    }

    /// After the grace period: whether the user is to be announced offline now.
    pub async fn expire(&self, user: UserId) -> bool {
        match self {
            Self::Local(b) => b.presence(|r| r.expire(user)),
            Self::Redis(b) => b.expire(user).await,
        }
    }

    /// The announced status of each user, with since when they are away if they are.
    pub async fn statuses(&self, users: &[UserId]) -> Vec<(PresenceStatus, Option<i64>)> {
        match self {
            Self::Local(b) => {
                b.presence(|r| users.iter().map(|u| r.status_and_away_since(*u)).collect())
            }
            Self::Redis(b) => b.statuses(users).await,
        }
    }

    /// What instances that died (their lease ran out) left behind; nothing in process.
    pub async fn reap_dead(&self) -> Departures {
        match self {
            Self::Local(_) => Departures::default(),
            Self::Redis(b) => b.reap_dead().await,
        }
    }

    /// Leaves the cluster on shutdown: what to announce for this instance's users who have no
    /// session elsewhere.
    pub async fn leave(&self) -> Departures {
        match self {
            Self::Local(_) => Departures::default(),
            Self::Redis(b) => b.leave().await,
        }
    }

    /// A session started viewing a conversation (`local`: whether it is the user's first
    /// session viewing it on this instance); whether it is their first anywhere.
    pub async fn view_joined(
        &self,
        conversation: ConversationId,
        user: UserId,
        session: SessionId,
        local: bool,
    ) -> bool {
        match self {
            Self::Local(_) => local,
            Self::Redis(b) => b.view_joined(conversation, user, session, local).await,
        }
    }

    /// A session stopped viewing (`local`: it was the user's last here); whether it was their
    /// last anywhere.
    pub async fn view_left(
        &self,
        conversation: ConversationId,
        user: UserId,
        session: SessionId,
        local: bool,
    ) -> bool {
        match self {
            Self::Local(_) => local,
            Self::Redis(b) => b.view_left(conversation, user, session, local).await,
        }
    }

    /// A user started (`true`) or stopped typing in a conversation on this instance.
    pub async fn typing(&self, conversation: ConversationId, user: UserId, typing: bool) {
        match self {
            Self::Local(_) => {}
            Self::Redis(b) => b.typing(conversation, user, typing).await,
        }
    }

    /// How many users view a conversation, and who (sorted) when they are at most `limit`
    /// (else an empty list). Constant work when they are more.
    pub async fn viewers(
        &self,
        conversation: ConversationId,
        limit: usize,
    ) -> (usize, Vec<UserId>) {
        match self {
            Self::Local(b) => b.hub().users_upto(Topic::Viewers(conversation), limit),
            Self::Redis(b) => b.viewers(conversation, limit).await,
        }
    }

    /// Whether a user views a conversation on some session.
    pub async fn is_viewing(&self, conversation: ConversationId, user: UserId) -> bool {
        match self {
            Self::Local(b) => b.hub().has_user(Topic::Viewers(conversation), user),
            Self::Redis(b) => b.is_viewing(conversation, user).await,
        }
    }
}
