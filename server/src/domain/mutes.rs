//! Muting a conversation: for the member who muted it, its direct messages ring no bell (and
//! so pop up nothing) until the mute ends or they unmute; a mention of them still rings. The
//! mute is theirs alone, kept with their membership; every session of theirs is told
//! (`mute_changed`), so each device drops the conversation from its unread total at once.

use super::publish;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::now_ms;
use crate::topic::{Except, Topic};
use protocol::rest::MuteState;
use protocol::{ConversationId, Millis, ServerEvent, User};

/// The longest timed mute: a year (longer is "until I unmute").
pub const MAX_MUTE_MS: Millis = 366 * 24 * 3_600_000;

/// `me` mutes `conversation` until `until` (`None`: until they unmute), or unmutes it
/// (`mute: None`). Members only (`NOT_FOUND` for anyone else); idempotent: only a change is
/// told to their sessions.
pub async fn set_mute(
    state: &AppState,
    me: &User,
    conversation: ConversationId,
    mute: Option<Option<Millis>>,
) -> Result<MuteState, AppError> {
    if let Some(Some(until)) = mute {
        let now = now_ms();
        if until <= now {
            return Err(AppError::validation("until must be in the future"));
        }
        if until - now > MAX_MUTE_MS {
            return Err(AppError::validation(
                "until must be within a year; leave it out to mute until you unmute",
            ));
        }
    }
    let (muted, changed) = state.store.set_mute(conversation, me.id, mute).await?;
    if changed {
        let event = ServerEvent::MuteChanged {
            conversation_id: conversation,
            muted,
        };
        publish(state, Topic::User(me.id), Except::Nobody, event).await;
    }
    Ok(MuteState {
        conversation_id: conversation,
        muted,
    })
}
