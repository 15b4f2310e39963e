//! Typing indicators. The per-session throttling and expiry are in [`crate::typing`], and so is
//! the bound on how many typists a conversation announces at a time ([`crate::typing::Typists`]).

use super::publish;
use crate::state::AppState;
use crate::topic::{Except, Topic};
use protocol::{ConversationId, ServerEvent, User, UserId};
use tokio::time::Instant;

/// Tells the other members that `user` is typing (naming them: no client has to look it up),
/// if the conversation has a free slot for a typist; otherwise a later refresh may.
pub async fn started(state: &AppState, user: &User, conversation: ConversationId) {
    if !state.typists.admit(conversation, user.id, Instant::now()) {
        return;
    }
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

/// Tells the other members that `user` stopped typing, if their typing was announced.
pub async fn stopped(state: &AppState, user: UserId, conversation: ConversationId) {
    if state.typists.release(conversation, user) {
        announce_stop(state, user, conversation).await;
    }
}

/// Tells the other members that `user` stopped typing on an instance that is gone (announced
/// there, so not known here).
pub async fn stopped_elsewhere(state: &AppState, user: UserId, conversation: ConversationId) {
    announce_stop(state, user, conversation).await;
}

async fn announce_stop(state: &AppState, user: UserId, conversation: ConversationId) {
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
