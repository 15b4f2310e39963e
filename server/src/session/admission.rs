//! Who may open a session, whatever the transport: the Origin rule, the connection limit and
//! the hard cap on one inbound frame.

use crate::error::AppError;
use crate::state::AppState;
use axum::http::{header, HeaderMap};
use tokio::sync::OwnedSemaphorePermit;

/// A new connection's admission, the same on every transport: an allowed Origin
/// (`ORIGIN_NOT_ALLOWED`), then a place under `--max-connections` (`UNAVAILABLE`), held for as
/// long as the connection lives.
pub fn admit(state: &AppState, headers: &HeaderMap) -> Result<OwnedSemaphorePermit, AppError> {
    if !origin_allowed(headers, &state.config.allowed_origins) {
        return Err(AppError::OriginNotAllowed);
    }
    state.connections.clone().try_acquire_owned().map_err(|_| {
        AppError::Unavailable("the server is at its connection limit; retry later".into())
    })
}

/// Hard cap on one inbound message at the protocol layer, for every transport. Frames between
/// the configured `max_frame_bytes` and this cap are answered with `PAYLOAD_TOO_LARGE` and the
/// connection stays open; beyond it the connection is closed (1009, message too big).
pub const HARD_FRAME_CAP: usize = 1 << 20;

/// Browsers always send Origin on WebSocket upgrades: it must be the page's own origin or an
/// allowed one. Clients without Origin (servers, CLIs) are not browsers and are let through;
/// they still need a token.
pub fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if allowed
        .iter()
        .any(|a| a == "*" || a.trim_end_matches('/') == origin)
    {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    matches!((host, origin_host), (Some(h), Some(o)) if h.eq_ignore_ascii_case(o))
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
    fn same_origin_and_listed_origins_pass() {
        let same = headers(&[
            (header::ORIGIN, "http://localhost:3000"),
            (header::HOST, "localhost:3000"),
        ]);
        assert!(origin_allowed(&same, &[]));
        let listed = headers(&[
            (header::ORIGIN, "https://app.test"),
            (header::HOST, "api.test"),
        ]);
        assert!(origin_allowed(&listed, &["https://app.test".into()]));
        assert!(origin_allowed(&HeaderMap::new(), &[]));
    }

    #[test]
    fn foreign_origins_fail() {
        let evil = headers(&[
            (header::ORIGIN, "https://evil.test"),
            (header::HOST, "localhost:3000"),
        ]);
        assert!(!origin_allowed(&evil, &["https://app.test".into()]));
    }
}
