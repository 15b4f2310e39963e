//! Bulk inserts for demo data and load tests: many users, groups and direct conversations in a
//! few multi-row statements, bypassing the per-request paths (and their rate limits).

use super::conversations::direct_key;
use super::{value_rows, Store};
use crate::error::AppError;
use protocol::{ConversationId, UserId};

/// Rows per multi-row statement (5 parameters each stays far below every bind limit).
const CHUNK: usize = 500;

impl Store {
    /// Inserts users `(id, username, display name)` sharing one password hash.
    pub async fn seed_users(
        &self,
        users: &[(UserId, String, String)],
        password_hash: &str,
        now: i64,
    ) -> Result<(), AppError> {
        let mut tx = self.pool.begin().await?;
        for chunk in users.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO users (id, username, display_name, password_hash, created_at) \
                 VALUES {}",
                value_rows(self.backend, chunk.len(), 5)
            );
            let mut query = sqlx::query(&sql);
            for (id, username, display) in chunk {
                query = query
                    .bind(id.to_string())
                    .bind(username)
                    .bind(display)
                    .bind(password_hash)
                    .bind(now);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Inserts a conversation with its members (the first member creates and, for a group,
    /// owns it). `direct` conversations take exactly two members.
    pub async fn seed_conversation(
        &self,
        title: Option<&str>,
        members: &[UserId],
        now: i64,
    ) -> Result<ConversationId, AppError> {
        let Some(&creator) = members.first() else {
            return Err(AppError::validation("a conversation needs members"));
        };
        let id = ConversationId::new();
        let key = match (title, members) {
            (None, &[a, b]) => Some(direct_key(a, b)),
            (None, _) => {
                return Err(AppError::validation(
                    "a direct conversation has two members",
                ))
            }
            (Some(_), _) => None,
        };
        let kind = if title.is_some() { "group" } else { "direct" };
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO conversations (id, kind, title, direct_key, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(kind)
        .bind(title)
        .bind(key)
        .bind(creator.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        for (n, chunk) in members.chunks(CHUNK).enumerate() {
            let sql = format!(
                "INSERT INTO conversation_members (conversation_id, user_id, role, joined_at) \
                 VALUES {}",
                value_rows(self.backend, chunk.len(), 4)
            );
            let mut query = sqlx::query(&sql);
            for (i, user) in chunk.iter().enumerate() {
                let owner = n == 0 && i == 0 && title.is_some();
                query = query
                    .bind(id.to_string())
                    .bind(user.to_string())
                    .bind(if owner { "owner" } else { "member" })
                    .bind(now);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(id)
    }
}
