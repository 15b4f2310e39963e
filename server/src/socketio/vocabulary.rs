//! The Socket.IO event vocabularies the gateway speaks, and what they share.
//!
//! A vocabulary turns a Socket.IO event (its name and first argument) into a Confab
//! [`ClientEvent`] (or one of the few gateway-only requests, [`Inbound`]), and a Confab
//! [`ServerEvent`] into the Socket.IO events its clients listen to ([`Emit`]). Nothing else
//! differs between a gateway session and a native one: the same handlers run the same domain
//! calls, with the same checks, limits and error codes.

use super::{hub, kebab, messenger, snake};
pub use crate::clock::iso;
use crate::error::AppError;
use crate::store::now_ms;
use protocol::{
    ClientEvent, ConversationId, ErrorCode, Message, MessageId, PostCounts, PostId, Seq,
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
    /// (Flask-SocketIO social apps).
    Snake,
    /// snake_case, authenticated in the handshake: `private_message`, `conversation_message`,
    /// `message_delivered`, `user_online` / `user_offline` / `online_users`, `user_typing`
    /// (Flask-SocketIO messengers).
    Messenger,
    /// A handshake-authenticated socket that has not yet sent an event only one of the two
    /// Flask-SocketIO vocabularies has ([`Vocabulary::Snake`], [`Vocabulary::Messenger`]): it
    /// takes the events they share and gets both's events, until [`Vocabulary::settled_by`]
    /// tells which it speaks.
    Flask,
    /// camelCase, authenticated by an `authenticate {token}` event after connecting; the
    /// socket listens to all of its user's conversations: `new_message`,
    /// `message_status_update`, `unread_count_update`, `conversation_update` (multi-platform
    /// messaging hubs).
    Hub,
}

impl Vocabulary {
    /// The vocabulary named in the handshake (`auth.vocabulary` or `?vocabulary=`), else the one
    /// that goes with how the client authenticates: a handshake token means snake_case.
    pub fn choose(named: Option<&str>, handshake_token: bool) -> Result<Self, AppError> {
        match named {
            Some("kebab") => Ok(Self::Kebab),
            Some("snake") => Ok(Self::Snake),
            Some("hub") => Ok(Self::Hub),
            Some("messenger") => Ok(Self::Messenger),
            Some(other) => Err(AppError::validation(format!(
                "unknown vocabulary {other:?}: use \"kebab\", \"snake\", \"messenger\" or \"hub\""
            ))),
            None if handshake_token => Ok(Self::Flask),
            None => Ok(Self::Kebab),
        }
    }

    /// The vocabulary a socket that authenticates after connecting turns out to speak, from
    /// its authentication event: `auth` (kebab-case) or `authenticate` (hub).
    pub fn of_auth_event(event: &str) -> Option<Self> {
        match event {
            "auth" => Some(Self::Kebab),
            "authenticate" => Some(Self::Hub),
            _ => None,
        }
    }

    /// The Flask-SocketIO vocabulary an event shows a [`Vocabulary::Flask`] socket to speak, if
    /// only one of the two has it.
    pub fn settled_by(event: &str, arg: &Value) -> Option<Self> {
        if messenger::distinctive(event, arg) {
            return Some(Self::Messenger);
        }
        match event {
            "ping" | "send_message" | "edit_message" | "delete_message" | "mark_delivered"
            | "mark_read" | "subscribe_posts" | "unsubscribe_posts" | "set_status"
            | "get_online_users" => Some(Self::Snake),
            _ => None,
        }
    }

    /// Whether the session is handed the presence of the user's direct contacts when it
    /// starts (`online_users {users}`, then their changes).
    pub fn announces_contacts(self) -> bool {
        matches!(self, Self::Messenger | Self::Flask)
    }

    /// Whether the session watches the newest posts of its user's feed from the start
    /// (snake_case's `like_update` / `comment_update` need no subscription).
    pub fn watches_feed(self) -> bool {
        matches!(self, Self::Snake | Self::Flask)
    }

    /// The Confab request behind a Socket.IO event.
    pub fn parse(self, event: &str, arg: Value) -> Result<Inbound, AppError> {
        match self {
            Self::Kebab => kebab::parse(event, arg),
            Self::Snake => snake::parse(event, arg),
            Self::Messenger => messenger::parse(event, arg),
            // Only the events both have reach it: the others settle the socket first.
            Self::Flask if SHARED_FLASK_EVENTS.contains(&event) => snake::parse(event, arg),
            Self::Flask => Err(unknown(event, Self::Flask)),
            Self::Hub => hub::parse(event, arg),
        }
    }

