//! Emoji reactions, written in batches like likes: whatever reactions have arrived commit in one
//! transaction with one insert and one delete for all of them, one counts upsert per (message,
//! emoji), one update per message (its version and how many people reacted), and the author's
//! grouped "reacted to your message" entry refreshed once per message, and the batch's
//! `message.reaction_added` / `_removed` webhook events (when an endpoint wants them) enqueued
//! in the same commit. Reading a message's
//! reactions reads its counts (at most [`MAX_REACTION_EMOJIS`] rows), never the reactions.

use super::notifications::{
    refresh_grouped_entry, remove_grouped_entry, Grouped, GroupedNotification,
};
use super::webhooks::{enqueue_webhooks, OutboxEvent};
use super::{now_ms, parse_id, placeholders, value_rows, Backend, Store};
use crate::error::AppError;
use protocol::webhooks::{MessageReaction, WebhookChange};
use protocol::{
    excerpt, ConversationId, Message, MessageId, MessageReactions, ReactionCount, User, UserId,
    MAX_REACTION_EMOJIS,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Largest batch [`Store::apply_reactions`] takes (4 bind parameters per reaction).
pub const MAX_REACTION_BATCH: usize = 200;

/// One reaction added (`add: true`) or taken back.
#[derive(Clone, Debug)]
pub struct ReactionRequest {
    /// The message.
    pub message: MessageId,
    /// Who.
    pub user: User,
    /// The emoji (already checked).
    pub emoji: String,
    /// Add or remove.
    pub add: bool,
}

/// How a message's reactions changed in a batch, for its author's bell.
#[derive(Clone, Debug)]
pub struct ReactionChange {
    /// Who wrote the message.
    pub author: UserId,
    /// How the author's "reacted to your message" entry changed.
    pub notification: GroupedNotification,
}

/// What one request gets back.
#[derive(Clone, Debug)]
pub struct ReactionOutcome {
    /// The message's reactions after the batch.
    pub reactions: MessageReactions,
    /// Whether the requester has this reaction now.
    pub reacted: bool,
    /// For the first request of each message whose reactions changed: the change to publish
    /// (once per batch).
    pub change: Option<ReactionChange>,
}

/// A message named by a batch, as the batch found it (its row is locked by then).
struct Target {
    conversation: ConversationId,
    author: UserId,
    body: String,
    live: bool,
    reactors: i64,
    version: i64,
}

/// What the batch wants for one (message, emoji, person): the last request wins, remembered
/// with its position for "newest reactor first".
struct Wanted {
    add: bool,
    order: usize,
}

type Key = (MessageId, String, UserId);

impl Store {
    /// Applies a batch of reactions in one transaction; one answer per request, in order
    /// (`NOT_FOUND` for an unknown message, `VALIDATION_FAILED` for a deleted one or a new emoji
    /// beyond [`MAX_REACTION_EMOJIS`]).
    pub async fn apply_reactions(
        &self,
        batch: &[ReactionRequest],
    ) -> Result<Vec<Result<ReactionOutcome, AppError>>, AppError> {
        let mut wanted: BTreeMap<Key, Wanted> = BTreeMap::new();
        let mut users: HashMap<UserId, &User> = HashMap::new();
        for (order, r) in batch.iter().enumerate() {
            let key = (r.message, r.emoji.clone(), r.user.id);
            // A repeated wish keeps its first position (reacting twice is reacting once).
            if wanted.get(&key).is_none_or(|w| w.add != r.add) {
                wanted.insert(key, Wanted { add: r.add, order });
            }
            users.insert(r.user.id, &r.user);
        }
        let named: BTreeSet<MessageId> = batch.iter().map(|r| r.message).collect();
        if named.is_empty() {
            return Ok(Vec::new());
        }

        let mut tx = self.pool.begin().await?;
        // Writes first (the transaction takes the write lock at once on SQLite), one message at
        // a time in id order (concurrent batches on PostgreSQL lock rows in one order).
        let mut targets: BTreeMap<MessageId, Target> = BTreeMap::new();
        for message in &named {
            let row: Option<(String, String, String, Option<i64>, i64, i64)> = sqlx::query_as(
                "UPDATE messages SET reactions_version = reactions_version + 1 WHERE id = $1 \
                 RETURNING conversation_id, sender_id, body, deleted_at, reactor_count, \
                   reactions_version",
            )
            .bind(message.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((conversation, author, body, deleted_at, reactors, version)) = row {
                let target = Target {
                    conversation: parse_id(&conversation)?,
                    author: parse_id(&author)?,
                    body,
                    live: deleted_at.is_none(),
                    reactors,
                    version,
                };
                targets.insert(*message, target);
            }
        }
        // Only live messages change; a new emoji beyond the limit is refused.
        let mut emojis = self.emojis_of(&mut tx, &named).await?;
        let mut refused: BTreeSet<Key> = BTreeSet::new();
        let mut by_arrival: Vec<(&Key, &Wanted)> = wanted.iter().collect();
        by_arrival.sort_by_key(|(_, w)| w.order);
        for (key, wish) in by_arrival {
            let live = targets.get(&key.0).is_some_and(|t| t.live);
            let set = emojis.entry(key.0).or_default();
            if !live || (wish.add && !set.contains(&key.1) && set.len() >= MAX_REACTION_EMOJIS) {
                refused.insert(key.clone());
            } else if wish.add {
                set.insert(key.1.clone());
            }
        }
        let adds: Vec<&Key> = keys(&wanted, &refused, true);
        let removes: Vec<&Key> = keys(&wanted, &refused, false);
        let added = insert_reactions(&mut tx, self.backend, &adds).await?;
        let removed = delete_reactions(&mut tx, &removes).await?;

        // Counts per (message, emoji), and how many people reacted per message.
        let mut delta: BTreeMap<(MessageId, &str), i64> = BTreeMap::new();
        for (m, e, _) in &added {
            *delta.entry((*m, e.as_str())).or_default() += 1;
        }
        for (m, e, _) in &removed {
            *delta.entry((*m, e.as_str())).or_default() -= 1;
        }
        let now = now_ms();
        for ((message, emoji), d) in &delta {
            if *d == 0 {
                continue;
            }
            sqlx::query(
                "INSERT INTO message_reaction_counts (message_id, emoji, count, first_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (message_id, emoji) \
                 DO UPDATE SET count = message_reaction_counts.count + excluded.count",
            )
            .bind(message.to_string())
            .bind(*emoji)
            .bind(*d)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let changed: BTreeSet<MessageId> = added.iter().chain(&removed).map(|k| k.0).collect();
        for message in &changed {
            sqlx::query("DELETE FROM message_reaction_counts WHERE message_id = $1 AND count <= 0")
                .bind(message.to_string())
                .execute(&mut *tx)
                .await?;
        }
        let reactor_delta = reactor_changes(&mut tx, &added, &removed).await?;
        for (message, d) in &reactor_delta {
            if *d == 0 {
                continue;
            }
            let (reactors,): (i64,) = sqlx::query_as(
                "UPDATE messages SET reactor_count = reactor_count + $2 WHERE id = $1 \
                 RETURNING reactor_count",
            )
            .bind(message.to_string())
            .bind(*d)
            .fetch_one(&mut *tx)
            .await?;
            if let Some(t) = targets.get_mut(message) {
                t.reactors = reactors;
            }
        }
        let mut counts = self.counts_of(&mut tx, &named).await?;

        // The author's grouped entry, once per changed message (not for the system's posts,
        // nor when only the author's own reactions changed).
        let webhooks = self.wants_webhook("notification.created");
        let mut changes: HashMap<MessageId, ReactionChange> = HashMap::new();
        for message in &changed {
            let Some(t) = targets.get(message) else {
                continue;
            };
            let by_others = added
                .iter()
                .chain(&removed)
                .any(|k| k.0 == *message && k.2 != t.author);
            let notification = if by_others && t.author != UserId::SYSTEM {
                let newest = added
                    .iter()
                    .filter(|k| k.0 == *message && k.2 != t.author)
                    .max_by_key(|k| wanted.get(*k).map_or(0, |w| w.order))
                    .and_then(|k| users.get(&k.2).copied());
                let text = excerpt(&t.body);
                let subject = Grouped::MessageReactions {
                    message: *message,
                    conversation: t.conversation,
                    text: &text,
                };
                refresh_grouped_entry(&mut tx, webhooks, t.author, subject, t.reactors, newest)
                    .await?
            } else {
                GroupedNotification::default()
            };
            let change = ReactionChange {
                author: t.author,
                notification,
            };
            changes.insert(*message, change);
        }
        // `message.reaction_added` / `_removed`, one per person's change, with the same commit.
        let want = (
            self.wants_webhook("message.reaction_added"),
            self.wants_webhook("message.reaction_removed"),
        );
        let events = reaction_events(want, (&added, &removed), &targets, &counts, now);
        enqueue_webhooks(&mut tx, self.backend, &events).await?;
        tx.commit().await?;

        let mut answers = Vec::with_capacity(batch.len());
        for r in batch {
            let Some(t) = targets.get(&r.message) else {
                answers.push(Err(AppError::NotFound("message")));
                continue;
            };
            if !t.live {
                answers.push(Err(AppError::validation(
                    "the message was deleted: it takes no reactions",
                )));
                continue;
            }
            let key = (r.message, r.emoji.clone(), r.user.id);
            if refused.contains(&key) {
                answers.push(Err(AppError::validation(format!(
                    "a message carries at most {MAX_REACTION_EMOJIS} different reactions"
                ))));
                continue;
            }
            let reactions = MessageReactions {
                conversation_id: t.conversation,
                message_id: r.message,
                counts: counts.remove(&r.message).unwrap_or_default(),
                version: t.version,
            };
            // Later requests for the same message share the counts.
            counts.insert(r.message, reactions.counts.clone());
            answers.push(Ok(ReactionOutcome {
                reactions,
                reacted: wanted.get(&key).is_some_and(|w| w.add),
                change: changes.remove(&r.message),
            }));
        }
        Ok(answers)
    }

    /// The emojis each message carries now.
    async fn emojis_of(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        messages: &BTreeSet<MessageId>,
    ) -> Result<HashMap<MessageId, BTreeSet<String>>, AppError> {
        let mut emojis: HashMap<MessageId, BTreeSet<String>> = HashMap::new();
        for (message, count) in self.read_counts(&mut **tx, messages).await? {
            let set: &mut BTreeSet<String> = emojis.entry(message).or_default();
            set.insert(count.emoji);
        }
        Ok(emojis)
    }

    /// The counts of each message, most used first.
    async fn counts_of(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        messages: &BTreeSet<MessageId>,
    ) -> Result<HashMap<MessageId, Vec<ReactionCount>>, AppError> {
        let mut counts: HashMap<MessageId, Vec<ReactionCount>> = HashMap::new();
        for (message, count) in self.read_counts(&mut **tx, messages).await? {
            counts.entry(message).or_default().push(count);
        }
        Ok(counts)
    }

    /// Every (message, emoji) count of `messages`, each message's most used first (ties: the
    /// earliest first).
    async fn read_counts<'e>(
        &self,
        executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
        messages: &BTreeSet<MessageId>,
    ) -> Result<Vec<(MessageId, ReactionCount)>, AppError> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT message_id, emoji, count FROM message_reaction_counts \
             WHERE message_id IN ({}) ORDER BY message_id, count DESC, first_at, emoji",
            placeholders(1, messages.len())
        );
        let mut query = sqlx::query_as::<_, (String, String, i64)>(&sql);
        for m in messages {
            query = query.bind(m.to_string());
        }
        query
            .fetch_all(executor)
            .await?
            .into_iter()
            .map(|(m, emoji, count)| Ok((parse_id(&m)?, ReactionCount { emoji, count })))
            .collect()
    }

    /// Fills in the reactions of the messages that have any (and which are `reader`'s): two
    /// reads for the whole page, none when no message of it was ever reacted to.
    pub async fn with_reactions(
        &self,
        messages: &mut [Message],
        reader: UserId,
    ) -> Result<(), AppError> {
        let reacted: BTreeSet<MessageId> = messages
            .iter()
            .filter(|m| m.reactions_version > 0 && !m.deleted)
            .map(|m| m.id)
            .collect();
        if reacted.is_empty() {
            return Ok(());
        }
        let mut counts: HashMap<MessageId, Vec<ReactionCount>> = HashMap::new();
        for (message, count) in self.read_counts(&self.pool, &reacted).await? {
            counts.entry(message).or_default().push(count);
        }
        let sql = format!(
            "SELECT message_id, emoji FROM message_reactions \
             WHERE user_id = $1 AND message_id IN ({}) ORDER BY created_at",
            placeholders(2, reacted.len())
        );
        let mut query = sqlx::query_as::<_, (String, String)>(&sql).bind(reader.to_string());
        for m in &reacted {
            query = query.bind(m.to_string());
        }
        let mut mine: HashMap<MessageId, Vec<String>> = HashMap::new();
        for (m, emoji) in query.fetch_all(&self.pool).await? {
            mine.entry(parse_id(&m)?).or_default().push(emoji);
        }
        for m in messages.iter_mut() {
            m.reactions = counts.remove(&m.id).unwrap_or_default();
            m.my_reactions = mine.remove(&m.id).unwrap_or_default();
        }
        Ok(())
    }

    /// Who reacted to a message with each emoji: per emoji of its counts, the first `limit`
    /// people (earliest first).
    pub async fn reactors(
        &self,
        message: MessageId,
        limit: i64,
    ) -> Result<Vec<(ReactionCount, Vec<User>)>, AppError> {
        let one: BTreeSet<MessageId> = [message].into();
        let counts = self.read_counts(&self.pool, &one).await?;
        let mut answer = Vec::with_capacity(counts.len());
        for (_, count) in counts {
            let rows: Vec<super::rows::UserRow> = sqlx::query_as(&format!(
                "SELECT {} FROM message_reactions x JOIN users u ON u.id = x.user_id \
                 WHERE x.message_id = $1 AND x.emoji = $2 ORDER BY x.created_at, u.id LIMIT $3",
                super::rows::USER_COLUMNS
            ))
            .bind(message.to_string())
            .bind(&count.emoji)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            let users = rows
                .into_iter()
                .map(super::rows::UserRow::into_user)
                .collect::<Result<_, _>>()?;
            answer.push((count, users));
        }
        Ok(answer)
    }
}

