//! User search.

use super::ApiQuery;
use crate::auth::AuthUser;
use crate::error::AppResult;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use protocol::rest::UserList;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/users", get(search))
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
