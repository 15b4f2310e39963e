//! The per-conversation plain WebSocket of FastAPI chat services (`../shared/reference/03`),
//! a transport like [`crate::ws`] and [`crate::socketio`]: `GET
//! /api/chat/ws/{conversation_id}?token=…` opens a Confab session that hears that one
//! conversation, speaking [`dialect`]'s frames. The token and the membership are checked
//! before the upgrade (a refusal is a JSON error with its HTTP status); everything after runs
//! through the same session core, handlers and limits as every other session.

mod dialect;
mod names;
mod session;

use crate::auth::{self, token_from_headers};
use crate::error::AppError;
use crate::session::HARD_FRAME_CAP;
use crate::state::AppState;
use axum::extract::{Path, Query, State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use names::Names;
use protocol::ConversationId;
use serde::Deserialize;
use std::sync::Arc;

/// Where the socket is served.
pub const PATH: &str = "/api/chat/ws/{conversation_id}";

/// The route, with the usernames its sockets share.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(handler))
        .layer(Extension(Arc::new(Names::default())))
}

/// `?token=`.
#[derive(Debug, Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// `GET /api/chat/ws/{conversation_id}`: checks the Origin, the token and the membership, then
/// upgrades.
async fn handler(
    State(state): State<AppState>,
    Extension(names): Extension<Arc<Names>>,
    Path(conversation): Path<String>,
    Query(query): Query<TokenQuery>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    match admit(&state, &conversation, query.token, &headers).await {
        Ok((signed, conversation, permit)) => ws
            .max_message_size(HARD_FRAME_CAP)
            .max_frame_size(HARD_FRAME_CAP)
            .on_upgrade(move |socket| {
                session::run(socket, state, names, signed, conversation, permit)
            })
            .into_response(),
        Err(error) => error.into_response(),
    }
}

/// Who may open the socket: admitted as every connection is ([`crate::session::admit`]), with
/// a valid token (query or `Authorization`), a member of the conversation.
async fn admit(
    state: &AppState,
    conversation: &str,
    token: Option<String>,
    headers: &HeaderMap,
) -> Result<
    (
        auth::Signed,
        ConversationId,
        tokio::sync::OwnedSemaphorePermit,
    ),
    AppError,
> {
    let permit = crate::session::admit(state, headers)?;
    let conversation: ConversationId = conversation
        .parse()
        .map_err(|_| AppError::NotFound("conversation"))?;
    let token = token
        .or_else(|| token_from_headers(headers))
        .ok_or(AppError::NotAuthenticated)?;
    let signed = auth::check(&state.jwt, &state.store, &token).await?;
    state
        .store
        .require_member(conversation, signed.user.id)
        .await?;
    Ok((signed, conversation, permit))
}