/// Takes every reaction off a message being deleted, and its author's grouped entry (whose id
/// is returned), inside the deletion's transaction.
pub(super) async fn clear_reactions(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    message: &Message,
) -> Result<Option<protocol::NotificationId>, AppError> {
    if message.reactions_version == 0 {
        return Ok(None);
    }
    let id = message.id.to_string();
    sqlx::query("DELETE FROM message_reactions WHERE message_id = $1")
        .bind(&id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM message_reaction_counts WHERE message_id = $1")
        .bind(&id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE messages SET reactor_count = 0, reactions_version = reactions_version + 1 \
         WHERE id = $1",
    )
    .bind(&id)
    .execute(&mut **tx)
    .await?;
    let subject = Grouped::MessageReactions {
        message: message.id,
        conversation: message.conversation_id,
        text: "",
    };
    remove_grouped_entry(tx, message.sender_id, subject).await
}

/// The wishes for `add` that were not refused.
fn keys<'a>(wanted: &'a BTreeMap<Key, Wanted>, refused: &BTreeSet<Key>, add: bool) -> Vec<&'a Key> {
    wanted
        .iter()
        .filter(|(k, w)| w.add == add && !refused.contains(*k))
        .map(|(k, _)| k)
        .collect()
}

/// The webhook events of a batch's committed changes (none for the types no endpoint wants):
/// each person's added and removed reaction, with the emoji's count after the batch.
fn reaction_events(
    want: (bool, bool),
    changed: (&[Key], &[Key]),
    targets: &BTreeMap<MessageId, Target>,
    counts: &HashMap<MessageId, Vec<ReactionCount>>,
    now: i64,
) -> Vec<OutboxEvent> {
    let added = changed.0.iter().filter(|_| want.0).map(|k| (k, true));
    let removed = changed.1.iter().filter(|_| want.1).map(|k| (k, false));
    added
        .chain(removed)
        .filter_map(|((message, emoji, user), add)| {
            let target = targets.get(message)?;
            let count = counts
                .get(message)
                .and_then(|c| c.iter().find(|c| &c.emoji == emoji))
                .map_or(0, |c| c.count);
            let reaction = MessageReaction {
                conversation_id: target.conversation,
                message_id: *message,
                user_id: *user,
                emoji: emoji.clone(),
                count,
            };
            let change = if add {
                WebhookChange::ReactionAdded(reaction)
            } else {
                WebhookChange::ReactionRemoved(reaction)
            };
            Some(OutboxEvent::new(change, now))
        })
        .collect()
}

