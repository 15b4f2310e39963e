//! The bell: list notifications and mark them read (every session of the user hears the count).

use super::{path_id, ApiJson, ApiPath, ApiQuery};
use crate::auth::AuthUser;
use crate::domain::notifications;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use protocol::rest::{
    MarkNotificationsRead, NotificationList, NotificationsUnread, TestNotificationRequest,
};
use protocol::ErrorBody;
use protocol::{Notification, NotificationId, User};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this resource, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(read))
        .routes(routes!(read_one))
        .routes(routes!(test))
}

/// Which page of notifications.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Notifications older than this one.
    before: Option<NotificationId>,
    /// At most this many (1–100, default 30).
    limit: Option<i64>,
}

/// Your notifications, newest first, with the unread count.
#[utoipa::path(get, path = "/notifications", tag = "notifications", params(ListQuery), responses((status = 200, description = "A page of notifications", body = NotificationList), (status = 422, description = "`VALIDATION_FAILED`: `limit` out of 1–100", body = ErrorBody)))]
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

/// Marks your notifications read up to one ("mark all read"); every session hears `notifications_read`.
#[utoipa::path(post, path = "/notifications/read", tag = "notifications", request_body = MarkNotificationsRead, responses((status = 200, description = "The unread count left", body = NotificationsUnread)))]
async fn read(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiJson(req): ApiJson<MarkNotificationsRead>,
) -> AppResult<Json<NotificationsUnread>> {
    let unread = notifications::mark_read(&state, me.id, req.up_to).await?;
    Ok(Json(NotificationsUnread { unread }))
}

/// Marks one notification read; every session hears `notifications_read`.
#[utoipa::path(post, path = "/notifications/{id}/read", tag = "notifications", params(("id" = Uuid, Path, description = "The notification's id")), responses((status = 200, description = "The unread count left", body = NotificationsUnread), (status = 404, description = "`NOT_FOUND`: no such notification of yours", body = ErrorBody)))]
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

/// Sends yourself a test notification, pushed to all your sessions (6 a minute).
#[utoipa::path(post, path = "/notifications/test", tag = "notifications", request_body = TestNotificationRequest, responses((status = 201, description = "The notification", body = Notification), (status = 422, description = "`VALIDATION_FAILED`: a message over 200 characters", body = ErrorBody)))]
async fn test(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiJson(req): ApiJson<TestNotificationRequest>,
) -> AppResult<(StatusCode, Json<Notification>)> {
    let notification = send_test(&state, &me, req).await?;
    Ok((StatusCode::CREATED, Json(notification)))
}

/// Checks the rate and the text of a test notification, then sends it to `me`.
pub(super) async fn send_test(
    state: &AppState,
    me: &User,
    req: TestNotificationRequest,
) -> AppResult<Notification> {
    state.check_test_notification_rate(me.id).await?;
    let text = req.message.unwrap_or_else(|| "Test notification".into());
    let text = text.trim();
    if text.is_empty() || text.chars().count() > TEST_TEXT_CHARS {
        return Err(AppError::validation(format!(
            "message must be 1 to {TEST_TEXT_CHARS} characters"
        )));
    }
    notifications::test(state, me, text.to_owned()).await
}
