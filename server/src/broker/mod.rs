//! The broker carries what must be shared between instances: fan-out of frames and the presence
//! registry. This build has the in-process implementation ([`local::LocalBroker`]), which is
//! all a single instance needs; a Redis implementation slots in as another variant without
//! touching the hub or the handlers.

pub mod local;

use crate::hub::{CloseReason, Envelope, Hub};
use crate::presence::PresenceUpdate;
use protocol::{PresenceStatus, SessionId, UserId};
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

    /// Delivers a frame to its audience on every instance.
    pub async fn publish(&self, envelope: Envelope) {
        match self {
            Self::Local(b) => b.publish(&envelope),
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
            Self::Local(b) => b.presence(|r| r.connect(user, session)),
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
            Self::Local(b) => b.presence(|r| r.set_status(user, session, status)),
        }
    }

    /// Forgets a session; returns true if the user has no session left anywhere (the caller
    /// then waits out the reconnect grace and calls [`Broker::expire`]).
    pub async fn session_ended(&self, user: UserId, session: SessionId) -> bool {
        match self {
            Self::Local(b) => b.presence(|r| r.disconnect(user, session)),
        }
    }

    /// After the grace period: whether the user is to be announced offline now.
    pub async fn expire(&self, user: UserId) -> bool {
        match self {
            Self::Local(b) => b.presence(|r| r.expire(user)),
        }
    }

    /// The announced status of each user.
    pub async fn statuses(&self, users: &[UserId]) -> Vec<(UserId, PresenceStatus)> {
        match self {
            Self::Local(b) => b.presence(|r| users.iter().map(|u| (*u, r.status(*u))).collect()),
        }
    }
}
