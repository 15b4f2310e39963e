//! The Socket.IO event vocabularies the gateway speaks: which one a socket uses, and the
//! dispatch to it.
//!
//! A vocabulary turns a Socket.IO event (its name and first argument) into a Confab
//! [`ClientEvent`] (or one of the few gateway-only requests, [`Inbound`]), and a Confab
//! [`ServerEvent`] into the Socket.IO events its clients listen to ([`Emit`]). Nothing else
//! differs between a gateway session and a native one: the same handlers run the same domain
//! calls, with the same checks, limits and error codes.

use super::events::{error_json, iso, unknown, Emit, Inbound};
use super::memory::Memory;
use super::{hub, kebab, messenger, snake};
use crate::error::AppError;
use crate::store::now_ms;
use protocol::{ConversationId, ErrorCode, ServerEvent, UserId};
use serde_json::{json, Value};

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
    /// that goes with how the client authenticates: a handshake token means one of the two
    /// Flask-SocketIO vocabularies ([`Vocabulary::Flask`] until an event tells which).
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
            Self::Flask => Err(unknown(event, FLASK)),
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

/// How an unsettled Flask-SocketIO socket is named in errors.
const FLASK: &str = "snake_case or messenger (token in the handshake; neither has this event)";

/// The events both Flask-SocketIO vocabularies have.
const SHARED_FLASK_EVENTS: [&str; 4] = [
    "join_conversation",
    "leave_conversation",
    "typing",
    "refresh_token",
];

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::ClientEvent;

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
            .map(|e| e.event.clone())
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
}
