//! The one error type of request handling, shared by REST handlers and WebSocket event handlers.
//!
//! Every variant maps to a stable [`ErrorCode`] (sent to clients) and an HTTP status. Internal
//! causes (database failures, bugs) are logged here and never sent to clients.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::error::{ErrorBody, ErrorDetail};
use protocol::ErrorCode;

/// A failed request: either the client's fault (with a message safe to show) or an internal one.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Invalid input: empty or over-long text, bad username, and so on.
    #[error("{0}")]
    Validation(String),
    /// Malformed JSON or an unknown event.
    #[error("{0}")]
    InvalidPayload(String),
    /// The input is larger than allowed.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// No credentials were given.
    #[error("authentication required")]
    NotAuthenticated,
    /// The credentials were wrong, or the token invalid, expired or revoked.
    #[error("{0}")]
    AuthFailed(String),
    /// `authenticate` on a session that is already authenticated.
    #[error("this session is already authenticated")]
    AlreadyAuthenticated,
    /// The caller is not a member of the conversation.
    #[error("you are not a member of this conversation")]
    NotAMember,
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// One of two people blocked the other (code `BLOCKED`, status 403).
    #[error("{0}")]
    Blocked(String),
    /// A browser page from an origin that may not open a socket.
    #[error("this Origin may not open a Confab WebSocket")]
    OriginNotAllowed,
    /// Nothing with that id is visible to the caller.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Nothing with that id, said with the id (code `NOT_FOUND`, status 404): for requests that
    /// name several things, so the caller knows which.
    #[error("{0}")]
    Unknown(String),
    /// The path exists but not with this HTTP method (REST only; code `NOT_FOUND`, status 405).
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The resource exists already.
    #[error("{0}")]
    Conflict(String),
    /// Too many requests.
    #[error("too many requests, slow down")]
    RateLimited,
    /// A dependency is down or a limit is reached.
    #[error("{0}")]
    Unavailable(String),
    /// A database failure.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// Any other unexpected failure.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// The stable code clients see.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Validation(_) => ErrorCode::ValidationFailed,
            Self::InvalidPayload(_) => ErrorCode::InvalidPayload,
            Self::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            Self::NotAuthenticated => ErrorCode::NotAuthenticated,
            Self::AuthFailed(_) => ErrorCode::AuthFailed,
            Self::AlreadyAuthenticated => ErrorCode::AlreadyAuthenticated,
            Self::NotAMember => ErrorCode::NotAMember,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::Blocked(_) => ErrorCode::Blocked,
            Self::OriginNotAllowed => ErrorCode::OriginNotAllowed,
            Self::NotFound(_) | Self::Unknown(_) | Self::MethodNotAllowed(_) => ErrorCode::NotFound,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::RateLimited => ErrorCode::RateLimited,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::Database(_) | Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The HTTP status for REST responses.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::InvalidPayload(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotAuthenticated | Self::AuthFailed(_) => StatusCode::UNAUTHORIZED,
            Self::NotAMember | Self::Forbidden(_) | Self::Blocked(_) | Self::OriginNotAllowed => {
                StatusCode::FORBIDDEN
            }
            Self::AlreadyAuthenticated => StatusCode::CONFLICT,
            Self::NotFound(_) | Self::Unknown(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message clients see; internal causes are logged and replaced by a generic text.
    pub fn public_message(&self) -> String {
        match self {
            Self::Database(_) | Self::Internal(_) => {
                tracing::error!(error = %self, "internal error");
                "internal server error".to_owned()
            }
            other => other.to_string(),
        }
    }

    /// Shorthand for a validation failure.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::Validation(message.into())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.public_message(),
            },
        };
        (self.status(), Json(body)).into_response()
    }
}

impl From<sqlx::Error> for AppError {
    /// Every connection stayed busy past the pool's timeout: the server is overloaded, which
    /// the client should hear as `UNAVAILABLE` (try again), not as a server bug.
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut => {
                Self::Unavailable("the database is busy; try again shortly".into())
            }
            other => Self::Database(other),
        }
    }
}

/// Result of request handling.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_causes_are_not_leaked() {
        let err = AppError::Internal("secret path /etc/x".into());
        assert_eq!(err.code(), ErrorCode::Internal);
        assert_eq!(err.public_message(), "internal server error");
    }

    #[test]
    fn client_errors_keep_their_message() {
        let err = AppError::validation("body is empty");
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err.public_message(), "body is empty");
    }

    #[test]
    fn an_exhausted_pool_is_unavailable_not_a_bug() {
        let err = AppError::from(sqlx::Error::PoolTimedOut);
        assert_eq!(err.code(), ErrorCode::Unavailable);
        assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
        let other = AppError::from(sqlx::Error::RowNotFound);
        assert_eq!(other.code(), ErrorCode::Internal);
    }
}
