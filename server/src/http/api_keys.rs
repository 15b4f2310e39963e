//! Operators manage the server API's keys: create (the secret shown once), list, revoke.
//! `confab api-key …` does the same from the command line.

use super::admin::require_operator;
use super::{ApiJson, ApiPath};
use crate::auth::{api_key, AuthUser};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use protocol::rest::{ApiKeyCreated, ApiKeyList, CreateApiKeyRequest};
use protocol::ErrorBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this resource, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(revoke))
}

/// Creates an API key for a product's backend; its secret is in this reply only.
#[utoipa::path(post, path = "/admin/api-keys", tag = "admin", request_body = CreateApiKeyRequest, responses((status = 201, description = "Created: `key` is the secret, shown this once", body = ApiKeyCreated), (status = 403, description = "`FORBIDDEN`: not an operator", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: no name or no scope", body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<CreateApiKeyRequest>,
) -> AppResult<(StatusCode, Json<ApiKeyCreated>)> {
    require_operator(&state, &user, "manage API keys")?;
    let created = api_key::create(&state.store, &req.name, &req.scopes).await?;
    tracing::info!(key = %created.info.id, by = %user.id, "API key created");
    Ok((StatusCode::CREATED, Json(created)))
}

/// Every API key (never a secret), newest first.
#[utoipa::path(get, path = "/admin/api-keys", tag = "admin", responses((status = 200, description = "The keys", body = ApiKeyList), (status = 403, description = "`FORBIDDEN`: not an operator", body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<Json<ApiKeyList>> {
    require_operator(&state, &user, "manage API keys")?;
    Ok(Json(ApiKeyList {
        keys: state.store.api_keys().await?,
    }))
}

/// Revokes an API key: requests with it get 401 from now on.
#[utoipa::path(delete, path = "/admin/api-keys/{id}", tag = "admin", params(("id" = String, Path, description = "The key's id")), responses((status = 204, description = "Revoked"), (status = 403, description = "`FORBIDDEN`: not an operator", body = ErrorBody), (status = 404, description = "`NOT_FOUND`: no such key", body = ErrorBody)))]
async fn revoke(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<StatusCode> {
    require_operator(&state, &user, "manage API keys")?;
    if !state.store.revoke_api_key(&id).await? {
        return Err(AppError::NotFound("API key"));
    }
    tracing::info!(key = %id, by = %user.id, "API key revoked");
    Ok(StatusCode::NO_CONTENT)
}
