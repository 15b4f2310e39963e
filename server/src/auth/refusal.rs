//! Why a token was refused, in words, for Confab's tokens and a product's alike.

use crate::error::AppError;

/// `AUTH_FAILED`, saying why a token was refused (Confab's or a product's).
pub(super) fn refused(e: jsonwebtoken::errors::Error) -> AppError {
    use jsonwebtoken::errors::ErrorKind;
    let why = match e.kind() {
        ErrorKind::ExpiredSignature => "the token has expired",
        ErrorKind::InvalidSignature => "the token signature is invalid",
        ErrorKind::InvalidAlgorithm => "the token algorithm is not allowed",
        ErrorKind::InvalidIssuer => "the token's issuer is not the expected one",
        ErrorKind::InvalidAudience => "the token's audience is not the expected one",
        _ => "the token is malformed",
    };
    AppError::AuthFailed(why.into())
}
