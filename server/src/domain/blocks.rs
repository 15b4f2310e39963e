//! Blocking: a user blocks another. No direct messages between them either way (`BLOCKED`, said
//! which way to the one who blocked); the blocker stops watching the other's presence at once
//! and may not watch it again; a mention by the blocked person rings nobody who blocked them.
//! The blocker's clients hide the other's typing and collapse their messages in shared groups
//! (frames are shared by every member, so that part is the client's), told by `blocks_changed`.

use super::publish;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::blocks;
use crate::topic::{Except, Topic};
use protocol::{Profile, ServerEvent, User, UserId};

/// `me` blocks (or unblocks) `other`, idempotently; returns their profile as `me` sees it now.
pub async fn set_block(
    state: &AppState,
    me: &User,
    other: UserId,
    block: bool,
) -> Result<Profile, AppError> {
    if other == me.id {
        return Err(AppError::validation("you cannot block yourself"));
    }
    if state.store.user(other).await?.is_none() {
        return Err(AppError::NotFound("user"));
    }
    if state.store.set_block(me.id, other, block).await? {
        if block {
            state.broker.unwatch(me.id, other).await;
        }
        let event = ServerEvent::BlocksChanged {
            user_id: other,
            blocked: block,
        };
        publish(state, Topic::User(me.id), Except::Nobody, event).await;
    }
    state
        .store
        .profile(me.id, other)
        .await?
        .ok_or(AppError::NotFound("user"))
}

/// The people `me` blocked.
pub async fn blocked(state: &AppState, me: &User) -> Result<Vec<User>, AppError> {
    state.store.blocked_users(me.id).await
}

/// `BLOCKED` if either of the two blocked the other (one read): for opening a new direct
/// conversation; the message writer checks sends in existing ones, a batch at a time.
pub async fn check_direct(state: &AppState, me: UserId, other: UserId) -> Result<(), AppError> {
    let blocks = state.store.blocks_among([me, other].into_iter()).await?;
    match blocks::refusal(&blocks, me, other) {
        Some(reason) => Err(AppError::Blocked(reason.into())),
        None => Ok(()),
    }
}
