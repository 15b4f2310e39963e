//! The product's own tokens: when `--external-jwt-secret` or `--external-jwks-url` is set, a JWT
//! the product's backend signed (HS256 with the shared secret, or RS256/ES256 with a key of its
//! JWKS named by the token's `kid`; algorithms pinned; expiry required; issuer and audience
//! checked when configured) is as good as Confab's own on `/ws`, `/socket.io/` and REST. Its user is the one the product knows
//! by the id claim, provisioned from the claims the first time (no password).

use super::jwks::Jwks;
use super::Signed;
use crate::config::Config;
use crate::error::AppError;
use crate::store::Store;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use protocol::rest::ServerUser;
use serde_json::{Map, Value};
use std::sync::Arc;

/// What a product's token says about its user.
#[derive(Debug)]
pub struct ExternalClaims {
    /// The product's id of the user.
    pub external_id: String,
    /// A username, if the token carries one.
    pub username: Option<String>,
    /// A display name, if the token carries one.
    pub display_name: Option<String>,
    /// An email, if the token carries one.
    pub email: Option<String>,
    /// Expiry (seconds since the epoch).
    pub exp: u64,
}

/// Where the product's signing keys come from.
#[derive(Clone)]
enum Keys {
    /// One shared HS256 secret.
    Secret(DecodingKey),
    /// Its JWKS URL.
    Jwks(Arc<Jwks>),
}

/// How the product's tokens are checked and read.
#[derive(Clone)]
pub struct ExternalTokens {
    keys: Keys,
    /// Issuer, audience, expiry; the algorithm is set per key.
    validation: Validation,
    id_claim: String,
    username_claim: String,
    name_claim: String,
}

impl std::fmt::Debug for ExternalTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalTokens")
            .field("id_claim", &self.id_claim)
            .finish_non_exhaustive()
    }
}

impl ExternalTokens {
    /// The configured checks, if the product's tokens are accepted at all.
    pub fn from_config(config: &Config) -> Result<Option<Self>, AppError> {
        let keys = match (&config.external_jwt_secret, &config.external_jwks_url) {
            (None, None) => return Ok(None),
            (Some(_), Some(_)) => {
                return Err(AppError::Internal(
                    "set --external-jwt-secret or --external-jwks-url, not both".into(),
                ))
            }
            (Some(secret), None) => {
                if secret.len() < 32 {
                    return Err(AppError::Internal(
                        "the external JWT secret must be at least 32 bytes".into(),
                    ));
                }
                Keys::Secret(DecodingKey::from_secret(secret.as_bytes()))
            }
            (None, Some(url)) => Keys::Jwks(Arc::new(Jwks::new(url)?)),
        };
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp"]);
        if let Some(issuer) = &config.external_jwt_issuer {
            validation.set_issuer(&[issuer]);
        }
        match &config.external_jwt_audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        Ok(Some(Self {
            keys,
            validation,
            id_claim: config.external_jwt_id_claim.clone(),
            username_claim: config.external_jwt_username_claim.clone(),
            name_claim: config.external_jwt_name_claim.clone(),
        }))
    }

    /// Checks a product's token and reads its user's claims.
    pub async fn verify(&self, token: &str) -> Result<ExternalClaims, AppError> {
        let claims = match &self.keys {
            Keys::Secret(key) => decode::<Map<String, Value>>(token, key, &self.validation),
            Keys::Jwks(jwks) => {
                let header = decode_header(token).map_err(super::refusal::refused)?;
                let kid = header
                    .kid
                    .ok_or_else(|| AppError::AuthFailed("the token names no key (kid)".into()))?;
                let key = jwks.key(&kid).await?;
                // The key's type decides the algorithm; a token claiming another is refused.
                let mut validation = self.validation.clone();
                validation.algorithms = vec![key.algorithm];
                decode::<Map<String, Value>>(token, &key.decoding, &validation)
            }
        }
        .map_err(super::refusal::refused)?
        .claims;
        let text = |name: &str| match claims.get(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let external_id = text(&self.id_claim)
            .filter(|id| id.chars().count() <= 128)
            .ok_or_else(|| {
                AppError::AuthFailed(format!("the token has no usable `{}` claim", self.id_claim))
            })?;
        Ok(ExternalClaims {
            external_id,
            username: text(&self.username_claim),
            display_name: text(&self.name_claim),
            email: text("email"),
            exp: claims.get("exp").and_then(Value::as_u64).unwrap_or(0),
        })
    }

    /// Checks one of the product's tokens; its user is the one the product knows by the
    /// token's id claim, provisioned from the claims the first time. A banned user is refused;
    /// revoking the product's tokens is the product's to do (ban or disconnect through the
    /// server API).
    pub async fn check(&self, store: &Store, token: &str) -> Result<Signed, AppError> {
        let claims = self.verify(token).await?;
        let expires_at = super::expiry_ms(claims.exp);
        let known = match store.external_user(&claims.external_id).await? {
            Some(user) => user,
            None => provision(store, &claims).await?,
        };
        if known.banned {
            return Err(AppError::AuthFailed("this account is banned".into()));
        }
        Ok(Signed {
            user: known.as_user(),
            expires_at,
        })
    }
}

/// Creates the account of a user the product's token names for the first time: the token's
/// username if it is a valid and free one, else one made from the product's id.
async fn provision(store: &Store, claims: &ExternalClaims) -> Result<ServerUser, AppError> {
    let derived = {
        let digest = ring::digest::digest(&ring::digest::SHA256, claims.external_id.as_bytes());
        format!("user-{}", &hex::encode(digest.as_ref())[..12])
    };
    let wanted = claims
        .username
        .as_deref()
        .and_then(|name| crate::validate::username(name).ok());
    let email = claims
        .email
        .as_deref()
        .and_then(|email| crate::validate::email(email).ok());
    let mut attempts: Vec<(String, Option<String>)> = Vec::new();
    if let Some(wanted) = wanted {
        attempts.push((wanted, email.clone()));
    }
    attempts.push((derived, None));
    let mut last = None;
    for (username, email) in attempts {
        let display_name = claims
            .display_name
            .as_deref()
            .and_then(|n| crate::validate::label("display name", n, 64).ok())
            .unwrap_or_else(|| username.clone());
        let profile = crate::store::ExternalProfile {
            external_id: &claims.external_id,
            username: &username,
            display_name: &display_name,
            email: email.as_deref(),
            avatar_url: None,
        };
        match store.upsert_external_user(&profile).await {
            Ok((user, _)) => {
                tracing::info!(user = %user.id, external_id = %claims.external_id, "provisioned from a product's token");
                return Ok(user);
            }
            Err(AppError::Conflict(why)) => {
                // Another first connection of the same user provisioned it meanwhile: that
                // account it is (trying the next name would rename it).
                if let Some(user) = store.external_user(&claims.external_id).await? {
                    return Ok(user);
                }
                // Taken by someone else (the username, or the email): try the next name,
                // without the email.
                last = Some(AppError::Conflict(why));
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or(AppError::Conflict("that username is taken".into())))
}
