//! Authentication: password hashing (a bounded pool), JWT issue/verification, and the REST
//! extractor.
//!
//! A token is accepted only if its signature (HS256, pinned) and expiry check out *and* the
//! account still exists, is not banned, and has not revoked its tokens since (logout bumps the
//! account's token generation).

mod extract;
mod jwt;
mod password;

pub use extract::{token_from_headers, AuthUser};
pub use jwt::{Claims, JwtKeys};
pub use password::Passwords;

use crate::error::AppError;
use crate::store::Store;
use protocol::User;

/// Checks a token end to end and returns its user.
pub async fn authenticate(keys: &JwtKeys, store: &Store, token: &str) -> Result<User, AppError> {
    let claims = keys.verify(token)?;
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
    Ok(state.user)
}
