//! API keys for the server API: `cfk_<id>_<secret>`, the secret random and stored as its
//! SHA-256 (a key is high-entropy: a fast hash is enough, unlike a password). The
//! [`ServerKey`] extractor checks a request's key (bearer), its scopes and its rate.

use crate::error::AppError;
use crate::state::AppState;
use crate::store::now_ms;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use protocol::rest::{ApiKeyCreated, ApiKeyInfo, ApiScope};

/// Every key begins so (and a user token never does).
pub const KEY_PREFIX: &str = "cfk_";

/// How often a key's `last_used_at` is written at most.
const TOUCH_EVERY_MS: i64 = 60_000;

/// SHA-256 of `secret`, hex.
fn hash(secret: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, secret.as_bytes());
    hex::encode(digest.as_ref())
}

/// Whether two hex digests are equal, in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `(id, secret)` of a presented key.
fn split(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    (!id.is_empty() && !secret.is_empty()).then_some((id, secret))
}

/// Creates a key (named, with scopes): stored hashed, returned with its secret this once.
pub async fn create(
    store: &crate::store::Store,
    name: &str,
    scopes: &[ApiScope],
) -> Result<ApiKeyCreated, AppError> {
    let name = crate::validate::label("key name", name, 64)?;
    if scopes.is_empty() {
        return Err(AppError::validation("a key needs at least one scope"));
    }
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    let id = uuid::Uuid::now_v7().simple().to_string();
    let secret = hex::encode(rand::random::<[u8; 32]>());
    let info = store
        .create_api_key(&id, &name, &scopes, &hash(&secret))
        .await?;
    Ok(ApiKeyCreated {
        key: format!("{KEY_PREFIX}{id}_{secret}"),
        info,
    })
}

/// The key a server API request presented, checked (exists, not revoked, secret matches,
/// within its rate).
#[derive(Clone, Debug)]
pub struct ServerKey(pub ApiKeyInfo);

impl ServerKey {
    /// `FORBIDDEN` unless the key has `scope` (or `admin`).
    pub fn require(&self, scope: ApiScope) -> Result<(), AppError> {
        let scopes = &self.0.scopes;
        if scopes.contains(&scope) || scopes.contains(&ApiScope::Admin) {
            return Ok(());
        }
        let name = serde_json::to_value(scope)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        Err(AppError::Forbidden(format!(
            "this API key does not have the `{name}` scope"
        )))
    }
}

impl FromRequestParts<AppState> for ServerKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| AppError::NotAuthenticated)?;
        let invalid = || AppError::AuthFailed("invalid or revoked API key".into());
        let (id, secret) = split(presented).ok_or_else(invalid)?;
        let stored = state.store.api_key(id).await?.ok_or_else(invalid)?;
        if stored.info.revoked_at.is_some() || !same(&stored.secret_hash, &hash(secret)) {
            return Err(invalid());
        }
        state.check_server_api_rate(&stored.info.id)?;
        let now = now_ms();
        if stored
            .info
            .last_used_at
            .is_none_or(|at| now - at >= TOUCH_EVERY_MS)
        {
            state.store.touch_api_key(&stored.info.id, now).await?;
        }
        Ok(Self(stored.info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_into_id_and_secret_and_nothing_else_does() {
        assert_eq!(split("cfk_abc_def"), Some(("abc", "def")));
        assert_eq!(split("cfk_abc_de_f"), Some(("abc", "de_f")));
        assert_eq!(split("cfk__def"), None);
        assert_eq!(split("cfk_abc"), None);
        assert_eq!(split("eyJhbGciOiJIUzI1NiJ9.e30.sig"), None);
        assert!(same(&hash("x"), &hash("x")));
        assert!(!same(&hash("x"), &hash("y")));
    }
}
