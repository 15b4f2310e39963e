//! Conversations and their history in the shape FastAPI chat services give them
//! (`/api/chat/…`): `name`, `description`, `is_group`, `participant_ids`, messages paged by
//! `limit` and `offset`. The same conversations as `/api/conversations`, with the same
//! membership checks.

use super::{path_id, ApiJson, ApiPath, ApiQuery};
use crate::auth::AuthUser;
use crate::clock::iso;
use crate::domain::conversations;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{NewGroup, PageCursor};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use protocol::rest::{ChatConversation, ChatConversationRequest, ChatMessage};
use protocol::{Conversation, ConversationId, ConversationKind, ErrorBody, Message};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A group created without a name is called this.
const UNNAMED_GROUP: &str = "Group conversation";

/// The routes of this resource, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show))
        .routes(routes!(messages))
}

/// `?limit=&offset=`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Window {
    /// At most this many (1–100, default 50).
    limit: Option<i64>,
    /// Skipping this many, newest first (default 0).
    offset: Option<i64>,
}

impl Window {
    fn bounds(&self) -> Result<(i64, i64), AppError> {
        let limit = self.limit.unwrap_or(50);
        let offset = self.offset.unwrap_or(0);
        if !(1..=100).contains(&limit) || offset < 0 {
            return Err(AppError::validation(
                "limit must be 1-100 and offset at least 0",
            ));
        }
        Ok((limit, offset))
    }
}

/// Creates a group, or gets or creates the 1-on-1 conversation with the one other participant.
#[utoipa::path(post, path = "/chat/conversations", tag = "chat", request_body = ChatConversationRequest, responses((status = 201, description = "Created", body = ChatConversation), (status = 200, description = "The existing 1-on-1 conversation", body = ChatConversation), (status = 404, description = "`NOT_FOUND`: no such user", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: a 1-on-1 conversation without exactly one other participant, a name or description out of bounds", body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiJson(req): ApiJson<ChatConversationRequest>,
) -> AppResult<(StatusCode, Json<ChatConversation>)> {
    let others: Vec<_> = req
        .participant_ids
        .iter()
        .copied()
        .filter(|id| *id != me.id)
        .collect();
    let (id, created) = if req.is_group {
        let group = NewGroup {
            title: req.name.as_deref().unwrap_or(UNNAMED_GROUP),
            platform: None,
            description: req.description.as_deref(),
        };
        (
            conversations::create_group(&state, &me, group, &others).await?,
            true,
        )
    } else {
        let [other] = others.as_slice() else {
            return Err(AppError::validation(
                "a 1-on-1 conversation (is_group: false) has exactly one other participant",
            ));
        };
        conversations::direct(&state, &me, *other).await?
    };
    let conversation = state.store.conversation_for(id, me.id).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(chat_conversation(conversation))))
}

/// Your conversations, most recently active first.
#[utoipa::path(get, path = "/chat/conversations", tag = "chat", params(Window), responses((status = 200, description = "A window of your conversations", body = Vec<ChatConversation>), (status = 422, description = "`VALIDATION_FAILED`: limit or offset out of bounds", body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiQuery(window): ApiQuery<Window>,
) -> AppResult<Json<Vec<ChatConversation>>> {
    let (limit, offset) = window.bounds()?;
    let all = state.store.conversations_for(me.id).await?;
    let page = all
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .map(chat_conversation)
        .collect();
    Ok(Json(page))
}

/// One of your conversations.
#[utoipa::path(get, path = "/chat/conversations/{id}", tag = "chat", params(("id" = Uuid, Path, description = "The conversation's id")), responses((status = 200, description = "The conversation", body = ChatConversation), (status = 404, description = "`NOT_FOUND`: no such conversation of yours", body = ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<ChatConversation>> {
    let id: ConversationId = path_id(&id, "conversation")?;
    let conversation = state.store.conversation_for(id, me.id).await?;
    Ok(Json(chat_conversation(conversation)))
}

/// A window of a conversation's messages, oldest first within it: `offset` 0 ends with the
/// newest message, `offset` 50 ends 50 messages before it. Members only.
#[utoipa::path(get, path = "/chat/conversations/{id}/messages", tag = "chat", params(("id" = Uuid, Path, description = "The conversation's id"), Window), responses((status = 200, description = "The messages", body = Vec<ChatMessage>), (status = 403, description = "`NOT_A_MEMBER`", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: limit or offset out of bounds", body = ErrorBody)))]
async fn messages(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(window): ApiQuery<Window>,
) -> AppResult<Json<Vec<ChatMessage>>> {
    let id: ConversationId = path_id(&id, "conversation")?;
    let (limit, offset) = window.bounds()?;
    state.store.require_member(id, me.id).await?;
    // Sequence numbers have no gaps (a deleted message keeps its place): the window is a range
    // of them, read through the index whatever the offset.
    let Some(last_seq) = state.store.last_seq(id).await? else {
        return Err(AppError::NotFound("conversation"));
    };
    let end = last_seq - offset;
    if end < 1 {
        return Ok(Json(Vec::new()));
    }
    let (page, _) = state
        .store
        .messages_page(id, PageCursor::Before(end + 1), limit)
        .await?;
    let senders: Vec<_> = page.iter().map(|m| m.sender_id).collect();
    let names = state.store.usernames(&senders).await?;
    let messages = page
        .into_iter()
        .map(|m| {
            let name = names.get(&m.sender_id).cloned().unwrap_or_default();
            chat_message(m, name)
        })
        .collect();
    Ok(Json(messages))
}

/// A conversation in this API's shape.
pub fn chat_conversation(c: Conversation) -> ChatConversation {
    let updated = c
        .last_message
        .as_ref()
        .map_or(c.created_at, |m| m.created_at);
    ChatConversation {
        id: c.id,
        is_group: c.kind == ConversationKind::Group,
        name: c.title,
        description: c.description,
        created_at: iso(c.created_at),
        updated_at: iso(updated),
        participant_ids: c.members.iter().map(|m| m.id).collect(),
        participants: c.members,
    }
}

/// A message in this API's shape.
pub fn chat_message(m: Message, sender_username: String) -> ChatMessage {
    ChatMessage {
        id: m.id,
        conversation_id: m.conversation_id,
        sender_id: m.sender_id,
        sender_username,
        content: m.body,
        is_edited: m.edited_at.is_some(),
        is_deleted: m.deleted,
        seq: m.seq,
        created_at: iso(m.created_at),
        updated_at: iso(m.edited_at.unwrap_or(m.created_at)),
    }
}
