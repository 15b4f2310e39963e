//! The server API (`/api/server/v1/…`): what a product's backend asks of Confab with an API
//! key ([`ServerKey`], bearer; each route names the scope it needs; rate limited per key).
//! Users are addressed by the product's own ids.

use super::{ApiJson, ApiPath};
use crate::auth::ServerKey;
use crate::domain::presence;
use crate::domain::{app_events, conversations, messages, notifications, sessions, Actor};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::ExternalProfile;
use crate::store::NewGroup;
use crate::validate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use protocol::rest::{
    AddServerMember, CreateServerConversation, CreateServerNotification, EventPublished,
    NotificationsCreated, PostServerMessage, PublishServerEvent,
};
use protocol::rest::{
    ApiScope, AuthResponse, Disconnected, PresenceQuery, ServerPresence, ServerPresenceList,
    ServerStats, ServerUser, UpsertServerUser,
};
use protocol::ErrorBody;
use protocol::{Conversation, ConversationId, ConversationKind, Message, User, UserId};
use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Most users one request may name (presence, events, notifications).
const MAX_USERS_PER_REQUEST: usize = 1000;

/// `VALIDATION_FAILED` when a request names more than [`MAX_USERS_PER_REQUEST`] users.
fn at_most_users(ids: &[String]) -> Result<(), AppError> {
    if ids.len() > MAX_USERS_PER_REQUEST {
        return Err(AppError::validation(format!(
            "at most {MAX_USERS_PER_REQUEST} users per request (this one names {})",
            ids.len()
        )));
    }
    Ok(())
}

