//! Conversations, their members and their message history. Every read checks membership.

use super::{path_id, ApiJson, ApiPath, ApiQuery};
use crate::auth::AuthUser;
use crate::domain::{conversations, mutes};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::NewGroup;
use crate::store::PageCursor;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use protocol::rest::{
    AddMemberRequest, ConversationList, CreateConversationRequest, MessagePage, MuteRequest,
    MuteState,
};
use protocol::ErrorBody;
use protocol::{Conversation, ConversationId, UserId};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this resource, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show))
        .routes(routes!(add_member))
        .routes(routes!(remove_member))
        .routes(routes!(make_admin, unmake_admin))
        .routes(routes!(mute, unmute))
        .routes(routes!(history))
}

/// Your conversations, most recent first, with members, last message and unread count.
#[utoipa::path(get, path = "/conversations", tag = "conversations", responses((status = 200, description = "Your conversations", body = ConversationList)))]
async fn list(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
) -> AppResult<Json<ConversationList>> {
    let conversations = state.store.conversations_for(me.id).await?;
    Ok(Json(ConversationList { conversations }))
}

/// Opens a direct conversation (reusing an existing one) or creates a group.
#[utoipa::path(post, path = "/conversations", tag = "conversations", request_body = CreateConversationRequest, responses((status = 201, description = "Created", body = Conversation), (status = 200, description = "The existing direct conversation", body = Conversation), (status = 404, description = "`NOT_FOUND`: no such user", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: title or members out of bounds", body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiJson(req): ApiJson<CreateConversationRequest>,
) -> AppResult<(StatusCode, Json<Conversation>)> {
    let (id, created) = match req {
        CreateConversationRequest::Direct { user_id } => {
            conversations::direct(&state, &me, user_id).await?
        }
        CreateConversationRequest::Group {
            title,
            member_ids,
            platform,
            description,
        } => {
            let group = NewGroup {
                title: &title,
                platform: platform.as_deref(),
                description: description.as_deref(),
            };
            let id = conversations::create_group(&state, &me, group, &member_ids).await?;
            (id, true)
        }
    };
    let conversation = state.store.conversation_for(id, me.id).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(conversation)))
}

/// One of your conversations.
#[utoipa::path(get, path = "/conversations/{id}", tag = "conversations", params(("id" = Uuid, Path, description = "The conversation's id")), responses((status = 200, description = "The conversation", body = Conversation), (status = 404, description = "`NOT_FOUND`: no such conversation among yours", body = ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<Conversation>> {
    let id: ConversationId = path_id(&id, "conversation")?;
    Ok(Json(state.store.conversation_for(id, me.id).await?))
}

/// Adds someone to a group (members only).
#[utoipa::path(post, path = "/conversations/{id}/members", tag = "conversations", params(("id" = Uuid, Path, description = "The group's id")), request_body = AddMemberRequest, responses((status = 200, description = "The group with its new member", body = Conversation), (status = 403, description = "`NOT_A_MEMBER`, or `FORBIDDEN` for a direct conversation", body = ErrorBody), (status = 404, description = "`NOT_FOUND`: no such conversation or user", body = ErrorBody)))]
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

/// Removes a member from a group: the owner removes anyone, members remove themselves.
#[utoipa::path(delete, path = "/conversations/{id}/members/{user_id}", tag = "conversations", params(("id" = Uuid, Path, description = "The group's id"), ("user_id" = Uuid, Path, description = "The member to remove")), responses((status = 204, description = "Removed; their sessions leave the conversation"), (status = 403, description = "`FORBIDDEN`: only the owner removes others", body = ErrorBody), (status = 404, description = "`NOT_FOUND`: no such conversation or member", body = ErrorBody)))]
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

/// The owner makes a member of the group an admin: admins may delete anyone's message.
#[utoipa::path(put, path = "/conversations/{id}/admins/{user_id}", tag = "conversations", params(("id" = Uuid, Path, description = "The group's id"), ("user_id" = Uuid, Path, description = "The member")), responses((status = 200, description = "The group, with its `admins`; members get `conversation_updated`", body = Conversation), (status = 403, description = "`FORBIDDEN`: only the owner names admins; `NOT_A_MEMBER`", body = ErrorBody), (status = 404, description = "`NOT_FOUND`: no such conversation or member", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: a direct conversation, or the owner", body = ErrorBody)))]
async fn make_admin(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath((id, user_id)): ApiPath<(String, String)>,
) -> AppResult<Json<Conversation>> {
    set_admin(state, me, id, user_id, true).await
}

