//! The two Socket.IO event vocabularies the gateway speaks, and what they share.
//!
//! A vocabulary turns a Socket.IO event (its name and first argument) into a Confab
//! [`ClientEvent`] (or one of the few gateway-only requests, [`Inbound`]), and a Confab
//! [`ServerEvent`] into the Socket.IO events its clients listen to ([`Emit`]). Nothing else
//! differs between a gateway session and a native one: the same handlers run the same domain
//! calls, with the same checks, limits and error codes.

use super::{kebab, snake};
use crate::error::AppError;
use crate::store::now_ms;
use protocol::{
    ClientEvent, ConversationId, ErrorCode, Message, MessageId, Millis, PostCounts, PostId, Seq,
    ServerEvent, UserId,
};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Entries kept in a session's [`Memory`] maps before they are cleared.
const MEMORY_BOUND: usize = 4096;

/// Which event names a Socket.IO session uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Vocabulary {
    /// kebab-case, authenticated by an `auth` event after connecting: `join-room`,
    /// `message-new`, `typing`, `presence`, `receipt`, `heartbeat`, `get-online-users`…
    /// (Node Socket.IO chat servers with Redis).
    Kebab,
    /// snake_case, authenticated in the handshake (`auth: {token}`): `join_conversation`,
    /// `new_message`, `typing`, `user_status`, `notification`, `like_update`, `ping`…
    /// (Flask-SocketIO).
    Snake,
}

impl Vocabulary {
    /// The vocabulary named in the handshake (`auth.vocabulary` or `?vocabulary=`), else the one
    /// that goes with how the client authenticates: a handshake token means snake_case.
    pub fn choose(named: Option<&str>, handshake_token: bool) -> Result<Self, AppError> {
        match named {
            Some("kebab") => Ok(Self::Kebab),
            Some("snake") => Ok(Self::Snake),
            Some(other) => Err(AppError::validation(format!(
                "unknown vocabulary {other:?}: use \"kebab\" or \"snake\""
            ))),
            None if handshake_token => Ok(Self::Snake),
            None => Ok(Self::Kebab),
        }
    }

    /// The Confab request behind a Socket.IO event.
    pub fn parse(self, event: &str, arg: Value) -> Result<Inbound, AppError> {
        match self {
            Self::Kebab => kebab::parse(event, arg),
            Self::Snake => snake::parse(event, arg),
        }
    }

    /// The Socket.IO events that carry a Confab event to this session (none for events the
    /// vocabulary has no word for).
    pub fn render(self, event: &ServerEvent, memory: &mut Memory) -> Vec<Emit> {
        match self {
            Self::Kebab => kebab::render(event, memory),
            Self::Snake => snake::render(event, memory),
        }
    }

    /// The acknowledgement of a request whose reply is `event` (rendered as `emits`):
    /// `{ok: false, error: {code, message}}`, or `{ok: true, data}` with what the reply
    /// carries (for a kebab-case send: `{tempId, messageId, message}`, which `message-ack`
    /// spreads over two arguments).
    pub fn ack_data(self, event: &ServerEvent, emits: &[Emit]) -> Value {
        match event {
            ServerEvent::Error { code, message } => {
                json!({ "ok": false, "error": error_json(*code, message) })
            }
            ServerEvent::MessageAck { temp_id, message } if self == Self::Kebab => json!({
                "ok": true,
                "data": {
                    "tempId": temp_id,
                    "messageId": message.id,
                    "message": kebab::message_json(message),
                }
            }),
            _ => {
                let data = emits.first().and_then(|e| e.args.first()).cloned();
                json!({ "ok": true, "data": data })
            }
        }
    }

    /// The error for a failed request (`event`): `{code, message}`, with the code the
    /// vocabulary's reference gives that failure where it has its own (a kebab-case
    /// `join-room` refused is `JOIN_ROOM_FAILED`), else Confab's.
    pub fn request_error(self, event: &str, error: &AppError) -> Value {
        let own = match self {
            Self::Kebab => kebab::error_code(event, error.code()),
            Self::Snake => None,
        };
        match own {
            Some(code) => json!({ "code": code, "message": error.public_message() }),
            None => app_error_json(error),
        }
    }

    /// `get-online-users` / `get_online_users`'s answer.
    pub fn online_users(self, conversation: ConversationId, users: &[UserId]) -> Emit {
        match self {
            Self::Kebab => Emit::one(
                "online-users",
                json!({ "conversationId": conversation, "users": users }),
            ),
            Self::Snake => Emit::one(
                "online_users",
                json!({ "conversation_id": conversation, "users": users }),
            ),
        }
    }

    /// The event announcing that a session is ready, and its payload.
    pub fn ready(self, user: UserId, sid: &str) -> Emit {
        match self {
            Self::Kebab => Emit::one("auth-success", json!({ "userId": user })),
            Self::Snake => Emit::one(
                "connected",
                json!({ "sid": sid, "user_id": user, "timestamp": iso(now_ms()) }),
            ),
        }
    }
}

/// What a Socket.IO event asks for.
#[derive(Debug, PartialEq)]
pub enum Inbound {
    /// A Confab client event, run by the native handlers.
    Event(ClientEvent),
    /// `auth` with its token (the kebab vocabulary's authentication).
    Auth(String),
    /// `get-online-users`: the members of a conversation who are online.
    OnlineUsers(ConversationId),
}

/// One Socket.IO event to send: its name and arguments.
#[derive(Debug, PartialEq)]
pub struct Emit {
    /// The event name.
    pub event: &'static str,
    /// Its arguments (at most four).
    pub args: Vec<Value>,
}

