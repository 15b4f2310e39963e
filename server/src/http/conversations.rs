//! Conversations, their members and their message history. Every read checks membership.

use super::{path_id, ApiJson, ApiPath, ApiQuery};
use crate::auth::AuthUser;
use crate::domain::conversations;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::PageCursor;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use protocol::rest::{AddMemberRequest, ConversationList, CreateConversationRequest, MessagePage};
use protocol::{Conversation, ConversationId, UserId};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/conversations", get(list).post(create))
        .route("/conversations/{id}", get(show))
        .route(
            "/conversations/{id}/members",
            axum::routing::post(add_member),
        )
        .route(
            "/conversations/{id}/members/{user_id}",
            delete(remove_member),
        )
        .route("/conversations/{id}/messages", get(history))
}

async fn list(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
) -> AppResult<Json<ConversationList>> {
    let conversations = state.store.conversations_for(me.id).await?;
    Ok(Json(ConversationList { conversations }))
}

async fn create(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiJson(req): ApiJson<CreateConversationRequest>,
) -> AppResult<(StatusCode, Json<Conversation>)> {
    let (id, created) = match req {
        CreateConversationRequest::Direct { user_id } => {
            conversations::direct(&state, &me, user_id).await?
        }
        CreateConversationRequest::Group { title, member_ids } => (
            conversations::create_group(&state, &me, &title, &member_ids).await?,
            true,
        ),
    };
    let conversation = state.store.conversation_for(id, me.id).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(conversation)))
}

async fn show(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<Conversation>> {
    let id: ConversationId = path_id(&id, "conversation")?;
    Ok(Json(state.store.conversation_for(id, me.id).await?))
}

async fn add_member(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<AddMemberRequest>,
) -> AppResult<Json<Conversation>> {
    let id: ConversationId = path_id(&id, "conversation")?;
    conversations::add_member(&state, &me, id, req.user_id).await?;
    Ok(Json(state.store.conversation_for(id, me.id).await?))
}

async fn remove_member(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath((id, user_id)): ApiPath<(String, String)>,
) -> AppResult<StatusCode> {
    let id: ConversationId = path_id(&id, "conversation")?;
    let user: UserId = path_id(&user_id, "user")?;
    conversations::remove_member(&state, &me, id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct HistoryQuery {
    before: Option<i64>,
    after: Option<i64>,
    limit: Option<i64>,
}

async fn history(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> AppResult<Json<MessagePage>> {
    let id: ConversationId = path_id(&id, "conversation")?;
    if !state.store.is_member(id, me.id).await? {
        return Err(if state.store.conversation_header(id).await?.is_some() {
            AppError::NotAMember
        } else {
            AppError::NotFound("conversation")
        });
    }
    let cursor = match (query.before, query.after) {
        (Some(_), Some(_)) => {
            return Err(AppError::validation("use either before or after, not both"))
        }
        (Some(before), None) => PageCursor::Before(before),
        (None, Some(after)) => PageCursor::After(after),
        (None, None) => PageCursor::Latest,
    };
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::validation("limit must be between 1 and 200"));
    }
    let (messages, has_more) = state.store.messages_page(id, cursor, limit).await?;
    Ok(Json(MessagePage { messages, has_more }))
}
