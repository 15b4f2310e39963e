//! The real-time service's own routes, as Flask-SocketIO social apps name them
//! (`/api/ws/…`): its status, and a test notification to oneself.

use super::notifications::send_test;
use super::ApiJson;
use crate::auth::AuthUser;
use crate::error::AppResult;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use protocol::rest::{RealtimeStatus, TestNotificationRequest, TestNotificationSent};
use protocol::ErrorBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this resource, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(status))
        .routes(routes!(test_notification))
}

/// This instance's WebSocket service: connections and users online (like `/health`, open to
/// all).
#[utoipa::path(get, path = "/ws/status", tag = "operations", security(()), responses((status = 200, description = "The WebSocket service's statistics", body = RealtimeStatus)))]
async fn status(State(state): State<AppState>) -> Json<RealtimeStatus> {
    let stats = state.hub.stats();
    Json(RealtimeStatus {
        success: true,
        websocket_enabled: true,
        active_connections: stats.connections,
        online_users: stats.users,
        redis_enabled: state.broker.name() == "redis",
    })
}

/// Sends yourself a test notification, pushed to all your sessions (the same as
/// `POST /api/notifications/test`, 6 a minute).
#[utoipa::path(post, path = "/ws/test-notification", tag = "notifications", request_body = TestNotificationRequest, responses((status = 200, description = "Sent", body = TestNotificationSent), (status = 422, description = "`VALIDATION_FAILED`: a message over 200 characters", body = ErrorBody), (status = 429, description = "`RATE_LIMITED`", body = ErrorBody)))]
async fn test_notification(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiJson(req): ApiJson<TestNotificationRequest>,
) -> AppResult<Json<TestNotificationSent>> {
    let notification = send_test(&state, &me, req).await?;
    Ok(Json(TestNotificationSent {
        success: true,
        message: "Test notification sent".into(),
        user_id: me.id,
        notification,
    }))
}
