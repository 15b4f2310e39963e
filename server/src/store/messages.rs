//! Messages: sending (with per-conversation sequence numbers and temp-id deduplication), editing,
//! soft deletion and keyset-paginated history.

use super::rows::{self, MessageRow, MESSAGE_COLUMNS};
use super::{now_ms, Store};
use crate::error::AppError;
use protocol::{ConversationId, Message, MessageId, Seq, UserId};

/// Which page of history to read.
#[derive(Clone, Copy, Debug)]
pub enum PageCursor {
    /// The newest messages.
    Latest,
    /// The newest messages older than this sequence number.
    Before(Seq),
    /// The oldest messages newer than this sequence number.
    After(Seq),
}

impl Store {
    /// Stores a message and returns it with `true`; if the sender already sent `temp_id` to this
    /// conversation, returns the original with `false` and stores nothing. The message is
    /// committed when this returns.
    pub async fn insert_message(
        &self,
        conversation: ConversationId,
        sender: UserId,
        temp_id: &str,
        body: &str,
    ) -> Result<(Message, bool), AppError> {
        let conv_s = conversation.to_string();
        let sender_s = sender.to_string();
        if let Some(existing) = self.message_by_temp_id(&conv_s, &sender_s, temp_id).await? {
            return Ok((existing, false));
        }
        let id = MessageId::new();
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        // Writing first takes the write lock at once (SQLite) or the row lock (PostgreSQL), so
        // concurrent senders serialise here and sequence numbers have no gaps or duplicates.
        let (seq,): (i64,) = sqlx::query_as(
            "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq",
        )
        .bind(&conv_s)
        .fetch_one(&mut *tx)
        .await?;
        let inserted = sqlx::query(
            "INSERT INTO messages (id, conversation_id, seq, sender_id, temp_id, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (conversation_id, sender_id, temp_id) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(&conv_s)
        .bind(seq)
        .bind(&sender_s)
        .bind(temp_id)
        .bind(body)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            // A concurrent retry of the same temp id won; undo the sequence bump.
            tx.rollback().await?;
            let existing = self.message_by_temp_id(&conv_s, &sender_s, temp_id).await?;
            return existing
                .map(|m| (m, false))
                .ok_or_else(|| AppError::Internal("deduplicated message vanished".into()));
        }
        // Sending implies having read the conversation up to one's own message.
        sqlx::query(
            "UPDATE conversation_members SET last_read_seq = $3, last_delivered_seq = $3 \
             WHERE conversation_id = $1 AND user_id = $2",
        )
        .bind(&conv_s)
        .bind(&sender_s)
        .bind(seq)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let message = Message {
            id,
            conversation_id: conversation,
            seq,
            sender_id: sender,
            body: body.to_owned(),
            created_at: now,
            edited_at: None,
            deleted: false,
        };
        Ok((message, true))
    }

    async fn message_by_temp_id(
        &self,
        conversation: &str,
        sender: &str,
        temp_id: &str,
    ) -> Result<Option<Message>, AppError> {
        let row: Option<MessageRow> = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m \
             WHERE m.conversation_id = $1 AND m.sender_id = $2 AND m.temp_id = $3"
        ))
        .bind(conversation)
        .bind(sender)
        .bind(temp_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(MessageRow::into_message).transpose()
    }

    /// One message by id.
    pub async fn message(&self, id: MessageId) -> Result<Option<Message>, AppError> {
        let row: Option<MessageRow> = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(MessageRow::into_message).transpose()
    }

    /// Replaces the body of a live message of `sender`. `NotFound` if there is none, `Forbidden`
    /// if someone else sent it.
    pub async fn edit_message(
        &self,
        id: MessageId,
        sender: UserId,
        body: &str,
    ) -> Result<Message, AppError> {
        let existing = self.own_live_message(id, sender).await?;
        let now = now_ms();
        sqlx::query(
            "UPDATE messages SET body = $2, edited_at = $3 WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(id.to_string())
        .bind(body)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(Message {
            body: body.to_owned(),
            edited_at: Some(now),
            ..existing
        })
    }

    /// Soft-deletes a message of `sender`, erasing its text and leaving a tombstone.
    pub async fn delete_message(&self, id: MessageId, sender: UserId) -> Result<Message, AppError> {
        let existing = self.own_live_message(id, sender).await?;
        sqlx::query("UPDATE messages SET body = '', deleted_at = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(Message {
            body: String::new(),
            deleted: true,
            ..existing
        })
    }

    async fn own_live_message(&self, id: MessageId, sender: UserId) -> Result<Message, AppError> {
        let message = self
            .message(id)
            .await?
            .filter(|m| !m.deleted)
            .ok_or(AppError::NotFound("message"))?;
        if message.sender_id != sender {
            // Non-members learn nothing: only a member can tell "not yours" from "not found".
            if !self.is_member(message.conversation_id, sender).await? {
                return Err(AppError::NotFound("message"));
            }
            return Err(AppError::Forbidden(
                "only the sender can change a message".into(),
            ));
        }
        Ok(message)
    }

    /// A page of history, oldest first, and whether more exists beyond it.
    pub async fn messages_page(
        &self,
        conversation: ConversationId,
        cursor: PageCursor,
        limit: i64,
    ) -> Result<(Vec<Message>, bool), AppError> {
        let (comparison, order, bound) = match cursor {
            PageCursor::Latest => ("<", "DESC", i64::MAX),
            PageCursor::Before(seq) => ("<", "DESC", seq),
            PageCursor::After(seq) => (">", "ASC", seq),
        };
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m \
             WHERE m.conversation_id = $1 AND m.seq {comparison} $2 \
             ORDER BY m.seq {order} LIMIT $3"
        ))
        .bind(conversation.to_string())
        .bind(bound)
        .bind(limit + 1)
        .fetch_all(&self.pool)
        .await?;
        let mut messages = rows::messages(rows)?;
        let has_more = messages.len() as i64 > limit;
        messages.truncate(limit as usize);
        if order == "DESC" {
            messages.reverse();
        }
        Ok((messages, has_more))
    }
}
