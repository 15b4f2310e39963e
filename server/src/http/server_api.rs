//! The server API (`/api/server/v1/…`): what a product's backend asks of Confab with an API
//! key ([`ServerKey`], bearer; each route names the scope it needs; rate limited per key).
//! Users are addressed by the product's own ids.

use super::{ApiJson, ApiPath};
use crate::auth::ServerKey;
use crate::domain::presence;
use crate::error::{AppError, AppResult};
use crate::hub::CloseReason;
use crate::state::AppState;
use crate::store::ExternalProfile;
use crate::validate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use protocol::rest::{
    ApiScope, AuthResponse, Disconnected, PresenceQuery, ServerPresence, ServerPresenceList,
    ServerStats, ServerUser, UpsertServerUser,
};
use protocol::{close, ErrorBody, ErrorCode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Most users one presence request may name.
const MAX_PRESENCE_QUERY: usize = 1000;

/// The routes of this resource, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upsert_user, get_user, delete_user))
        .routes(routes!(ban_user))
        .routes(routes!(token_for))
        .routes(routes!(disconnect_user))
        .routes(routes!(presence_of))
        .routes(routes!(stats))
}

/// A product's user id: 1–128 characters, no control characters.
fn external_id(raw: &str) -> Result<&str, AppError> {
    let ok = (1..=128).contains(&raw.chars().count()) && !raw.chars().any(char::is_control);
    if ok {
        Ok(raw)
    } else {
        Err(AppError::validation(
            "an external id is 1-128 characters, without control characters",
        ))
    }
}

/// A picture URL: `http(s)://…`, at most 2,048 characters.
fn avatar_url(raw: &str) -> Result<&str, AppError> {
    let raw = raw.trim();
    let ok = raw.len() <= 2048 && (raw.starts_with("https://") || raw.starts_with("http://"));
    if ok {
        Ok(raw)
    } else {
        Err(AppError::validation(
            "avatar_url must be an http(s) URL of at most 2048 characters",
        ))
    }
}

/// The user a product knows as `id`, or `NOT_FOUND`.
async fn known(state: &AppState, id: &str) -> Result<ServerUser, AppError> {
    state
        .store
        .external_user(external_id(id)?)
        .await?
        .ok_or(AppError::NotFound("user"))
}

/// Creates or updates a user by the product's own id (no password: they sign in with the
/// product's tokens, or the product acts for them).
#[utoipa::path(put, path = "/server/v1/users/{external_id}", tag = "server", security(("api_key" = [])), params(("external_id" = String, Path, description = "The product's id of the user")), request_body = UpsertServerUser, responses((status = 201, description = "Created", body = ServerUser), (status = 200, description = "Updated", body = ServerUser), (status = 401, description = "`AUTH_FAILED`: invalid or revoked key", body = ErrorBody), (status = 403, description = "`FORBIDDEN`: the key lacks the `users` scope", body = ErrorBody), (status = 409, description = "`CONFLICT`: the username or email is another user's", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`", body = ErrorBody)))]
async fn upsert_user(
    State(state): State<AppState>,
    key: ServerKey,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<UpsertServerUser>,
) -> AppResult<(StatusCode, Json<ServerUser>)> {
    key.require(ApiScope::Users)?;
    let id = external_id(&id)?;
    let username = validate::username(&req.username)?;
    let display_name = match &req.display_name {
        Some(name) => validate::label("display name", name, 64)?,
        None => username.clone(),
    };
    let email = req.email.as_deref().map(validate::email).transpose()?;
    let avatar = req.avatar_url.as_deref().map(avatar_url).transpose()?;
    let profile = ExternalProfile {
        external_id: id,
        username: &username,
        display_name: &display_name,
        email: email.as_deref(),
        avatar_url: avatar,
    };
    let (user, created) = state.store.upsert_external_user(&profile).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(user)))
}

