//! The server API's webhooks (`/api/server/v1/webhooks…`, scope `webhooks`): register and remove
//! endpoints, read an endpoint's delivery log, replay a delivery. Delivering is
//! [`crate::webhooks`]'s.

use super::{ApiJson, ApiPath, ApiQuery};
use crate::auth::ServerKey;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::validate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use protocol::rest::ApiScope;
use protocol::webhooks::{
    CreateWebhook, DeliveryStatus, WebhookDeliveryList, WebhookEndpoint, WebhookEndpointList,
    WEBHOOK_EVENT_TYPES,
};
use protocol::ErrorBody;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Most endpoints one deployment registers.
const MAX_ENDPOINTS: usize = 50;

/// The routes of this resource, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(delete_webhook))
        .routes(routes!(deliveries))
        .routes(routes!(replay))
}

/// An endpoint's URL: `http(s)`, at most 2048 characters.
fn endpoint_url(raw: &str) -> Result<&str, AppError> {
    let url = raw.trim();
    let ok = url.len() <= 2048
        && (url.starts_with("https://") || url.starts_with("http://"))
        && reqwest::Url::parse(url).is_ok_and(|u| u.host_str().is_some());
    if ok {
        Ok(url)
    } else {
        Err(AppError::validation(
            "url must be an http(s) URL with a host, at most 2048 characters",
        ))
    }
}

/// The event types asked for: known ones, or `*` alone.
fn event_types(raw: &[String]) -> Result<Vec<String>, AppError> {
    if raw == ["*"] {
        return Ok(raw.to_vec());
    }
    if raw.is_empty() {
        return Err(AppError::validation(
            "event_types: name at least one, or [\"*\"] for all",
        ));
    }
    let mut types = Vec::with_capacity(raw.len());
    for t in raw {
        if !WEBHOOK_EVENT_TYPES.contains(&t.as_str()) {
            return Err(AppError::validation(format!(
                "unknown event type {t:?}: one of {}, or [\"*\"]",
                WEBHOOK_EVENT_TYPES.join(", ")
            )));
        }
        if !types.contains(t) {
            types.push(t.clone());
        }
    }
    Ok(types)
}

/// Registers an endpoint: from now on, every change of the types it wants is queued for it in
/// the transaction of the change, and delivered signed with the secret this answer shows once.
#[utoipa::path(post, path = "/server/v1/webhooks", tag = "server", security(("api_key" = [])), request_body = CreateWebhook, responses((status = 201, description = "Registered, with its secret (shown once)", body = WebhookEndpoint), (status = 422, description = "`VALIDATION_FAILED`: a bad URL, an unknown event type, too many endpoints", body = ErrorBody)))]
async fn create_webhook(
    State(state): State<AppState>,
    key: ServerKey,
    ApiJson(req): ApiJson<CreateWebhook>,
) -> AppResult<(StatusCode, Json<WebhookEndpoint>)> {
    key.require(ApiScope::Webhooks)?;
    let url = endpoint_url(&req.url)?;
    let types = event_types(&req.event_types)?;
    let description = validate::optional_text("description", req.description.as_deref(), 200)?;
    let live = state.store.webhooks().await?;
    if live.iter().filter(|e| e.disabled_at.is_none()).count() >= MAX_ENDPOINTS {
        return Err(AppError::validation(format!(
            "at most {MAX_ENDPOINTS} endpoints: remove one first"
        )));
    }
    let secret = crate::webhooks::new_secret();
    let created = state
        .store
        .create_webhook(url, &types, description.as_deref(), &secret)
        .await?;
    state.store.refresh_webhook_interest().await;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Every endpoint, removed ones included, newest first (never their secrets).
#[utoipa::path(get, path = "/server/v1/webhooks", tag = "server", security(("api_key" = [])), responses((status = 200, description = "The endpoints", body = WebhookEndpointList)))]
async fn list_webhooks(
    State(state): State<AppState>,
    key: ServerKey,
) -> AppResult<Json<WebhookEndpointList>> {
    key.require(ApiScope::Webhooks)?;
    let endpoints = state.store.webhooks().await?;
    Ok(Json(WebhookEndpointList { endpoints }))
}

/// Removes an endpoint: nothing more is queued for it, and what was pending is marked failed.
#[utoipa::path(delete, path = "/server/v1/webhooks/{id}", tag = "server", security(("api_key" = [])), params(("id" = String, Path, description = "The endpoint's id")), responses((status = 204, description = "Removed"), (status = 404, description = "`NOT_FOUND`", body = ErrorBody)))]
async fn delete_webhook(
    State(state): State<AppState>,
    key: ServerKey,
    ApiPath(id): ApiPath<String>,
) -> AppResult<StatusCode> {
    key.require(ApiScope::Webhooks)?;
    if !state.store.disable_webhook(&id).await? {
        return Err(AppError::Unknown(format!("no webhook endpoint {id}")));
    }
    state.store.refresh_webhook_interest().await;
    Ok(StatusCode::NO_CONTENT)
}

/// Which deliveries to list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DeliveryQuery {
    /// Only those of this status (`pending`, `delivered`, `failed`).
    status: Option<DeliveryStatus>,
    /// At most this many (1–500, default 100).
    limit: Option<i64>,
}

/// An endpoint's delivery log, newest first: status, attempts, the last answer or error.
#[utoipa::path(get, path = "/server/v1/webhooks/{id}/deliveries", tag = "server", security(("api_key" = [])), params(("id" = String, Path, description = "The endpoint's id"), DeliveryQuery), responses((status = 200, description = "The log", body = WebhookDeliveryList), (status = 404, description = "`NOT_FOUND`", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: limit out of 1–500", body = ErrorBody)))]
async fn deliveries(
    State(state): State<AppState>,
    key: ServerKey,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<DeliveryQuery>,
) -> AppResult<Json<WebhookDeliveryList>> {
    key.require(ApiScope::Webhooks)?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::validation("limit must be 1-500"));
    }
    if !state.store.webhook_exists(&id).await? {
        return Err(AppError::Unknown(format!("no webhook endpoint {id}")));
    }
    let deliveries = state
        .store
        .webhook_deliveries(&id, query.status, limit)
        .await?;
    Ok(Json(WebhookDeliveryList { deliveries }))
}

/// Delivers an event to an endpoint again (a failed one, or one delivered before): queued now
/// and retried for a new window. Receivers get the same `webhook-id`.
#[utoipa::path(post, path = "/server/v1/webhooks/{id}/deliveries/{event_id}/replay", tag = "server", security(("api_key" = [])), params(("id" = String, Path, description = "The endpoint's id"), ("event_id" = String, Path, description = "The event's id")), responses((status = 202, description = "Queued again"), (status = 404, description = "`NOT_FOUND`: no such delivery, or the endpoint was removed", body = ErrorBody)))]
async fn replay(
    State(state): State<AppState>,
    key: ServerKey,
    ApiPath((id, event)): ApiPath<(String, String)>,
) -> AppResult<StatusCode> {
    key.require(ApiScope::Webhooks)?;
    let window = state.config.webhook_retry_window_secs as i64 * 1000;
    if !state.store.replay_delivery(&id, &event, window).await? {
        return Err(AppError::Unknown(format!(
            "no delivery of {event} to a live endpoint {id}"
        )));
    }
    Ok(StatusCode::ACCEPTED)
}
