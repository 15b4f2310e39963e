//! A session's life, the same on every transport: opened once authenticated (registered with
//! the hub and presence, its unread state loaded), its typing stopped on time, closed once.

use super::context::Context;
use crate::domain::{sessions, typing};
use crate::error::AppError;
use crate::hub::Outbox;
use crate::state::AppState;
use crate::typing::TypingState;
use protocol::{ConversationId, SessionId, User};
use tokio::time::Instant;

/// The context of a new session of `user`, delivering through `outbox`.
pub(crate) fn context(state: AppState, user: User, outbox: Outbox) -> Context {
    Context {
        typing: TypingState::new(state.config.typing_timeout()),
        state,
        user,
        id: SessionId::new(),
        outbox,
    }
}

/// Opens the session: registers it and loads what it starts with.
pub(crate) async fn open(cx: &Context) -> Result<sessions::Snapshot, AppError> {
    sessions::open(&cx.state, cx.user.id, cx.id, cx.outbox.clone()).await
}

/// Opens a session that hears one conversation only (its user's own events aside).
pub(crate) async fn open_in(cx: &Context, conversation: ConversationId) {
    sessions::open_in(
        &cx.state,
        cx.user.id,
        cx.id,
        cx.outbox.clone(),
        conversation,
    )
    .await;
}

/// Stops the typing that ran out (the transport calls this at [`TypingState::next_deadline`]).
pub(crate) async fn expire_typing(cx: &mut Context) {
    for conversation in cx.typing.expire(Instant::now()) {
        typing::stopped(&cx.state, cx.user.id, conversation).await;
    }
}

/// Closes the session: its typing stops, it leaves the hub and presence.
pub(crate) async fn close(cx: &mut Context) {
    let typing_in = cx.typing.clear();
    sessions::close(&cx.state, cx.user.id, cx.id, typing_in).await;
}
