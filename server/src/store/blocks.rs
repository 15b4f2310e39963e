//! Blocks between people: who blocked whom.

use super::rows::{UserRow, USER_COLUMNS};
use super::{now_ms, parse_id, placeholders, Store};
use crate::error::AppError;
use protocol::{User, UserId};
use std::collections::HashSet;

/// Blocks as read by [`Store::blocks_among`]: `(blocker, blocked)`.
pub type Blocks = HashSet<(UserId, UserId)>;

/// Why `sender` may not message `recipient`, if either blocked the other, said which way to
/// the one who blocked: the one rule for direct messages and new direct conversations.
pub fn refusal(blocks: &Blocks, sender: UserId, recipient: UserId) -> Option<&'static str> {
    if blocks.contains(&(sender, recipient)) {
        Some("you blocked this person: unblock them to exchange messages")
    } else if blocks.contains(&(recipient, sender)) {
        Some("this person is not accepting messages from you")
    } else {
        None
    }
}

impl Store {
    /// `blocker` blocks (or unblocks) `blocked`, idempotently; returns whether anything changed.
    /// The caller checks that both exist and differ.
    pub async fn set_block(
        &self,
        blocker: UserId,
        blocked: UserId,
        block: bool,
    ) -> Result<bool, AppError> {
        let result = if block {
            sqlx::query(
                "INSERT INTO user_blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(blocker.to_string())
            .bind(blocked.to_string())
            .bind(now_ms())
            .execute(&self.pool)
            .await?
        } else {
            sqlx::query("DELETE FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2")
                .bind(blocker.to_string())
                .bind(blocked.to_string())
                .execute(&self.pool)
                .await?
        };
        Ok(result.rows_affected() > 0)
    }

    /// The people `blocker` blocked, most recently blocked first.
    pub async fn blocked_users(&self, blocker: UserId) -> Result<Vec<User>, AppError> {
        let rows: Vec<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM user_blocks b JOIN users u ON u.id = b.blocked_id \
             WHERE b.blocker_id = $1 ORDER BY b.created_at DESC, u.username"
        ))
        .bind(blocker.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(UserRow::into_user).collect()
    }

    /// Those of `users` who blocked `who`: one read, whatever their number.
    pub async fn blockers_of(
        &self,
        who: UserId,
        users: &[UserId],
    ) -> Result<Vec<UserId>, AppError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT blocker_id FROM user_blocks WHERE blocked_id = $1 AND blocker_id IN ({})",
            placeholders(2, users.len())
        );
        let mut query = sqlx::query_as::<_, (String,)>(&sql).bind(who.to_string());
        for user in users {
            query = query.bind(user.to_string());
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|(id,)| parse_id(id))
            .collect()
    }

    /// The blocks among `users` (blocker, blocked): one read.
    pub async fn blocks_among(
        &self,
        users: impl Iterator<Item = UserId>,
    ) -> Result<Blocks, AppError> {
        let mut users: Vec<UserId> = users.collect();
        users.sort();
        users.dedup();
        let list = placeholders(1, users.len());
        let sql = format!(
            "SELECT blocker_id, blocked_id FROM user_blocks \
             WHERE blocker_id IN ({list}) AND blocked_id IN ({list})"
        );
        let mut query = sqlx::query_as::<_, (String, String)>(&sql);
        for user in &users {
            query = query.bind(user.to_string());
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|(a, b)| Ok((parse_id(a)?, parse_id(b)?)))
            .collect()
    }
}
