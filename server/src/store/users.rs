//! Users: accounts, credentials, token revocation, search, last-seen and contacts.

use super::rows::{UserRow, USER_COLUMNS};
use super::{is_unique_violation, now_ms, parse_id, Store};
use crate::error::AppError;
use protocol::{User, UserId};
use std::collections::HashMap;

/// What sign-in needs to know about an account.
#[derive(Debug)]
pub struct Credentials {
    /// The account.
    pub user: User,
    /// The argon2 PHC string.
    pub password_hash: String,
    /// Tokens carry this number; bumping it revokes all earlier tokens.
    pub token_generation: i64,
    /// Banned users cannot sign in.
    pub banned: bool,
}

/// What token validation needs to know about an account.
#[derive(Debug)]
pub struct UserAuthState {
    /// The account.
    pub user: User,
    /// Current token generation.
    pub token_generation: i64,
    /// Whether the user is banned.
    pub banned: bool,
}

#[derive(sqlx::FromRow)]
struct CredentialsRow {
    id: String,
    username: String,
    display_name: String,
    password_hash: String,
    token_generation: i64,
    banned: i64,
}

/// A write that broke a unique username or email, said as such (`CONFLICT`); any other error
/// as it is.
pub(super) fn taken(e: sqlx::Error) -> AppError {
    if !is_unique_violation(&e) {
        return e.into();
    }
    let what = if e.to_string().contains("email") {
        "that email is taken"
    } else {
        "that username is taken"
    };
    AppError::Conflict(what.into())
}

impl CredentialsRow {
    fn user(&self) -> Result<User, AppError> {
        Ok(User {
            id: parse_id(&self.id)?,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
        })
    }
}

impl Store {
    /// Creates an account. `username` (and `email`) must already be normalised (lowercase).
    pub async fn create_user(
        &self,
        username: &str,
        display_name: &str,
        email: Option<&str>,
        password_hash: &str,
    ) -> Result<User, AppError> {
        let user = User {
            id: UserId::new(),
            username: username.to_owned(),
            display_name: display_name.to_owned(),
        };
        let result = sqlx::query(
            "INSERT INTO users (id, username, display_name, password_hash, created_at, email) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user.id.to_string())
        .bind(username)
        .bind(display_name)
        .bind(password_hash)
        .bind(now_ms())
        .bind(email)
        .execute(&self.pool)
        .await;
        result.map_err(taken)?;
        Ok(user)
    }

    /// An account's email, if it has one.
    pub async fn email_of(&self, user: UserId) -> Result<Option<String>, AppError> {
        let row: Option<(Option<String>,)> =
            sqlx::query_as("SELECT email FROM users WHERE id = $1")
                .bind(user.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.and_then(|(email,)| email))
    }

    /// Looks up an account by (normalised) username for sign-in.
    pub async fn credentials(&self, username: &str) -> Result<Option<Credentials>, AppError> {
        let row: Option<CredentialsRow> = sqlx::query_as(
            "SELECT id, username, display_name, password_hash, token_generation, banned \
             FROM users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(Credentials {
                user: r.user()?,
                token_generation: r.token_generation,
                banned: r.banned != 0,
                password_hash: r.password_hash,
            })
        })
        .transpose()
    }

    /// The account state a token is checked against.
    pub async fn auth_state(&self, id: UserId) -> Result<Option<UserAuthState>, AppError> {
        let row: Option<CredentialsRow> = sqlx::query_as(
            "SELECT id, username, display_name, password_hash, token_generation, banned \
             FROM users WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(UserAuthState {
                user: r.user()?,
                token_generation: r.token_generation,
                banned: r.banned != 0,
            })
        })
        .transpose()
    }

    /// One user by id.
    pub async fn user(&self, id: UserId) -> Result<Option<User>, AppError> {
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(UserRow::into_user).transpose()
    }

    /// How many of `ids` (deduplicated) are existing users, in one query.
    pub async fn count_existing_users(&self, ids: &[UserId]) -> Result<usize, AppError> {
        let mut unique: Vec<UserId> = ids.to_vec();
        unique.sort();
        unique.dedup();
        if unique.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "SELECT COUNT(*) FROM users WHERE id IN ({})",
            super::placeholders(1, unique.len())
        );
        let mut query = sqlx::query_as::<_, (i64,)>(&sql);
        for id in &unique {
            query = query.bind(id.to_string());
        }
        let (count,) = query.fetch_one(&self.pool).await?;
        Ok(count as usize)
    }

    /// The usernames of `ids` (deduplicated; unknown ids left out), in one query.
    pub async fn usernames(&self, ids: &[UserId]) -> Result<HashMap<UserId, String>, AppError> {
        let mut unique: Vec<UserId> = ids.to_vec();
        unique.sort();
        unique.dedup();
        if unique.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT id, username FROM users WHERE id IN ({})",
            super::placeholders(1, unique.len())
        );
        let mut query = sqlx::query_as::<_, (String, String)>(&sql);
        for id in &unique {
            query = query.bind(id.to_string());
        }
        query
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|(id, name)| Ok((parse_id(&id)?, name)))
            .collect()
    }

    /// Users whose username or display name contains `query` (case-insensitive).
    pub async fn search_users(&self, query: &str, limit: i64) -> Result<Vec<User>, AppError> {
        let escaped = query
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let rows: Vec<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users u \
             WHERE u.banned = 0 AND (u.username LIKE $1 ESCAPE '\\' \
                OR LOWER(u.display_name) LIKE $1 ESCAPE '\\') \
             ORDER BY u.username LIMIT $2"
        ))
        .bind(pattern)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(UserRow::into_user).collect()
    }

    /// Revokes every token issued so far; optionally bans the user. Returns false if no such user.
    pub async fn revoke_tokens(&self, id: UserId, ban: bool) -> Result<bool, AppError> {
        let result = sqlx::query(
            "UPDATE users SET token_generation = token_generation + 1, \
             banned = CASE WHEN $2 = 1 THEN 1 ELSE banned END WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(i64::from(ban))
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Records when a user was last connected.
    pub async fn set_last_seen(&self, id: UserId, at: i64) -> Result<(), AppError> {
        sqlx::query("UPDATE users SET last_seen_at = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Of `ids`, the users who share a conversation with `watcher` (the ones whose presence
    /// they may watch) and whom they have not blocked, with their last-seen times, in one query.
    pub async fn watchable(
        &self,
        watcher: UserId,
        ids: &[UserId],
    ) -> Result<Vec<(UserId, Option<i64>)>, AppError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT u.id, u.last_seen_at FROM users u WHERE u.id IN ({}) AND u.id <> $1 \
             AND EXISTS (SELECT 1 FROM conversation_members theirs \
               JOIN conversation_members mine ON mine.conversation_id = theirs.conversation_id \
                 AND mine.user_id = $1 \
               WHERE theirs.user_id = u.id) \
             AND NOT EXISTS (SELECT 1 FROM user_blocks b \
               WHERE b.blocker_id = $1 AND b.blocked_id = u.id)",
            super::placeholders(2, ids.len())
        );
        let mut query = sqlx::query_as::<_, (String, Option<i64>)>(&sql).bind(watcher.to_string());
        for id in ids {
            query = query.bind(id.to_string());
        }
        query
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|(id, seen)| Ok((parse_id(&id)?, seen)))
            .collect()
    }
}