    /// The Socket.IO events that carry a Confab event to this session (none for events the
    /// vocabulary has no word for).
    pub fn render(self, event: &ServerEvent, memory: &mut Memory) -> Vec<Emit> {
        match self {
            Self::Kebab => kebab::render(event, memory),
            Self::Snake => snake::render(event, memory),
            Self::Messenger => messenger::render(event, memory),
            Self::Flask => {
                let mut emits = snake::render(event, memory);
                for emit in messenger::render(event, memory) {
                    if !emits.iter().any(|e| e.event == emit.event) {
                        emits.push(emit);
                    }
                }
                emits
            }
            Self::Hub => hub::render(event, memory),
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

    /// The error event for a failure (`code`, `message`) of the request `request` (if it was
    /// one), in this vocabulary's shape: `error {code, message}` for kebab- and snake_case,
    /// with the code the reference gives that failure where it has its own (a kebab-case
    /// `join-room` refused is `JOIN_ROOM_FAILED`), else Confab's; the hub's `auth_error
    /// {message}` or `error {error, code, timestamp}`.
    pub fn error(self, request: Option<&str>, code: ErrorCode, message: &str) -> Emit {
        match self {
            Self::Kebab => {
                let own = request.and_then(|event| kebab::error_code(event, code));
                let code = own.unwrap_or(code.as_str());
                Emit::one("error", json!({ "code": code, "message": message }))
            }
            Self::Snake | Self::Messenger | Self::Flask => {
                Emit::one("error", error_json(code, message))
            }
            Self::Hub => hub::error(request, code, message),
        }
    }

    /// [`Vocabulary::error`] for a failed request.
    pub fn failure(self, request: &str, error: &AppError) -> Emit {
        self.error(Some(request), error.code(), &error.public_message())
    }

    /// `get-online-users` / `get_online_users`'s answer.
    pub fn online_users(self, conversation: ConversationId, users: &[UserId]) -> Emit {
        match self {
            Self::Kebab => Emit::one(
                "online-users",
                json!({ "conversationId": conversation, "users": users }),
            ),
            Self::Snake | Self::Messenger | Self::Flask | Self::Hub => Emit::one(
                "online_users",
                json!({ "conversation_id": conversation, "users": users }),
            ),
        }
    }

    /// The event announcing that a session is ready, and its payload (the hub's names the
    /// user's email); a messenger has none (its `online_users` follows).
    pub fn ready(self, user: UserId, sid: &str, email: Option<&str>) -> Option<Emit> {
        match self {
            Self::Kebab => Some(Emit::one("auth-success", json!({ "userId": user }))),
            Self::Hub => Some(hub::ready(user, email)),
            Self::Snake | Self::Flask => Some(Emit::one(
                "connected",
                json!({ "sid": sid, "user_id": user, "timestamp": iso(now_ms()) }),
            )),
            Self::Messenger => None,
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
    /// A Confab client event whose payload names its sender, who must be the user.
    Signed {
        /// The sender the payload names.
        sender: UserId,
        /// The request.
        event: ClientEvent,
    },
    /// Typing to a person (in the direct conversation with them).
    TypingTo {
        /// The typist the payload names, if it does (must be the user).
        sender: Option<UserId>,
        /// The other person.
        recipient: UserId,
        /// Started (`true`) or stopped.
        typing: bool,
    },
}

/// The events both Flask-SocketIO vocabularies have.
const SHARED_FLASK_EVENTS: [&str; 3] = ["join_conversation", "leave_conversation", "typing"];

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
/// name a message), all bounded; for the hub's inbox, the user and the unread count and platform
/// of each of their conversations (as many as they are in). Nothing here costs a query.
#[derive(Debug, Default)]
pub struct Memory {
    names: HashMap<UserId, String>,
    counts: HashMap<PostId, PostCounts>,
    messages: HashMap<(ConversationId, Seq), MessageId>,
    me: Option<UserId>,
    /// Per conversation: the unread count and the newest message it includes.
    unread: HashMap<ConversationId, (i64, Seq)>,
    platforms: HashMap<ConversationId, String>,
    /// The direct conversation with each person the user typed to.
    directs: HashMap<UserId, ConversationId>,
}

impl Memory {
    /// Starts an inbox: the user, their conversations' unread counts (with the newest message
    /// each includes) and the platforms of those that have one.
    pub fn start_inbox(
        &mut self,
        me: UserId,
        unread: impl IntoIterator<Item = (ConversationId, i64, Seq)>,
        platforms: impl IntoIterator<Item = (ConversationId, String)>,
    ) {
        self.me = Some(me);
        self.unread = unread
            .into_iter()
            .map(|(c, n, seq)| (c, (n, seq)))
            .collect();
        self.platforms = platforms.into_iter().collect();
    }

    /// The direct conversation with `user`, if looked up before.
    pub fn direct_with(&self, user: UserId) -> Option<ConversationId> {
        self.directs.get(&user).copied()
    }

    /// Remembers the direct conversation with `user`.
    pub fn remember_direct(&mut self, user: UserId, conversation: ConversationId) {
        if self.directs.len() >= MEMORY_BOUND {
            self.directs.clear();
        }
        self.directs.insert(user, conversation);
    }

    /// The user, once an inbox is started.
    pub fn me(&self) -> Option<UserId> {
        self.me
    }

    /// Counts a new message from someone else as unread, unless the count already includes
    /// it; whether it changed the count.
    pub fn count_unread(&mut self, conversation: ConversationId, seq: Seq) -> bool {
        let (count, through) = self.unread.entry(conversation).or_default();
        if seq <= *through {
            return false;
        }
        *count += 1;
        *through = seq;
        true
    }

    /// Sets a conversation's unread count.
    pub fn set_unread(&mut self, conversation: ConversationId, unread: i64) {
        self.unread.entry(conversation).or_default().0 = unread;
    }

    /// A conversation's unread count.
    pub fn unread_of(&self, conversation: ConversationId) -> i64 {
        self.unread.get(&conversation).map_or(0, |(n, _)| *n)
    }

    /// Every conversation's unread count.
    pub fn unread_counts(&self) -> impl Iterator<Item = (ConversationId, i64)> + '_ {
        self.unread.iter().map(|(c, (n, _))| (*c, *n))
    }

    /// Records where a conversation comes from (`None`: Confab's own).
    pub fn set_platform(&mut self, conversation: ConversationId, platform: Option<&str>) {
        match platform {
            Some(p) => self.platforms.insert(conversation, p.to_owned()),
            None => self.platforms.remove(&conversation),
        };
    }

    /// Where a conversation comes from, if elsewhere.
    pub fn platform_of(&self, conversation: ConversationId) -> Option<&str> {
        self.platforms.get(&conversation).map(String::as_str)
    }

    /// Forgets a conversation the user left.
    pub fn forget_conversation(&mut self, conversation: ConversationId) {
        self.unread.remove(&conversation);
        self.platforms.remove(&conversation);
    }

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
        Vocabulary::Messenger => "messenger (token in the handshake, `private_message`)",
        Vocabulary::Flask => {
            "snake_case or messenger (token in the handshake; neither has this event)"
        }
        Vocabulary::Hub => "hub (`authenticate` after connecting, then listen)",
    };
    AppError::InvalidPayload(format!(
        "unknown event {event:?}: this socket speaks the {name} vocabulary; see the README's \
         Socket.IO event tables"
    ))
}

/// `{code, message}`: the payload of kebab- and snake_case `error` events.
pub fn error_json(code: ErrorCode, message: &str) -> Value {
    json!({ "code": code, "message": message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flask_socket_speaks_both_until_an_event_only_one_has() {
        let settled = |event, arg: Value| Vocabulary::settled_by(event, &arg);
        assert_eq!(
            settled("private_message", json!({})),
            Some(Vocabulary::Messenger)
        );
        let typist = json!({ "user_id": UserId::new(), "conversation_id": ConversationId::new(), "is_typing": true });
        assert_eq!(settled("typing", typist), Some(Vocabulary::Messenger));
        assert_eq!(settled("ping", Value::Null), Some(Vocabulary::Snake));
        assert_eq!(settled("mark_read", json!({})), Some(Vocabulary::Snake));
        let shared = json!({ "conversation_id": ConversationId::new(), "is_typing": true });
        assert_eq!(settled("typing", shared.clone()), None);
        assert_eq!(settled("join_conversation", json!({})), None);
        // Meanwhile: the shared events work, and each event goes out in both's words once.
        assert!(matches!(
            Vocabulary::Flask.parse("typing", shared),
            Ok(Inbound::Event(ClientEvent::TypingStart { .. }))
        ));
        assert!(Vocabulary::Flask.parse("send_message", json!({})).is_err());
        let typing = ServerEvent::TypingStarted {
            conversation_id: ConversationId::new(),
            user_id: UserId::new(),
            display_name: "Bob".into(),
        };
        let names: Vec<_> = Vocabulary::Flask
            .render(&typing, &mut Memory::default())
            .into_iter()
            .map(|e| e.event)
            .collect();
        assert_eq!(names, ["typing", "user_typing"]);
        let error = ServerEvent::Error {
            code: ErrorCode::NotAMember,
            message: "no".into(),
        };
        assert_eq!(
            Vocabulary::Flask
                .render(&error, &mut Memory::default())
                .len(),
            1
        );
    }

    #[test]
    fn the_handshake_decides_unless_a_vocabulary_is_named() {
        assert_eq!(Vocabulary::choose(None, true).unwrap(), Vocabulary::Flask);
        assert_eq!(
            Vocabulary::choose(Some("messenger"), true).unwrap(),
            Vocabulary::Messenger
        );
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
