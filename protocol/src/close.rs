//! WebSocket close codes used by the server (the 4000–4999 range is reserved for applications).
//! Before closing, the server sends an `error` event with the matching [`crate::ErrorCode`].

/// No `authenticate` event arrived within the authentication deadline.
pub const AUTH_TIMEOUT: u16 = 4001;
/// The token was missing, malformed, forged, expired or revoked.
pub const AUTH_FAILED: u16 = 4003;
/// No frame (not even a pong) arrived within the idle timeout.
pub const IDLE_TIMEOUT: u16 = 4004;
/// The client did not read its events fast enough and its outbound queue filled up.
pub const SLOW_CONSUMER: u16 = 4008;
/// All sessions of the user were ended (logout, ban, or an operator's kick).
pub const KICKED: u16 = 4009;
/// The session's token expired on the open connection and no fresh one was given in time
/// (unlike [`KICKED`], nothing was revoked: refresh the session and reconnect).
pub const TOKEN_EXPIRED: u16 = 4010;
/// The server is shutting down; reconnect to another instance or later.
pub const GOING_AWAY: u16 = 1001;
/// A text frame was not valid UTF-8 (RFC 6455 "invalid frame payload data").
pub const INVALID_DATA: u16 = 1007;
/// A frame or message exceeded the hard size cap (1 MiB) (RFC 6455 "message too big").
pub const MESSAGE_TOO_BIG: u16 = 1009;
