//! Conversations, their members and their message history. Every read checks membership.

use super::{path_id, ApiJson, ApiQuery};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::hub::Audience;
use crate::notify;
use crate::state::AppState;
use crate::store::PageCursor;
use crate::validate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use protocol::rest::{AddMemberRequest, ConversationList, CreateConversationRequest, MessagePage};
use protocol::{
    Conversation, ConversationId, ConversationKind, NotificationKind, ServerEvent, UserId,
};
use serde::Deserialize;

/// Most members a group may be created with in one request.
const MAX_INITIAL_MEMBERS: usize = 256;

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
    let mut added: Vec<UserId> = Vec::new();
    let mut group_title = None;
    let (id, created) = match req {
        CreateConversationRequest::Direct { user_id } => {
            if user_id == me.id {
                return Err(AppError::validation(
                    "a direct conversation needs another user",
                ));
            }
            if state.store.user(user_id).await?.is_none() {
                return Err(AppError::NotFound("user"));
            }
            state.store.direct_conversation(me.id, user_id).await?
        }
        CreateConversationRequest::Group { title, member_ids } => {
            let title = validate::label("title", &title, 64)?;
            if member_ids.len() > MAX_INITIAL_MEMBERS {
                return Err(AppError::validation(format!(
                    "a group can start with at most {MAX_INITIAL_MEMBERS} members"
                )));
            }
            let mut distinct = member_ids.clone();
            distinct.sort();
            distinct.dedup();
            if state.store.count_existing_users(&distinct).await? != distinct.len() {
                return Err(AppError::NotFound("user"));
            }
            added = distinct.into_iter().filter(|m| *m != me.id).collect();
            group_title = Some(title.clone());
            (
                state.store.create_group(me.id, &title, &member_ids).await?,
                true,
            )
        }
    };
    if created {
        notify::conversation_updated(&state, id, me.id).await?;
        notify::notification(
            &state,
            NotificationKind::AddedToConversation,
            &me,
            (id, group_title),
            &added,
        )
        .await?;
    }
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
    Path(id): Path<String>,
) -> AppResult<Json<Conversation>> {
    let id: ConversationId = path_id(&id, "conversation")?;
    Ok(Json(state.store.conversation_for(id, me.id).await?))
}

/// What a member may do to a group.
struct GroupAccess {
    /// The caller's role (`owner` or `member`).
    role: String,
    /// The group's title.
    title: Option<String>,
}

/// Only members of a group may change it, and only its owner may remove others.
async fn group_for_change(
    state: &AppState,
    id: ConversationId,
    me: UserId,
) -> AppResult<GroupAccess> {
    let Some((kind, title)) = state.store.conversation_header(id).await? else {
        return Err(AppError::NotFound("conversation"));
    };
    let Some(role) = state.store.member_role(id, me).await? else {
        return Err(AppError::NotAMember);
    };
    if kind != ConversationKind::Group {
        return Err(AppError::validation(
            "direct conversations have exactly two members",
        ));
    }
    Ok(GroupAccess { role, title })
}

async fn add_member(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AddMemberRequest>,
) -> AppResult<Json<Conversation>> {
    let id: ConversationId = path_id(&id, "conversation")?;
    let access = group_for_change(&state, id, me.id).await?;
    if state.store.user(req.user_id).await?.is_none() {
        return Err(AppError::NotFound("user"));
    }
    if state.store.add_member(id, req.user_id).await? {
        notify::conversation_updated(&state, id, me.id).await?;
        if req.user_id != me.id {
            let kind = NotificationKind::AddedToConversation;
            notify::notification(&state, kind, &me, (id, access.title), &[req.user_id]).await?;
        }
    }
    Ok(Json(state.store.conversation_for(id, me.id).await?))
}

async fn remove_member(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path((id, user_id)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let id: ConversationId = path_id(&id, "conversation")?;
    let user: UserId = path_id(&user_id, "user")?;
    let access = group_for_change(&state, id, me.id).await?;
    if user != me.id && access.role != "owner" {
        return Err(AppError::Forbidden(
            "only the group's owner can remove other members".into(),
        ));
    }
    if !state.store.remove_member(id, user).await? {
        return Err(AppError::NotFound("member"));
    }
    // The removed user stops viewing and is told; the rest see the new member list.
    if let Some(change) = state.hub.evict(id, user) {
        notify::publish(
            &state,
            Audience::Viewers {
                conversation: id,
                except: None,
            },
            ServerEvent::ViewerLeft {
                conversation_id: id,
                user_id: user,
                viewers: change.viewers,
            },
        )
        .await;
    }
    notify::publish(
        &state,
        Audience::user(user),
        ServerEvent::ConversationRemoved {
            conversation_id: id,
        },
    )
    .await;
    if user != me.id {
        let kind = NotificationKind::RemovedFromConversation;
        notify::notification(&state, kind, &me, (id, access.title), &[user]).await?;
    }
    if let Some(remaining) = state.store.member_ids(id).await?.first() {
        notify::conversation_updated(&state, id, *remaining).await?;
    }
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
    Path(id): Path<String>,
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