/// Inserts the reactions that are not there yet; returns those inserted.
async fn insert_reactions(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    adds: &[&Key],
) -> Result<Vec<Key>, AppError> {
    if adds.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "INSERT INTO message_reactions (message_id, emoji, user_id, created_at) VALUES {} \
         ON CONFLICT DO NOTHING RETURNING message_id, emoji, user_id",
        value_rows(backend, adds.len(), 4)
    );
    let now = now_ms();
    let mut query = sqlx::query_as::<_, (String, String, String)>(&sql);
    for &(message, emoji, user) in adds {
        query = query
            .bind(message.to_string())
            .bind(emoji.clone())
            .bind(user.to_string())
            .bind(now);
    }
    parse_keys(query.fetch_all(&mut **tx).await?)
}

/// Deletes the reactions that are there; returns those deleted.
async fn delete_reactions(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    removes: &[&Key],
) -> Result<Vec<Key>, AppError> {
    if removes.is_empty() {
        return Ok(Vec::new());
    }
    let wanted = (0..removes.len())
        .map(|i| {
            let n = 3 * i;
            format!(
                "(message_id = ${} AND emoji = ${} AND user_id = ${})",
                n + 1,
                n + 2,
                n + 3
            )
        })
        .collect::<Vec<_>>()
        .join(" OR ");
    let sql = format!(
        "DELETE FROM message_reactions WHERE {wanted} RETURNING message_id, emoji, user_id"
    );
    let mut query = sqlx::query_as::<_, (String, String, String)>(&sql);
    for &(message, emoji, user) in removes {
        query = query
            .bind(message.to_string())
            .bind(emoji.clone())
            .bind(user.to_string());
    }
    parse_keys(query.fetch_all(&mut **tx).await?)
}

