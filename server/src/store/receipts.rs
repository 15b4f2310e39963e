//! Read positions, delivery positions and unread counts.

use super::{parse_id, Store};
use crate::error::AppError;
use protocol::{ConversationId, Seq, UnreadCount, UserId};
use std::collections::HashMap;

/// Which position a receipt moves.
#[derive(Clone, Copy, Debug)]
pub enum Position {
    /// Messages received by the client.
    Delivered,
    /// Messages seen by the user.
    Read,
}

/// Unread messages of a member in each of their conversations: the messages after their read
/// position minus the deleted ones from others (sending moves the sender's own read position, so
/// none of their own messages is after it). Costs the member's conversations and the deletions
/// after their read positions, never the backlog of unread messages.
const UNREAD_SELECT: &str = "SELECT cm.conversation_id, c.last_seq, \
       c.last_seq - cm.last_read_seq - (SELECT COUNT(*) FROM messages d \
         WHERE d.conversation_id = cm.conversation_id AND d.seq > cm.last_read_seq \
           AND d.deleted_at IS NOT NULL AND d.sender_id <> cm.user_id), \
       cm.last_read_seq \
     FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id \
     WHERE cm.user_id = $1";

/// A member's unread counts, from one query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnreadState {
    /// Per conversation: its count and its newest sequence number.
    pub conversations: Vec<UnreadCount>,
    /// The member's read position in each conversation.
    pub read_seqs: HashMap<ConversationId, Seq>,
    /// Sum over all conversations.
    pub total: i64,
}

impl UnreadState {
    /// The unread count of one conversation (0 if not a member).
    pub fn of(&self, conversation: ConversationId) -> i64 {
        self.conversations
            .iter()
            .find(|u| u.conversation_id == conversation)
            .map_or(0, |u| u.unread)
    }
}

impl Store {
    /// Moves a member's delivered or read position forward to `up_to` (clamped to the newest
    /// message). Returns the new position if it moved, `None` if it was already there.
    pub async fn advance_position(
        &self,
        conversation: ConversationId,
        user: UserId,
        position: Position,
        up_to: Seq,
    ) -> Result<Option<Seq>, AppError> {
        // Reading implies delivery, so a read also moves the delivered position.
        let set = match position {
            Position::Delivered => "last_delivered_seq = $3",
            Position::Read => {
                "last_read_seq = $3, \
                 last_delivered_seq = CASE WHEN last_delivered_seq > $3 \
                   THEN last_delivered_seq ELSE $3 END"
            }
        };
        let column = match position {
            Position::Delivered => "last_delivered_seq",
            Position::Read => "last_read_seq",
        };
        let clamped: Option<(i64,)> =
            sqlx::query_as("SELECT last_seq FROM conversations WHERE id = $1")
                .bind(conversation.to_string())
                .fetch_optional(&self.pool)
                .await?;
        let Some((last_seq,)) = clamped else {
            return Err(AppError::NotFound("conversation"));
        };
        let target = up_to.min(last_seq);
        let moved = sqlx::query(&format!(
            "UPDATE conversation_members SET {set} \
             WHERE conversation_id = $1 AND user_id = $2 AND {column} < $3"
        ))
        .bind(conversation.to_string())
        .bind(user.to_string())
        .bind(target)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok((moved > 0).then_some(target))
    }

    /// Unread counts of every conversation of `user`, including zeros, and the total.
    pub async fn unread_state(&self, user: UserId) -> Result<UnreadState, AppError> {
        let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(UNREAD_SELECT)
            .bind(user.to_string())
            .fetch_all(&self.pool)
            .await?;
        let mut state = UnreadState::default();
        for (conversation, last_seq, unread, read_seq) in rows {
            let conversation_id = parse_id(&conversation)?;
            let unread = unread.max(0);
            state.total += unread;
            state.read_seqs.insert(conversation_id, read_seq);
            state.conversations.push(UnreadCount {
                conversation_id,
                unread,
                last_seq,
            });
        }
        Ok(state)
    }
}
