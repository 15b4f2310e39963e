//! Notifications: created for several recipients at once, listed newest first, read up to an id.

use super::rows::USER_COLUMNS;
use super::webhooks::{enqueue_webhook, OutboxEvent};
use super::{now_ms, parse_id, placeholders, value_rows, Backend, Store};
use crate::error::AppError;
use protocol::webhooks::{NotificationCreated, WebhookChange};
use protocol::{
    ConversationId, MessageId, Notification, NotificationId, NotificationKind, PostId, User, UserId,
};
use std::collections::{HashMap, HashSet};

const KINDS: [(NotificationKind, &str); 10] = [
    (
        NotificationKind::AddedToConversation,
        "added_to_conversation",
    ),
    (
        NotificationKind::RemovedFromConversation,
        "removed_from_conversation",
    ),
    (NotificationKind::PostLiked, "post_liked"),
    (NotificationKind::PostCommented, "post_commented"),
    (NotificationKind::Followed, "followed"),
    (NotificationKind::MessageReceived, "message_received"),
    (NotificationKind::Test, "test"),
    (NotificationKind::App, "app"),
    (NotificationKind::MessageReacted, "message_reacted"),
    (NotificationKind::Mentioned, "mentioned"),
];

fn kind_str(kind: NotificationKind) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("unknown", |(_, s)| s)
}

fn parse_kind(raw: &str) -> Result<NotificationKind, AppError> {
    match KINDS.iter().find(|(_, s)| *s == raw) {
        Some((kind, _)) => Ok(*kind),
        other => Err(AppError::Internal(format!(
            "unknown notification kind {other:?}"
        ))),
    }
}

/// What a new notification says, for any number of recipients.
#[derive(Clone, Debug)]
pub struct NotificationDraft<'a> {
    /// What happened.
    pub kind: NotificationKind,
    /// Who did it.
    pub actor: &'a User,
    /// The conversation concerned and its title.
    pub conversation: Option<(ConversationId, Option<String>)>,
    /// The post concerned.
    pub post: Option<PostId>,
    /// The message concerned.
    pub message: Option<MessageId>,
    /// An excerpt.
    pub text: Option<String>,
    /// Where it leads (the product's own notifications).
    pub link: Option<String>,
}

/// Columns selected for a notification (its actor as `u`).
const NOTIFICATION_COLUMNS: &str =
    "n.id AS n_id, n.kind, n.conversation_id, n.conversation_title, \
     n.post_id, n.message_id, n.others, n.text, n.link, n.created_at, n.read_at";

#[derive(sqlx::FromRow)]
struct NotificationRow {
    n_id: String,
    kind: String,
    conversation_id: Option<String>,
    conversation_title: Option<String>,
    post_id: Option<String>,
    message_id: Option<String>,
    others: i64,
    text: Option<String>,
    link: Option<String>,
    created_at: i64,
    read_at: Option<i64>,
    id: String,
    username: String,
    display_name: String,
}

impl NotificationRow {
    fn into_notification(self) -> Result<Notification, AppError> {
        Ok(Notification {
            id: parse_id(&self.n_id)?,
            kind: parse_kind(&self.kind)?,
            actor: User {
                id: parse_id(&self.id)?,
                username: self.username,
                display_name: self.display_name,
            },
            conversation_id: self.conversation_id.as_deref().map(parse_id).transpose()?,
            conversation_title: self.conversation_title,
            post_id: self.post_id.as_deref().map(parse_id).transpose()?,
            message_id: self.message_id.as_deref().map(parse_id).transpose()?,
            others: self.others,
            text: self.text,
            link: self.link,
            created_at: self.created_at,
            read: self.read_at.is_some(),
        })
    }
}

impl Store {
    /// Stores one notification per recipient (in one transaction) and returns them with the
    /// recipient each is for.
    pub async fn create_notifications(
        &self,
        draft: &NotificationDraft<'_>,
        recipients: &[UserId],
    ) -> Result<Vec<(UserId, Notification)>, AppError> {
        let now = now_ms();
        let (conversation_id, conversation_title) = draft.conversation.clone().unzip();
        let conversation_title = conversation_title.flatten();
        let webhooks = self.wants_webhook("notification.created");
        let mut tx = self.pool.begin().await?;
        let mut created = Vec::with_capacity(recipients.len());
        for recipient in recipients {
            let notification = Notification {
                id: NotificationId::new(),
                kind: draft.kind,
                actor: draft.actor.clone(),
                conversation_id,
                conversation_title: conversation_title.clone(),
                post_id: draft.post,
                message_id: draft.message,
                others: 0,
                text: draft.text.clone(),
                link: draft.link.clone(),
                created_at: now,
                read: false,
            };
            insert(&mut tx, *recipient, &notification, webhooks).await?;
            created.push((*recipient, notification));
        }
        tx.commit().await?;
        Ok(created)
    }

