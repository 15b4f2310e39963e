//! Authentication: password hashing (a bounded pool), JWT issue/verification, and the REST
//! extractor.
//!
//! A token is accepted only if its signature (HS256, pinned) and expiry check out *and* the
//! account still exists, is not banned, and has not revoked its tokens since (logout bumps the
//! account's token generation).

pub mod api_key;
mod external;
mod extract;
mod jwks;
mod jwt;
mod password;
mod refusal;

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
                Some(external) => external.check(store, token).await,
                None => Err(own),
            }
        }
    };
    let expires_at = expiry_ms(claims.exp);
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

/// A token's `exp` (seconds since the epoch) in milliseconds.
fn expiry_ms(exp: u64) -> protocol::Millis {
    i64::try_from(exp)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000)
}
