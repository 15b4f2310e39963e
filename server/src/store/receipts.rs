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

/// Unread counts of one member after a change in one conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberUnread {
    /// The member.
    pub user_id: UserId,
    /// Unread in the conversation that changed.
    pub unread: i64,
    /// Unread over all of the member's conversations.
    pub total: i64,
}

/// Counts messages from others after the member's read position, ignoring tombstones.
const UNREAD_JOIN: &str = "JOIN messages m ON m.conversation_id = cm.conversation_id \
     AND m.seq > cm.last_read_seq AND m.sender_id <> cm.user_id AND m.deleted_at IS NULL";

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

    /// Unread counts per conversation of `user` (conversations with none are absent).
    pub async fn unread_by_conversation(
        &self,
        user: UserId,
    ) -> Result<HashMap<ConversationId, i64>, AppError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
            "SELECT cm.conversation_id, COUNT(m.id) FROM conversation_members cm {UNREAD_JOIN} \
             WHERE cm.user_id = $1 GROUP BY cm.conversation_id"
        ))
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(c, n)| Ok((parse_id(&c)?, n)))
            .collect()
    }

    /// Unread counts of every conversation of `user`, including zeros, and the total.
    pub async fn unread_snapshot(&self, user: UserId) -> Result<(Vec<UnreadCount>, i64), AppError> {
        let counts = self.unread_by_conversation(user).await?;
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT conversation_id FROM conversation_members WHERE user_id = $1")
                .bind(user.to_string())
                .fetch_all(&self.pool)
                .await?;
        let list = rows
            .iter()
            .map(|(c,)| {
                let conversation_id = parse_id(c)?;
                Ok(UnreadCount {
                    conversation_id,
                    unread: counts.get(&conversation_id).copied().unwrap_or(0),
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok((list, counts.values().sum()))
    }

    /// For every member of `conversation`: their unread count there and their total, in one query.
    pub async fn unread_for_members(
        &self,
        conversation: ConversationId,
    ) -> Result<Vec<MemberUnread>, AppError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(&format!(
            "SELECT cm.user_id, cm.conversation_id, COUNT(m.id) FROM conversation_members cm \
             {UNREAD_JOIN} \
             WHERE cm.user_id IN \
               (SELECT user_id FROM conversation_members WHERE conversation_id = $1) \
             GROUP BY cm.user_id, cm.conversation_id"
        ))
        .bind(conversation.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut per_user: HashMap<UserId, MemberUnread> = HashMap::new();
        for user in self.member_ids(conversation).await? {
            per_user.insert(
                user,
                MemberUnread {
                    user_id: user,
                    unread: 0,
                    total: 0,
                },
            );
        }
        let target = conversation.to_string();
        for (user, conv, count) in rows {
            let user: UserId = parse_id(&user)?;
            if let Some(entry) = per_user.get_mut(&user) {
                entry.total += count;
                if conv == target {
                    entry.unread = count;
                }
            }
        }
        Ok(per_user.into_values().collect())
    }
}