    /// A page of a user's notifications, newest first, older than `before`; `limit + 1` are
    /// read to tell whether more exist.
    pub async fn notifications(
        &self,
        user: UserId,
        before: Option<NotificationId>,
        limit: i64,
    ) -> Result<(Vec<Notification>, bool), AppError> {
        let rows: Vec<NotificationRow> = sqlx::query_as(&format!(
            "SELECT {NOTIFICATION_COLUMNS}, {USER_COLUMNS} \
             FROM notifications n JOIN users u ON u.id = n.actor_id \
             WHERE n.user_id = $1 AND ($2 = '' OR n.id < $2) ORDER BY n.id DESC LIMIT $3"
        ))
        .bind(user.to_string())
        .bind(before.map(|b| b.to_string()).unwrap_or_default())
        .bind(limit + 1)
        .fetch_all(&self.pool)
        .await?;
        let more = rows.len() as i64 > limit;
        let notifications = rows
            .into_iter()
            .take(limit as usize)
            .map(NotificationRow::into_notification)
            .collect::<Result<_, _>>()?;
        Ok((notifications, more))
    }

    /// Unread notification counts of several users, in one query (a column per user, kept
    /// with every change; absent users have none).
    pub async fn unread_notifications(
        &self,
        users: &[UserId],
    ) -> Result<HashMap<UserId, i64>, AppError> {
        if users.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT id, unread_notifications FROM users WHERE id IN ({})",
            placeholders(1, users.len())
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(&sql);
        for user in users {
            query = query.bind(user.to_string());
        }
        query
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|(u, n)| Ok((parse_id(&u)?, n)))
            .collect()
    }

    /// Marks a user's notifications up to `up_to` read; returns how many stay unread.
    pub async fn mark_notifications_read(
        &self,
        user: UserId,
        up_to: NotificationId,
    ) -> Result<i64, AppError> {
        self.mark_read_where(user, "id <= $2", &up_to.to_string())
            .await
    }

    /// Marks one of a user's notifications read; returns how many stay unread, or `None` if
    /// they have no such notification.
    pub async fn mark_notification_read(
        &self,
        user: UserId,
        id: NotificationId,
    ) -> Result<Option<i64>, AppError> {
        let mut tx = self.pool.begin().await?;
        let read = sqlx::query(
            "UPDATE notifications SET read_at = $3 \
             WHERE user_id = $1 AND id = $2 AND read_at IS NULL",
        )
        .bind(user.to_string())
        .bind(id.to_string())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if read == 0 {
            let exists: Option<(i64,)> =
                sqlx::query_as("SELECT 1 FROM notifications WHERE user_id = $1 AND id = $2")
                    .bind(user.to_string())
                    .bind(id.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            if exists.is_none() {
                return Ok(None);
            }
        }
        let unread = adjust_unread(&mut tx, user, -(read as i64)).await?;
        tx.commit().await?;
        Ok(Some(unread))
    }

    /// Marks the user's unread notifications matching `filter` (`$1` is the user, `$2` the
    /// value, `$3` the time) read; returns how many stay unread.
    async fn mark_read_where(
        &self,
        user: UserId,
        filter: &str,
        value: &str,
    ) -> Result<i64, AppError> {
        let mut tx = self.pool.begin().await?;
        let read = sqlx::query(&format!(
            "UPDATE notifications SET read_at = $3 \
             WHERE user_id = $1 AND {filter} AND read_at IS NULL"
        ))
        .bind(user.to_string())
        .bind(value)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let unread = adjust_unread(&mut tx, user, -(read as i64)).await?;
        tx.commit().await?;
        Ok(unread)
    }

    /// Which of these (recipient, conversation) pairs must not ring for a new direct message:
    /// the recipient already has an unread "sent you a message" notification for it, or muted
    /// the conversation. One query for a whole batch of direct messages.
    pub async fn quiet_direct_pairs(
        &self,
        pairs: &[(UserId, ConversationId)],
    ) -> Result<HashSet<(UserId, ConversationId)>, AppError> {
        if pairs.is_empty() {
            return Ok(HashSet::new());
        }
        let now = match self.backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${}", pairs.len() * 2 + 1),
        };
        // Correlated EXISTS probes: each pair is two index lookups, whatever the size of the
        // notifications table (a join or UNION here let SQLite build an index per query).
        let sql = format!(
            "SELECT v.column1, v.column2 FROM (VALUES {}) AS v \
             WHERE EXISTS (SELECT 1 FROM notifications n \
               WHERE n.user_id = v.column1 AND n.conversation_id = v.column2 \
                 AND n.read_at IS NULL AND n.kind = 'message_received') \
             OR EXISTS (SELECT 1 FROM conversation_members cm \
               WHERE cm.user_id = v.column1 AND cm.conversation_id = v.column2 \
                 AND cm.muted_until > {now})",
            value_rows(self.backend, pairs.len(), 2)
        );
        let mut query = sqlx::query_as::<_, (String, String)>(&sql);
        for (user, conversation) in pairs {
            query = query.bind(user.to_string()).bind(conversation.to_string());
        }
        query
            .bind(now_ms())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|(user, conversation)| Ok((parse_id(user)?, parse_id(conversation)?)))
            .collect()
    }

    /// Marks a user's unread notifications about one conversation read; returns how many stay
    /// unread, or `None` when there were none about it (the common case, answered by a read).
    pub async fn mark_conversation_notifications_read(
        &self,
        user: UserId,
        conversation: ConversationId,
    ) -> Result<Option<i64>, AppError> {
        let any: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM notifications \
             WHERE user_id = $1 AND conversation_id = $2 AND read_at IS NULL LIMIT 1",
        )
        .bind(user.to_string())
        .bind(conversation.to_string())
        .fetch_optional(&self.pool)
        .await?;
        if any.is_none() {
            return Ok(None);
        }
        let unread = self
            .mark_read_where(user, "conversation_id = $2", &conversation.to_string())
            .await?;
        Ok(Some(unread))
    }
}

