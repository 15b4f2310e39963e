//! Read positions, delivery positions and unread counts.

use super::{parse_id, value_rows, Backend, Store};
use crate::error::AppError;
use protocol::{ConversationId, Seq, UnreadCount, UserId};
use std::collections::HashMap;

/// Most (conversation, member) positions moved in one [`Store::advance_positions`] call.
pub const MAX_POSITION_BATCH: usize = 1024;

/// Where a member asked their positions in a conversation to move (0: not asked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PositionMark {
    /// The conversation.
    pub conversation: ConversationId,
    /// The member.
    pub user: UserId,
    /// Delivered up to here (a read implies delivery: at least `read`).
    pub delivered: Seq,
    /// Read up to here.
    pub read: Seq,
}

/// A member's positions after a batch, for those that moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MovedPosition {
    /// The conversation.
    pub conversation: ConversationId,
    /// The member.
    pub user: UserId,
    /// The delivered position, if it moved.
    pub delivered: Option<Seq>,
    /// The read position and the member's exact unread count of the conversation after it,
    /// if it moved.
    pub read: Option<(Seq, i64)>,
}

/// Which position a receipt moves.
#[derive(Clone, Copy, Debug)]
pub enum Position {
    /// Messages received by the client.
    Delivered,
    /// Messages seen by the user.
    Read,
}

/// A member's unread messages in a conversation `c` (joined as `c`), as SQL over the given
/// column expressions: the messages after their read position minus the deleted ones from others
/// (sending moves the sender's own read position, so none of their own messages is after it).
/// Costs the deletions after the read position, never the backlog of unread messages.
fn unread_sql(conversation: &str, user: &str, read_seq: &str) -> String {
    format!(
        "c.last_seq - {read_seq} - (SELECT COUNT(*) FROM messages d \
           WHERE d.conversation_id = {conversation} AND d.seq > {read_seq} \
             AND d.deleted_at IS NOT NULL AND d.sender_id <> {user})"
    )
}

/// `UPDATE` of many members' positions from a `VALUES` list of (conversation, user, delivered,
/// read) rows: each position only moves forward, also against a concurrent writer.
pub(super) fn move_positions_sql(backend: Backend, rows: usize) -> String {
    format!(
        "UPDATE conversation_members SET \
           last_delivered_seq = CASE WHEN last_delivered_seq > v.column3 \
             THEN last_delivered_seq ELSE v.column3 END, \
           last_read_seq = CASE WHEN last_read_seq > v.column4 \
             THEN last_read_seq ELSE v.column4 END \
         FROM (VALUES {}) AS v \
         WHERE conversation_members.conversation_id = v.column1 \
           AND conversation_members.user_id = v.column2",
        value_rows(backend, rows, 4)
    )
}

/// A member's unread counts, from one query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnreadState {
    /// Per conversation: its count and its newest sequence number.
    pub conversations: Vec<UnreadCount>,
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
    /// Moves many members' delivered and read positions forward at once (each clamped to its
    /// conversation's newest message; non-members are skipped): a constant number of statements
    /// per batch, whatever its size. Returns the positions that moved, with the unread count
    /// of each moved read position.
    pub async fn advance_positions(
        &self,
        marks: &[PositionMark],
    ) -> Result<Vec<MovedPosition>, AppError> {
        if marks.is_empty() {
            return Ok(Vec::new());
        }
        // Where everyone is now.
        let sql = format!(
            "SELECT cm.conversation_id, cm.user_id, cm.last_delivered_seq, cm.last_read_seq, \
               c.last_seq \
             FROM (VALUES {}) AS v \
             JOIN conversation_members cm ON cm.conversation_id = v.column1 \
               AND cm.user_id = v.column2 \
             JOIN conversations c ON c.id = cm.conversation_id",
            value_rows(self.backend, marks.len(), 2)
        );
        let mut query = sqlx::query_as::<_, (String, String, i64, i64, i64)>(&sql);
        for m in marks {
            query = query
                .bind(m.conversation.to_string())
                .bind(m.user.to_string());
        }
        let mut now: HashMap<(ConversationId, UserId), (Seq, Seq, Seq)> = HashMap::new();
        for (conversation, user, delivered, read, last) in query.fetch_all(&self.pool).await? {
            now.insert(
                (parse_id(&conversation)?, parse_id(&user)?),
                (delivered, read, last),
            );
        }
        let mut moved = Vec::new();
        for m in marks {
            let Some(&(delivered, read, last)) = now.get(&(m.conversation, m.user)) else {
                continue;
            };
            let read_to = m.read.min(last);
            let delivered_to = m.delivered.max(m.read).min(last).max(read_to);
            let read_moved = read_to > read;
            let delivered_moved = delivered_to > delivered;
            if read_moved || delivered_moved {
                moved.push(MovedPosition {
                    conversation: m.conversation,
                    user: m.user,
                    delivered: delivered_moved.then_some(delivered_to),
                    read: read_moved.then_some((read_to, 0)),
                });
            }
        }
        if moved.is_empty() {
            return Ok(moved);
        }
        // A send moves the sender's own positions concurrently: forward only.
        let sql = move_positions_sql(self.backend, moved.len());
        let mut query = sqlx::query(&sql);
        for m in &moved {
            query = query
                .bind(m.conversation.to_string())
                .bind(m.user.to_string())
                .bind(m.delivered.unwrap_or(0))
                .bind(m.read.map_or(0, |r| r.0));
        }
        query.execute(&self.pool).await?;
        let reads: Vec<usize> = (0..moved.len())
            .filter(|&i| moved[i].read.is_some())
            .collect();
        if !reads.is_empty() {
            // The unread count of each conversation read: newer messages minus deleted ones from
            // others (this conversation only, never the reader's others).
            let sql = format!(
                "SELECT v.column1, v.column2, {} \
                 FROM (VALUES {}) AS v JOIN conversations c ON c.id = v.column1",
                unread_sql("v.column1", "v.column2", "v.column3"),
                value_rows(self.backend, reads.len(), 3)
            );
            let mut query = sqlx::query_as::<_, (String, String, i64)>(&sql);
            for &i in &reads {
                let m = &moved[i];
                query = query
                    .bind(m.conversation.to_string())
                    .bind(m.user.to_string())
                    .bind(m.read.map_or(0, |r| r.0));
            }
            let mut unread: HashMap<(ConversationId, UserId), i64> = HashMap::new();
            for (conversation, user, n) in query.fetch_all(&self.pool).await? {
                unread.insert((parse_id(&conversation)?, parse_id(&user)?), n.max(0));
            }
            for &i in &reads {
                let m = &mut moved[i];
                if let Some((_, n)) = m.read.as_mut() {
                    *n = unread.get(&(m.conversation, m.user)).copied().unwrap_or(0);
                }
            }
        }
        Ok(moved)
    }

    /// Unread counts of every conversation of `user`, including zeros, and the total.
    pub async fn unread_state(&self, user: UserId) -> Result<UnreadState, AppError> {
        let sql = format!(
            "SELECT cm.conversation_id, c.last_seq, {} \
             FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id \
             WHERE cm.user_id = $1",
            unread_sql("cm.conversation_id", "cm.user_id", "cm.last_read_seq")
        );
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(&sql)
            .bind(user.to_string())
            .fetch_all(&self.pool)
            .await?;
        let mut state = UnreadState::default();
        for (conversation, last_seq, unread) in rows {
            let conversation_id = parse_id(&conversation)?;
            let unread = unread.max(0);
            state.total += unread;
            state.conversations.push(UnreadCount {
                conversation_id,
                unread,
                last_seq,
            });
        }
        Ok(state)
    }
}
