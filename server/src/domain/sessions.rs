//! What opening and closing a WebSocket session does to the shared state, and ending a user's
//! sessions from outside (sign-out, kicks, bans, the server API).

use super::{presence, typing, views};
use crate::error::AppError;
use crate::hub::{CloseReason, Outbox};
use crate::state::AppState;
use crate::store::UnreadState;
use crate::topic::Topic;
use protocol::{close, ConversationId, ErrorCode, PresenceStatus, SessionId, UserId};

/// What a new session is told after `authenticated`.
#[derive(Debug)]
pub struct Snapshot {
    /// Unread counts per conversation and in total.
    pub unread: UnreadState,
    /// Unread notifications.
    pub notifications: i64,
    /// `Busy` when the user chose "do not disturb" on another session that still holds (a
    /// reloaded page learns it so), else `None`.
    pub chosen: Option<PresenceStatus>,
}

/// Registers a session in its user's topic and its conversations' topics (before counting, so
/// every message after the counts reaches it live), announces the user online if they were
/// not, and returns the snapshot. Four queries (auth included), whatever the audience.
pub async fn open(
    state: &AppState,
    user: UserId,
    session: SessionId,
    outbox: Outbox,
) -> Result<Snapshot, AppError> {
    state.hub.register(session, user, outbox);
    for conversation in state.store.conversation_ids(user).await? {
        state
            .hub
            .subscribe(session, Topic::Conversation(conversation));
    }
    let status = presence::session_started(state, user, session).await;
    let unread = state.store.unread_state(user).await?;
    let notifications = state
        .store
        .unread_notifications(&[user])
        .await?
        .get(&user)
        .copied()
        .unwrap_or(0);
    Ok(Snapshot {
        unread,
        notifications,
        chosen: (status == PresenceStatus::Busy).then_some(status),
    })
}

/// Registers a session that hears one conversation only (a per-conversation socket): its
/// user's topic and that conversation's, and announces the user online if they were not. The
/// caller checked membership; the session's actions are checked again as every session's are.
pub async fn open_in(
    state: &AppState,
    user: UserId,
    session: SessionId,
    outbox: Outbox,
    conversation: ConversationId,
) {
    state.hub.register(session, user, outbox);
    state
        .hub
        .subscribe(session, Topic::Conversation(conversation));
    presence::session_started(state, user, session).await;
}

/// Unregisters a session: its typing stops, views it was the user's last one in are left, and
/// presence follows. Costs the session's own topics.
pub async fn close(
    state: &AppState,
    user: UserId,
    session: SessionId,
    typing_in: Vec<ConversationId>,
) {
    for conversation in typing_in {
        typing::stopped(state, user, conversation).await;
    }
    for (topic, last_here) in state.hub.unregister(session) {
        if let Topic::Viewers(conversation) = topic {
            views::session_left(state, user, session, conversation, last_here).await;
        }
    }
    presence::session_closed(state, user, session).await;
}

/// Ends every session of `user` on every instance (`KICKED`, close 4009, saying `why`); their
/// tokens stay valid, so clients may reconnect.
pub async fn end_all(state: &AppState, user: UserId, why: &str) {
    let reason = CloseReason::new(close::KICKED, ErrorCode::Kicked, why);
    state.broker.close_user(user, reason).await;
}

/// Revokes every token of `user` (banning them too with `ban`) and ends their sessions on
/// every instance; false if there is no such user. Sign-out, an operator's kick and the server
/// API's ban all come here.
pub async fn revoke(
    state: &AppState,
    user: UserId,
    ban: bool,
    why: &str,
) -> Result<bool, AppError> {
    if !state.store.revoke_tokens(user, ban).await? {
        return Ok(false);
    }
    end_all(state, user, why).await;
    Ok(true)
}