/// How many people started (+1) or stopped (−1) reacting to each message, from the batch's
/// changes: one read of the changed people's remaining reactions.
async fn reactor_changes(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    added: &[Key],
    removed: &[Key],
) -> Result<BTreeMap<MessageId, i64>, AppError> {
    // Net change of each (message, person)'s number of reactions in this batch.
    let mut net: BTreeMap<(MessageId, UserId), i64> = BTreeMap::new();
    for (m, _, u) in added {
        *net.entry((*m, *u)).or_default() += 1;
    }
    for (m, _, u) in removed {
        *net.entry((*m, *u)).or_default() -= 1;
    }
    let mut changes: BTreeMap<MessageId, i64> = BTreeMap::new();
    if net.is_empty() {
        return Ok(changes);
    }
    let wanted = (0..net.len())
        .map(|i| format!("(message_id = ${} AND user_id = ${})", 2 * i + 1, 2 * i + 2))
        .collect::<Vec<_>>()
        .join(" OR ");
    let sql = format!(
        "SELECT message_id, user_id, COUNT(*) FROM message_reactions WHERE {wanted} \
         GROUP BY message_id, user_id"
    );
    let mut query = sqlx::query_as::<_, (String, String, i64)>(&sql);
    for (m, u) in net.keys() {
        query = query.bind(m.to_string()).bind(u.to_string());
    }
    let mut now: HashMap<(MessageId, UserId), i64> = HashMap::new();
    for (m, u, n) in query.fetch_all(&mut **tx).await? {
        now.insert((parse_id(&m)?, parse_id(&u)?), n);
    }
    for (pair, d) in net {
        let after = now.get(&pair).copied().unwrap_or(0);
        let before = after - d;
        let change = match (before > 0, after > 0) {
            (false, true) => 1,
            (true, false) => -1,
            _ => 0,
        };
        *changes.entry(pair.0).or_default() += change;
    }
    Ok(changes)
}

fn parse_keys(rows: Vec<(String, String, String)>) -> Result<Vec<Key>, AppError> {
    rows.into_iter()
        .map(|(m, e, u)| Ok((parse_id(&m)?, e, parse_id(&u)?)))
        .collect()
}
