//! Who is viewing a conversation right now: `viewer_joined` when a user's first session opens
//! it, `viewer_left` when their last one leaves.

use super::{publish, require_member, Actor};
use crate::error::AppError;
use crate::state::AppState;
use crate::topic::{Except, Topic};
use protocol::{ConversationId, ServerEvent, SessionId, User, UserId};

/// A session starts viewing; returns everyone viewing it now (the caller included).
pub async fn join(
    state: &AppState,
    user: &User,
    session: SessionId,
    conversation: ConversationId,
) -> Result<Vec<UserId>, AppError> {
    require_member(state, Actor::session(user, session), conversation).await?;
    let topic = Topic::Viewers(conversation);
    let first = state
        .hub
        .subscribe(session, topic)
        .ok_or_else(|| AppError::Internal("session is not registered".into()))?;
    if first {
        let event = ServerEvent::ViewerJoined {
            conversation_id: conversation,
            user_id: user.id,
        };
        publish(state, topic, Except::Session(session), event).await;
    }
    Ok(state.hub.users_in(topic))
}

/// A session stops viewing (`NOT_A_MEMBER` if its user is not in the conversation, like every
/// other conversation action; leaving one it was not viewing is fine).
pub async fn leave(
    state: &AppState,
    user: &User,
    session: SessionId,
    conversation: ConversationId,
) -> Result<(), AppError> {
    require_member(state, Actor::session(user, session), conversation).await?;
    if state.hub.unsubscribe(session, Topic::Viewers(conversation)) == Some(true) {
        left(state, user.id, conversation).await;
    }
    Ok(())
}

/// Tells the viewers that `user` no longer views the conversation.
pub async fn left(state: &AppState, user: UserId, conversation: ConversationId) {
    let event = ServerEvent::ViewerLeft {
        conversation_id: conversation,
        user_id: user,
    };
    publish(state, Topic::Viewers(conversation), Except::Nobody, event).await;
}