/// Changes a user's unread count by `delta` (inside the transaction that changed the
/// notifications); returns the new count.
pub(super) async fn adjust_unread(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user: UserId,
    delta: i64,
) -> Result<i64, AppError> {
    let (unread,): (i64,) = sqlx::query_as(
        "UPDATE users SET unread_notifications = unread_notifications + $2 WHERE id = $1 \
         RETURNING unread_notifications",
    )
    .bind(user.to_string())
    .bind(delta)
    .fetch_one(&mut **tx)
    .await?;
    Ok(unread)
}

/// Stores one notification row, and its `notification.created` webhooks if `webhooks`.
async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    recipient: UserId,
    n: &Notification,
    webhooks: bool,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO notifications (id, user_id, kind, actor_id, conversation_id, \
           conversation_title, post_id, others, text, created_at, link, message_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(n.id.to_string())
    .bind(recipient.to_string())
    .bind(kind_str(n.kind))
    .bind(n.actor.id.to_string())
    .bind(n.conversation_id.map(|c| c.to_string()))
    .bind(n.conversation_title.clone())
    .bind(n.post_id.map(|p| p.to_string()))
    .bind(n.others)
    .bind(n.text.clone())
    .bind(n.created_at)
    .bind(n.link.clone())
    .bind(n.message_id.map(|m| m.to_string()))
    .execute(&mut **tx)
    .await?;
    if webhooks {
        let created = NotificationCreated {
            user_id: recipient,
            notification: n.clone(),
        };
        let event = OutboxEvent::new(WebhookChange::NotificationCreated(created), n.created_at);
        enqueue_webhook(tx, &event).await?;
    }
    if !n.read {
        adjust_unread(tx, recipient, 1).await?;
    }
    Ok(())
}

/// How an author's grouped entry ("liked your post", "reacted to your message") changed.
#[derive(Clone, Debug, Default)]
pub struct GroupedNotification {
    /// An entry that went away (replaced by a newer one, or nobody left).
    pub removed: Option<NotificationId>,
    /// The entry as it is now (new, or updated in place under its id).
    pub current: Option<Notification>,
}

/// What an author's grouped entry is about: one entry per post or per message.
#[derive(Clone, Copy, Debug)]
pub(super) enum Grouped<'a> {
    /// The likes of a post.
    PostLikes(PostId),
    /// The reactions to a message, in a conversation; `text` the start of the message.
    MessageReactions {
        /// The message.
        message: MessageId,
        /// Its conversation.
        conversation: ConversationId,
        /// Its excerpt.
        text: &'a str,
    },
}

