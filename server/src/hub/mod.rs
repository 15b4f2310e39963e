//! The hub owns this instance's live connections and the conversations they view, and delivers
//! pre-serialized frames to them.
//!
//! Frames are serialized once per event ([`crate::ws::codec::encode`]) and the same bytes are
//! shared by every recipient (`Utf8Bytes` clones are reference counts). Each connection has a
//! bounded outbound queue; a connection whose queue is full is closed as a slow consumer rather
//! than allowed to grow memory.

mod audience;

pub use audience::{Audience, Envelope};

use axum::extract::ws::Utf8Bytes;
use protocol::{ConversationId, ErrorCode, SessionId, UserId};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use tokio::sync::{mpsc, watch};

/// Why the server is closing a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseReason {
    /// WebSocket close code (see [`protocol::close`]).
    pub close_code: u16,
    /// The error code sent in the final `error` event.
    pub error: ErrorCode,
    /// A human-readable explanation.
    pub message: String,
}

impl CloseReason {
    /// A close reason.
    pub fn new(close_code: u16, error: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            close_code,
            error,
            message: message.into(),
        }
    }

    fn slow_consumer() -> Self {
        Self::new(
            protocol::close::SLOW_CONSUMER,
            ErrorCode::SlowConsumer,
            "you were not reading events fast enough",
        )
    }
}

/// The sending half of a connection: its outbound queue and its close switch.
#[derive(Clone, Debug)]
pub struct Outbox {
    frames: mpsc::Sender<Utf8Bytes>,
    closer: watch::Sender<Option<CloseReason>>,
}

impl Outbox {
    /// A connection's outbox with room for `capacity` queued frames, plus the receiving ends.
    pub fn new(
        capacity: usize,
    ) -> (
        Self,
        mpsc::Receiver<Utf8Bytes>,
        watch::Receiver<Option<CloseReason>>,
    ) {
        let (frames, rx) = mpsc::channel(capacity);
        let (closer, close_rx) = watch::channel(None);
        (Self { frames, closer }, rx, close_rx)
    }

    /// Queues a frame; a full queue closes the connection as a slow consumer.
    pub fn send(&self, frame: Utf8Bytes) -> bool {
        match self.frames.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.close(CloseReason::slow_consumer());
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Asks the connection to close with a reason (the first reason wins).
    pub fn close(&self, reason: CloseReason) {
        self.closer.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(reason);
                true
            } else {
                false
            }
        });
    }
}

#[derive(Debug)]
struct Connection {
    user: UserId,
    outbox: Outbox,
}

/// A change in who views a conversation, caused by a session joining or leaving it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewChange {
    /// The conversation.
    pub conversation: ConversationId,
    /// Whether the user's view changed (false if another session of theirs still views it, or
    /// already did).
    pub user_changed: bool,
    /// Distinct users viewing it afterwards.
    pub viewers: Vec<UserId>,
}

#[derive(Debug, Default)]
struct Inner {
    connections: HashMap<SessionId, Connection>,
    by_user: HashMap<UserId, HashSet<SessionId>>,
    rooms: HashMap<ConversationId, HashMap<SessionId, UserId>>,
}

impl Inner {
    fn viewers(&self, conversation: ConversationId) -> Vec<UserId> {
        let mut users: Vec<UserId> = self
            .rooms
            .get(&conversation)
            .map(|r| {
                r.values()
                    .copied()
                    .collect::<HashSet<_>>()
                    .into_iter()
                    .collect()
            })
            .unwrap_or_default();
        users.sort();
        users
    }

    fn user_views(&self, conversation: ConversationId, user: UserId) -> bool {
        self.rooms
            .get(&conversation)
            .is_some_and(|r| r.values().any(|u| *u == user))
    }

    fn leave(&mut self, conversation: ConversationId, session: SessionId) -> Option<ViewChange> {
        let room = self.rooms.get_mut(&conversation)?;
        let user = room.remove(&session)?;
        if room.is_empty() {
            self.rooms.remove(&conversation);
        }
        Some(ViewChange {
            conversation,
            user_changed: !self.user_views(conversation, user),
            viewers: self.viewers(conversation),
        })
    }
}

/// Live statistics for `/health`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HubStats {
    /// Authenticated connections.
    pub connections: usize,
    /// Distinct users with at least one connection.
    pub users: usize,
    /// Conversations with at least one viewer.
    pub rooms: usize,
}

/// The registry of this instance's authenticated connections.
///
/// A std `Mutex` is enough: it is held only for map updates and never across an `.await`.
#[derive(Debug, Default)]
pub struct Hub {
    inner: Mutex<Inner>,
}

