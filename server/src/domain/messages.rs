//! Sending (with replies and `@mentions`), editing and deleting messages.

use super::bell::EXCERPT_CHARS;
use super::notifications::notify_all;
use super::{conversations, publish, require_member, Actor};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::{NewMessage, NotificationDraft};
use crate::topic::Topic;
use crate::validate;
use protocol::{
    Attachment, ConversationId, FileId, Message, MessageId, NotificationKind, ReplyPreview,
    ServerEvent, User, UserId,
};

/// What a message says: its text, what it answers, the files it carries.
#[derive(Debug, Default)]
pub struct Content {
    /// The text (may be empty when there are files).
    pub body: String,
    /// A message of the same conversation it answers.
    pub reply_to: Option<MessageId>,
    /// The sender's uploads to the conversation that it carries.
    pub attachments: Vec<FileId>,
}

impl Content {
    /// Text alone.
    pub fn text(body: String) -> Self {
        Self {
            body,
            ..Self::default()
        }
    }
}

/// Sends a message to a conversation the actor belongs to, answering `reply_to` (a message of
/// the same conversation) if given, carrying the actor's uploads to it if any. Returns it once
/// committed, with `true` if it is new or `false` if the same `temp_id` was sent before (the
/// original); either way it has been published as `message_new` to every other session of
/// every member (a retry publishes it again: its first publication may never have happened).
/// The files and the message are committed together: a message is never seen without them.
pub async fn send(
    state: &AppState,
    actor: Actor<'_>,
    conversation: ConversationId,
    temp_id: String,
    content: Content,
) -> Result<(Message, bool), AppError> {
    validate::temp_id(&temp_id)?;
    if content.attachments.is_empty() || !content.body.is_empty() {
        validate::body(&content.body, state.config.max_message_chars)?;
    }
    if content.attachments.len() > protocol::MAX_ATTACHMENTS {
        return Err(AppError::validation(format!(
            "a message may carry at most {} files",
            protocol::MAX_ATTACHMENTS
        )));
    }
    require_member(state, actor, conversation).await?;
    let reply = match content.reply_to {
        Some(original) => Some(quoted(state, conversation, original).await?),
        None => None,
    };
    let files = match content.attachments.is_empty() {
        true => Vec::new(),
        false => {
            state
                .store
                .files_to_send(conversation, actor.user.id, &temp_id, &content.attachments)
                .await?
        }
    };
    let body = content.body;
    submit(state, actor, conversation, temp_id, body, reply, files).await
}

/// The members `body` mentions (`@username`): one read, and only when it names someone.
async fn mentioned(
    state: &AppState,
    conversation: ConversationId,
    body: &str,
) -> Result<Vec<UserId>, AppError> {
    let names = protocol::mentioned_usernames(body);
    state.store.members_named(conversation, &names).await
}

/// Rings the bell of everyone a new message mentions (but its sender and those who blocked
/// them), off the ack's path.
fn notify_mentioned(state: &AppState, sender: &User, message: &Message) {
    let recipients: Vec<UserId> = message
        .mentions
        .iter()
        .copied()
        .filter(|u| *u != sender.id)
        .collect();
    if recipients.is_empty() {
        return;
    }
    let (state, sender, message) = (state.clone(), sender.clone(), message.clone());
    tokio::spawn(async move {
        let recipients = match state.store.blockers_of(sender.id, &recipients).await {
            Ok(blockers) => recipients
                .into_iter()
                .filter(|u| !blockers.contains(u))
                .collect::<Vec<_>>(),
            Err(e) => {
                tracing::warn!(error = %e, "could not read who blocked a mentioning sender");
                return;
            }
        };
        if recipients.is_empty() {
            return;
        }
        let title = match state
            .store
            .conversation_header(message.conversation_id)
            .await
        {
            Ok(header) => header.and_then(|(_, title)| title),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the title for a mention");
                None
            }
        };
        let draft = NotificationDraft {
            kind: NotificationKind::Mentioned,
            actor: &sender,
            conversation: Some((message.conversation_id, title)),
            post: None,
            message: Some(message.id),
            text: Some(message.preview().chars().take(EXCERPT_CHARS).collect()),
            link: None,
        };
        if let Err(e) = notify_all(&state, &draft, &recipients).await {
            tracing::warn!(error = %e, "could not notify the people a message mentions");
        }
    });
}

/// The preview of the message a reply answers: `VALIDATION_FAILED` unless it is a message of
/// the same conversation (one read, whatever the conversation's size).
async fn quoted(
    state: &AppState,
    conversation: ConversationId,
    original: MessageId,
) -> Result<ReplyPreview, AppError> {
    match state.store.message(original).await? {
        Some(m) if m.conversation_id == conversation => Ok(ReplyPreview::of(&m)),
        _ => Err(AppError::validation(
            "reply_to: no such message in this conversation",
        )),
    }
}

