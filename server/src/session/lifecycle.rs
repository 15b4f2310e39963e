//! A session's life, the same on every transport: opened once authenticated (registered with
//! the hub and presence, its unread state loaded), its typing stopped on time, closed once.

use super::context::Context;
use super::expiry::{Due, TokenClock};
use crate::auth::Signed;
use crate::domain::{sessions, typing};
use crate::error::AppError;
use crate::hub::{CloseReason, Outbox};
use crate::state::AppState;
use crate::typing::TypingState;
use protocol::{close, ConversationId, ErrorCode, ServerEvent, SessionId};
use tokio::time::Instant;

/// The context of a new session on the token `signed`, delivering through `outbox`.
pub(crate) fn context(state: AppState, signed: Signed, outbox: Outbox) -> Context {
    let Signed { user, expires_at } = signed;
    Context {
        typing: TypingState::new(state.config.typing_timeout()),
        token: TokenClock::new(expires_at, state.config.token_warning()),
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

/// Does what is due at [`Context::next_deadline`]: stops the typing that ran out, warns of the
/// token's expiry (`token_expiring`), or ends the session with it (`TOKEN_EXPIRED`, 4010).
pub(crate) async fn on_deadline(cx: &mut Context) {
    let now = Instant::now();
    if cx.typing.next_deadline().is_some_and(|at| at <= now) {
        expire_typing(cx).await;
    }
    match cx.token.due(now) {
        Due::Nothing => {}
        Due::Warn(expires_at) => cx.reply(None, ServerEvent::TokenExpiring { expires_at }),
        Due::Expired => cx.outbox.close(CloseReason::new(
            close::TOKEN_EXPIRED,
            ErrorCode::TokenExpired,
            "your token expired: refresh the session (POST /api/auth/refresh) and reconnect",
        )),
    }
}

/// Closes the session: its typing stops, it leaves the hub and presence.
pub(crate) async fn close(cx: &mut Context) {
    let typing_in = cx.typing.clear();
    sessions::close(&cx.state, cx.user.id, cx.id, typing_in).await;
}
