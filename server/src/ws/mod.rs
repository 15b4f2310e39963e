//! The WebSocket transport: upgrade checks ([`upgrade`]), the per-connection loop
//! ([`session`]), the narrow context handlers get ([`context`]) and one handler per client event
//! ([`handlers`]), which only translate events into [`crate::domain`] calls.

mod connection;
pub(crate) mod context;
pub(crate) mod handlers;
pub(crate) mod rate;
mod session;
pub mod upgrade;

pub(crate) use connection::HARD_FRAME_CAP;