/// 201 for what a call created, 200 for what it found (a retry, an existing one).
fn created_or_found(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

/// The routes of this resource, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upsert_user, get_user, delete_user))
        .routes(routes!(ban_user))
        .routes(routes!(token_for))
        .routes(routes!(disconnect_user))
        .routes(routes!(presence_of))
        .routes(routes!(create_conversation))
        .routes(routes!(add_member))
        .routes(routes!(remove_member))
        .routes(routes!(post_message))
        .routes(routes!(publish_event))
        .routes(routes!(notify))
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

/// The user a product knows as `id`, or `NOT_FOUND` naming the id.
async fn known(state: &AppState, id: &str) -> Result<ServerUser, AppError> {
    state
        .store
        .external_user(external_id(id)?)
        .await?
        .ok_or_else(|| AppError::Unknown(format!("no user has the external id {id:?}")))
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
    Ok((created_or_found(created), Json(user)))
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
    // Its tokens were revoked with it.
    sessions::end_all(&state, user, "this account was deleted").await;
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
    sessions::revoke(&state, user.id, true, "banned").await?;
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
    sessions::end_all(&state, user.id, "disconnected by the application").await;
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
    at_most_users(&req.external_ids)?;
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

/// The account of the user a product knows as `id` (`NOT_FOUND` otherwise).
async fn account(state: &AppState, id: &str) -> Result<User, AppError> {
    Ok(known(state, id).await?.as_user())
}

/// The ids of the users a product knows as `external_ids`, in that order, in one query;
/// `NOT_FOUND` naming those it does not know.
async fn user_ids(state: &AppState, external_ids: &[String]) -> Result<Vec<UserId>, AppError> {
    let found: HashMap<String, UserId> = state
        .store
        .external_users(external_ids)
        .await?
        .into_iter()
        .map(|(external, id, _)| (external, id))
        .collect();
    let missing: Vec<&str> = external_ids
        .iter()
        .filter(|e| !found.contains_key(*e))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(AppError::Unknown(format!(
            "no user has the external id(s) {missing:?}"
        )));
    }
    Ok(external_ids.iter().map(|e| found[e]).collect())
}

/// A group's owner, who acts for the product on it (`NOT_FOUND` for anything else).
async fn owner(state: &AppState, conversation: &str) -> Result<(ConversationId, User), AppError> {
    let id: ConversationId = super::path_id(conversation, "conversation")?;
    let owner = state
        .store
        .conversation_owner(id)
        .await?
        .ok_or(AppError::NotFound("group"))?;
    let user = state
        .store
        .user(owner)
        .await?
        .ok_or(AppError::NotFound("group"))?;
    Ok((id, user))
}

/// Creates a conversation between users the product knows: a direct one (returned as it is
/// if the two have one) or a group, whose members are told and notified as in the app.
#[utoipa::path(post, path = "/server/v1/conversations", tag = "server", security(("api_key" = [])), request_body = CreateServerConversation, responses((status = 201, description = "Created, as its owner (or first member) sees it", body = Conversation), (status = 200, description = "The direct conversation the two already have", body = Conversation), (status = 404, description = "`NOT_FOUND`: an unknown member", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`", body = ErrorBody)))]
async fn create_conversation(
    State(state): State<AppState>,
    key: ServerKey,
    ApiJson(req): ApiJson<CreateServerConversation>,
) -> AppResult<(StatusCode, Json<Conversation>)> {
    key.require(ApiScope::Conversations)?;
    if req.member_external_ids.len() > conversations::MAX_INITIAL_MEMBERS + 1 {
        return Err(AppError::validation("too many members"));
    }
    let members = user_ids(&state, &req.member_external_ids).await?;
    let (id, viewer, created) = match req.kind {
        ConversationKind::Direct => {
            let ([first, _], [_, other]) = (&req.member_external_ids[..], &members[..]) else {
                return Err(AppError::validation(
                    "a direct conversation has exactly two members",
                ));
            };
            let me = account(&state, first).await?;
            let (id, created) = conversations::direct(&state, &me, *other).await?;
            (id, me.id, created)
        }
        ConversationKind::Group => {
            let owner = req
                .owner_external_id
                .as_ref()
                .or(req.member_external_ids.first())
                .ok_or_else(|| AppError::validation("a group needs an owner"))?;
            let owner = account(&state, owner).await?;
            let others: Vec<_> = members.into_iter().filter(|m| *m != owner.id).collect();
            let group = NewGroup {
                title: req.title.as_deref().unwrap_or_default(),
                platform: req.platform.as_deref(),
                description: req.description.as_deref(),
            };
            let id = conversations::create_group(&state, &owner, group, &others).await?;
            (id, owner.id, true)
        }
    };
    let conversation = state.store.conversation_for(id, viewer).await?;
    Ok((created_or_found(created), Json(conversation)))
}

/// Adds a user to a group (for its owner): their sessions join it at once, they are notified.
#[utoipa::path(post, path = "/server/v1/conversations/{id}/members", tag = "server", security(("api_key" = [])), params(("id" = Uuid, Path, description = "The group's id")), request_body = AddServerMember, responses((status = 204, description = "A member (already, or now)"), (status = 404, description = "`NOT_FOUND`: no such group or user", body = ErrorBody)))]
async fn add_member(
    State(state): State<AppState>,
    key: ServerKey,
    ApiPath(conversation): ApiPath<String>,
    ApiJson(req): ApiJson<AddServerMember>,
) -> AppResult<StatusCode> {
    key.require(ApiScope::Conversations)?;
    let (id, owner) = owner(&state, &conversation).await?;
    let user = account(&state, &req.external_id).await?;
    conversations::add_member(&state, &owner, id, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a user from a group (for its owner): their sessions leave it at once, they are told.
#[utoipa::path(delete, path = "/server/v1/conversations/{id}/members/{external_id}", tag = "server", security(("api_key" = [])), params(("id" = Uuid, Path, description = "The group's id"), ("external_id" = String, Path, description = "The product's id of the member")), responses((status = 204, description = "Removed"), (status = 404, description = "`NOT_FOUND`: no such group, user or member", body = ErrorBody)))]
async fn remove_member(
    State(state): State<AppState>,
    key: ServerKey,
    ApiPath((conversation, member)): ApiPath<(String, String)>,
) -> AppResult<StatusCode> {
    key.require(ApiScope::Conversations)?;
    let (id, owner) = owner(&state, &conversation).await?;
    let user = account(&state, &member).await?;
    conversations::remove_member(&state, &owner, id, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Posts a message as a member, or as the system without a sender: stored, acknowledged here
/// with its sequence number, and delivered live to every member like one sent from the app. A
/// retried call (same idempotency key) stores nothing and answers the original.
#[utoipa::path(post, path = "/server/v1/conversations/{id}/messages", tag = "server", security(("api_key" = [])), params(("id" = Uuid, Path, description = "The conversation's id")), request_body = PostServerMessage, responses((status = 201, description = "Stored", body = Message), (status = 200, description = "Stored before under this idempotency key", body = Message), (status = 403, description = "`NOT_A_MEMBER`: the sender is not a member", body = ErrorBody), (status = 404, description = "`NOT_FOUND`", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: an empty or over-long body or key", body = ErrorBody)))]
async fn post_message(
    State(state): State<AppState>,
    key: ServerKey,
    ApiPath(conversation): ApiPath<String>,
    ApiJson(req): ApiJson<PostServerMessage>,
) -> AppResult<(StatusCode, Json<Message>)> {
    key.require(ApiScope::Messages)?;
    let id: ConversationId = super::path_id(&conversation, "conversation")?;
    let (message, new) = match &req.sender_external_id {
        Some(sender) => {
            let sender = account(&state, sender).await?;
            let actor = Actor::rest(&sender);
            messages::send(
                &state,
                actor,
                id,
                req.idempotency_key,
                messages::Content::text(req.body),
            )
            .await?
        }
        None => messages::post_as_system(&state, id, req.idempotency_key, req.body).await?,
    };
    Ok((created_or_found(new), Json(message)))
}

/// Publishes an event of the product's to users (by its ids), to a conversation's members or to
/// everyone connected:
/// native clients get `custom_event {name, data}`, Socket.IO clients the event `name` itself.
/// Not stored: whoever is connected gets it, on every instance.
#[utoipa::path(post, path = "/server/v1/events", tag = "server", security(("api_key" = [])), request_body = PublishServerEvent, responses((status = 202, description = "Published", body = EventPublished), (status = 404, description = "`NOT_FOUND`: no such conversation", body = ErrorBody), (status = 413, description = "`PAYLOAD_TOO_LARGE`: data over 16 KiB", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: a bad name, no target or both, too many users", body = ErrorBody)))]
async fn publish_event(
    State(state): State<AppState>,
    key: ServerKey,
    ApiJson(req): ApiJson<PublishServerEvent>,
) -> AppResult<(StatusCode, Json<EventPublished>)> {
    key.require(ApiScope::Events)?;
    app_events::check(&req.name, &req.data)?;
    let recipients = match (req.conversation_id, req.user_external_ids.is_empty()) {
        _ if req.everyone => {
            if req.conversation_id.is_some() || !req.user_external_ids.is_empty() {
                return Err(AppError::validation(
                    "everyone goes alone: no user_external_ids or conversation_id with it",
                ));
            }
            app_events::to_everyone(&state, &req.name, req.data).await;
            0
        }
        (Some(conversation), true) => {
            // Counted by the database: the members themselves are not needed.
            let members = state.store.member_count(conversation).await?;
            if members == 0 {
                return Err(AppError::NotFound("conversation"));
            }
            app_events::to_conversation(&state, conversation, &req.name, req.data).await;
            members
        }
        (None, false) => {
            at_most_users(&req.user_external_ids)?;
            let known = state.store.external_users(&req.user_external_ids).await?;
            let users: Vec<_> = known.iter().map(|(_, id, _)| *id).collect();
            app_events::to_users(&state, &users, &req.name, req.data).await;
            users.len() as u64
        }
        _ => {
            return Err(AppError::validation(
                "give user_external_ids, conversation_id or everyone: true",
            ))
        }
    };
    Ok((StatusCode::ACCEPTED, Json(EventPublished { recipients })))
}

/// Where a notification may lead: an `http(s)` URL or a path of the app.
fn link(raw: &str) -> Result<String, AppError> {
    let raw = raw.trim();
    let ok = raw.len() <= 2048
        && (raw.starts_with("https://") || raw.starts_with("http://") || raw.starts_with('/'))
        && !raw.starts_with("//");
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(AppError::validation(
            "link must be an http(s) URL or a path starting with '/', at most 2048 characters",
        ))
    }
}

/// Puts the product's own notification in users' bells: stored, counted and pushed to their
/// sessions like the app's own (`notification_new`, kind `app`).
#[utoipa::path(post, path = "/server/v1/notifications", tag = "server", security(("api_key" = [])), request_body = CreateServerNotification, responses((status = 201, description = "Created", body = NotificationsCreated), (status = 404, description = "`NOT_FOUND`: an unknown actor", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: text, link or too many users", body = ErrorBody)))]
async fn notify(
    State(state): State<AppState>,
    key: ServerKey,
    ApiJson(req): ApiJson<CreateServerNotification>,
) -> AppResult<(StatusCode, Json<NotificationsCreated>)> {
    key.require(ApiScope::Notifications)?;
    at_most_users(&req.user_external_ids)?;
    let text = validate::optional_text("text", Some(&req.text), 500)?
        .ok_or_else(|| AppError::validation("a notification needs a text"))?;
    let link = req.link.as_deref().map(link).transpose()?;
    let actor = account(&state, &req.actor_external_id).await?;
    let known = state.store.external_users(&req.user_external_ids).await?;
    let recipients: Vec<_> = known
        .iter()
        .map(|(_, id, _)| *id)
        .filter(|id| *id != actor.id)
        .collect();
    notifications::app(&state, &actor, &recipients, text, link).await?;
    Ok((
        StatusCode::CREATED,
        Json(NotificationsCreated {
            recipients: recipients.len() as u64,
        }),
    ))
}
