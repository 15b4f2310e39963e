//! Gap and repeat detection on a session's live messages, for the transports that deliver to
//! clients which cannot do it themselves (the gateway's Socket.IO vocabularies, the chat-service
//! socket).
//!
//! Delivery of `message_new` is at least once: a retried send whose original is already stored
//! is published again (its instance may have died between commit and publish), and an instance
//! that dies before publishing leaves a gap in the conversation's sequence numbers until the
//! retry comes (or forever, if the sender never retries). Native clients fetch a gap and keep one
//! copy by themselves (the protocol reference says so); for the others the session does it:
//! a repeat is dropped, and a gap is filled from history before the message that revealed it.

use crate::error::AppError;
use crate::store::{PageCursor, Store};
use protocol::{ConversationId, Message, Seq};
use std::collections::HashMap;

/// Conversations whose last sequence number a session keeps before it forgets them all.
const BOUND: usize = 4096;

/// At most this many missing messages are fetched for one gap (the newest ones before the
/// message that revealed it are kept; a longer gap means the client was away, and gets what
/// any reconnecting client gets: the history it asks for).
pub const MAX_GAP_FILL: i64 = 100;

/// What a live message is to the session.
#[derive(Debug, PartialEq, Eq)]
pub enum Arrival {
    /// The next one (or the first the session sees in its conversation): deliver it.
    Next,
    /// One the session already delivered: drop it.
    Repeat,
    /// Messages are missing between the last one delivered (`after`) and this one: fetch them
    /// ([`fill`]) and deliver them first.
    Gap {
        /// The last sequence number delivered.
        after: Seq,
    },
}

/// The last sequence number delivered per conversation (bounded).
#[derive(Debug, Default)]
pub struct Sequences {
    last: HashMap<ConversationId, Seq>,
}

impl Sequences {
    /// What `message` is, given what was delivered; a [`Arrival::Next`] counts as delivered.
    pub fn arrive(&mut self, message: &Message) -> Arrival {
        let conversation = message.conversation_id;
        match self.last.get(&conversation) {
            Some(&last) if message.seq <= last => Arrival::Repeat,
            Some(&last) if message.seq > last + 1 => Arrival::Gap { after: last },
            _ => {
                self.delivered(conversation, message.seq);
                Arrival::Next
            }
        }
    }

    /// Notes that everything of `conversation` up to `seq` was delivered (a filled gap, or the
    /// session's own message acknowledged).
    pub fn delivered(&mut self, conversation: ConversationId, seq: Seq) {
        if self.last.len() >= BOUND && !self.last.contains_key(&conversation) {
            self.last.clear();
        }
        let last = self.last.entry(conversation).or_default();
        *last = (*last).max(seq);
    }
}

/// The messages of `conversation` after `after` and before `before` (at most [`MAX_GAP_FILL`],
/// the newest of them), oldest first. The session is a member: it receives the conversation.
pub async fn fill(
    store: &Store,
    conversation: ConversationId,
    after: Seq,
    before: Seq,
) -> Result<Vec<Message>, AppError> {
    let missing = before - after - 1;
    if missing <= 0 {
        return Ok(Vec::new());
    }
    let from = after.max(before - 1 - MAX_GAP_FILL);
    let limit = missing.min(MAX_GAP_FILL);
    let (page, _) = store
        .messages_page(conversation, PageCursor::After(from), limit)
        .await?;
    Ok(page.into_iter().filter(|m| m.seq < before).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{MessageId, UserId};

    fn message(conversation: ConversationId, seq: Seq) -> Message {
        Message {
            id: MessageId::new(),
            conversation_id: conversation,
            sender_id: UserId::new(),
            seq,
            body: format!("m{seq}"),
            created_at: 0,
            edited_at: None,
            deleted: false,
            reply_to: None,
            mentions: Vec::new(),
            reactions: Vec::new(),
            my_reactions: Vec::new(),
            reactions_version: 0,
            deleted_by: None,
            attachments: Vec::new(),
        }
    }

    #[test]
    fn next_repeats_and_gaps_are_told_apart_per_conversation() {
        let (a, b) = (ConversationId::new(), ConversationId::new());
        let mut seen = Sequences::default();
        assert_eq!(seen.arrive(&message(a, 7)), Arrival::Next, "first seen");
        assert_eq!(seen.arrive(&message(a, 8)), Arrival::Next);
        assert_eq!(seen.arrive(&message(a, 8)), Arrival::Repeat);
        assert_eq!(seen.arrive(&message(a, 3)), Arrival::Repeat);
        assert_eq!(seen.arrive(&message(b, 1)), Arrival::Next);
        assert_eq!(seen.arrive(&message(a, 11)), Arrival::Gap { after: 8 });
        // Still a gap until it is filled.
        assert_eq!(seen.arrive(&message(a, 11)), Arrival::Gap { after: 8 });
        seen.delivered(a, 10);
        assert_eq!(seen.arrive(&message(a, 11)), Arrival::Next);
        // Delivery never moves backwards.
        seen.delivered(a, 2);
        assert_eq!(seen.arrive(&message(a, 11)), Arrival::Repeat);
    }
}
