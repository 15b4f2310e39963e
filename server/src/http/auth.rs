//! Registration, sign-in, session refresh and sign-out. Tokens are returned in the body (for API
//! clients, and for a browser's open WebSocket to refresh its session in band) and set as an
//! httpOnly cookie (for browsers: pages load and sockets connect with it).

use super::{ApiJson, ClientAddr};
use crate::auth::{token_from_headers, AuthUser};
use crate::domain::sessions;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::validate;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::rest::{AuthResponse, LoginRequest, RegisterRequest, SessionInfo};
use protocol::ErrorBody;
use protocol::{User, TOKEN_COOKIE};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this resource, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(session))
        .routes(routes!(me))
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

/// Creates an account and signs it in.
#[utoipa::path(post, path = "/auth/register", tag = "auth", security(()), request_body = RegisterRequest, responses((status = 201, description = "Registered and signed in; the token is also set as the httpOnly `confab_token` cookie", body = AuthResponse), (status = 409, description = "`CONFLICT`: the username or the email is taken", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: username, password, display name or email out of bounds", body = ErrorBody)))]
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
    let email = req.email.as_deref().map(validate::email).transpose()?;
    let hash = state.passwords.hash(req.password).await?;
    let user = state
        .store
        .create_user(&username, &display_name, email.as_deref(), &hash)
        .await?;
    tracing::info!(user = %user.id, %username, "registered");
    signed_in(&state, StatusCode::CREATED, user, 0)
}

/// Signs in with a username and password.
#[utoipa::path(post, path = "/auth/login", tag = "auth", security(()), request_body = LoginRequest, responses((status = 200, description = "Signed in; the token is also set as the `confab_token` cookie", body = AuthResponse), (status = 401, description = "`AUTH_FAILED`: wrong username or password, or a banned account", body = ErrorBody)))]
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
    // Provisioned by a product: no password to sign in with.
    if creds.password_hash == crate::store::NO_PASSWORD {
        return Err(wrong());
    }
    if !state
        .passwords
        .verify(req.password, creds.password_hash)
        .await?
    {
        return Err(wrong());
    }
    if creds.banned {
        return Err(AppError::AuthFailed("this account is banned".into()));
    }
    signed_in(&state, StatusCode::OK, creds.user, creds.token_generation)
}

/// A fresh token for the signed-in user, with a renewed cookie: a session goes on past its
/// token's expiry without a password (an open WebSocket takes the fresh token in band with
/// `refresh_token` after `token_expiring`). Needs a valid token: an expired, revoked or banned
/// one gets 401, and sign-in is needed again.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", responses((status = 200, description = "A fresh token (also set as the `confab_token` cookie)", body = AuthResponse), (status = 401, description = "`AUTH_FAILED` / `NOT_AUTHENTICATED`: no valid token to refresh", body = ErrorBody)))]
async fn refresh(State(state): State<AppState>, AuthUser(user): AuthUser) -> AppResult<Response> {
    let generation = state
        .store
        .auth_state(user.id)
        .await?
        .ok_or_else(|| AppError::AuthFailed("unknown user".into()))?
        .token_generation;
    signed_in(&state, StatusCode::OK, user, generation)
}

/// Revokes every token of the user and ends all of their live sessions.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204, description = "Signed out everywhere: every token of the user is revoked, their sockets are closed and the cookie is cleared")))]
async fn logout(State(state): State<AppState>, AuthUser(user): AuthUser) -> AppResult<Response> {
    sessions::revoke(&state, user.id, false, "signed out").await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, cookie(&state, "", 0));
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

/// The signed-in user or none; a stale or revoked cookie counts as signed out.
#[utoipa::path(get, path = "/auth/session", tag = "auth", security(()), responses((status = 200, description = "The signed-in user, or `null` (never 401: for browsers)", body = SessionInfo)))]
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

/// The signed-in user.
#[utoipa::path(get, path = "/me", tag = "auth", responses((status = 200, description = "The user the token belongs to", body = User)))]
async fn me(AuthUser(user): AuthUser) -> Json<User> {
    Json(user)
}
