//! Messages: sending in batches (with per-conversation sequence numbers and temp-id
//! deduplication), editing, soft deletion and keyset-paginated history.

use super::reactions::clear_reactions;
use super::rows::{self, MessageRow, MESSAGE_COLUMNS, MESSAGE_FROM};
use super::webhooks::{enqueue_webhooks, OutboxEvent};
use super::{now_ms, value_rows, Store};
use crate::error::AppError;
use protocol::webhooks::WebhookChange;
use protocol::{
    Attachment, ConversationId, FileId, Message, MessageId, NotificationId, ReplyPreview, Seq,
    UserId,
};
use std::collections::{BTreeMap, HashMap};

/// A message row with the temp id it was sent under.
#[derive(sqlx::FromRow)]
struct KeyedMessageRow {
    #[sqlx(flatten)]
    message: MessageRow,
    temp_id: String,
}

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

/// A message to store, as submitted by its sender.
#[derive(Clone, Debug)]
pub struct NewMessage {
    /// Target conversation (membership already checked).
    pub conversation: ConversationId,
    /// Who sends it.
    pub sender: UserId,
    /// The sender's deduplication key.
    pub temp_id: String,
    /// The text (already validated).
    pub body: String,
    /// What it answers (checked to be in the same conversation).
    pub reply: Option<ReplyPreview>,
    /// The members it mentions (checked to be members).
    pub mentions: Vec<UserId>,
    /// The files it carries (checked to be the sender's unsent uploads to the conversation).
    pub attachments: Vec<Attachment>,
    /// For a direct conversation, the other member: the batch refuses the message (`BLOCKED`)
    /// if either blocked the other.
    pub direct_partner: Option<UserId>,
}

/// Largest batch [`Store::insert_messages`] takes (7 bind parameters per message stays far
/// below every database's limit).
pub const MAX_BATCH: usize = 256;

/// Why one attempt at a batch must be retried.
enum Attempt {
    /// A concurrent writer stored one of the temp ids, or a deadlock was broken: retry the
    /// whole batch (the retry finds the duplicates).
    Retry,
    /// A real failure.
    Failed(AppError),
}

impl From<sqlx::Error> for Attempt {
    fn from(e: sqlx::Error) -> Self {
        let deadlock =
            matches!(&e, sqlx::Error::Database(db) if db.code().as_deref() == Some("40P01"));
        if deadlock || super::is_unique_violation(&e) {
            Self::Retry
        } else {
            Self::Failed(e.into())
        }
    }
}

impl From<AppError> for Attempt {
    fn from(e: AppError) -> Self {
        Self::Failed(e)
    }
}

/// `(conversation, sender, temp_id)`: what makes a send unique.
type SendKey = (String, String, String);

impl Store {
    /// Stores a batch of messages in one transaction with a constant number of statements
    /// (whatever the batch size or the audience). Each message gets the next sequence number of
    /// its conversation, in batch order, and `true`; a `temp_id` its sender already used in that
    /// conversation (earlier, or earlier in the batch) yields the original message and `false`.
    /// Every message is committed when this returns.
    pub async fn insert_messages(
        &self,
        batch: &[NewMessage],
    ) -> Result<Vec<Result<(Message, bool), AppError>>, AppError> {
        let mut attempts = 0;
        loop {
            match self.try_insert_messages(batch).await {
                Ok(done) => return Ok(done),
                Err(Attempt::Retry) if attempts < 5 => attempts += 1,
                Err(Attempt::Retry) => {
                    return Err(AppError::Internal("message batch kept conflicting".into()))
                }
                Err(Attempt::Failed(e)) => return Err(e),
            }
        }
    }

