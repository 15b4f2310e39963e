//! Who is viewing a conversation right now: `viewer_joined` when a user's first session opens
//! it, `viewer_left` when their last one leaves, counted over every instance (the broker).

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
    let first_here = state
        .hub
        .subscribe(session, topic)
        .ok_or_else(|| AppError::Internal("session is not registered".into()))?;
    let first = state
        .broker
        .view_joined(conversation, user.id, session, first_here)
        .await;
    if first {
        let event = ServerEvent::ViewerJoined {
            conversation_id: conversation,
            user_id: user.id,
        };
        publish(state, topic, Except::Session(session), event).await;
    }
    Ok(state.broker.viewers(conversation).await)
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
    if let Some(last_here) = state.hub.unsubscribe(session, Topic::Viewers(conversation)) {
        session_left(state, user.id, session, conversation, last_here).await;
    }
    Ok(())
}

/// A session no longer views a conversation (`last_here`: it was its user's last on this
/// instance): the viewers hear it when it was the user's last anywhere.
pub async fn session_left(
    state: &AppState,
    user: UserId,
    session: SessionId,
    conversation: ConversationId,
    last_here: bool,
) {
    if state
        .broker
        .view_left(conversation, user, session, last_here)
        .await
    {
        left(state, user, conversation).await;
    }
}

/// Tells the viewers that `user` no longer views the conversation.
pub async fn left(state: &AppState, user: UserId, conversation: ConversationId) {
    let event = ServerEvent::ViewerLeft {
        conversation_id: conversation,
        user_id: user,
    };
    publish(state, Topic::Viewers(conversation), Except::Nobody, event).await;
}
