//! Entry points for fuzzers: each takes arbitrary bytes and runs them through what a client
//! controls, as the server would, and must neither panic nor hang whatever they are. The
//! coverage-guided targets in `fuzz/` (cargo-afl) call these, and so does the fuzz smoke test
//! of the test suite (`server/tests/fuzz.rs`, the checked-in corpus plus random mutations).
//!
//! - [`ws_frame`]: a WebSocket text frame, decoded as `/ws` decodes it (with the request id
//!   recovered from a bad one), then each field through the limits its handler applies;
//! - [`rest_body`]: a REST request body (the first byte picks which), decoded as the `ApiJson`
//!   extractor does and validated as its handler does;
//! - [`socketio_packet`]: an Engine.IO packet, then the Socket.IO packet inside it, then the
//!   event through every gateway vocabulary's parser.

use crate::codec;
use crate::socketio::Vocabulary;
use crate::validate;
use protocol::rest::{
    ChatConversationRequest, CreateCommentRequest, CreateConversationRequest, CreatePostRequest,
    LoginRequest, RegisterRequest,
};
use protocol::ClientEvent;
use serde::de::DeserializeOwned;
use serde_json::Value;
use socketioxide_core::parser::{Parse, ParseConfig, ParserState};

/// The longest message the default configuration takes, in characters.
const MAX_CHARS: usize = 4000;

/// A WebSocket text frame from a client.
pub fn ws_frame(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match codec::decode(text) {
        Ok(frame) => check_event(&frame.event),
        Err(e) => {
            let _ = e.id.map(|id| id.len());
        }
    }
    let _ = codec::request_id(text);
}

/// The limits a client event's handler applies before anything else.
fn check_event(event: &ClientEvent) {
    match event {
        ClientEvent::SendMessage { temp_id, body, .. }
        | ClientEvent::SendDirectMessage { temp_id, body, .. } => {
            let _ = validate::temp_id(temp_id);
            let _ = validate::body(body, MAX_CHARS);
        }
        ClientEvent::EditMessage { body, .. } => {
            let _ = validate::body(body, MAX_CHARS);
        }
        _ => {}
    }
}

/// Decodes a body as the REST extractor does (axum's JSON decoding).
fn json<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    axum::Json::<T>::from_bytes(body).ok().map(|json| json.0)
}

/// A REST request body; the first byte picks the route it is sent to.
pub fn rest_body(data: &[u8]) {
    let Some((route, body)) = data.split_first() else {
        return;
    };
    match route % 6 {
        0 => {
            if let Some(r) = json::<RegisterRequest>(body) {
                let _ = validate::username(&r.username);
                let _ = validate::password(&r.password);
                if let Some(name) = &r.display_name {
                    let _ = validate::label("display name", name, 64);
                }
                if let Some(email) = &r.email {
                    let _ = validate::email(email);
                }
            }
        }
        1 => {
            if let Some(r) = json::<LoginRequest>(body) {
                let _ = validate::username(&r.username);
            }
        }
        2 => {
            if let Some(CreateConversationRequest::Group {
                title,
                platform,
                description,
                ..
            }) = json::<CreateConversationRequest>(body)
            {
                let _ = validate::label("title", &title, 64);
                if let Some(platform) = platform {
                    let _ = validate::platform(&platform);
                }
                let _ = validate::optional_text("description", description.as_deref(), 500);
            }
        }
        3 => {
            if let Some(r) = json::<CreatePostRequest>(body) {
                let _ = validate::body(&r.body, MAX_CHARS);
            }
        }
        4 => {
            if let Some(r) = json::<CreateCommentRequest>(body) {
                let _ = validate::body(&r.body, MAX_CHARS);
            }
        }
        _ => {
            if let Some(r) = json::<ChatConversationRequest>(body) {
                if let Some(name) = &r.name {
                    let _ = validate::label("name", name, 64);
                }
                let _ = validate::optional_text("description", r.description.as_deref(), 500);
            }
        }
    }
}

/// The vocabularies a gateway socket may speak.
const VOCABULARIES: [Vocabulary; 5] = [
    Vocabulary::Kebab,
    Vocabulary::Snake,
    Vocabulary::Messenger,
    Vocabulary::Flask,
    Vocabulary::Hub,
];

/// An Engine.IO packet from a client: its Socket.IO packet, and the event in it as each
/// vocabulary reads it.
pub fn socketio_packet(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let engine =
        engineioxide_core::Packet::parse(engineioxide_core::ProtocolVersion::V4, text.to_owned());
    let Ok(engineioxide_core::Packet::Message(message)) = engine else {
        return;
    };
    let state = ParserState::default();
    let parser = socketioxide_parser_common::CommonParser;
    let Ok(packet) = parser.decode_str(&ParseConfig::default(), &state, message) else {
        return;
    };
    let socketioxide_core::packet::PacketData::Event(value, _) = packet.inner else {
        return;
    };
    let socketioxide_core::Value::Str(text, _) = value else {
        return;
    };
    socketio_event(text.as_str());
}

/// A Socket.IO event's JSON (`[name, argument, …]`) through every vocabulary.
fn socketio_event(json: &str) {
    let Ok(Value::Array(mut items)) = serde_json::from_str::<Value>(json) else {
        return;
    };
    if items.is_empty() {
        return;
    }
    let Value::String(event) = items.remove(0) else {
        return;
    };
    let arg = items.into_iter().next().unwrap_or(Value::Null);
    let _ = Vocabulary::settled_by(&event, &arg);
    for vocabulary in VOCABULARIES {
        if let Ok(crate::socketio::Inbound::Event(event)) = vocabulary.parse(&event, arg.clone()) {
            check_event(&event);
        }
    }
}
