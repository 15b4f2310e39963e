//! Who is viewing a conversation right now, counted over every instance (the broker).
//!
//! While a conversation has at most [`MAX_LISTED_VIEWERS`] viewers, its viewers hear each
//! change by name (`viewer_joined` when a user's first session opens it, `viewer_left` when their
//! last one leaves) and a joiner gets the list. Beyond that, naming every viewer to every viewer
//! would cost N frames per change and N² for a room everyone opens: a joiner gets the count,
//! and changes are coalesced per conversation into at most one `viewers_changed` a second
//! ([`super::viewer_counts::ViewerCounts`]), carrying the count when it is sent (and the list, once the count is back
//! within the limit). Opening a conversation costs the same whatever its size.

use super::{publish, require_member, Actor};
use crate::error::AppError;
use crate::state::AppState;
use crate::topic::{Except, Topic};
use protocol::{ConversationId, ServerEvent, SessionId, User, UserId, MAX_LISTED_VIEWERS};

/// Who views a conversation as a joiner sees it: the count, and the list when it is short.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewers {
    /// How many users view it.
    pub count: u32,
    /// Who, sorted, when they are at most [`MAX_LISTED_VIEWERS`]; else empty.
    pub users: Vec<UserId>,
}

/// A session starts viewing; returns who views it now (the caller included).
pub async fn join(
    state: &AppState,
    user: &User,
    session: SessionId,
    conversation: ConversationId,
) -> Result<Viewers, AppError> {
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
    let (count, users) = state.broker.viewers(conversation, MAX_LISTED_VIEWERS).await;
    if first {
        if count <= MAX_LISTED_VIEWERS {
            let event = ServerEvent::ViewerJoined {
                conversation_id: conversation,
                user_id: user.id,
            };
            publish(state, topic, Except::Session(session), event).await;
        } else {
            state.viewer_counts.changed(conversation);
        }
    }
    Ok(Viewers {
        count: u32::try_from(count).unwrap_or(u32::MAX),
        users,
    })
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

/// Tells the viewers that `user` no longer views the conversation: by name while they were at
/// most [`MAX_LISTED_VIEWERS`], else in the next `viewers_changed`.
pub async fn left(state: &AppState, user: UserId, conversation: ConversationId) {
    // Only the count matters here: ask for no names.
    let (count, _) = state.broker.viewers(conversation, 0).await;
    if count < MAX_LISTED_VIEWERS {
        let event = ServerEvent::ViewerLeft {
            conversation_id: conversation,
            user_id: user,
        };
        publish(state, Topic::Viewers(conversation), Except::Nobody, event).await;
    } else {
        state.viewer_counts.changed(conversation);
    }
}
