//! One function per client event. Every conversation action checks membership first.

use super::session::Session;
use crate::error::AppError;
use crate::hub::Audience;
use crate::notify;
use crate::presence;
use crate::store::{now_ms, Position};
use crate::validate;
use protocol::{
    ClientEvent, ClientFrame, ConversationId, MessageId, PresenceStatus, ReceiptKind, Seq,
    ServerEvent, UserId,
};
use tokio::time::Instant;

type Reply = Option<String>;

/// Handles one authenticated client event.
pub(super) async fn handle(s: &mut Session, frame: ClientFrame) -> Result<(), AppError> {
    let id = frame.id;
    match frame.event {
        ClientEvent::Authenticate { .. } => Err(AppError::AlreadyAuthenticated),
        ClientEvent::Ping => {
            s.reply(
                id,
                ServerEvent::Pong {
                    server_time: now_ms(),
                },
            );
            Ok(())
        }
        ClientEvent::JoinConversation { conversation_id } => join(s, id, conversation_id).await,
        ClientEvent::LeaveConversation { conversation_id } => leave(s, id, conversation_id).await,
        ClientEvent::ListOnline { conversation_id } => list_online(s, id, conversation_id).await,
        ClientEvent::SendMessage {
            conversation_id,
            temp_id,
            body,
        } => {
            validate::temp_id(&temp_id)?;
            validate::body(&body, s.state.config.max_message_chars)?;
            let members = members(s, conversation_id).await?;
            send(s, id, conversation_id, members, temp_id, body).await
        }
        ClientEvent::SendDirectMessage {
            recipient_id,
            temp_id,
            body,
        } => send_direct(s, id, recipient_id, temp_id, body).await,
        ClientEvent::EditMessage { message_id, body } => edit(s, id, message_id, body).await,
        ClientEvent::DeleteMessage { message_id } => delete(s, id, message_id).await,
        ClientEvent::MarkDelivered {
            conversation_id,
            up_to_seq,
        } => receipt(s, conversation_id, Position::Delivered, up_to_seq).await,
        ClientEvent::MarkRead {
            conversation_id,
            up_to_seq,
        } => receipt(s, conversation_id, Position::Read, up_to_seq).await,
        ClientEvent::TypingStart { conversation_id } => {
            let members = members(s, conversation_id).await?;
            if s.typing.start(conversation_id, Instant::now()) {
                let others = without(members, s.user.id);
                notify::publish(
                    &s.state,
                    Audience::users(others),
                    ServerEvent::TypingStarted {
                        conversation_id,
                        user_id: s.user.id,
                    },
                )
                .await;
            }
            Ok(())
        }
        ClientEvent::TypingStop { conversation_id } => {
            if s.typing.stop(conversation_id) {
                broadcast_typing_stopped(s, conversation_id).await;
            }
            Ok(())
        }
        ClientEvent::SetPresence { status } => {
            if status == PresenceStatus::Offline {
                return Err(AppError::validation(
                    "status must be online or away; close the connection to go offline",
                ));
            }
            if let Some(update) = s.state.broker.set_status(s.user.id, s.id, status).await {
                presence::announce_update(&s.state, update).await?;
            }
            Ok(())
        }
    }
}

/// The members of a conversation, in one query that is also the membership check:
/// `NOT_A_MEMBER` unless the session's user is among them.
async fn members(s: &Session, conversation: ConversationId) -> Result<Vec<UserId>, AppError> {
    let members = s.state.store.member_ids(conversation).await?;
    if members.contains(&s.user.id) {
        Ok(members)
    } else {
        Err(AppError::NotAMember)
    }
}

/// `members` minus one user.
fn without(mut members: Vec<UserId>, user: UserId) -> Vec<UserId> {
    members.retain(|m| *m != user);
    members
}

/// Tells the other members that this session's user stopped typing.
pub(super) async fn broadcast_typing_stopped(s: &Session, conversation_id: ConversationId) {
    match s.state.store.member_ids(conversation_id).await {
        Ok(members) => typing_stopped_to(s, conversation_id, members).await,
        Err(e) => tracing::warn!(error = %e, "could not broadcast typing stop"),
    }
}

async fn typing_stopped_to(s: &Session, conversation_id: ConversationId, members: Vec<UserId>) {
    notify::publish(
        &s.state,
        Audience::users(without(members, s.user.id)),
        ServerEvent::TypingStopped {
            conversation_id,
            user_id: s.user.id,
        },
    )
    .await
}

async fn join(s: &mut Session, id: Reply, conversation_id: ConversationId) -> Result<(), AppError> {
    s.state
        .store
        .require_member(conversation_id, s.user.id)
        .await?;
    let change = s
        .state
        .hub
        .join(conversation_id, s.id)
        .ok_or_else(|| AppError::Internal("session is not registered".into()))?;
    s.reply(
        id,
        ServerEvent::ConversationJoined {
            conversation_id,
            viewers: change.viewers.clone(),
        },
    );
    if change.user_changed {
        notify::publish(
            &s.state,
            Audience::Viewers {
                conversation: conversation_id,
                except: Some(s.id),
            },
            ServerEvent::ViewerJoined {
                conversation_id,
                user_id: s.user.id,
                viewers: change.viewers,
            },
        )
        .await;
    }
    Ok(())
}

