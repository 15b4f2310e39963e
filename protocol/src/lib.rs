//! # Confab protocol
//!
//! The public wire contract between Confab servers and their clients. Everything here is plain
//! serde data that compiles for native targets and `wasm32-unknown-unknown`.
//!
//! - [`ids`]: typed, time-ordered (UUID v7) identifiers.
//! - [`model`]: the shared data shapes (user, conversation, message, presence, receipt, unread).
//! - [`client`]: events a client sends over the WebSocket ([`ClientFrame`]).
//! - [`server`]: events the server sends over the WebSocket ([`ServerFrame`]).
//! - [`error`]: the stable [`ErrorCode`]s shared by WebSocket error events and REST error bodies.
//! - [`rest`]: request and response bodies of the REST API.
//! - [`close`]: WebSocket close codes the server uses.
//! - [`webhooks`]: what Confab POSTs to a product's webhook endpoints, and their server API.
//!
//! Every WebSocket frame is a JSON object, internally tagged by `type` (snake_case). A client may
//! add an `id` to any event; the server echoes it on the reply or error so calls can be correlated.

pub mod client;
pub mod close;
pub mod error;
pub mod ids;
pub mod model;
pub mod rest;
pub mod server;
pub mod webhooks;

pub use client::{ClientEvent, ClientFrame};
pub use error::{ErrorBody, ErrorCode};
pub use ids::{
    CommentId, ConversationId, FileId, MessageId, NotificationId, PostId, SessionId, UserId,
};
pub use model::*;
pub use server::{ServerEvent, ServerFrame};

/// The protocol version, sent in `authenticated`. Bumped on any incompatible wire change.
pub const PROTOCOL_VERSION: u32 = 7;

/// Most files one message may carry.
pub const MAX_ATTACHMENTS: usize = 10;

/// Most viewers of a conversation named one by one (`conversation_joined`, `viewer_joined`,
/// `viewer_left`, `viewers_changed`); beyond it clients get a count.
pub const MAX_LISTED_VIEWERS: usize = 20;

/// The WebSocket subprotocol name. A client that authenticates through `Sec-WebSocket-Protocol`
/// offers `confab` followed by its token; the server selects `confab`.
pub const SUBPROTOCOL: &str = "confab";

/// Name of the httpOnly cookie carrying the session token for browsers.
pub const TOKEN_COOKIE: &str = "confab_token";

/// Upper bound of a client request `id`, in bytes.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// Upper bound of a client `temp_id`, in bytes.
pub const MAX_TEMP_ID_LEN: usize = 64;
