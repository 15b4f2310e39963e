//! Fan-out keys. Every frame is published to one topic; each session holds the set of topics it
//! is in, so delivery never asks the database who is listening and disconnecting costs the size
//! of that set. A Redis broker maps each topic onto one channel.

use protocol::{ConversationId, PostId, SessionId, UserId};

/// What a frame is addressed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// Every session of one user (their own unread counts, notifications, presence).
    User(UserId),
    /// Every session of every member of a conversation (messages, receipts, typing).
    Conversation(ConversationId),
    /// The sessions viewing a conversation right now.
    Viewers(ConversationId),
    /// The sessions watching one user's presence.
    Presence(UserId),
    /// The sessions showing one post (its live counters and comments).
    Post(PostId),
    /// Every session (a product's broadcast through the server API). No session subscribes:
    /// the hub hands the frame to every session it holds, and every instance hears its channel.
    Everyone,
}

/// Who in a topic does not receive a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Except {
    /// Everyone receives it.
    #[default]
    Nobody,
    /// The session that caused it already has its answer.
    Session(SessionId),
    /// None of this user's sessions (a user is not told about their own typing).
    User(UserId),
}

impl Except {
    /// Whether a subscriber is excluded.
    pub fn excludes(self, session: SessionId, user: UserId) -> bool {
        match self {
            Self::Nobody => false,
            Self::Session(s) => s == session,
            Self::User(u) => u == user,
        }
    }
}
