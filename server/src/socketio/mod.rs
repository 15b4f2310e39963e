//! The Socket.IO v4 gateway at `/socket.io/`, for front-ends that already speak Socket.IO.
//!
//! It is a transport, like [`crate::ws`]: each socket is a Confab session ([`crate::session`])
//! whose events run through the same handlers and the domain layer, with the same
//! authentication, Origin check, connection limit, membership checks, rate and size limits and
//! error codes. Gateway and native sessions share the hub, so each side sees the other's
//! messages, typing and presence. Four event vocabularies are spoken ([`vocabulary`]): the
//! kebab-case one of Node Socket.IO chat servers ([`kebab`]), the snake_case ones of
//! Flask-SocketIO social apps ([`snake`]) and messengers ([`messenger`]), and the listening
//! inbox of multi-platform messaging hubs ([`hub`]).
//!
//! Connecting: the connect middleware checks the Origin and the connection limit, picks the
//! vocabulary, and verifies a handshake token (`auth: {token}`); a refusal is a
//! `connect_error` whose message starts with the error code (`AUTH_FAILED: …`).

mod events;
mod hub;
mod kebab;
mod memory;
mod messenger;
mod session;
mod shared;
mod snake;
mod vocabulary;

use crate::error::AppError;
use crate::session::HARD_FRAME_CAP;
use crate::state::AppState;
pub use events::Inbound;
use protocol::ErrorCode;
use serde::Deserialize;
use session::Admission;
use socketioxide::extract::{SocketRef, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use socketioxide::SocketIo;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
pub use vocabulary::Vocabulary;

/// The handshake's `auth` object (all optional).
#[derive(Debug, Default, Deserialize)]
struct Handshake {
    /// A Confab access token: the session is authenticated at once (snake_case vocabulary
    /// unless another is named).
    token: Option<String>,
    /// `"kebab"`, `"snake"`, `"messenger"` or `"hub"`, to choose the vocabulary explicitly.
    vocabulary: Option<String>,
}

/// Why a connection was refused: sent as the `connect_error` message, `CODE: explanation`.
#[derive(Debug)]
struct Refusal {
    code: ErrorCode,
    message: String,
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        Self {
            code: error.code(),
            message: error.public_message(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = serde_json::to_value(self.code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        write!(f, "{code}: {}", self.message)
    }
}

/// The Socket.IO layer, to wrap the app's router (it answers `--socketio-path`, `/socket.io/` by
/// default, and passes every other request on).
pub fn layer(state: &AppState) -> SocketIoLayer {
    let config = &state.config;
    // As on `/ws`: events over `max_frame_bytes` are refused one by one (the session goes on);
    // beyond `maxPayload` (at most the hard cap) the transport is closed.
    let max_payload = config
        .socketio_max_payload
        .min(u64::try_from(HARD_FRAME_CAP).unwrap_or(u64::MAX));
    let max_message = usize::try_from(max_payload).unwrap_or(HARD_FRAME_CAP);
    let (layer, io) = SocketIo::builder()
        .req_path(config.socketio_path.clone())
        .ping_interval(Duration::from_millis(config.socketio_ping_interval_ms))
        .ping_timeout(Duration::from_millis(config.socketio_ping_timeout_ms))
        .max_payload(max_payload)
        // Chat events are small; a larger one is read in several chunks.
        .ws_read_buffer_size(1024)
        .ws_max_message_size(max_message)
        .ws_max_frame_size(max_message)
        .max_buffer_size(config.outbound_queue)
        .connect_timeout(config.auth_timeout())
        .build_layer();
    let admit_state = state.clone();
    let admit = move |socket: SocketRef, TryData(auth): TryData<Handshake>| {
        let state = admit_state.clone();
        async move {
            let admission = admit(&state, &socket, auth).await?;
            socket.extensions.insert(admission);
            Ok::<(), Refusal>(())
        }
    };
    let start_state = state.clone();
    // One per server: every gateway session renders a shared frame through it.
    let renders = Arc::new(shared::SharedRenders::default());
    let connected = move |socket: SocketRef| {
        // Synchronously, as the library calls this right after sending the CONNECT packet:
        // the socket's event handlers are in place before any event of the client is read.
        match socket.extensions.remove::<Admission>() {
            Some(admission) => {
                session::start(socket, start_state.clone(), admission, renders.clone())
            }
            None => {
                let _ = socket.disconnect();
            }
        }
        async {}
    };
    io.ns("/", connected.with(admit));
    layer
}

/// The connect middleware's checks, in order: Origin, connection limit, vocabulary, token.
async fn admit(
    state: &AppState,
    socket: &SocketRef,
    auth: Result<Handshake, socketioxide::ParserError>,
) -> Result<Admission, Refusal> {
    let parts = socket.req_parts();
    let permit = crate::session::admit(state, &parts.headers)?;
    let auth = auth.map_err(|e| {
        AppError::InvalidPayload(format!("the handshake's auth must be an object: {e}"))
    })?;
    let named = auth
        .vocabulary
        .or_else(|| query_param(parts.uri.query(), "vocabulary"));
    let token = auth
        .token
        .or_else(|| query_param(parts.uri.query(), "token"));
    let vocabulary = Vocabulary::choose(named.as_deref(), token.is_some())?;
    let user = match token {
        Some(token) => Some(crate::auth::check(&state.jwt, &state.store, &token).await?),
        None => None,
    };
    Ok(Admission {
        permit: Arc::new(permit),
        vocabulary,
        named: named.is_some(),
        user,
    })
}

/// A query parameter's value (plain words and tokens: no percent-decoding needed).
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_start_with_the_stable_code() {
        let refusal = Refusal::from(AppError::AuthFailed("invalid token".into()));
        assert!(refusal.to_string().starts_with("AUTH_FAILED: "));
    }

    #[test]
    fn query_parameters() {
        let query = Some("EIO=4&transport=websocket&vocabulary=kebab");
        assert_eq!(query_param(query, "vocabulary").as_deref(), Some("kebab"));
        assert_eq!(query_param(query, "token"), None);
    }
}
