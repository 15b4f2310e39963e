//! Authentication: password hashing (a bounded pool), JWT issue/verification, and the REST
//! extractor.
//!
//! A token is accepted only if its signature (HS256, pinned) and expiry check out *and* the
//! account still exists, is not banned, and has not revoked its tokens since (logout bumps the
//! account's token generation).

pub mod api_key;
mod external;
mod extract;
mod jwt;
mod password;

pub use api_key::ServerKey;
pub use extract::{token_from_headers, AuthUser};
pub use jwt::{Claims, JwtKeys};
pub use password::Passwords;

use crate::error::AppError;
use crate::store::Store;
use protocol::User;

/// A checked token: whose it is and until when it holds.
#[derive(Clone, Debug)]
pub struct Signed {
    /// The token's user.
    pub user: User,
    /// When the token expires (milliseconds since the epoch).
    pub expires_at: protocol::Millis,
}

/// Checks a token end to end and returns its user.
pub async fn authenticate(keys: &JwtKeys, store: &Store, token: &str) -> Result<User, AppError> {
    Ok(check(keys, store, token).await?.user)
}

/// Checks a token end to end and returns its user and expiry (for a session, which ends when
/// its token does unless it is given a fresh one).
pub async fn check(keys: &JwtKeys, store: &Store, token: &str) -> Result<Signed, AppError> {
    let claims = match keys.verify(token) {
        Ok(claims) => claims,
        // Not one of Confab's: perhaps one of the product's.
        Err(own) => {
            return match keys.external() {
                Some(external) => check_external(external, store, token).await,
                None => Err(own),
            }
        }
    };
    let expires_at = i64::try_from(claims.exp)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000);
    let state = store
        .auth_state(claims.user_id()?)
        .await?
        .ok_or_else(|| AppError::AuthFailed("unknown user".into()))?;
    if state.banned {
        return Err(AppError::AuthFailed("this account is banned".into()));
    }
    if state.token_generation != claims.gen {
        return Err(AppError::AuthFailed(
            "this token was revoked; sign in again".into(),
        ));
    }
    Ok(Signed {
        user: state.user,
        expires_at,
    })
}

/// Checks one of the product's tokens; its user is the one the product knows by the token's id
/// claim, provisioned from the claims the first time. A banned user is refused; revoking the
/// product's tokens is the product's to do (ban or disconnect through the server API).
async fn check_external(
    external: &external::ExternalTokens,
    store: &Store,
    token: &str,
) -> Result<Signed, AppError> {
    let claims = external.verify(token)?;
    let expires_at = i64::try_from(claims.exp)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000);
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

/// Creates the account of a user the product's token names for the first time: the token's
/// username if it is a valid and free one, else one made from the product's id.
async fn provision(
    store: &Store,
    claims: &external::ExternalClaims,
) -> Result<protocol::rest::ServerUser, AppError> {
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
            // Taken (the username, or the email): try the next name, without the email.
            Err(AppError::Conflict(why)) => last = Some(AppError::Conflict(why)),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or(AppError::Conflict("that username is taken".into())))
}