/// Sends a direct message, creating the 1:1 conversation on first use.
pub async fn send_direct(
    state: &AppState,
    actor: Actor<'_>,
    recipient: UserId,
    temp_id: String,
    body: String,
) -> Result<(Message, bool), AppError> {
    // Validate before a first message creates the conversation.
    check(state, &temp_id, &body)?;
    let conversation = conversations::open_direct(state, actor.user, recipient).await?;
    submit(state, actor, conversation, temp_id, body, None, Vec::new()).await
}

/// Posts a message as the system ([`UserId::SYSTEM`]) into any conversation: the server API's
/// announcements. Members get it like any message (it counts as unread); no bell rings.
pub async fn post_as_system(
    state: &AppState,
    conversation: ConversationId,
    temp_id: String,
    body: String,
) -> Result<(Message, bool), AppError> {
    check(state, &temp_id, &body)?;
    if state.store.last_seq(conversation).await?.is_none() {
        return Err(AppError::NotFound("conversation"));
    }
    let message = NewMessage {
        conversation,
        sender: UserId::SYSTEM,
        temp_id,
        body,
        reply: None,
        mentions: Vec::new(),
        attachments: Vec::new(),
        direct_partner: None,
    };
    state.writer.submit(message, None).await
}

/// How old a message may be for a retry of its send to ring the recipient's bell.
const RETRY_RINGS_MS: i64 = 60_000;

/// The limits every send obeys.
fn check(state: &AppState, temp_id: &str, body: &str) -> Result<(), AppError> {
    validate::temp_id(temp_id)?;
    validate::body(body, state.config.max_message_chars)
}

async fn submit(
    state: &AppState,
    actor: Actor<'_>,
    conversation: ConversationId,
    temp_id: String,
    body: String,
    reply: Option<ReplyPreview>,
    attachments: Vec<Attachment>,
) -> Result<(Message, bool), AppError> {
    // A direct conversation's partner is remembered (no read after the first): the writer
    // refuses the message if either blocked the other, one read per batch.
    let direct_partner = state
        .store
        .direct_partner(conversation, actor.user.id)
        .await?;
    let mentions = mentioned(state, conversation, &body).await?;
    let message = NewMessage {
        conversation,
        sender: actor.user.id,
        temp_id,
        body,
        reply,
        mentions,
        attachments,
        direct_partner,
    };
    let sent = state.writer.submit(message, actor.session).await?;
    if sent.1 {
        notify_mentioned(state, actor.user, &sent.0);
    }
    // A retry of a recent send rings too: its instance may have died before ringing (the bell
    // rings once per unread conversation, so a second ring for one that rang is nothing).
    let recent = crate::store::now_ms() - sent.0.created_at < RETRY_RINGS_MS;
    if sent.1 || recent {
        // Off the ack's path: a direct message may also ring the recipient's bell.
        state.message_bell.ring(actor.user, &sent.0);
    }
    Ok(sent)
}

/// Replaces the text of one of the actor's messages and publishes `message_edited`.
pub async fn edit(
    state: &AppState,
    actor: Actor<'_>,
    message: MessageId,
    body: String,
) -> Result<Message, AppError> {
    validate::body(&body, state.config.max_message_chars)?;
    let message = state
        .store
        .edit_message(message, actor.user.id, &body)
        .await?;
    let event = ServerEvent::MessageEdited {
        message: message.clone(),
    };
    let topic = Topic::Conversation(message.conversation_id);
    publish(state, topic, actor.except(), event).await;
    Ok(message)
}

/// Deletes one of the actor's messages, or, for a group's owner or admin, anyone's (the
/// tombstone says who in `deleted_by`); its reactions and files go; publishes
/// `message_deleted`.
/// Members' clients take it off their unread counts themselves.
pub async fn delete(
    state: &AppState,
    actor: Actor<'_>,
    message: MessageId,
) -> Result<Message, AppError> {
    let (message, entry, files) = state.store.delete_message(message, actor.user.id).await?;
    // Its files went with it: their bytes follow, off the reply's path.
    if !files.is_empty() {
        let store = state.files.clone();
        tokio::spawn(async move {
            for file in files {
                store.delete(file).await;
            }
        });
    }
    let event = ServerEvent::MessageDeleted {
        message: message.clone(),
    };
    let topic = Topic::Conversation(message.conversation_id);
    publish(state, topic, actor.except(), event).await;
    // Its reactions went with it, and the author's "reacted to your message" entry.
    if let Some(removed) = entry {
        super::notifications::changed(state, message.sender_id, Err(removed)).await?;
    }
    Ok(message)
}