impl Emit {
    /// An event with one argument.
    pub fn one(event: &'static str, arg: Value) -> Self {
        Self {
            event,
            args: vec![arg],
        }
    }

    /// An event with several arguments.
    pub fn many(event: &'static str, args: Vec<Value>) -> Self {
        Self { event, args }
    }
}

/// What a session remembers to render events its vocabulary shapes differently from Confab:
/// display names (typing events name the typer), the last counters of each watched post (likes
/// and comments are separate events) and the ids of the messages it saw by position (receipts
/// name a message). All bounded; nothing here costs a query.
#[derive(Debug, Default)]
pub struct Memory {
    names: HashMap<UserId, String>,
    counts: HashMap<PostId, PostCounts>,
    messages: HashMap<(ConversationId, Seq), MessageId>,
}

impl Memory {
    /// Remembers a user's display name.
    pub fn name(&mut self, user: UserId, name: &str) {
        if self.names.len() >= MEMORY_BOUND {
            self.names.clear();
        }
        self.names.insert(user, name.to_owned());
    }

    /// A user's display name, if known.
    pub fn name_of(&self, user: UserId) -> Option<&str> {
        self.names.get(&user).map(String::as_str)
    }

    /// Records a post's counters; returns the previous ones (`None` the first time). A stale
    /// update (an older version) is not recorded and comes back as its own previous value, so
    /// that it reads as no change.
    pub fn counts(&mut self, counts: &PostCounts) -> Option<PostCounts> {
        if let Some(old) = self.counts.get(&counts.post_id) {
            if old.version > counts.version {
                // Stale (counters are coalesced and versioned): keep the newer ones.
                return Some(*counts);
            }
        }
        if self.counts.len() >= MEMORY_BOUND {
            self.counts.clear();
        }
        self.counts.insert(counts.post_id, *counts)
    }

    /// Remembers a message this session saw.
    pub fn message(&mut self, message: &Message) {
        if self.messages.len() >= MEMORY_BOUND {
            self.messages.clear();
        }
        self.messages
            .insert((message.conversation_id, message.seq), message.id);
    }

    /// The id of the message at a position, if this session saw it.
    pub fn message_at(&self, conversation: ConversationId, seq: Seq) -> Option<MessageId> {
        self.messages.get(&(conversation, seq)).copied()
    }

    /// The last known comment count of a post.
    pub fn comment_count(&self, post: PostId) -> Option<i64> {
        self.counts.get(&post).map(|c| c.comment_count)
    }
}

/// Reads an event's argument as `T`, or `INVALID_PAYLOAD` naming the event and what it takes.
pub fn arg<T: DeserializeOwned>(event: &str, arg: Value, expected: &str) -> Result<T, AppError> {
    serde_json::from_value(arg)
        .map_err(|e| AppError::InvalidPayload(format!("{event} takes {expected}: {e}")))
}

/// The error for an event name the vocabulary does not have. Naming the socket's vocabulary
/// tells a client that mixes the two (`join_conversation` on a kebab-case socket) what is wrong.
pub fn unknown(event: &str, vocabulary: Vocabulary) -> AppError {
    let name = match vocabulary {
        Vocabulary::Kebab => "kebab-case (`auth` after connecting)",
        Vocabulary::Snake => "snake_case (token in the handshake)",
    };
    AppError::InvalidPayload(format!(
        "unknown event {event:?}: this socket speaks the {name} vocabulary; see the README's \
         Socket.IO event tables"
    ))
}

/// A Confab timestamp as RFC 3339 (`2025-01-15T12:00:00.000Z`), as both vocabularies send them.
pub fn iso(at: Millis) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `{code, message}`: the payload of every `error` event.
pub fn error_json(code: ErrorCode, message: &str) -> Value {
    json!({ "code": code, "message": message })
}

/// [`error_json`] of an [`AppError`].
pub fn app_error_json(error: &AppError) -> Value {
    error_json(error.code(), &error.public_message())
}

/// The acknowledgement of a failed request: `{ok: false, error: {code, message}}`.
pub fn ack_error(error: &AppError) -> Value {
    json!({ "ok": false, "error": app_error_json(error) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_in_utc() {
        assert_eq!(iso(1_736_942_400_123), "2025-01-15T12:00:00.123Z");
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn the_handshake_decides_unless_a_vocabulary_is_named() {
        assert_eq!(Vocabulary::choose(None, true).unwrap(), Vocabulary::Snake);
        assert_eq!(Vocabulary::choose(None, false).unwrap(), Vocabulary::Kebab);
        assert_eq!(
            Vocabulary::choose(Some("kebab"), true).unwrap(),
            Vocabulary::Kebab
        );
        assert!(Vocabulary::choose(Some("klingon"), false).is_err());
    }

    #[test]
    fn counters_keep_the_newest_version() {
        let post = PostId::new();
        let counts = |likes, version| PostCounts {
            post_id: post,
            like_count: likes,
            comment_count: 0,
            version,
        };
        let mut memory = Memory::default();
        assert_eq!(memory.counts(&counts(1, 1)), None);
        assert_eq!(memory.counts(&counts(3, 3)), Some(counts(1, 1)));
        // An older version changes nothing.
        assert_eq!(memory.counts(&counts(2, 2)), Some(counts(2, 2)));
        assert_eq!(memory.counts.get(&post), Some(&counts(3, 3)));
    }
}
