//! What an event handler may touch: the shared state, who the session is, its outbox and its
//! typing state. The socket itself stays with the session loop.

use crate::codec::encode;
use crate::domain::Actor;
use crate::error::AppError;
use crate::hub::Outbox;
use crate::state::AppState;
use crate::typing::TypingState;
use protocol::{ServerEvent, ServerFrame, SessionId, User};

/// An authenticated session as handlers see it.
pub(crate) struct Context {
    pub state: AppState,
    pub user: User,
    pub id: SessionId,
    pub outbox: Outbox,
    pub typing: TypingState,
}

impl Context {
    /// The actor of this session's actions.
    pub fn actor(&self) -> Actor<'_> {
        Actor::session(&self.user, self.id)
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
