//! Typing indicators. The per-session throttling and expiry are in [`crate::typing`].

use super::publish;
use crate::state::AppState;
use crate::topic::{Except, Topic};
use protocol::{ConversationId, ServerEvent, User, UserId};

/// Tells the other members that `user` is typing (naming them: no client has to look it up).
pub async fn started(state: &AppState, user: &User, conversation: ConversationId) {
    let event = ServerEvent::TypingStarted {
        conversation_id: conversation,
        user_id: user.id,
        display_name: user.display_name.clone(),
    };
    let user = user.id;
    publish(
        state,
        Topic::Conversation(conversation),
        Except::User(user),
        event,
    )
    .await;
    state.broker.typing(conversation, user, true).await;
}

/// Tells the other members that `user` stopped typing.
pub async fn stopped(state: &AppState, user: UserId, conversation: ConversationId) {
    let event = ServerEvent::TypingStopped {
        conversation_id: conversation,
        user_id: user,
    };
    publish(
        state,
        Topic::Conversation(conversation),
        Except::User(user),
        event,
    )
    .await;
    state.broker.typing(conversation, user, false).await;
}
