//! The bell: notifications stored per recipient and pushed to all of their sessions.

use super::publish;
use crate::error::AppError;
use crate::state::AppState;
use crate::topic::{Except, Topic};
use protocol::{ConversationId, NotificationId, NotificationKind, ServerEvent, User, UserId};

/// Stores a notification about a conversation (with its title) for each recipient and pushes
/// it, with their new unread count, to all of their sessions. Never for the actor themselves.
pub async fn notify(
    state: &AppState,
    kind: NotificationKind,
    actor: &User,
    conversation: (ConversationId, Option<String>),
    recipients: &[UserId],
) -> Result<(), AppError> {
    let recipients: Vec<UserId> = recipients
        .iter()
        .copied()
        .filter(|r| *r != actor.id)
        .collect();
    if recipients.is_empty() {
        return Ok(());
    }
    let created = state
        .store
        .create_notifications(kind, actor, Some(conversation), &recipients)
        .await?;
    let counts = state.store.unread_notifications(&recipients).await?;
    for (recipient, notification) in created {
        let event = ServerEvent::NotificationNew {
            notification,
            unread_notifications: counts.get(&recipient).copied().unwrap_or(0),
        };
        publish(state, Topic::User(recipient), Except::Nobody, event).await;
    }
    Ok(())
}

/// Marks a user's notifications read up to one; every session of theirs hears the new count.
pub async fn mark_read(
    state: &AppState,
    user: UserId,
    up_to: NotificationId,
) -> Result<i64, AppError> {
    let unread = state.store.mark_notifications_read(user, up_to).await?;
    let event = ServerEvent::NotificationsRead {
        unread_notifications: unread,
    };
    publish(state, Topic::User(user), Except::Nobody, event).await;
    Ok(unread)
}

/// Opening a conversation reads the notifications about it ("carol added you to Book club"):
/// when there were any, every session of the user hears the new count.
pub async fn read_about(
    state: &AppState,
    user: UserId,
    conversation: ConversationId,
) -> Result<(), AppError> {
    let Some(unread) = state
        .store
        .mark_conversation_notifications_read(user, conversation)
        .await?
    else {
        return Ok(());
    };
    let event = ServerEvent::NotificationsRead {
        unread_notifications: unread,
    };
    publish(state, Topic::User(user), Except::Nobody, event).await;
    Ok(())
}
