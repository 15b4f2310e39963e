//! Reactions to messages over REST: who reacted, and adding or taking back the caller's own.
//! Only members of the message's conversation see or change them (others get 404).

use super::{path_id, ApiPath};
use crate::auth::AuthUser;
use crate::domain::{reactions, Actor};
use crate::error::AppResult;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use protocol::rest::{ReactionList, ReactionState, Reactors};
use protocol::{ErrorBody, MessageId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this resource, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reactions))
        .routes(routes!(add_reaction, remove_reaction))
}

/// Who reacted to a message, per emoji (most used first; the first 50 people of each).
#[utoipa::path(get, path = "/messages/{id}/reactions", tag = "conversations", params(("id" = Uuid, Path, description = "The message's id")), responses((status = 200, description = "The reactions and who made them", body = ReactionList), (status = 404, description = "`NOT_FOUND`: no such message in your conversations", body = ErrorBody)))]
async fn list_reactions(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<ReactionList>> {
    let message_id: MessageId = path_id(&id, "message")?;
    let reactions = reactions::reactors(&state, &me, message_id)
        .await?
        .into_iter()
        .map(|(count, users)| Reactors {
            emoji: count.emoji,
            count: count.count,
            users,
        })
        .collect();
    Ok(Json(ReactionList {
        message_id,
        reactions,
    }))
}

/// Reacts to a message with an emoji (idempotent; percent-encode it in the path). Everyone in
/// the conversation gets `reactions_changed`, the caller's sessions `reaction_saved`.
#[utoipa::path(put, path = "/messages/{id}/reactions/{emoji}", tag = "conversations", params(("id" = Uuid, Path, description = "The message's id"), ("emoji" = String, Path, description = "The emoji, percent-encoded")), responses((status = 200, description = "The caller's reaction and the message's reactions", body = ReactionState), (status = 404, description = "`NOT_FOUND`: no such message in your conversations", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: not one emoji, a 21st emoji, or a deleted message", body = ErrorBody)))]
async fn add_reaction(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath((id, emoji)): ApiPath<(String, String)>,
) -> AppResult<Json<ReactionState>> {
    set(&state, &me, &id, emoji, true).await
}

/// Takes back the caller's reaction (idempotent).
#[utoipa::path(delete, path = "/messages/{id}/reactions/{emoji}", tag = "conversations", params(("id" = Uuid, Path, description = "The message's id"), ("emoji" = String, Path, description = "The emoji, percent-encoded")), responses((status = 200, description = "The caller's reaction and the message's reactions", body = ReactionState), (status = 404, description = "`NOT_FOUND`: no such message in your conversations", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: not one emoji, or a deleted message", body = ErrorBody)))]
async fn remove_reaction(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath((id, emoji)): ApiPath<(String, String)>,
) -> AppResult<Json<ReactionState>> {
    set(&state, &me, &id, emoji, false).await
}

async fn set(
    state: &AppState,
    me: &protocol::User,
    id: &str,
    emoji: String,
    add: bool,
) -> AppResult<Json<ReactionState>> {
    let message: MessageId = path_id(id, "message")?;
    let (reactions, reacted) = reactions::set(state, Actor::rest(me), message, emoji, add).await?;
    Ok(Json(ReactionState { reacted, reactions }))
}
