//! The WebSocket endpoint: upgrade checks ([`upgrade`]), the per-connection session
//! ([`session`]), frame encoding ([`codec`]) and one handler per client event ([`handlers`]).

pub mod codec;
mod handlers;
mod session;
pub mod upgrade;
