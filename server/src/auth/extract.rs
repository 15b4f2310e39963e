//! The `AuthUser` extractor for REST handlers: a bearer token or the session cookie.

use crate::error::AppError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use protocol::User;

/// The authenticated caller of a REST request.
#[derive(Clone, Debug)]
pub struct AuthUser(pub User);

/// The token from `Authorization: Bearer …` or, failing that, the session cookie.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        return value.strip_prefix("Bearer ").map(|t| t.trim().to_owned());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == protocol::TOKEN_COOKIE)
        .map(|(_, value)| value.to_owned())
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = token_from_headers(&parts.headers).ok_or(AppError::NotAuthenticated)?;
        let user = super::authenticate(&state.jwt, &state.store, &token).await?;
        Ok(Self(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn bearer_wins_over_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; confab_token=cookie"),
        );
        assert_eq!(token_from_headers(&headers).as_deref(), Some("cookie"));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer bearer"),
        );
        assert_eq!(token_from_headers(&headers).as_deref(), Some("bearer"));
    }

    #[test]
    fn no_credentials_means_none() {
        assert_eq!(token_from_headers(&HeaderMap::new()), None);
    }
}
