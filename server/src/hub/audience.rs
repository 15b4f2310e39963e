//! Who a fan-out frame is for.

use axum::extract::ws::Utf8Bytes;
use protocol::{ConversationId, SessionId, UserId};

/// The recipients of a frame, resolved by each instance against its own connections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Every session of these users, optionally minus one session (the one that caused it).
    Users {
        /// The users.
        users: Vec<UserId>,
        /// A session to skip.
        except: Option<SessionId>,
    },
    /// Every session currently viewing a conversation, optionally minus one.
    Viewers {
        /// The conversation.
        conversation: ConversationId,
        /// A session to skip.
        except: Option<SessionId>,
    },
}

impl Audience {
    /// Every session of these users.
    pub fn users(users: impl IntoIterator<Item = UserId>) -> Self {
        Self::Users {
            users: users.into_iter().collect(),
            except: None,
        }
    }

    /// Every session of one user.
    pub fn user(user: UserId) -> Self {
        Self::users([user])
    }
}

/// A serialized frame and its audience.
#[derive(Clone, Debug)]
pub struct Envelope {
    /// Who receives it.
    pub audience: Audience,
    /// The JSON text, serialized once.
    pub frame: Utf8Bytes,
}
