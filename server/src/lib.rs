//! # Confab server
//!
//! Module map (one owner per concern):
//! - [`config`]: flags and environment variables.
//! - [`startup`]: build the app, serve until shutdown.
//! - [`state`]: the [`state::AppState`] handle shared by handlers.
//! - [`error`]: [`error::AppError`], mapped once to HTTP status and protocol error code.
//! - [`auth`]: passwords (argon2), JWTs (HS256 pinned), the REST extractor.
//! - [`http`]: REST resources, one file each.
//! - [`site`]: the browser app's static files (precompressed) and response compression.
//! - [`session`]: the transport-neutral session: admission rules, context, lifecycle, one
//!   handler per client event, event rate.
//! - [`ws`]: the native WebSocket transport (`/ws`): upgrade and the connection's loop.
//! - [`socketio`]: the Socket.IO transport: the same sessions behind four Socket.IO vocabularies.
//! - [`chatws`]: the per-conversation plain WebSocket of FastAPI chat services.
//! - [`domain`]: one function per action (validate → persist → publish), used by `http` and `ws`.
//! - [`codec`]: serializing server frames once, decoding client frames.
//! - [`topic`]: fan-out keys ([`topic::Topic`]).
//! - [`hub`]: this instance's sessions and the topics they are in; frame delivery.
//! - [`broker`]: topics, membership moves and presence shared between instances.
//! - [`presence`], [`typing`]: the presence registry and per-session typing state.
//! - [`counters`]: coalescing of live post counters.
//! - [`shed`]: the frames a lagging client loses first.
//! - [`webhooks`]: delivering the webhook outbox (signed, retried, in order, one instance).
//! - [`store`]: every SQL statement (SQLite or PostgreSQL through portable SQL).
//! - [`validate`]: input validation.
//! - [`fuzzing`]: what clients control (frames, REST bodies, Socket.IO packets) as fuzz targets.
//! - [`clock`]: timestamps in other systems' shapes (RFC 3339).
//! - [`seed`]: `confab seed`, bulk demo and load-test data.
//!
//! Dependencies point one way: `http`, `ws`, `socketio` → `session` → `domain` → `broker` →
//! `hub`; no transport imports another; everything may use `store`, `codec`, `topic`, `error`;
//! `state` only assembles.

// Leptos view types nest deeply; the default limit is too small for the whole app.
#![recursion_limit = "256"]

pub mod auth;
pub mod broker;
pub mod chatws;
pub mod clock;
pub mod codec;
pub mod config;
pub mod counters;
pub mod domain;
pub mod error;
pub mod files;
pub mod fuzzing;
pub mod http;
pub mod hub;
pub mod metrics;
pub mod presence;
pub mod seed;
pub mod session;
pub mod shed;
pub mod site;
pub mod socketio;
pub mod startup;
pub mod state;
pub mod store;
pub mod topic;
pub mod typing;
pub mod validate;
pub mod webhooks;
pub mod ws;
