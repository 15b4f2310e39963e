//! Stable error codes. The same codes appear in WebSocket `error` events and in REST error bodies
//! (`{"error": {"code": "...", "message": "..."}}`); clients branch on the code, never the message.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A machine-readable error code, serialized in SCREAMING_SNAKE_CASE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The WebSocket was not authenticated within the deadline; the server closes it.
    AuthTimeout,
    /// The credentials or token were invalid, forged, expired or revoked.
    AuthFailed,
    /// The request needs authentication and none was given.
    NotAuthenticated,
    /// `authenticate` was sent on a session that is already authenticated.
    AlreadyAuthenticated,
    /// The frame or body was not valid JSON, or not a known event with the right fields.
    InvalidPayload,
    /// The frame or body is larger than the configured limit.
    PayloadTooLarge,
    /// A field failed validation (empty or over-long text, bad username, etc.).
    ValidationFailed,
    /// Too many events or requests in a short time; slow down and retry.
    RateLimited,
    /// The user is not a member of the conversation.
    NotAMember,
    /// The user may not perform this action (e.g. editing someone else's message).
    Forbidden,
    /// One of the two people blocked the other: no direct messages between them (since protocol
    /// version 6). The message says which way, to the one who blocked.
    Blocked,
    /// The referenced resource does not exist (or is not visible to the caller).
    NotFound,
    /// The resource already exists (e.g. the username is taken).
    Conflict,
    /// The WebSocket upgrade came from an Origin that is not allowed.
    OriginNotAllowed,
    /// The client was too slow to read its events and was disconnected.
    SlowConsumer,
    /// The session was ended by logout, ban or an operator.
    Kicked,
    /// The connection was idle for too long.
    IdleTimeout,
    /// The session's token expired before a fresh one was given (`refresh_token`); the server
    /// closes the connection. Sign in again (or refresh the session) and reconnect.
    TokenExpired,
    /// The server is at its connection limit or a dependency is down; retry later.
    Unavailable,
    /// An unexpected server-side failure. Details are logged on the server, never sent.
    Internal,
}

impl ErrorCode {
    /// The wire spelling of the code, e.g. `NOT_A_MEMBER`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthTimeout => "AUTH_TIMEOUT",
            Self::AuthFailed => "AUTH_FAILED",
            Self::NotAuthenticated => "NOT_AUTHENTICATED",
            Self::AlreadyAuthenticated => "ALREADY_AUTHENTICATED",
            Self::InvalidPayload => "INVALID_PAYLOAD",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::ValidationFailed => "VALIDATION_FAILED",
            Self::RateLimited => "RATE_LIMITED",
            Self::NotAMember => "NOT_A_MEMBER",
            Self::Forbidden => "FORBIDDEN",
            Self::Blocked => "BLOCKED",
            Self::NotFound => "NOT_FOUND",
            Self::Conflict => "CONFLICT",
            Self::OriginNotAllowed => "ORIGIN_NOT_ALLOWED",
            Self::SlowConsumer => "SLOW_CONSUMER",
            Self::TokenExpired => "TOKEN_EXPIRED",
            Self::Kicked => "KICKED",
            Self::IdleTimeout => "IDLE_TIMEOUT",
            Self::Unavailable => "UNAVAILABLE",
            Self::Internal => "INTERNAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of every REST error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct ErrorBody {
    /// The error itself.
    pub error: ErrorDetail,
}

/// A code plus a human-readable message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema)
)]
pub struct ErrorDetail {
    /// The stable, machine-readable code.
    pub code: ErrorCode,
    /// A human-readable explanation; wording may change between versions.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_str_matches_serde() {
        for code in [
            ErrorCode::AuthTimeout,
            ErrorCode::NotAMember,
            ErrorCode::PayloadTooLarge,
            ErrorCode::Blocked,
            ErrorCode::Internal,
        ] {
            assert_eq!(
                serde_json::to_string(&code).unwrap(),
                format!("\"{}\"", code.as_str())
            );
        }
    }
}
