//! People: search, profiles with follower counts, following.

use super::{path_id, ApiPath, ApiQuery};
use crate::auth::AuthUser;
use crate::domain::follows;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use protocol::rest::UserList;
use protocol::{Profile, UserId};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(search))
        .route("/users/{id}", get(profile))
        .route(
            "/users/{id}/follow",
            axum::routing::put(follow).delete(unfollow),
        )
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
    limit: Option<i64>,
}

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

async fn profile(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<Profile>> {
    let id: UserId = path_id(&id, "user")?;
    let profile = state.store.profile(me.id, id).await?;
    Ok(Json(profile.ok_or(AppError::NotFound("user"))?))
}

async fn follow(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<Profile>> {
    let id: UserId = path_id(&id, "user")?;
    Ok(Json(follows::set_follow(&state, &me, id, true).await?))
}

async fn unfollow(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<Profile>> {
    let id: UserId = path_id(&id, "user")?;
    Ok(Json(follows::set_follow(&state, &me, id, false).await?))
}