impl Grouped<'_> {
    fn kind(&self) -> NotificationKind {
        match self {
            Self::PostLikes(_) => NotificationKind::PostLiked,
            Self::MessageReactions { .. } => NotificationKind::MessageReacted,
        }
    }

    /// The notifications column naming the subject, and its value.
    fn key(&self) -> (&'static str, String) {
        match self {
            Self::PostLikes(post) => ("post_id", post.to_string()),
            Self::MessageReactions { message, .. } => ("message_id", message.to_string()),
        }
    }

    /// The people who did it: the table and its subject column.
    fn source(&self) -> (&'static str, &'static str) {
        match self {
            Self::PostLikes(_) => ("post_likes", "post_id"),
            Self::MessageReactions { .. } => ("message_reactions", "message_id"),
        }
    }
}

/// Keeps `author`'s one grouped entry about `subject` true to it, inside the transaction that
/// changed it (after the subject's row was updated, which orders concurrent changes).
/// `people`: how many people did it now (the author included, if they did); `newest`: who
/// just did it, or `None` when people only took theirs back.
pub(super) async fn refresh_grouped_entry(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    webhooks: bool,
    author: UserId,
    subject: Grouped<'_>,
    people: i64,
    newest: Option<&User>,
) -> Result<GroupedNotification, AppError> {
    let (table, column) = subject.source();
    let (_, key) = subject.key();
    let own: Option<(i64,)> = sqlx::query_as(&format!(
        "SELECT 1 FROM {table} WHERE {column} = $1 AND user_id = $2 LIMIT 1"
    ))
    .bind(&key)
    .bind(author.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    let by_others = people - i64::from(own.is_some());
    if let Some(newest) = newest {
        // Newest first again: a fresh entry (new id) replaces the old one.
        let removed = remove_grouped_entry(tx, author, subject).await?;
        let (post_id, message_id, conversation_id, text) = match subject {
            Grouped::PostLikes(post) => (Some(post), None, None, None),
            Grouped::MessageReactions {
                message,
                conversation,
                text,
            } => (
                None,
                Some(message),
                Some(conversation),
                Some(text.to_owned()),
            ),
        };
        let notification = Notification {
            id: NotificationId::new(),
            kind: subject.kind(),
            actor: newest.clone(),
            conversation_id,
            conversation_title: None,
            post_id,
            message_id,
            others: (by_others - 1).max(0),
            text,
            link: None,
            created_at: now_ms(),
            read: false,
        };
        insert(tx, author, &notification, webhooks).await?;
        return Ok(GroupedNotification {
            removed,
            current: Some(notification),
        });
    }
    if by_others <= 0 {
        return Ok(GroupedNotification {
            removed: remove_grouped_entry(tx, author, subject).await?,
            current: None,
        });
    }
    // Someone took theirs back: name the newest remaining person, in place.
    let (subject_column, _) = subject.key();
    let kind = kind_str(subject.kind());
    sqlx::query(&format!(
        "UPDATE notifications SET others = $3, actor_id = (SELECT l.user_id FROM {table} l \
           WHERE l.{column} = $2 AND l.user_id <> $1 ORDER BY l.created_at DESC LIMIT 1) \
         WHERE user_id = $1 AND {subject_column} = $2 AND kind = '{kind}'"
    ))
    .bind(author.to_string())
    .bind(&key)
    .bind(by_others - 1)
    .execute(&mut **tx)
    .await?;
    let row: Option<NotificationRow> = sqlx::query_as(&format!(
        "SELECT {NOTIFICATION_COLUMNS}, {USER_COLUMNS} \
         FROM notifications n JOIN users u ON u.id = n.actor_id \
         WHERE n.user_id = $1 AND n.{subject_column} = $2 AND n.kind = '{kind}'"
    ))
    .bind(author.to_string())
    .bind(&key)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(GroupedNotification {
        removed: None,
        current: row.map(NotificationRow::into_notification).transpose()?,
    })
}

/// Deletes the author's grouped entry about `subject`; returns its id if there was one.
pub(super) async fn remove_grouped_entry(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    author: UserId,
    subject: Grouped<'_>,
) -> Result<Option<NotificationId>, AppError> {
    let (column, key) = subject.key();
    let kind = kind_str(subject.kind());
    let old: Option<(String, Option<i64>)> = sqlx::query_as(&format!(
        "DELETE FROM notifications \
         WHERE user_id = $1 AND {column} = $2 AND kind = '{kind}' RETURNING id, read_at"
    ))
    .bind(author.to_string())
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((id, read_at)) = old else {
        return Ok(None);
    };
    if read_at.is_none() {
        adjust_unread(tx, author, -1).await?;
    }
    Ok(Some(parse_id(&id)?))
}
