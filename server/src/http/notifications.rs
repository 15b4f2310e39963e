//! The bell: list notifications and mark them read (every session of the user hears the count).

use super::{path_id, ApiJson, ApiPath, ApiQuery};
use crate::auth::AuthUser;
use crate::domain::notifications;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use protocol::rest::{
    MarkNotificationsRead, NotificationList, NotificationsUnread, TestNotificationRequest,
};
use protocol::{Notification, NotificationId};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list))
        .route("/notifications/read", post(read))
        .route("/notifications/{id}/read", post(read_one))
        .route("/notifications/test", post(test))
}

#[derive(Deserialize)]
struct ListQuery {
    before: Option<NotificationId>,
    limit: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> AppResult<Json<NotificationList>> {
    let limit = query.limit.unwrap_or(30);
    if !(1..=100).contains(&limit) {
        return Err(AppError::validation("limit must be between 1 and 100"));
    }
    let (notifications, has_more) = state
        .store
        .notifications(me.id, query.before, limit)
        .await?;
    let unread = state
        .store
        .unread_notifications(&[me.id])
        .await?
        .get(&me.id)
        .copied()
        .unwrap_or(0);
    Ok(Json(NotificationList {
        notifications,
        unread,
        has_more,
    }))
}

async fn read(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiJson(req): ApiJson<MarkNotificationsRead>,
) -> AppResult<Json<NotificationsUnread>> {
    let unread = notifications::mark_read(&state, me.id, req.up_to).await?;
    Ok(Json(NotificationsUnread { unread }))
}

async fn read_one(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<NotificationsUnread>> {
    let id: NotificationId = path_id(&id, "notification")?;
    let unread = notifications::mark_one_read(&state, me.id, id).await?;
    Ok(Json(NotificationsUnread { unread }))
}

/// Longest test notification text, in characters.
const TEST_TEXT_CHARS: usize = 200;

async fn test(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiJson(req): ApiJson<TestNotificationRequest>,
) -> AppResult<(StatusCode, Json<Notification>)> {
    state.check_test_notification_rate(me.id).await?;
    let text = req.message.unwrap_or_else(|| "Test notification".into());
    let text = text.trim();
    if text.is_empty() || text.chars().count() > TEST_TEXT_CHARS {
        return Err(AppError::validation(format!(
            "message must be 1 to {TEST_TEXT_CHARS} characters"
        )));
    }
    let notification = notifications::test(&state, &me, text.to_owned()).await?;
    Ok((StatusCode::CREATED, Json(notification)))
}