async fn leave(
    s: &mut Session,
    id: Reply,
    conversation_id: ConversationId,
) -> Result<(), AppError> {
    if let Some(change) = s.state.hub.leave(conversation_id, s.id) {
        if change.user_changed {
            notify::publish(
                &s.state,
                Audience::Viewers {
                    conversation: conversation_id,
                    except: None,
                },
                ServerEvent::ViewerLeft {
                    conversation_id,
                    user_id: s.user.id,
                    viewers: change.viewers,
                },
            )
            .await;
        }
    }
    s.reply(id, ServerEvent::ConversationLeft { conversation_id });
    Ok(())
}

async fn list_online(
    s: &mut Session,
    id: Reply,
    conversation_id: ConversationId,
) -> Result<(), AppError> {
    let members = members(s, conversation_id).await?;
    let mut users = presence::presence_of(&s.state, &members).await?;
    users.retain(|p| p.status != PresenceStatus::Offline);
    s.reply(
        id,
        ServerEvent::OnlineMembers {
            conversation_id,
            users,
        },
    );
    Ok(())
}

/// Stores the message, acks it to the sender after the commit, then fans it out to `members`
/// (already checked to include the sender).
async fn send(
    s: &mut Session,
    id: Reply,
    conversation_id: ConversationId,
    members: Vec<UserId>,
    temp_id: String,
    body: String,
) -> Result<(), AppError> {
    let (message, is_new) = s
        .state
        .store
        .insert_message(conversation_id, s.user.id, &temp_id, &body)
        .await?;
    s.reply(
        id,
        ServerEvent::MessageAck {
            temp_id,
            message: message.clone(),
        },
    );
    if !is_new {
        return Ok(());
    }
    if s.typing.stop(conversation_id) {
        typing_stopped_to(s, conversation_id, members.clone()).await;
    }
    notify::message_sent(&s.state, &message, members, Some(s.id)).await
}

async fn send_direct(
    s: &mut Session,
    id: Reply,
    recipient: UserId,
    temp_id: String,
    body: String,
) -> Result<(), AppError> {
    validate::temp_id(&temp_id)?;
    validate::body(&body, s.state.config.max_message_chars)?;
    if recipient == s.user.id {
        return Err(AppError::validation(
            "you cannot send a direct message to yourself",
        ));
    }
    if s.state.store.user(recipient).await?.is_none() {
        return Err(AppError::NotFound("user"));
    }
    let (conversation, created) = s
        .state
        .store
        .direct_conversation(s.user.id, recipient)
        .await?;
    if created {
        notify::conversation_updated(&s.state, conversation, s.user.id).await?;
    }
    send(
        s,
        id,
        conversation,
        vec![s.user.id, recipient],
        temp_id,
        body,
    )
    .await
}

async fn edit(
    s: &mut Session,
    id: Reply,
    message_id: MessageId,
    body: String,
) -> Result<(), AppError> {
    validate::body(&body, s.state.config.max_message_chars)?;
    let message = s
        .state
        .store
        .edit_message(message_id, s.user.id, &body)
        .await?;
    let members = s.state.store.member_ids(message.conversation_id).await?;
    s.reply(
        id,
        ServerEvent::MessageEdited {
            message: message.clone(),
        },
    );
    notify::message_event(
        &s.state,
        members,
        Some(s.id),
        ServerEvent::MessageEdited { message },
    )
    .await;
    Ok(())
}

async fn delete(s: &mut Session, id: Reply, message_id: MessageId) -> Result<(), AppError> {
    let message = s.state.store.delete_message(message_id, s.user.id).await?;
    let conversation = message.conversation_id;
    let members = s.state.store.member_ids(conversation).await?;
    s.reply(
        id,
        ServerEvent::MessageDeleted {
            message: message.clone(),
        },
    );
    notify::message_event(
        &s.state,
        members,
        Some(s.id),
        ServerEvent::MessageDeleted { message },
    )
    .await;
    // A deleted message no longer counts as unread.
    notify::unread_counts(&s.state, conversation).await
}

async fn receipt(
    s: &mut Session,
    conversation_id: ConversationId,
    position: Position,
    up_to_seq: Seq,
) -> Result<(), AppError> {
    if up_to_seq < 1 {
        return Err(AppError::validation("up_to_seq must be at least 1"));
    }
    let members = members(s, conversation_id).await?;
    let Some(seq) = s
        .state
        .store
        .advance_position(conversation_id, s.user.id, position, up_to_seq)
        .await?
    else {
        return Ok(());
    };
    let kind = match position {
        Position::Delivered => ReceiptKind::Delivered,
        Position::Read => ReceiptKind::Seen,
    };
    notify::publish(
        &s.state,
        Audience::users(without(members, s.user.id)),
        ServerEvent::Receipt {
            conversation_id,
            user_id: s.user.id,
            kind,
            up_to_seq: seq,
        },
    )
    .await;
    if matches!(position, Position::Read) {
        notify::unread_of_user(&s.state, conversation_id, s.user.id).await?;
    }
    Ok(())
}
