//! Notifications: created for several recipients at once, listed newest first, read up to an id.

use super::rows::USER_COLUMNS;
use super::{now_ms, parse_id, placeholders, Store};
use crate::error::AppError;
use protocol::{ConversationId, Notification, NotificationId, NotificationKind, User, UserId};
use std::collections::HashMap;

fn kind_str(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::AddedToConversation => "added_to_conversation",
        NotificationKind::RemovedFromConversation => "removed_from_conversation",
    }
}

fn parse_kind(raw: &str) -> Result<NotificationKind, AppError> {
    match raw {
        "added_to_conversation" => Ok(NotificationKind::AddedToConversation),
        "removed_from_conversation" => Ok(NotificationKind::RemovedFromConversation),
        other => Err(AppError::Internal(format!(
            "unknown notification kind {other:?}"
        ))),
    }
}

#[derive(sqlx::FromRow)]
struct NotificationRow {
    n_id: String,
    kind: String,
    conversation_id: Option<String>,
    conversation_title: Option<String>,
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
        kind: NotificationKind,
        actor: &User,
        conversation: Option<(ConversationId, Option<String>)>,
        recipients: &[UserId],
    ) -> Result<Vec<(UserId, Notification)>, AppError> {
        let now = now_ms();
        let (conversation_id, conversation_title) = conversation.unzip();
        let conversation_title = conversation_title.flatten();
        let mut tx = self.pool.begin().await?;
        let mut created = Vec::with_capacity(recipients.len());
        for recipient in recipients {
            let notification = Notification {
                id: NotificationId::new(),
                kind,
                actor: actor.clone(),
                conversation_id,
                conversation_title: conversation_title.clone(),
                created_at: now,
                read: false,
            };
            sqlx::query(
                "INSERT INTO notifications \
                   (id, user_id, kind, actor_id, conversation_id, conversation_title, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(notification.id.to_string())
            .bind(recipient.to_string())
            .bind(kind_str(kind))
            .bind(actor.id.to_string())
            .bind(conversation_id.map(|c| c.to_string()))
            .bind(conversation_title.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            created.push((*recipient, notification));
        }
        tx.commit().await?;
        Ok(created)
    }

    /// The newest notifications of a user.
    pub async fn notifications(
        &self,
        user: UserId,
        limit: i64,
    ) -> Result<Vec<Notification>, AppError> {
        let rows: Vec<NotificationRow> = sqlx::query_as(&format!(
            "SELECT n.id AS n_id, n.kind, n.conversation_id, n.conversation_title, n.created_at, \
               n.read_at, {USER_COLUMNS} \
             FROM notifications n JOIN users u ON u.id = n.actor_id \
             WHERE n.user_id = $1 ORDER BY n.id DESC LIMIT $2"
        ))
        .bind(user.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(NotificationRow::into_notification)
            .collect()
    }

    /// Unread notification counts of several users, in one query (absent users have none).
    pub async fn unread_notifications(
        &self,
        users: &[UserId],
    ) -> Result<HashMap<UserId, i64>, AppError> {
        if users.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT user_id, COUNT(*) FROM notifications \
             WHERE read_at IS NULL AND user_id IN ({}) GROUP BY user_id",
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
        sqlx::query(
            "UPDATE notifications SET read_at = $3 \
             WHERE user_id = $1 AND id <= $2 AND read_at IS NULL",
        )
        .bind(user.to_string())
        .bind(up_to.to_string())
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(self
            .unread_notifications(&[user])
            .await?
            .get(&user)
            .copied()
            .unwrap_or(0))
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
        sqlx::query(
            "UPDATE notifications SET read_at = $3 \
             WHERE user_id = $1 AND conversation_id = $2 AND read_at IS NULL",
        )
        .bind(user.to_string())
        .bind(conversation.to_string())
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(Some(
            self.unread_notifications(&[user])
                .await?
                .get(&user)
                .copied()
                .unwrap_or(0),
        ))
    }
}
