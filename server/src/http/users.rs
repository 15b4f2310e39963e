//! People: search, profiles with follower counts, following, blocking.

use super::{path_id, ApiPath, ApiQuery};
use crate::auth::AuthUser;
use crate::domain::{blocks, follows};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use protocol::rest::UserList;
use protocol::ErrorBody;
use protocol::{Profile, UserId};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this resource, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(profile))
        .routes(routes!(follow, unfollow))
        .routes(routes!(block, unblock))
        .routes(routes!(blocked))
}

/// What to search for.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// Part of a username or display name (at most 64 characters are used).
    #[serde(default)]
    q: String,
    /// At most this many users (1–50, default 20).
    limit: Option<i64>,
}

/// Finds people by username or display name (yourself excluded).
#[utoipa::path(get, path = "/users", tag = "users", params(SearchQuery), responses((status = 200, description = "Matching users", body = UserList)))]
async fn search(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> AppResult<Json<UserList>> {
    let q: String = query.q.trim().chars().take(64).collect();
    let limit = query.limit.unwrap_or(20).clamp(1, 50);
    let mut users = state.store.search_users(&q, limit + 1).await?;
    users.retain(|u| u.id != me.id);
    users.truncate(limit as usize);
    Ok(Json(UserList { users }))
}

/// A person's profile with follower counts.
#[utoipa::path(get, path = "/users/{id}", tag = "users", params(("id" = Uuid, Path, description = "The user's id")), responses((status = 200, description = "The profile", body = Profile), (status = 404, description = "`NOT_FOUND`: no such user", body = ErrorBody)))]
async fn profile(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<Profile>> {
    let id: UserId = path_id(&id, "user")?;
    let profile = state.store.profile(me.id, id).await?;
    Ok(Json(profile.ok_or(AppError::NotFound("user"))?))
}

/// Follows a person (idempotent); they get a `followed` notification.
#[utoipa::path(put, path = "/users/{id}/follow", tag = "users", params(("id" = Uuid, Path, description = "The user to follow")), responses((status = 200, description = "Their profile, now followed", body = Profile), (status = 404, description = "`NOT_FOUND`: no such user", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: following yourself", body = ErrorBody)))]
async fn follow(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<Profile>> {
    let id: UserId = path_id(&id, "user")?;
    Ok(Json(follows::set_follow(&state, &me, id, true).await?))
}

/// Stops following a person (idempotent).
#[utoipa::path(delete, path = "/users/{id}/follow", tag = "users", params(("id" = Uuid, Path, description = "The user to unfollow")), responses((status = 200, description = "Their profile", body = Profile), (status = 404, description = "`NOT_FOUND`: no such user", body = ErrorBody)))]
async fn unfollow(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<Profile>> {
    let id: UserId = path_id(&id, "user")?;
    Ok(Json(follows::set_follow(&state, &me, id, false).await?))
}

/// Blocks a person (idempotent): no direct messages between you either way (`BLOCKED`), you stop
/// seeing their presence, and your clients hide their typing and collapse their messages; your
/// sessions get `blocks_changed`.
#[utoipa::path(put, path = "/users/{id}/block", tag = "users", params(("id" = Uuid, Path, description = "The user to block")), responses((status = 200, description = "Their profile, `blocked_by_me`", body = Profile), (status = 404, description = "`NOT_FOUND`: no such user", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: blocking yourself", body = ErrorBody)))]
async fn block(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<Profile>> {
    let id: UserId = path_id(&id, "user")?;
    Ok(Json(blocks::set_block(&state, &me, id, true).await?))
}

/// Unblocks a person (idempotent).
#[utoipa::path(delete, path = "/users/{id}/block", tag = "users", params(("id" = Uuid, Path, description = "The user to unblock")), responses((status = 200, description = "Their profile", body = Profile), (status = 404, description = "`NOT_FOUND`: no such user", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: unblocking yourself", body = ErrorBody)))]
async fn unblock(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<Profile>> {
    let id: UserId = path_id(&id, "user")?;
    Ok(Json(blocks::set_block(&state, &me, id, false).await?))
}

/// The people you blocked, most recently blocked first.
#[utoipa::path(get, path = "/blocks", tag = "users", responses((status = 200, description = "The people you blocked", body = UserList)))]
async fn blocked(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
) -> AppResult<Json<UserList>> {
    Ok(Json(UserList {
        users: blocks::blocked(&state, &me).await?,
    }))
}