/// A user by the product's own id.
#[utoipa::path(get, path = "/server/v1/users/{external_id}", tag = "server", security(("api_key" = [])), params(("external_id" = String, Path, description = "The product's id of the user")), responses((status = 200, description = "The user", body = ServerUser), (status = 404, description = "`NOT_FOUND`", body = ErrorBody)))]
async fn get_user(
    State(state): State<AppState>,
    key: ServerKey,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<ServerUser>> {
    key.require(ApiScope::Users)?;
    Ok(Json(known(&state, &id).await?))
}

/// Deletes a user: their sessions end, they can no longer sign in, and their name, email,
/// picture and external id go (their messages stay, as a deleted user's).
#[utoipa::path(delete, path = "/server/v1/users/{external_id}", tag = "server", security(("api_key" = [])), params(("external_id" = String, Path, description = "The product's id of the user")), responses((status = 204, description = "Deleted"), (status = 404, description = "`NOT_FOUND`", body = ErrorBody)))]
async fn delete_user(
    State(state): State<AppState>,
    key: ServerKey,
    ApiPath(id): ApiPath<String>,
) -> AppResult<StatusCode> {
    key.require(ApiScope::Users)?;
    let user = state
        .store
        .delete_external_user(external_id(&id)?)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    let reason = CloseReason::new(close::KICKED, ErrorCode::Kicked, "this account was deleted");
    state.broker.close_user(user, reason).await;
    tracing::info!(%user, key = %key.0.id, "user deleted through the server API");
    Ok(StatusCode::NO_CONTENT)
}

/// Bans a user: their sessions end and every token of theirs is revoked.
#[utoipa::path(post, path = "/server/v1/users/{external_id}/ban", tag = "server", security(("api_key" = [])), params(("external_id" = String, Path, description = "The product's id of the user")), responses((status = 200, description = "Banned", body = ServerUser), (status = 404, description = "`NOT_FOUND`", body = ErrorBody)))]
async fn ban_user(
    State(state): State<AppState>,
    key: ServerKey,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<ServerUser>> {
    key.require(ApiScope::Users)?;
    let mut user = known(&state, &id).await?;
    state.store.revoke_tokens(user.id, true).await?;
    let reason = CloseReason::new(close::KICKED, ErrorCode::Kicked, "banned");
    state.broker.close_user(user.id, reason).await;
    user.banned = true;
    Ok(Json(user))
}

/// A Confab token for a user, to hand to their browser or app (which connects with it to
/// `/ws` or `/socket.io/`, and refreshes it with `POST /api/auth/refresh`).
#[utoipa::path(post, path = "/server/v1/users/{external_id}/token", tag = "server", security(("api_key" = [])), params(("external_id" = String, Path, description = "The product's id of the user")), responses((status = 200, description = "A token for the user", body = AuthResponse), (status = 403, description = "`FORBIDDEN`: the user is banned, or the key lacks the `users` scope", body = ErrorBody), (status = 404, description = "`NOT_FOUND`", body = ErrorBody)))]
async fn token_for(
    State(state): State<AppState>,
    key: ServerKey,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<AuthResponse>> {
    key.require(ApiScope::Users)?;
    let user = known(&state, &id).await?;
    if user.banned {
        return Err(AppError::Forbidden("this user is banned".into()));
    }
    let account = state
        .store
        .auth_state(user.id)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    let (token, expires_at) = state.jwt.issue(user.id, account.token_generation)?;
    Ok(Json(AuthResponse {
        user: account.user,
        token,
        expires_at,
    }))
}

/// Ends every session of a user, on every instance (their tokens stay valid: clients may
/// reconnect).
#[utoipa::path(post, path = "/server/v1/users/{external_id}/disconnect", tag = "server", security(("api_key" = [])), params(("external_id" = String, Path, description = "The product's id of the user")), responses((status = 200, description = "Disconnected", body = Disconnected), (status = 404, description = "`NOT_FOUND`", body = ErrorBody)))]
async fn disconnect_user(
    State(state): State<AppState>,
    key: ServerKey,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<Disconnected>> {
    key.require(ApiScope::Presence)?;
    let user = known(&state, &id).await?;
    let reason = CloseReason::new(
        close::KICKED,
        ErrorCode::Kicked,
        "disconnected by the application",
    );
    state.broker.close_user(user.id, reason).await;
    Ok(Json(Disconnected { user_id: user.id }))
}

/// Whether users are online, away or offline, and since when, on any instance.
#[utoipa::path(post, path = "/server/v1/presence", tag = "server", security(("api_key" = [])), request_body = PresenceQuery, responses((status = 200, description = "Their presence (unknown ids left out)", body = ServerPresenceList), (status = 422, description = "`VALIDATION_FAILED`: more than 1,000 ids", body = ErrorBody)))]
async fn presence_of(
    State(state): State<AppState>,
    key: ServerKey,
    ApiJson(req): ApiJson<PresenceQuery>,
) -> AppResult<Json<ServerPresenceList>> {
    key.require(ApiScope::Presence)?;
    if req.external_ids.len() > MAX_PRESENCE_QUERY {
        return Err(AppError::validation(format!(
            "at most {MAX_PRESENCE_QUERY} users per request"
        )));
    }
    let known = state.store.external_users(&req.external_ids).await?;
    let ids: Vec<_> = known.iter().map(|(_, id, seen)| (*id, *seen)).collect();
    let users = presence::statuses(&state, &ids)
        .await
        .into_iter()
        .zip(known)
        .map(|(p, (external_id, _, _))| ServerPresence {
            external_id,
            user_id: p.user_id,
            status: p.status,
            last_seen_at: p.last_seen_at,
        })
        .collect();
    Ok(Json(ServerPresenceList { users }))
}

/// This instance's connections and connected users.
#[utoipa::path(get, path = "/server/v1/stats", tag = "server", security(("api_key" = [])), responses((status = 200, description = "Counts", body = ServerStats)))]
async fn stats(State(state): State<AppState>, key: ServerKey) -> AppResult<Json<ServerStats>> {
    key.require(ApiScope::Presence)?;
    let hub = state.hub.stats();
    Ok(Json(ServerStats {
        connections: hub.connections as u64,
        users: hub.users as u64,
    }))
}
