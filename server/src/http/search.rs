//! Message search: `GET /api/search`, over the caller's conversations or one of them.

use super::{path_id, ApiQuery};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::SearchCursor;
use axum::extract::State;
use axum::Json;
use protocol::rest::SearchPage;
use protocol::{ConversationId, ErrorBody};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this resource, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

/// What to search.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// The words to find (every one must occur; the last may be the start of a word). At most
    /// 200 characters; the first 8 words count.
    q: String,
    /// Only this conversation (one of yours).
    conversation_id: Option<String>,
    /// The `next` of the previous page.
    before: Option<String>,
    /// At most this many results (1–50, default 20).
    limit: Option<i64>,
}

/// Messages of your conversations containing the words, newest first, keyset-paginated (a page
/// does not shift as new messages arrive). Deleted messages are not found; a conversation you
/// left is not searched.
#[utoipa::path(get, path = "/search", tag = "conversations", params(SearchQuery), responses((status = 200, description = "A page of matching messages", body = SearchPage), (status = 404, description = "`NOT_FOUND`: `conversation_id` is none of yours", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: no word in `q`, `q` too long, a bad `before` or `limit`", body = ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> AppResult<Json<SearchPage>> {
    if query.q.chars().count() > 200 {
        return Err(AppError::validation("q: at most 200 characters"));
    }
    let limit = query.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        return Err(AppError::validation("limit must be between 1 and 50"));
    }
    let conversation: Option<ConversationId> = query
        .conversation_id
        .as_deref()
        .map(|raw| path_id(raw, "conversation"))
        .transpose()?;
    if let Some(conversation) = conversation {
        if !state.store.is_member(conversation, me.id).await? {
            return Err(AppError::NotFound("conversation"));
        }
    }
    let before = query
        .before
        .as_deref()
        .map(SearchCursor::decode)
        .transpose()?;
    let (mut messages, next) = state
        .store
        .search_messages(me.id, &query.q, conversation, before, limit)
        .await?;
    state.store.with_reactions(&mut messages, me.id).await?;
    Ok(Json(SearchPage {
        messages,
        next: next.map(|c| c.encode()),
    }))
}