    async fn try_insert_messages(
        &self,
        batch: &[NewMessage],
    ) -> Result<Vec<Result<(Message, bool), AppError>>, Attempt> {
        let keys: Vec<SendKey> = batch
            .iter()
            .map(|m| {
                (
                    m.conversation.to_string(),
                    m.sender.to_string(),
                    m.temp_id.clone(),
                )
            })
            .collect();
        let mut known = self.messages_by_keys(&keys).await?;
        // Which inputs are new; a repeat inside the batch points at its first occurrence.
        let mut first: HashMap<&SendKey, usize> = HashMap::new();
        let mut fresh: Vec<usize> = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            if !known.contains_key(key) && !first.contains_key(key) {
                first.insert(key, i);
                fresh.push(i);
            }
        }
        // New direct messages between two people one of whom blocked the other are refused.
        let refused = self.blocked_sends(batch, &fresh).await?;
        fresh.retain(|i| !refused.contains_key(i));
        let mut stored: HashMap<usize, Message> = HashMap::new();
        if !fresh.is_empty() {
            stored = self.insert_fresh(batch, &keys, &fresh).await?;
        }
        Ok(keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                // A repeat inside the batch shares its first occurrence's refusal.
                let reason = refused
                    .get(&i)
                    .or_else(|| first.get(key).and_then(|j| refused.get(j)));
                if let Some(reason) = reason {
                    return Err(AppError::Blocked((*reason).into()));
                }
                if let Some(m) = stored.get(&i) {
                    return Ok((m.clone(), true));
                }
                if let Some(m) = first.get(key).and_then(|j| stored.get(j)) {
                    return Ok((m.clone(), false));
                }
                known
                    .remove(key)
                    .map(|m| (m, false))
                    .ok_or(AppError::NotFound("conversation"))
            })
            .collect())
    }

    /// Which of the `fresh` direct messages of `batch` are refused because one of the two
    /// blocked the other, with the reason, by input index: one read for the whole batch, none
    /// without direct messages.
    async fn blocked_sends(
        &self,
        batch: &[NewMessage],
        fresh: &[usize],
    ) -> Result<HashMap<usize, &'static str>, AppError> {
        let pairs: Vec<(usize, UserId, UserId)> = fresh
            .iter()
            .filter_map(|&i| batch[i].direct_partner.map(|p| (i, batch[i].sender, p)))
            .collect();
        if pairs.is_empty() {
            return Ok(Default::default());
        }
        let blocks = self
            .blocks_among(pairs.iter().flat_map(|(_, a, b)| [*a, *b]))
            .await?;
        Ok(pairs
            .into_iter()
            .filter_map(|(i, sender, partner)| {
                super::blocks::refusal(&blocks, sender, partner).map(|reason| (i, reason))
            })
            .collect())
    }

    /// The transaction of a batch: bump each conversation's sequence once, insert every message,
    /// move each sender's read position. Returns the stored messages by input index.
    async fn insert_fresh(
        &self,
        batch: &[NewMessage],
        keys: &[SendKey],
        fresh: &[usize],
    ) -> Result<HashMap<usize, Message>, Attempt> {
        // Sorted by conversation id, so that concurrent writers lock rows in the same order.
        let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
        for &i in fresh {
            *counts.entry(keys[i].0.as_str()).or_default() += 1;
        }
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let sql = format!(
            "UPDATE conversations SET last_seq = last_seq + v.column2 FROM (VALUES {}) AS v \
             WHERE conversations.id = v.column1 \
             RETURNING conversations.id, conversations.last_seq",
            value_rows(self.backend, counts.len(), 2)
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(&sql);
        for (conversation, n) in &counts {
            query = query.bind(*conversation).bind(*n);
        }
        // The next sequence number to hand out in each conversation.
        let mut next: HashMap<String, i64> = HashMap::new();
        for (conversation, last) in query.fetch_all(&mut *tx).await? {
            let n = counts.get(conversation.as_str()).copied().unwrap_or(0);
            next.insert(conversation, last - n + 1);
        }
        let mut stored: HashMap<usize, Message> = HashMap::new();
        for &i in fresh {
            let Some(seq) = next.get_mut(&keys[i].0) else {
                continue; // no such conversation: reported as not found
            };
            let m = &batch[i];
            stored.insert(
                i,
                Message {
                    id: MessageId::new(),
                    conversation_id: m.conversation,
                    seq: *seq,
                    sender_id: m.sender,
                    body: m.body.clone(),
                    created_at: now,
                    edited_at: None,
                    deleted: false,
                    reply_to: m.reply.clone(),
                    mentions: m.mentions.clone(),
                    reactions: Vec::new(),
                    my_reactions: Vec::new(),
                    reactions_version: 0,
                    deleted_by: None,
                    attachments: m.attachments.clone(),
                },
            );
            *seq += 1;
        }
        if stored.is_empty() {
            tx.rollback().await?;
            return Ok(stored);
        }
        let mut order: Vec<usize> = stored.keys().copied().collect();
        order.sort_unstable();
        let sql = format!(
            "INSERT INTO messages \
               (id, conversation_id, seq, sender_id, temp_id, body, created_at, reply_to, \
                mentions, attachments) \
             VALUES {} ON CONFLICT (conversation_id, sender_id, temp_id) DO NOTHING",
            value_rows(self.backend, order.len(), 10)
        );
        let mut query = sqlx::query(&sql);
        for i in &order {
            let m = &stored[i];
            query = query
                .bind(m.id.to_string())
                .bind(&keys[*i].0)
                .bind(m.seq)
                .bind(&keys[*i].1)
                .bind(&keys[*i].2)
                .bind(&m.body)
                .bind(now)
                .bind(m.reply_to.as_ref().map(|r| r.message_id.to_string()))
                .bind(rows::join_ids(&m.mentions))
                .bind(rows::attachments_json(&m.attachments));
        }
        if query.execute(&mut *tx).await?.rows_affected() != order.len() as u64 {
            // A concurrent writer (another instance) stored one of these temp ids first.
            tx.rollback().await?;
            return Err(Attempt::Retry);
        }
        insert_mentions(&mut tx, self.backend, order.iter().map(|i| &stored[i])).await?;
        claim_files(&mut tx, self.backend, order.iter().map(|i| &stored[i])).await?;
        // Sending implies having read the conversation up to one's own message.
        let mut reads: BTreeMap<(&str, &str), i64> = BTreeMap::new();
        for i in &order {
            let seq = stored[i].seq;
            let entry = reads.entry((&keys[*i].0, &keys[*i].1)).or_default();
            *entry = (*entry).max(seq);
        }
        let sql = super::receipts::move_positions_sql(self.backend, reads.len());
        let mut query = sqlx::query(&sql);
        for ((conversation, sender), seq) in &reads {
            query = query
                .bind(*conversation)
                .bind(*sender)
                .bind(*seq)
                .bind(*seq);
        }
        query.execute(&mut *tx).await?;
        if self.wants_webhook("message.created") {
            let events: Vec<OutboxEvent> = order
                .iter()
                .map(|i| OutboxEvent::new(WebhookChange::MessageCreated(stored[i].clone()), now))
                .collect();
            enqueue_webhooks(&mut tx, self.backend, &events).await?;
        }
        tx.commit().await?;
        Ok(stored)
    }

    /// Messages already stored under any of these keys, in one query.
    async fn messages_by_keys(
        &self,
        keys: &[SendKey],
    ) -> Result<HashMap<SendKey, Message>, AppError> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS}, m.temp_id FROM {MESSAGE_FROM} \
             JOIN (VALUES {}) AS v ON m.conversation_id = v.column1 \
               AND m.sender_id = v.column2 AND m.temp_id = v.column3",
            value_rows(self.backend, keys.len(), 3)
        );
        let mut query = sqlx::query_as::<_, KeyedMessageRow>(&sql);
        for (conversation, sender, temp_id) in keys {
            query = query.bind(conversation).bind(sender).bind(temp_id);
        }
        query
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|row| {
                let key = (
                    row.message.conversation_id.clone(),
                    row.message.sender_id.clone(),
                    row.temp_id,
                );
                Ok((key, row.message.into_message()?))
            })
            .collect()
    }

    /// One message by id.
    pub async fn message(&self, id: MessageId) -> Result<Option<Message>, AppError> {
        let row: Option<MessageRow> = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.id = $1"
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
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE messages SET body = $2, edited_at = $3 WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(id.to_string())
        .bind(body)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let edited = Message {
            body: body.to_owned(),
            edited_at: Some(now),
            ..existing
        };
        if self.wants_webhook("message.edited") {
            let event = OutboxEvent::new(WebhookChange::MessageEdited(edited.clone()), now);
            enqueue_webhooks(&mut tx, self.backend, &[event]).await?;
        }
        tx.commit().await?;
        Ok(edited)
    }

    /// Soft-deletes a message (`actor`'s own, or anyone's in a group `actor` owns or
    /// administers: the tombstone names them in `deleted_by`), erasing its text and reactions;
    /// returns it, the sender's "reacted to your message" entry if one went, and the files it
    /// carried (their records deleted with it).
    pub async fn delete_message(
        &self,
        id: MessageId,
        actor: UserId,
    ) -> Result<(Message, Option<NotificationId>, Vec<FileId>), AppError> {
        let existing = self.deletable_message(id, actor).await?;
        let deleted_by = (existing.sender_id != actor).then_some(actor);
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE messages SET body = '', attachments = NULL, deleted_at = $2, deleted_by = $3 \
             WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(now)
        .bind(deleted_by.map(|u| u.to_string()))
        .execute(&mut *tx)
        .await?;
        // Its files go with it (their bytes are the caller's to delete).
        let files: Vec<FileId> = existing.attachments.iter().map(|a| a.id).collect();
        sqlx::query("DELETE FROM files WHERE message_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let entry = clear_reactions(&mut tx, &existing).await?;
        // A deleted message mentions nobody any more.
        sqlx::query("DELETE FROM message_mentions WHERE message_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let deleted = Message {
            body: String::new(),
            deleted: true,
            deleted_by,
            attachments: Vec::new(),
            mentions: Vec::new(),
            // Clearing reactions is one more change of them.
            reactions_version: match existing.reactions_version {
                0 => 0,
                v => v + 1,
            },
            ..existing
        };
        if self.wants_webhook("message.deleted") {
            let event = OutboxEvent::new(WebhookChange::MessageDeleted(deleted.clone()), now);
            enqueue_webhooks(&mut tx, self.backend, &[event]).await?;
        }
        tx.commit().await?;
        Ok((deleted, entry, files))
    }

    /// A live message `actor` may delete: their own, or, in a group they own or administer,
    /// anyone's.
    async fn deletable_message(&self, id: MessageId, actor: UserId) -> Result<Message, AppError> {
        let message = self
            .message(id)
            .await?
            .filter(|m| !m.deleted)
            .ok_or(AppError::NotFound("message"))?;
        if message.sender_id == actor {
            return Ok(message);
        }
        // Non-members learn nothing: only a member can tell "not yours" from "not found".
        match self
            .member_role(message.conversation_id, actor)
            .await?
            .as_deref()
        {
            None => Err(AppError::NotFound("message")),
            // Direct conversations have members only.
            Some("owner" | "admin") => Ok(message),
            Some(_) => Err(AppError::Forbidden(
                "only the sender, or the group's owner or an admin, can delete a message".into(),
            )),
        }
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
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
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

/// Records who each new message mentions (one statement for the whole batch; none without
/// mentions).
async fn insert_mentions<'a>(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: super::Backend,
    messages: impl Iterator<Item = &'a Message>,
) -> Result<(), AppError> {
    let rows: Vec<(&Message, UserId)> = messages
        .flat_map(|m| m.mentions.iter().map(move |u| (m, *u)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO message_mentions (user_id, conversation_id, seq, message_id) VALUES {} \
         ON CONFLICT DO NOTHING",
        value_rows(backend, rows.len(), 4)
    );
    let mut query = sqlx::query(&sql);
    for (m, user) in rows {
        query = query
            .bind(user.to_string())
            .bind(m.conversation_id.to_string())
            .bind(m.seq)
            .bind(m.id.to_string());
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// Attaches each new message's files to it: one statement for the whole batch.
async fn claim_files<'a>(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: super::Backend,
    messages: impl Iterator<Item = &'a Message>,
) -> Result<(), sqlx::Error> {
    let claims: Vec<(String, String, String)> = messages
        .flat_map(|m| {
            m.attachments
                .iter()
                .map(move |a| (m.id.to_string(), a.id.to_string(), m.sender_id.to_string()))
        })
        .collect();
    if claims.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE files SET message_id = v.column1 FROM (VALUES {}) AS v \
         WHERE files.id = v.column2 AND files.uploader_id = v.column3",
        value_rows(backend, claims.len(), 3)
    );
    let mut query = sqlx::query(&sql);
    for (message, file, sender) in claims {
        query = query.bind(message).bind(file).bind(sender);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}