impl Hub {
    /// An empty hub.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that matters
        // more than losing every connection would, so keep serving.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers an authenticated connection.
    pub fn register(&self, session: SessionId, user: UserId, outbox: Outbox) {
        let mut inner = self.lock();
        inner
            .connections
            .insert(session, Connection { user, outbox });
        inner.by_user.entry(user).or_default().insert(session);
    }

    /// Removes a connection and its views; returns the view changes it caused.
    pub fn unregister(&self, session: SessionId) -> Vec<ViewChange> {
        let mut inner = self.lock();
        let Some(conn) = inner.connections.remove(&session) else {
            return Vec::new();
        };
        if let Some(sessions) = inner.by_user.get_mut(&conn.user) {
            sessions.remove(&session);
            if sessions.is_empty() {
                inner.by_user.remove(&conn.user);
            }
        }
        let viewed: Vec<ConversationId> = inner
            .rooms
            .iter()
            .filter(|(_, r)| r.contains_key(&session))
            .map(|(c, _)| *c)
            .collect();
        viewed
            .into_iter()
            .filter_map(|c| inner.leave(c, session))
            .collect()
    }

    /// Adds a session to a conversation's viewers.
    pub fn join(&self, conversation: ConversationId, session: SessionId) -> Option<ViewChange> {
        let mut inner = self.lock();
        let user = inner.connections.get(&session)?.user;
        let user_changed = !inner.user_views(conversation, user);
        inner
            .rooms
            .entry(conversation)
            .or_default()
            .insert(session, user);
        Some(ViewChange {
            conversation,
            user_changed,
            viewers: inner.viewers(conversation),
        })
    }

    /// Removes a session from a conversation's viewers; `None` if it was not viewing.
    pub fn leave(&self, conversation: ConversationId, session: SessionId) -> Option<ViewChange> {
        self.lock().leave(conversation, session)
    }

    /// Removes every session of `user` from a conversation's viewers (e.g. after removal from a
    /// group); returns the change if the user was viewing.
    pub fn evict(&self, conversation: ConversationId, user: UserId) -> Option<ViewChange> {
        let mut inner = self.lock();
        let sessions: Vec<SessionId> = inner
            .rooms
            .get(&conversation)?
            .iter()
            .filter(|(_, u)| **u == user)
            .map(|(s, _)| *s)
            .collect();
        sessions
            .into_iter()
            .filter_map(|s| inner.leave(conversation, s))
            .last()
    }

    /// Delivers a frame to the local connections in its audience.
    pub fn deliver(&self, envelope: &Envelope) {
        // Collect the outboxes under the lock, send after releasing it.
        let outboxes: Vec<Outbox> = {
            let inner = self.lock();
            let mut out = Vec::new();
            match &envelope.audience {
                Audience::Users { users, except } => {
                    for user in users {
                        for session in inner.by_user.get(user).into_iter().flatten() {
                            if Some(*session) != *except {
                                if let Some(c) = inner.connections.get(session) {
                                    out.push(c.outbox.clone());
                                }
                            }
                        }
                    }
                }
                Audience::Viewers {
                    conversation,
                    except,
                } => {
                    for session in inner
                        .rooms
                        .get(conversation)
                        .into_iter()
                        .flatten()
                        .map(|(s, _)| s)
                    {
                        if Some(*session) != *except {
                            if let Some(c) = inner.connections.get(session) {
                                out.push(c.outbox.clone());
                            }
                        }
                    }
                }
            }
            out
        };
        for outbox in outboxes {
            outbox.send(envelope.frame.clone());
        }
    }

    /// Closes every local session of a user.
    pub fn close_user(&self, user: UserId, reason: &CloseReason) -> usize {
        let outboxes: Vec<Outbox> = {
            let inner = self.lock();
            inner
                .by_user
                .get(&user)
                .into_iter()
                .flatten()
                .filter_map(|s| inner.connections.get(s))
                .map(|c| c.outbox.clone())
                .collect()
        };
        for outbox in &outboxes {
            outbox.close(reason.clone());
        }
        outboxes.len()
    }

    /// Closes every local session (shutdown).
    pub fn close_all(&self, reason: &CloseReason) {
        let outboxes: Vec<Outbox> = self
            .lock()
            .connections
            .values()
            .map(|c| c.outbox.clone())
            .collect();
        for outbox in outboxes {
            outbox.close(reason.clone());
        }
    }

    /// Current statistics.
    pub fn stats(&self) -> HubStats {
        let inner = self.lock();
        HubStats {
            connections: inner.connections.len(),
            users: inner.by_user.len(),
            rooms: inner.rooms.len(),
        }
    }
}

#[cfg(test)]
mod tests;
