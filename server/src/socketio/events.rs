//! What the vocabularies share: a parsed Socket.IO event ([`Inbound`]), an event to send
//! ([`Emit`]), and the helpers each vocabulary reads and writes payloads with.

pub use crate::clock::iso;
use crate::error::AppError;
use protocol::{ClientEvent, ConversationId, ErrorCode, UserId};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::borrow::Cow;

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

/// One Socket.IO event to send: its name and arguments.
#[derive(Debug, PartialEq)]
pub struct Emit {
    /// The event name (the vocabulary's word, or a product's own event name).
    pub event: Cow<'static, str>,
    /// Its arguments (at most four).
    pub args: Vec<Value>,
}

impl Emit {
    /// An event with one argument.
    pub fn one(event: impl Into<Cow<'static, str>>, arg: Value) -> Self {
        Self {
            event: event.into(),
            args: vec![arg],
        }
    }

    /// An event with several arguments.
    pub fn many(event: impl Into<Cow<'static, str>>, args: Vec<Value>) -> Self {
        Self {
            event: event.into(),
            args,
        }
    }
}

/// A product's own event (server API): the event `name` itself, `data` its argument, the same
/// in every vocabulary.
pub fn custom(name: &str, data: &Value) -> Vec<Emit> {
    vec![Emit::one(name.to_owned(), data.clone())]
}

/// Reads an event's argument as `T`, or `INVALID_PAYLOAD` naming the event and what it takes.
pub fn arg<T: DeserializeOwned>(event: &str, arg: Value, expected: &str) -> Result<T, AppError> {
    serde_json::from_value(arg)
        .map_err(|e| AppError::InvalidPayload(format!("{event} takes {expected}: {e}")))
}

/// A token argument: the token itself, or `{token}`.
pub fn token_arg(event: &str, value: Value) -> Result<String, AppError> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Token {
        Plain(String),
        Object { token: String },
    }
    match arg::<Token>(event, value, "a token, or {token}")? {
        Token::Plain(token) | Token::Object { token } => Ok(token),
    }
}

/// The error for an event name the vocabulary does not have. Naming the socket's vocabulary
/// (`spoken`: its name and how it authenticates) tells a client that mixes two
/// (`join_conversation` on a kebab-case socket) what is wrong.
pub fn unknown(event: &str, spoken: &str) -> AppError {
    AppError::InvalidPayload(format!(
        "unknown event {event:?}: this socket speaks the {spoken} vocabulary; see the README's \
         Socket.IO event tables"
    ))
}

/// `{code, message}`: the payload of kebab- and snake_case `error` events.
pub fn error_json(code: ErrorCode, message: &str) -> Value {
    json!({ "code": code, "message": message })
}
