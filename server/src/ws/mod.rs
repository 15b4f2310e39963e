//! The WebSocket transport at `/ws`: upgrade checks ([`upgrade`]), the connection's frames
//! ([`connection`]) and its loop ([`session`]), adapting to the transport-neutral
//! [`crate::session`] core.

mod connection;
mod session;
pub mod upgrade;
