//! Emoji reactions to messages: any member adds or takes back reactions (one per emoji per
//! person). Reactions commit in batches ([`super::reaction_writer`]);
//! each batch publishes a message's counts once, through the [`crate::counters`] coalescer (at
//! most 10 updates a second per message, ending on the exact counts), to everyone in the
//! conversation; the reactor's sessions hear `reaction_saved`, and the author how their grouped
//! "reacted to your message" entry changed.

use super::notifications::changed;
use super::{publish, require_member, Actor};
use crate::counters::offer_and_deliver;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::ReactionRequest;
use crate::topic::{Except, Topic};
use protocol::{check_emoji, MessageId, MessageReactions, ReactionCount, ServerEvent, User};

/// Most people listed per emoji by [`reactors`].
pub const MAX_LISTED_REACTORS: i64 = 50;

/// Adds (`add`) or takes back the actor's reaction `emoji` to a message of one of their
/// conversations, idempotently. Returns the message's reactions after it and whether the actor
/// has this reaction now; every session of the actor but the asking one has heard
/// `reaction_saved`, and the conversation `reactions_changed`.
pub async fn set(
    state: &AppState,
    actor: Actor<'_>,
    message: MessageId,
    emoji: String,
    add: bool,
) -> Result<(MessageReactions, bool), AppError> {
    check_emoji(&emoji).map_err(AppError::validation)?;
    let found = state
        .store
        .message(message)
        .await?
        .ok_or(AppError::NotFound("message"))?;
    // Non-members learn nothing, not even that the message exists.
    if let Err(AppError::NotAMember) = require_member(state, actor, found.conversation_id).await {
        return Err(AppError::NotFound("message"));
    }
    let request = ReactionRequest {
        message,
        user: actor.user.clone(),
        emoji: emoji.clone(),
        add,
    };
    let outcome = state.reactions.submit(request).await?;
    if let Some(change) = outcome.change {
        publish_reactions(state, outcome.reactions.clone());
        if let Some(removed) = change.notification.removed {
            changed(state, change.author, Err(removed)).await?;
        }
        if let Some(current) = change.notification.current {
            changed(state, change.author, Ok(current)).await?;
        }
    }
    let event = ServerEvent::ReactionSaved {
        emoji,
        reacted: outcome.reacted,
        reactions: outcome.reactions.clone(),
    };
    publish(state, Topic::User(actor.user.id), actor.except(), event).await;
    Ok((outcome.reactions, outcome.reacted))
}

/// A message's new reactions go to its conversation, coalesced: now, or when the interval ends
/// (with the newest counts by then).
pub fn publish_reactions(state: &AppState, reactions: MessageReactions) {
    let state = state.clone();
    offer_and_deliver(
        &state.reaction_counts.clone(),
        reactions,
        move |reactions| {
            tokio::spawn(async move {
                let topic = Topic::Conversation(reactions.conversation_id);
                let event = ServerEvent::ReactionsChanged { reactions };
                publish(&state, topic, Except::Nobody, event).await;
            });
        },
    );
}

/// Who reacted to a message of one of the reader's conversations, per emoji (the first
/// [`MAX_LISTED_REACTORS`] of each, earliest first).
pub async fn reactors(
    state: &AppState,
    reader: &User,
    message: MessageId,
) -> Result<Vec<(ReactionCount, Vec<User>)>, AppError> {
    let found = state
        .store
        .message(message)
        .await?
        .ok_or(AppError::NotFound("message"))?;
    if !state
        .store
        .is_member(found.conversation_id, reader.id)
        .await?
    {
        return Err(AppError::NotFound("message"));
    }
    state.store.reactors(message, MAX_LISTED_REACTORS).await
}
