//! Delivered and read positions.

use super::{publish, require_member, Actor};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::Position;
use crate::topic::{Except, Topic};
use protocol::{ConversationId, ReceiptKind, Seq, ServerEvent};

/// Moves the actor's delivered or read position forward. The other members get a `receipt`;
/// after a read, every session of the actor gets `unread_changed` with exact counts.
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
    let me = actor.user.id;
    let Some(seq) = state
        .store
        .advance_position(conversation, me, position, up_to)
        .await?
    else {
        return Ok(());
    };
    let kind = match position {
        Position::Delivered => ReceiptKind::Delivered,
        Position::Read => ReceiptKind::Seen,
    };
    let receipt = ServerEvent::Receipt {
        conversation_id: conversation,
        user_id: me,
        kind,
        up_to_seq: seq,
    };
    publish(
        state,
        Topic::Conversation(conversation),
        Except::User(me),
        receipt,
    )
    .await;
    if matches!(position, Position::Read) {
        let unread = state.store.unread_state(me).await?;
        let event = ServerEvent::UnreadChanged {
            conversation_id: conversation,
            unread: unread.of(conversation),
            total: unread.total,
            read_seq: unread.read_seqs.get(&conversation).copied().unwrap_or(seq),
        };
        publish(state, Topic::User(me), Except::Nobody, event).await;
    }
    Ok(())
}
