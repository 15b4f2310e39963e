//! API keys of the server API: stored with a hash of their secret, listed, revoked, and
//! looked up by id when a request presents one.

use super::{now_ms, Store};
use crate::error::AppError;
use protocol::rest::{ApiKeyInfo, ApiScope};

/// A stored key: what the list shows, and the hash its secret must match.
#[derive(Debug)]
pub struct StoredKey {
    /// The key as listed.
    pub info: ApiKeyInfo,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: String,
    name: String,
    secret_hash: String,
    scopes: String,
    created_at: i64,
    revoked_at: Option<i64>,
    last_used_at: Option<i64>,
}

impl KeyRow {
    fn into_key(self) -> StoredKey {
        let scopes = self
            .scopes
            .split(',')
            .filter_map(|s| serde_json::from_value(serde_json::Value::String(s.into())).ok())
            .collect();
        StoredKey {
            secret_hash: self.secret_hash,
            info: ApiKeyInfo {
                id: self.id,
                name: self.name,
                scopes,
                created_at: self.created_at,
                revoked_at: self.revoked_at,
                last_used_at: self.last_used_at,
            },
        }
    }
}

const KEY_COLUMNS: &str = "id, name, secret_hash, scopes, created_at, revoked_at, last_used_at";

/// The stored spelling of scopes: `users,presence`.
fn scopes_text(scopes: &[ApiScope]) -> String {
    scopes
        .iter()
        .filter_map(|s| serde_json::to_value(s).ok())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect::<Vec<_>>()
        .join(",")
}

impl Store {
    /// Stores a new key (its secret already hashed).
    pub async fn create_api_key(
        &self,
        id: &str,
        name: &str,
        scopes: &[ApiScope],
        secret_hash: &str,
    ) -> Result<ApiKeyInfo, AppError> {
        let created_at = now_ms();
        sqlx::query(
            "INSERT INTO api_keys (id, name, secret_hash, scopes, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(name)
        .bind(secret_hash)
        .bind(scopes_text(scopes))
        .bind(created_at)
        .execute(&self.pool)
        .await?;
        Ok(ApiKeyInfo {
            id: id.to_owned(),
            name: name.to_owned(),
            scopes: scopes.to_vec(),
            created_at,
            revoked_at: None,
            last_used_at: None,
        })
    }

    /// One key by id.
    pub async fn api_key(&self, id: &str) -> Result<Option<StoredKey>, AppError> {
        let row: Option<KeyRow> =
            sqlx::query_as(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(KeyRow::into_key))
    }

    /// Every key, newest first.
    pub async fn api_keys(&self) -> Result<Vec<ApiKeyInfo>, AppError> {
        let rows: Vec<KeyRow> = sqlx::query_as(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at DESC, id DESC"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.into_key().info).collect())
    }

    /// Revokes a key; false if there is no such key.
    pub async fn revoke_api_key(&self, id: &str) -> Result<bool, AppError> {
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1")
                .bind(id)
                .bind(now_ms())
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records that a key was used (callers do it at most once a minute per key).
    pub async fn touch_api_key(&self, id: &str, at: i64) -> Result<(), AppError> {
        sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
