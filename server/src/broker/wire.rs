//! What instances say to each other over Redis: one channel per topic, and envelopes that carry
//! an already-serialized frame (copied once into the envelope, never re-encoded), a presence
//! change, or a membership change for one user's sessions.
//!
//! Envelope layout: one kind byte (`F`, `P` or `M`), the 16 bytes of the sending instance's id
//! (an instance ignores its own envelopes: it delivered locally already), then
//! - `F` (frame): one byte for who is excluded (0 nobody, 1 a session, 2 a user), 16 bytes of
//!   that id (zeros for nobody), and the frame's UTF-8 text;
//! - `P` (presence): the [`Presence`] as JSON;
//! - `M` (membership): a [`Membership`] as JSON;
//! - `C` (counters): a post's [`PostCounts`] as JSON (each instance coalesces what it delivers);
//! - `R` (resync): nothing more. Sent on the [`CONTROL`] channel, which every instance hears,
//!   by an instance some of whose envelopes never reached Redis (an outage of its own, or a full
//!   publish queue): every other instance tells its sessions to `resync`.

use crate::topic::{Except, Topic};
use protocol::{ConversationId, ErrorCode, PostCounts, Presence, SessionId, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Every channel name starts with this.
pub const PREFIX: &str = "confab:";

/// The channel every instance listens to for as long as it runs: resync requests.
pub const CONTROL: &str = "confab:ctl";

/// The channel of [`Topic::Everyone`], which every instance listens to for as long as it runs.
pub const EVERYONE: &str = "confab:all";

/// The channels a topic is carried on. A user's own sessions also hear their presence changes,
/// so the user topic listens to the presence channel too.
pub fn channels(topic: Topic) -> Vec<String> {
    match topic {
        Topic::User(u) => vec![channel(topic), format!("{PREFIX}p:{u}")],
        other => vec![channel(other)],
    }
}

/// The channel a topic's frames are published on.
pub fn channel(topic: Topic) -> String {
    match topic {
        Topic::User(u) => format!("{PREFIX}u:{u}"),
        Topic::Conversation(c) => format!("{PREFIX}c:{c}"),
        Topic::Viewers(c) => format!("{PREFIX}v:{c}"),
        Topic::Presence(u) => format!("{PREFIX}p:{u}"),
        Topic::Post(p) => format!("{PREFIX}o:{p}"),
        Topic::Everyone => EVERYONE.to_owned(),
    }
}

/// The topic of a channel name (`None` for anything else).
pub fn topic_of(channel: &str) -> Option<Topic> {
    if channel == EVERYONE {
        return Some(Topic::Everyone);
    }
    let rest = channel.strip_prefix(PREFIX)?;
    let (kind, id) = rest.split_once(':')?;
    let id: Uuid = id.parse().ok()?;
    Some(match kind {
        "u" => Topic::User(UserId(id)),
        "c" => Topic::Conversation(ConversationId(id)),
        "v" => Topic::Viewers(ConversationId(id)),
        "p" => Topic::Presence(UserId(id)),
        "o" => Topic::Post(protocol::PostId(id)),
        _ => return None,
    })
}

/// A membership change, carried on the channel of the user it concerns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Membership {
    /// The user's sessions enter a conversation's topic.
    Joined {
        /// Who.
        user: UserId,
        /// Which conversation.
        conversation: ConversationId,
    },
    /// The user's sessions leave a conversation's topics.
    Left {
        /// Who.
        user: UserId,
        /// Which conversation.
        conversation: ConversationId,
    },
    /// The user's sessions stop watching another user's presence (they blocked them).
    Unwatched {
        /// Who.
        user: UserId,
        /// Whose presence.
        watched: UserId,
    },
    /// The user's sessions are closed (kicked, banned, signed out everywhere).
    Closed {
        /// Who.
        user: UserId,
        /// WebSocket close code.
        close_code: u16,
        /// The error code of the final `error` event.
        error: ErrorCode,
        /// Why, in words.
        message: String,
    },
}

/// A decoded envelope.
#[derive(Debug, PartialEq)]
pub enum Envelope {
    /// A frame for a topic's sessions.
    Frame {
        /// Who does not get it.
        except: Except,
        /// The frame's text.
        frame: String,
    },
    /// A presence change.
    Presence(Presence),
    /// A membership change.
    Membership(Membership),
    /// A post's new counters.
    Counts(PostCounts),
    /// Some of the sender's envelopes were lost: every session should resync.
    Resync,
}

fn header(kind: u8, origin: Uuid, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + 16 + capacity);
    out.push(kind);
    out.extend_from_slice(origin.as_bytes());
    out
}

