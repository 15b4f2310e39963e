//! Registration, sign-in and sign-out. Tokens are returned in the body (for API clients) and set
//! as an httpOnly cookie (for browsers, so page scripts never see them).

use super::{ApiJson, ClientAddr};
use crate::auth::{hash_password, token_from_headers, verify_password, AuthUser};
use crate::error::{AppError, AppResult};
use crate::hub::CloseReason;
use crate::state::AppState;
use crate::validate;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use protocol::rest::{AuthResponse, LoginRequest, RegisterRequest, SessionInfo};
use protocol::{close, ErrorCode, User, TOKEN_COOKIE};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/session", get(session))
        .route("/me", get(me))
}

fn cookie(state: &AppState, token: &str, max_age: u64) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let value = format!(
        "{TOKEN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn signed_in(
    state: &AppState,
    status: StatusCode,
    user: User,
    generation: i64,
) -> AppResult<Response> {
    let (token, expires_at) = state.jwt.issue(user.id, generation)?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        cookie(state, &token, state.config.token_ttl_secs),
    );
    let body = AuthResponse {
        user,
        token,
        expires_at,
    };
    Ok((status, headers, Json(body)).into_response())
}

async fn register(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> AppResult<Response> {
    state.check_auth_rate(client).await?;
    let username = validate::username(&req.username)?;
    validate::password(&req.password)?;
    let display_name = match &req.display_name {
        Some(name) => validate::label("display name", name, 64)?,
        None => username.clone(),
    };
    let hash = hash_password(req.password).await?;
    let user = state
        .store
        .create_user(&username, &display_name, &hash)
        .await?;
    tracing::info!(user = %user.id, %username, "registered");
    signed_in(&state, StatusCode::CREATED, user, 0)
}

async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> AppResult<Response> {
    state.check_auth_rate(client).await?;
    let wrong = || AppError::AuthFailed("wrong username or password".into());
    let username = validate::username(&req.username).map_err(|_| wrong())?;
    let Some(creds) = state.store.credentials(&username).await? else {
        return Err(wrong());
    };
    if !verify_password(req.password, creds.password_hash).await? {
        return Err(wrong());
    }
    if creds.banned {
        return Err(AppError::AuthFailed("this account is banned".into()));
    }
    signed_in(&state, StatusCode::OK, creds.user, creds.token_generation)
}

/// Revokes every token of the user and ends all of their live sessions.
async fn logout(State(state): State<AppState>, AuthUser(user): AuthUser) -> AppResult<Response> {
    state.store.revoke_tokens(user.id, false).await?;
    state
        .broker
        .close_user(
            user.id,
            CloseReason::new(close::KICKED, ErrorCode::Kicked, "signed out"),
        )
        .await;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, cookie(&state, "", 0));
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

/// The signed-in user or none; a stale or revoked cookie counts as signed out.
async fn session(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> AppResult<Json<SessionInfo>> {
    let user = match token_from_headers(&headers) {
        Some(token) => match crate::auth::authenticate(&state.jwt, &state.store, &token).await {
            Ok(user) => Some(user),
            Err(AppError::AuthFailed(_)) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    Ok(Json(SessionInfo { user }))
}

async fn me(AuthUser(user): AuthUser) -> Json<User> {
    Json(user)
}
