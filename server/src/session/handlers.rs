//! One function per client event: translate it into a [`crate::domain`] call and the reply.

use super::context::Context;
use crate::domain::{self, messages, notifications, posts, presence, reactions, receipts, views};
use crate::error::AppError;
use crate::store::{now_ms, Position};
use protocol::{ClientEvent, ClientFrame, ConversationId, MessageId, ServerEvent};
use tokio::time::Instant;

type Reply = Option<String>;

/// Handles one authenticated client event.
pub(crate) async fn handle(cx: &mut Context, frame: ClientFrame) -> Result<(), AppError> {
    let id = frame.id;
    match frame.event {
        ClientEvent::Authenticate { .. } => Err(AppError::AlreadyAuthenticated),
        ClientEvent::RefreshToken { token } => {
            let signed = crate::auth::check(&cx.state.jwt, &cx.state.store, &token).await?;
            if signed.user.id != cx.user.id {
                return Err(AppError::Forbidden(
                    "a session can only be refreshed with a token of its own user".into(),
                ));
            }
            cx.token.renew(signed.expires_at);
            let expires_at = signed.expires_at;
            cx.reply(id, ServerEvent::TokenRefreshed { expires_at });
            Ok(())
        }
        ClientEvent::Ping => {
            let server_time = now_ms();
            cx.reply(id, ServerEvent::Pong { server_time });
            Ok(())
        }
        ClientEvent::JoinConversation { conversation_id } => {
            let viewers = views::join(&cx.state, &cx.user, cx.id, conversation_id).await?;
            let event = ServerEvent::ConversationJoined {
                conversation_id,
                viewers: viewers.users,
                viewer_count: viewers.count,
            };
            cx.reply(id, event);
            notifications::read_about(&cx.state, cx.user.id, conversation_id).await
        }
        ClientEvent::LeaveConversation { conversation_id } => {
            views::leave(&cx.state, &cx.user, cx.id, conversation_id).await?;
            cx.reply(id, ServerEvent::ConversationLeft { conversation_id });
            Ok(())
        }
        ClientEvent::SubscribePresence { user_ids } => {
            let users = presence::subscribe(&cx.state, cx.user.id, cx.id, &user_ids).await?;
            cx.reply(id, ServerEvent::PresenceSnapshot { users });
            Ok(())
        }
        ClientEvent::UnsubscribePresence { user_ids } => {
            presence::unsubscribe(&cx.state, cx.id, &user_ids)
        }
        ClientEvent::SubscribePosts { post_ids } => {
            let counts = posts::subscribe(&cx.state, cx.id, &post_ids).await?;
            cx.reply(id, ServerEvent::PostsSubscribed { posts: counts });
            Ok(())
        }
        ClientEvent::UnsubscribePosts { post_ids } => {
            posts::unsubscribe(&cx.state, cx.id, &post_ids);
            Ok(())
        }
        ClientEvent::SendMessage {
            conversation_id,
            temp_id,
            body,
            reply_to,
            attachments,
        } => {
            let arrived = Instant::now();
            let content = messages::Content {
                body,
                reply_to,
                attachments,
            };
            let sent = messages::send(
                &cx.state,
                cx.actor(),
                conversation_id,
                temp_id.clone(),
                content,
            )
            .await;
            acknowledge(cx, id, temp_id, sent, arrived).await
        }
        ClientEvent::SendDirectMessage {
            recipient_id,
            temp_id,
            body,
        } => {
            let arrived = Instant::now();
            let sent =
                messages::send_direct(&cx.state, cx.actor(), recipient_id, temp_id.clone(), body)
                    .await;
            acknowledge(cx, id, temp_id, sent, arrived).await
        }
        ClientEvent::EditMessage { message_id, body } => {
            let message = messages::edit(&cx.state, cx.actor(), message_id, body).await?;
            cx.reply(id, ServerEvent::MessageEdited { message });
            Ok(())
        }
        ClientEvent::DeleteMessage { message_id } => {
            let message = messages::delete(&cx.state, cx.actor(), message_id).await?;
            cx.reply(id, ServerEvent::MessageDeleted { message });
            Ok(())
        }
        ClientEvent::AddReaction { message_id, emoji } => {
            react(cx, id, message_id, emoji, true).await
        }
        ClientEvent::RemoveReaction { message_id, emoji } => {
            react(cx, id, message_id, emoji, false).await
        }
        ClientEvent::MarkDelivered {
            conversation_id,
            up_to_seq,
        } => {
            let position = Position::Delivered;
            receipts::advance(&cx.state, cx.actor(), conversation_id, position, up_to_seq).await
        }
        ClientEvent::MarkRead {
            conversation_id,
            up_to_seq,
        } => {
            let position = Position::Read;
            receipts::advance(&cx.state, cx.actor(), conversation_id, position, up_to_seq).await
        }
        ClientEvent::TypingStart { conversation_id } => {
            domain::require_member(&cx.state, cx.actor(), conversation_id).await?;
            if cx.typing.start(conversation_id, Instant::now()) {
                domain::typing::started(&cx.state, &cx.user, conversation_id).await;
            }
            Ok(())
        }
        ClientEvent::TypingStop { conversation_id } => {
            domain::require_member(&cx.state, cx.actor(), conversation_id).await?;
            stop_typing(cx, conversation_id).await;
            Ok(())
        }
        ClientEvent::SetPresence { status } => {
            presence::set_status(&cx.state, cx.user.id, cx.id, status).await
        }
    }
}

/// Acks a committed send to this session (timing it from `arrived`); sending also ends the
/// sender's typing there.
async fn acknowledge(
    cx: &mut Context,
    id: Reply,
    temp_id: String,
    sent: Result<(protocol::Message, bool), AppError>,
    arrived: Instant,
) -> Result<(), AppError> {
    let (message, _) = sent?;
    let conversation = message.conversation_id;
    cx.reply(id, ServerEvent::MessageAck { temp_id, message });
    let metrics = cx.state.hub.metrics();
    metrics.ack_latency.record(arrived.elapsed().as_secs_f64());
    stop_typing(cx, conversation).await;
    Ok(())
}

/// Adds or takes back a reaction; the reply is `reaction_saved`.
async fn react(
    cx: &mut Context,
    id: Reply,
    message: MessageId,
    emoji: String,
    add: bool,
) -> Result<(), AppError> {
    let (reactions, reacted) =
        reactions::set(&cx.state, cx.actor(), message, emoji.clone(), add).await?;
    let event = ServerEvent::ReactionSaved {
        emoji,
        reacted,
        reactions,
    };
    cx.reply(id, event);
    Ok(())
}

/// Ends this session's typing in a conversation, telling the others if it was on.
async fn stop_typing(cx: &mut Context, conversation: ConversationId) {
    if cx.typing.stop(conversation) {
        domain::typing::stopped(&cx.state, cx.user.id, conversation).await;
    }
}
