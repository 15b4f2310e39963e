//! # Confab server
//!
//! Module map (one owner per concern):
//! - [`config`]: flags and environment variables.
//! - [`startup`]: build the app, serve until shutdown.
//! - [`state`]: the [`state::AppState`] handle shared by handlers.
//! - [`error`]: [`error::AppError`], mapped once to HTTP status and protocol error code.
//! - [`auth`]: passwords (argon2), JWTs (HS256 pinned), the REST extractor.
//! - [`http`]: REST resources, one file each.
//! - [`ws`]: WebSocket upgrade, per-connection session, codec, event handlers.
//! - [`hub`]: this instance's connections and conversation viewers; frame delivery.
//! - [`broker`]: fan-out and presence shared between instances (in-process implementation).
//! - [`presence`], [`typing`]: the presence registry and per-session typing state.
//! - [`notify`]: fan-out of domain changes, shared by REST and WebSocket handlers.
//! - [`store`]: every SQL statement (SQLite or PostgreSQL through portable SQL).
//! - [`validate`]: input validation.

// Leptos view types nest deeply; the default limit is too small for the whole app.
#![recursion_limit = "256"]

pub mod auth;
pub mod broker;
pub mod config;
pub mod error;
pub mod http;
pub mod hub;
pub mod notify;
pub mod presence;
pub mod startup;
pub mod state;
pub mod store;
pub mod typing;
pub mod validate;
pub mod ws;
