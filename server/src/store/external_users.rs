//! Users a product provisions by its own ids (the server API): created without a password,
//! updated, looked up, and deleted (anonymised: their messages stay, their name goes).

use super::users::taken;
use super::{now_ms, parse_id, placeholders, Store};
use crate::error::AppError;
use protocol::rest::ServerUser;
use protocol::UserId;

/// The password hash of an account that has none (provisioned by a product): no password
/// verifies against it, and sign-in refuses it before trying.
pub const NO_PASSWORD: &str = "!";

/// What a product says about one of its users.
#[derive(Debug)]
pub struct ExternalProfile<'a> {
    /// The product's id.
    pub external_id: &'a str,
    /// Normalised (lowercase) username.
    pub username: &'a str,
    /// Display name.
    pub display_name: &'a str,
    /// Normalised email.
    pub email: Option<&'a str>,
    /// Picture URL.
    pub avatar_url: Option<&'a str>,
}

#[derive(sqlx::FromRow)]
struct ExternalRow {
    id: String,
    external_id: Option<String>,
    username: String,
    display_name: String,
    email: Option<String>,
    avatar_url: Option<String>,
    banned: i64,
}

impl ExternalRow {
    fn into_user(self) -> Result<ServerUser, AppError> {
        Ok(ServerUser {
            id: parse_id(&self.id)?,
            external_id: self.external_id.unwrap_or_default(),
            username: self.username,
            display_name: self.display_name,
            email: self.email,
            avatar_url: self.avatar_url,
            banned: self.banned != 0,
        })
    }
}

const EXTERNAL_COLUMNS: &str = "id, external_id, username, display_name, email, avatar_url, banned";

impl Store {
    /// Creates or updates the user a product knows as `profile.external_id`; true if created.
    pub async fn upsert_external_user(
        &self,
        profile: &ExternalProfile<'_>,
    ) -> Result<(ServerUser, bool), AppError> {
        let updated = sqlx::query(
            "UPDATE users SET username = $2, display_name = $3, email = $4, avatar_url = $5 \
             WHERE external_id = $1",
        )
        .bind(profile.external_id)
        .bind(profile.username)
        .bind(profile.display_name)
        .bind(profile.email)
        .bind(profile.avatar_url)
        .execute(&self.pool)
        .await
        .map_err(taken)?;
        let created = updated.rows_affected() == 0;
        if created {
            sqlx::query(
                "INSERT INTO users (id, username, display_name, password_hash, created_at, \
                 email, external_id, avatar_url) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(UserId::new().to_string())
            .bind(profile.username)
            .bind(profile.display_name)
            .bind(NO_PASSWORD)
            .bind(now_ms())
            .bind(profile.email)
            .bind(profile.external_id)
            .bind(profile.avatar_url)
            .execute(&self.pool)
            .await
            .map_err(taken)?;
        }
        let user = self
            .external_user(profile.external_id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        Ok((user, created))
    }

    /// The user a product knows as `external_id`.
    pub async fn external_user(&self, external_id: &str) -> Result<Option<ServerUser>, AppError> {
        let row: Option<ExternalRow> = sqlx::query_as(&format!(
            "SELECT {EXTERNAL_COLUMNS} FROM users WHERE external_id = $1"
        ))
        .bind(external_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(ExternalRow::into_user).transpose()
    }

    /// Of `external_ids`, the known users with their last-seen times, in one query.
    pub async fn external_users(
        &self,
        external_ids: &[String],
    ) -> Result<Vec<(String, UserId, Option<i64>)>, AppError> {
        if external_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT external_id, id, last_seen_at FROM users WHERE external_id IN ({})",
            placeholders(1, external_ids.len())
        );
        let mut query = sqlx::query_as::<_, (String, String, Option<i64>)>(&sql);
        for id in external_ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|(external, id, seen)| Ok((external, parse_id(&id)?, seen)))
            .collect()
    }

    /// Deletes the user a product knows as `external_id`: banned, every token revoked, name,
    /// email, picture and external id gone (what they wrote stays, as a deleted user's).
    pub async fn delete_external_user(
        &self,
        external_id: &str,
    ) -> Result<Option<UserId>, AppError> {
        let Some(user) = self.external_user(external_id).await? else {
            return Ok(None);
        };
        let anonymous = format!("deleted-{}", &user.id.to_string().replace('-', "")[..16]);
        sqlx::query(
            "UPDATE users SET username = $2, display_name = 'Deleted user', email = NULL, \
             avatar_url = NULL, external_id = NULL, banned = 1, \
             token_generation = token_generation + 1 WHERE id = $1",
        )
        .bind(user.id.to_string())
        .bind(anonymous)
        .execute(&self.pool)
        .await?;
        Ok(Some(user.id))
    }
}
