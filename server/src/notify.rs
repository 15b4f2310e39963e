//! Fan-out of domain changes to the users they concern, shared by REST and WebSocket handlers.
//! Each function serializes an event once per distinct payload and publishes it via the broker.

use crate::error::AppError;
use crate::hub::{Audience, Envelope};
use crate::state::AppState;
use crate::ws::codec::{encode, encode_event};
use protocol::{
    ConversationId, Message, NotificationKind, ServerEvent, ServerFrame, SessionId, User, UserId,
};

/// Publishes an event to an audience.
pub async fn publish(state: &AppState, audience: Audience, event: ServerEvent) {
    let frame = encode_event(event);
    state.broker.publish(Envelope { audience, frame }).await;
}

/// Publishes a message event (new, edited or deleted) to every session of every member except
/// the session that caused it.
pub async fn message_event(
    state: &AppState,
    members: Vec<UserId>,
    except: Option<SessionId>,
    event: ServerEvent,
) {
    publish(
        state,
        Audience::Users {
            users: members,
            except,
        },
        event,
    )
    .await;
}

/// Pushes fresh unread counts (this conversation and total) to every member.
pub async fn unread_counts(state: &AppState, conversation: ConversationId) -> Result<(), AppError> {
    for member in state.store.unread_for_members(conversation).await? {
        publish(
            state,
            Audience::user(member.user_id),
            ServerEvent::UnreadChanged {
                conversation_id: conversation,
                unread: member.unread,
                total: member.total,
            },
        )
        .await;
    }
    Ok(())
}

/// Pushes the unread counts of one user after they read a conversation.
pub async fn unread_of_user(
    state: &AppState,
    conversation: ConversationId,
    user: UserId,
) -> Result<(), AppError> {
    let counts = state.store.unread_by_conversation(user).await?;
    publish(
        state,
        Audience::user(user),
        ServerEvent::UnreadChanged {
            conversation_id: conversation,
            unread: counts.get(&conversation).copied().unwrap_or(0),
            total: counts.values().sum(),
        },
    )
    .await;
    Ok(())
}

/// Sends `conversation_updated` to every member, each with their own unread count, using a
/// constant number of queries.
pub async fn conversation_updated(
    state: &AppState,
    conversation: ConversationId,
    as_seen_by: UserId,
) -> Result<(), AppError> {
    let base = state
        .store
        .conversation_for(conversation, as_seen_by)
        .await?;
    for member in state.store.unread_for_members(conversation).await? {
        let mut view = base.clone();
        view.unread = member.unread;
        let frame = encode(&ServerFrame::new(ServerEvent::ConversationUpdated {
            conversation: view,
        }));
        state
            .broker
            .publish(Envelope {
                audience: Audience::user(member.user_id),
                frame,
            })
            .await;
    }
    Ok(())
}

/// The fan-out after a message was stored: `message_new` to every session of `members` but the
/// sender's, then fresh unread counts.
pub async fn message_sent(
    state: &AppState,
    message: &Message,
    members: Vec<UserId>,
    sender_session: Option<SessionId>,
) -> Result<(), AppError> {
    message_event(
        state,
        members,
        sender_session,
        ServerEvent::MessageNew {
            message: message.clone(),
        },
    )
    .await;
    unread_counts(state, message.conversation_id).await
}

/// Stores a notification (about a conversation, with its title) for each recipient and pushes it, with their new unread count, to all
/// of their sessions.
pub async fn notification(
    state: &AppState,
    kind: NotificationKind,
    actor: &User,
    conversation: (ConversationId, Option<String>),
    recipients: &[UserId],
) -> Result<(), AppError> {
    if recipients.is_empty() {
        return Ok(());
    }
    let created = state
        .store
        .create_notifications(kind, actor, Some(conversation), recipients)
        .await?;
    let counts = state.store.unread_notifications(recipients).await?;
    for (recipient, notification) in created {
        publish(
            state,
            Audience::user(recipient),
            ServerEvent::NotificationNew {
                notification,
                unread_notifications: counts.get(&recipient).copied().unwrap_or(0),
            },
        )
        .await;
    }
    Ok(())
}
