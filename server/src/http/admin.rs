//! Operator actions: end all sessions of a user, optionally banning them.

use super::{path_id, ApiJson, ApiPath};
use crate::auth::AuthUser;
use crate::domain::sessions;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use protocol::rest::{KickRequest, KickResponse};
use protocol::ErrorBody;
use protocol::{User, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this resource, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(kick))
}

/// Ends every session of a user, optionally banning them (operators only).
#[utoipa::path(post, path = "/admin/users/{id}/kick", tag = "admin", params(("id" = Uuid, Path, description = "The user's id")), request_body = KickRequest, responses((status = 200, description = "Kicked", body = KickResponse), (status = 403, description = "`FORBIDDEN`: not an operator (`CONFAB_ADMINS`)", body = ErrorBody), (status = 404, description = "`NOT_FOUND`: no such user", body = ErrorBody)))]
async fn kick(
    State(state): State<AppState>,
    AuthUser(admin): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<KickRequest>,
) -> AppResult<Json<KickResponse>> {
    require_operator(&state, &admin, "kick users")?;
    let user: UserId = path_id(&id, "user")?;
    let why = if req.ban {
        "banned by an operator"
    } else {
        "disconnected by an operator"
    };
    if !sessions::revoke(&state, user, req.ban, why).await? {
        return Err(AppError::NotFound("user"));
    }
    tracing::info!(%user, by = %admin.id, ban = req.ban, "user kicked");
    Ok(Json(KickResponse {
        user_id: user,
        banned: req.ban,
    }))
}

/// `FORBIDDEN` unless `user` is an operator (`--admin-usernames`); `what` says what only
/// operators may do.
pub(super) fn require_operator(state: &AppState, user: &User, what: &str) -> Result<(), AppError> {
    if state
        .config
        .admin_usernames
        .iter()
        .any(|a| a == &user.username)
    {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!("only operators can {what}")))
    }
}
