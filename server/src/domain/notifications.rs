//! The bell: notifications stored per recipient and pushed to all of their sessions.

use super::{bell, publish};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::NotificationDraft;
use crate::topic::{Except, Topic};
use protocol::{
    ConversationId, Notification, NotificationId, NotificationKind, ReadNotifications, ServerEvent,
    User, UserId,
};

/// Stores a notification about a conversation (with its title) for each recipient and pushes
/// it, with their new unread count, to all of their sessions. Never for the actor themselves.
pub async fn notify(
    state: &AppState,
    kind: NotificationKind,
    actor: &User,
    conversation: (ConversationId, Option<String>),
    recipients: &[UserId],
) -> Result<(), AppError> {
    let draft = NotificationDraft {
        kind,
        actor,
        conversation: Some(conversation),
        post: None,
        message: None,
        text: None,
        link: None,
    };
    notify_all(state, &draft, recipients).await
}

/// Stores a notification for each recipient (never the actor) and pushes it, with their new
/// unread count, to all of their sessions.
pub async fn notify_all(
    state: &AppState,
    draft: &NotificationDraft<'_>,
    recipients: &[UserId],
) -> Result<(), AppError> {
    bell::notify_with(&state.store, &state.broker, draft, recipients).await
}

/// Pushes a changed notification (same id: clients replace it) or its removal, with the bell's
/// count, to every session of its owner.
pub async fn changed(
    state: &AppState,
    recipient: UserId,
    change: Result<Notification, NotificationId>,
) -> Result<(), AppError> {
    let unread = unread_of(state, recipient).await?;
    let event = match change {
        Ok(notification) => ServerEvent::NotificationNew {
            notification,
            unread_notifications: unread,
        },
        Err(notification_id) => ServerEvent::NotificationRemoved {
            notification_id,
            unread_notifications: unread,
        },
    };
    publish(state, Topic::User(recipient), Except::Nobody, event).await;
    Ok(())
}

/// A user's unread notification count.
pub async fn unread_of(state: &AppState, user: UserId) -> Result<i64, AppError> {
    Ok(state
        .store
        .unread_notifications(&[user])
        .await?
        .get(&user)
        .copied()
        .unwrap_or(0))
}

/// A test notification to oneself, for integrators checking their client.
pub async fn test(state: &AppState, user: &User, text: String) -> Result<Notification, AppError> {
    let draft = NotificationDraft {
        kind: NotificationKind::Test,
        actor: user,
        conversation: None,
        post: None,
        message: None,
        text: Some(text),
        link: None,
    };
    let (_, notification) = state
        .store
        .create_notifications(&draft, &[user.id])
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal("no notification created".into()))?;
    changed(state, user.id, Ok(notification.clone())).await?;
    Ok(notification)
}

/// The product's own notification (server API) from `actor` to `recipients` (never to the
/// actor): stored, counted in their bells and pushed to their sessions like the app's own.
pub async fn app(
    state: &AppState,
    actor: &User,
    recipients: &[UserId],
    text: String,
    link: Option<String>,
) -> Result<(), AppError> {
    let draft = NotificationDraft {
        kind: NotificationKind::App,
        actor,
        conversation: None,
        post: None,
        message: None,
        text: Some(text),
        link,
    };
    bell::notify_with(&state.store, &state.broker, &draft, recipients).await
}

/// Marks a user's notifications read up to one; every session of theirs hears it.
pub async fn mark_read(
    state: &AppState,
    user: UserId,
    up_to: NotificationId,
) -> Result<i64, AppError> {
    let unread = state.store.mark_notifications_read(user, up_to).await?;
    let read = ReadNotifications::UpTo {
        notification_id: up_to,
    };
    read_everywhere(state, user, read, unread).await;
    Ok(unread)
}

/// Marks one of a user's notifications read (`NOT_FOUND` if it is not theirs); every session
/// of theirs hears it.
pub async fn mark_one_read(
    state: &AppState,
    user: UserId,
    id: NotificationId,
) -> Result<i64, AppError> {
    let unread = state
        .store
        .mark_notification_read(user, id)
        .await?
        .ok_or(AppError::NotFound("notification"))?;
    let read = ReadNotifications::One {
        notification_id: id,
    };
    read_everywhere(state, user, read, unread).await;
    Ok(unread)
}

/// Opening a conversation reads the notifications about it ("carol added you to Book club"):
/// when there were any, every session of the user hears it.
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
    let read = ReadNotifications::Conversation {
        conversation_id: conversation,
    };
    read_everywhere(state, user, read, unread).await;
    Ok(())
}

async fn read_everywhere(state: &AppState, user: UserId, read: ReadNotifications, unread: i64) {
    let event = ServerEvent::NotificationsRead {
        read,
        unread_notifications: unread,
    };
    publish(state, Topic::User(user), Except::Nobody, event).await;
}
