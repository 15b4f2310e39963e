//! Delivered and read positions.

use super::{require_member, Actor};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::{Position, PositionMark};
use protocol::{ConversationId, Seq};

/// Moves the actor's delivered or read position forward (clamped to the newest message). The
/// receipt is written and published with the next batch of the receipt writer
/// ([`super::receipt_writer`]): the other members get a `receipt` when it changes what they
/// can see, and after a read every session of the actor gets `unread_changed` with the exact
/// count of the conversation.
pub async fn advance(
    state: &AppState,
    actor: Actor<'_>,
    conversation: ConversationId,
    position: Position,
    up_to: Seq,
) -> Result<(), AppError> {
    if up_to < 1 {
        return Err(AppError::validation("up_to_seq must be at least 1"));
    }
    require_member(state, actor, conversation).await?;
    let (delivered, read) = match position {
        Position::Delivered => (up_to, 0),
        Position::Read => (up_to, up_to),
    };
    let mark = PositionMark {
        conversation,
        user: actor.user.id,
        delivered,
        read,
    };
    state.receipts.submit(mark).await
}
