//! The WebSocket upgrade: Origin check, connection limit, and where the token may come from.

use super::session;
use crate::auth::token_from_headers;
use crate::session::{admit, HARD_FRAME_CAP};
use crate::state::AppState;
use axum::extract::{Query, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use protocol::SUBPROTOCOL;
use serde::Deserialize;

/// Initial read buffer of a connection. Chat frames are small; the buffer grows for the rare
/// large one. (The library's default, 128 KiB, made an idle connection cost over 140 KiB.)
const READ_BUFFER: usize = 512;

/// Bytes of queued frames written at once.
const WRITE_BATCH: usize = 16 * 1024;

/// Query parameters of `GET /ws`.
#[derive(Debug, Deserialize)]
pub struct WsQuery {
    /// A token, for clients that cannot set headers.
    token: Option<String>,
}

/// `GET /ws`.
pub async fn handler(
    State(state): State<AppState>,
    Query(query): Query<WsQuery>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let permit = match admit(&state, &headers) {
        Ok(permit) => permit,
        Err(refused) => return refused.into_response(),
    };
    let (protocol_token, offered_subprotocol) = subprotocol_token(&headers);
    let token = query
        .token
        .or(protocol_token)
        .or_else(|| token_from_headers(&headers));
    let ws = if offered_subprotocol {
        ws.protocols([SUBPROTOCOL])
    } else {
        ws
    };
    // Frames queued together are written with one flush (the writer drains its queue), so the
    // write buffer only grows while a backlog is written; an idle connection keeps none.
    ws.max_message_size(HARD_FRAME_CAP)
        .max_frame_size(HARD_FRAME_CAP)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BATCH)
        .on_upgrade(move |socket| session::run(socket, state, token, permit))
}

/// A token offered as `Sec-WebSocket-Protocol: confab, <token>`, and whether `confab` was offered.
fn subprotocol_token(headers: &HeaderMap) -> (Option<String>, bool) {
    let offered: Vec<String> = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    let has_confab = offered.iter().any(|p| p == SUBPROTOCOL);
    let token = offered.into_iter().find(|p| p != SUBPROTOCOL);
    (token.filter(|_| has_confab), has_confab)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn token_in_subprotocol() {
        let h = headers(&[(header::SEC_WEBSOCKET_PROTOCOL, "confab, abc.def.ghi")]);
        assert_eq!(subprotocol_token(&h), (Some("abc.def.ghi".into()), true));
        let other = headers(&[(header::SEC_WEBSOCKET_PROTOCOL, "chat")]);
        assert_eq!(subprotocol_token(&other), (None, false));
    }
}