/// The owner makes an admin a plain member again.
#[utoipa::path(delete, path = "/conversations/{id}/admins/{user_id}", tag = "conversations", params(("id" = Uuid, Path, description = "The group's id"), ("user_id" = Uuid, Path, description = "The member")), responses((status = 200, description = "The group, with its `admins`; members get `conversation_updated`", body = Conversation), (status = 403, description = "`FORBIDDEN`: only the owner names admins; `NOT_A_MEMBER`", body = ErrorBody), (status = 404, description = "`NOT_FOUND`: no such conversation or member", body = ErrorBody)))]
async fn unmake_admin(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath((id, user_id)): ApiPath<(String, String)>,
) -> AppResult<Json<Conversation>> {
    set_admin(state, me, id, user_id, false).await
}

async fn set_admin(
    state: AppState,
    me: protocol::User,
    id: String,
    user_id: String,
    admin: bool,
) -> AppResult<Json<Conversation>> {
    let id: ConversationId = path_id(&id, "conversation")?;
    let user: UserId = path_id(&user_id, "user")?;
    let mut conversation = conversations::set_admin(&state, &me, id, user, admin).await?;
    conversation.unread = state.store.conversation_for(id, me.id).await?.unread;
    Ok(Json(conversation))
}

/// Mutes the conversation for you, for a while (`until`) or until you unmute it: its direct
/// messages stop ringing your bell; a mention of you still does. Your sessions get
/// `mute_changed`; `GET /conversations` shows it as `muted`.
#[utoipa::path(put, path = "/conversations/{id}/mute", tag = "conversations", params(("id" = Uuid, Path, description = "The conversation's id")), request_body = MuteRequest, responses((status = 200, description = "Your mute now", body = MuteState), (status = 404, description = "`NOT_FOUND`: no such conversation of yours", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: `until` in the past or more than a year away", body = ErrorBody)))]
async fn mute(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<MuteRequest>,
) -> AppResult<Json<MuteState>> {
    let id: ConversationId = path_id(&id, "conversation")?;
    Ok(Json(
        mutes::set_mute(&state, &me, id, Some(request.until)).await?,
    ))
}

/// Unmutes the conversation for you (idempotent). Your sessions get `mute_changed`.
#[utoipa::path(delete, path = "/conversations/{id}/mute", tag = "conversations", params(("id" = Uuid, Path, description = "The conversation's id")), responses((status = 200, description = "Your mute now (none)", body = MuteState), (status = 404, description = "`NOT_FOUND`: no such conversation of yours", body = ErrorBody)))]
async fn unmute(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<MuteState>> {
    let id: ConversationId = path_id(&id, "conversation")?;
    Ok(Json(mutes::set_mute(&state, &me, id, None).await?))
}

/// Which page of history: the latest, or before or after a sequence number.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct HistoryQuery {
    /// Messages before this sequence number (scrolling back).
    before: Option<i64>,
    /// Messages after this sequence number (catching up).
    after: Option<i64>,
    /// At most this many messages (1–200, default 50).
    limit: Option<i64>,
}

/// A page of a conversation's messages, oldest first.
#[utoipa::path(get, path = "/conversations/{id}/messages", tag = "conversations", params(("id" = Uuid, Path, description = "The conversation's id"), HistoryQuery), responses((status = 200, description = "The page", body = MessagePage), (status = 403, description = "`NOT_A_MEMBER`", body = ErrorBody), (status = 404, description = "`NOT_FOUND`: no such conversation", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: both `before` and `after`, or `limit` out of 1–200", body = ErrorBody)))]
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
    let (mut messages, has_more) = state.store.messages_page(id, cursor, limit).await?;
    state.store.with_reactions(&mut messages, me.id).await?;
    Ok(Json(MessagePage { messages, has_more }))
}
