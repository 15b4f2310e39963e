//! The REST API. Each resource has its own file and `router()`; errors are JSON
//! [`protocol::ErrorBody`]s with the same codes as WebSocket errors.

mod admin;
mod api_keys;
mod auth;
mod chat;
mod client;
mod conversations;
mod files;
mod health;
mod notifications;
mod openapi;
mod posts;
mod reactions;
mod realtime;
mod search;
mod server_api;
mod server_webhooks;
mod users;

pub use self::client::{client_ip, ClientAddr};
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::OriginalUri;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde::de::DeserializeOwned;
use std::str::FromStr;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// Largest accepted REST request body.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Every REST route, rate-limited per client address.
pub fn router(state: AppState) -> Router<AppState> {
    routes_and_description()
        .0
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(state, rate_limit))
}

/// The OpenAPI 3.1 description of every REST route (served at `/api/openapi.json`).
pub fn description() -> OpenApi {
    routes_and_description().1
}

/// The routes and their description, from the same routers: health and metrics at the root,
/// the API under `/api` with JSON answers for unknown paths and methods.
fn routes_and_description() -> (Router<AppState>, OpenApi) {
    let (operations, operations_doc) = OpenApiRouter::new()
        .merge(health::router())
        .split_for_parts();
    let (api, api_doc) = OpenApiRouter::new()
        .merge(auth::router())
        .merge(users::router())
        .merge(conversations::router())
        .merge(chat::router())
        .merge(notifications::router())
        .merge(posts::router())
        .merge(reactions::router())
        .merge(files::router())
        .merge(search::router())
        .merge(realtime::router())
        .merge(admin::router())
        .merge(api_keys::router())
        .merge(server_api::router())
        .merge(server_webhooks::router())
        .merge(openapi::router())
        .split_for_parts();
    let router = Router::new()
        .merge(operations)
        .nest(
            "/api",
            api.method_not_allowed_fallback(method_not_allowed)
                .fallback(no_such_endpoint),
        )
        // The prefix itself is no endpoint either (nesting leaves it to the pages).
        .route("/api", axum::routing::any(no_such_endpoint))
        .route("/api/", axum::routing::any(no_such_endpoint));
    let document = openapi::base()
        .merge_from(operations_doc)
        .nest("/api", api_doc);
    (router, openapi::finish(document))
}

/// An unknown path under `/api`: a JSON 404 (the app's HTML 404 is for pages).
async fn no_such_endpoint(method: Method, OriginalUri(uri): OriginalUri) -> AppError {
    tracing::debug!(%method, %uri, "no such API endpoint");
    AppError::NotFound("API endpoint")
}

/// A known path with a method it does not take: a JSON 405 (axum adds the `Allow` header).
async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> AppError {
    AppError::MethodNotAllowed(format!("{} does not accept {method}", uri.path()))
}

/// Per-address rate limit on every REST request (the WebSocket has its own per connection).
pub async fn rate_limit(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    request: Request,
    next: Next,
) -> Response {
    // The server API is limited per key (a product's backend sends from few addresses).
    if request.uri().path().starts_with("/api/server/") {
        return next.run(request).await;
    }
    match state.check_api_rate(client) {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

/// A JSON body whose rejections are JSON errors with stable codes.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge(format!("request body exceeds {MAX_BODY_BYTES} bytes"))
    } else {
        AppError::InvalidPayload(rejection.body_text())
    }
}

/// Query parameters whose rejections are JSON errors.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e: QueryRejection| AppError::InvalidPayload(e.body_text()))
    }
}

/// Path parameters whose rejections (for example a segment that is not valid UTF-8) are JSON
/// errors rather than axum's plain text.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e: PathRejection| AppError::InvalidPayload(e.body_text()))
    }
}

/// Parses an id from a path segment; a malformed id is simply not found.
pub fn path_id<T: FromStr>(raw: &str, what: &'static str) -> Result<T, AppError> {
    raw.parse().map_err(|_| AppError::NotFound(what))
}
