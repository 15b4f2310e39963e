//! A Confab session, whatever carries it: the transports ([`crate::ws`], [`crate::socketio`])
//! each adapt their connections to this core and none imports another.
//!
//! - [`admission`]: who may open one (Origin) and the hard cap on one inbound frame;
//! - [`context`]: what a session is while it runs (user, id, outbox, typing, token clock);
//! - [`expiry`]: when its token expires, warned before;
//! - [`lifecycle`]: opening it, expiring its typing, closing it;
//! - [`handlers`]: one function per client event, translating it into [`crate::domain`] calls;
//! - [`rate`]: the per-connection event rate;
//! - [`sequence`]: repeats and gaps in live messages, for clients that cannot handle them.

pub mod admission;
pub(crate) mod context;
pub(crate) mod expiry;
pub(crate) mod handlers;
pub(crate) mod lifecycle;
pub(crate) mod rate;
pub(crate) mod sequence;

pub use admission::{admit, origin_allowed, HARD_FRAME_CAP};
pub(crate) use context::{send_error, Context};
