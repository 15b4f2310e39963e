//! What an event handler may touch: the shared state, who the session is, its outbox and its
//! typing state. The socket itself stays with the session loop.

use super::expiry::TokenClock;
use crate::codec::encode;
use crate::domain::Actor;
use crate::error::AppError;
use crate::hub::Outbox;
use crate::state::AppState;
use crate::typing::TypingState;
use protocol::{ServerEvent, ServerFrame, SessionId, User};
use tokio::time::Instant;

/// An authenticated session as handlers see it.
pub(crate) struct Context {
    pub state: AppState,
    pub user: User,
    pub id: SessionId,
    pub outbox: Outbox,
    pub typing: TypingState,
    /// When the session's token expires.
    pub token: TokenClock,
}

impl Context {
    /// The actor of this session's actions.
    pub fn actor(&self) -> Actor<'_> {
        Actor::session(&self.user, self.id)
    }

    /// When the session next has something to do by itself (stop a typing, warn of its
    /// token's expiry, end with it): the transport calls [`super::lifecycle::on_deadline`].
    pub fn next_deadline(&self) -> Option<Instant> {
        match (self.typing.next_deadline(), self.token.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Sends an event to this session only.
    pub fn reply(&self, id: Option<String>, event: ServerEvent) {
        self.outbox.send(encode(&ServerFrame::reply(id, event)));
    }
}

/// Sends an error reply.
pub(crate) fn send_error(outbox: &Outbox, id: Option<String>, error: &AppError) {
    outbox.send(encode(&ServerFrame::reply(
        id,
        ServerEvent::error(error.code(), error.public_message()),
    )));
}