/// Encodes a frame envelope.
pub fn frame(origin: Uuid, except: Except, frame: &str) -> Vec<u8> {
    let mut out = header(b'F', origin, 17 + frame.len());
    let (tag, id) = match except {
        Except::Nobody => (0, Uuid::nil()),
        Except::Session(s) => (1, s.0),
        Except::User(u) => (2, u.0),
    };
    out.push(tag);
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(frame.as_bytes());
    out
}

/// Encodes a presence envelope.
pub fn presence(origin: Uuid, presence: &Presence) -> Vec<u8> {
    let json = serde_json::to_vec(presence).unwrap_or_default();
    let mut out = header(b'P', origin, json.len());
    out.extend_from_slice(&json);
    out
}

/// Encodes a membership envelope.
pub fn membership(origin: Uuid, change: &Membership) -> Vec<u8> {
    let json = serde_json::to_vec(change).unwrap_or_default();
    let mut out = header(b'M', origin, json.len());
    out.extend_from_slice(&json);
    out
}

/// Encodes a counters envelope.
pub fn counts(origin: Uuid, counts: &PostCounts) -> Vec<u8> {
    let json = serde_json::to_vec(counts).unwrap_or_default();
    let mut out = header(b'C', origin, json.len());
    out.extend_from_slice(&json);
    out
}

/// Encodes a resync request.
pub fn resync(origin: Uuid) -> Vec<u8> {
    header(b'R', origin, 0)
}

/// Decodes an envelope: its origin and content (`None` if it is not one).
pub fn decode(bytes: &[u8]) -> Option<(Uuid, Envelope)> {
    let (&kind, rest) = bytes.split_first()?;
    let origin = Uuid::from_slice(rest.get(..16)?).ok()?;
    let body = &rest[16..];
    let envelope = match kind {
        b'F' => {
            let (&tag, rest) = body.split_first()?;
            let id = Uuid::from_slice(rest.get(..16)?).ok()?;
            let except = match tag {
                0 => Except::Nobody,
                1 => Except::Session(SessionId(id)),
                2 => Except::User(UserId(id)),
                _ => return None,
            };
            let frame = String::from_utf8(rest[16..].to_vec()).ok()?;
            Envelope::Frame { except, frame }
        }
        b'P' => Envelope::Presence(serde_json::from_slice(body).ok()?),
        b'M' => Envelope::Membership(serde_json::from_slice(body).ok()?),
        b'C' => Envelope::Counts(serde_json::from_slice(body).ok()?),
        b'R' if body.is_empty() => Envelope::Resync,
        _ => return None,
    };
    Some((origin, envelope))
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{PostId, PresenceStatus};

    #[test]
    fn every_topic_has_a_channel_that_names_it_back() {
        for topic in [
            Topic::User(UserId::new()),
            Topic::Conversation(ConversationId::new()),
            Topic::Viewers(ConversationId::new()),
            Topic::Presence(UserId::new()),
            Topic::Post(PostId::new()),
        ] {
            assert_eq!(topic_of(&channel(topic)), Some(topic));
        }
        assert_eq!(topic_of("confab:x:1"), None);
        assert_eq!(topic_of("other:u:1"), None);
    }

    #[test]
    fn envelopes_round_trip() {
        let origin = Uuid::now_v7();
        let session = SessionId::new();
        for except in [
            Except::Nobody,
            Except::Session(session),
            Except::User(UserId::new()),
        ] {
            let bytes = frame(origin, except, r#"{"type":"pong"}"#);
            let expected = Envelope::Frame {
                except,
                frame: r#"{"type":"pong"}"#.into(),
            };
            assert_eq!(decode(&bytes), Some((origin, expected)));
        }
        let p = Presence {
            user_id: UserId::new(),
            status: PresenceStatus::Away,
            last_seen_at: Some(5),
        };
        assert_eq!(
            decode(&presence(origin, &p)),
            Some((origin, Envelope::Presence(p)))
        );
        let m = Membership::Left {
            user: UserId::new(),
            conversation: ConversationId::new(),
        };
        assert_eq!(
            decode(&membership(origin, &m)),
            Some((origin, Envelope::Membership(m)))
        );
        let c = PostCounts {
            post_id: protocol::PostId::new(),
            like_count: 3,
            comment_count: 1,
            version: 9,
        };
        assert_eq!(
            decode(&counts(origin, &c)),
            Some((origin, Envelope::Counts(c)))
        );
        assert_eq!(decode(&resync(origin)), Some((origin, Envelope::Resync)));
        assert_eq!(decode(b"F"), None);
        assert_eq!(decode(b"X0123456789abcdef"), None);
    }
}
