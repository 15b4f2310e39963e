//! Health and metrics for operators:
//! - `GET /health`: database and broker state and live statistics of this instance; 503 only
//!   when the database does not answer (without Redis the instance still serves its clients);
//! - `GET /health/live`: liveness, 200 while the process answers requests;
//! - `GET /health/ready`: readiness, 200 only when the database and the broker both answer;
//! - `GET /metrics`: Prometheus text format ([`crate::metrics`]).

use crate::metrics::Snapshot;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use protocol::rest::{Health, HealthServices, HealthWebSocket, Liveness};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this resource, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(live))
        .routes(routes!(ready))
        .routes(routes!(metrics))
}

/// This instance's state: database, broker and live statistics.
#[utoipa::path(get, path = "/health", tag = "operations", security(()), responses((status = 200, description = "`ok`, or `degraded` with the reason (the broker is down: local clients are still served)", body = Health), (status = 503, description = "The database does not answer", body = Health)))]
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let body = check(&state).await;
    // Without the database nothing works; without Redis this instance still serves its own
    // clients (degraded, but up).
    let status = match body.database.as_str() {
        "ok" => StatusCode::OK,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    (status, Json(body))
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health/live", tag = "operations", security(()), responses((status = 200, description = "Alive", body = Liveness)))]
async fn live() -> Json<Liveness> {
    Json(Liveness {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Readiness: the database and the broker both answer.
#[utoipa::path(get, path = "/health/ready", tag = "operations", security(()), responses((status = 200, description = "Ready", body = Health), (status = 503, description = "Not ready; `reason` says why", body = Health)))]
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let body = check(&state).await;
    let status = match body.status.as_str() {
        "ok" => StatusCode::OK,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    (status, Json(body))
}

/// Asks the database, and the broker's last health check, how they are.
async fn check(state: &AppState) -> Health {
    let db_ok = state.store.ping().await;
    let broker_problem = state.broker.problem();
    let stats = state.hub.stats();
    let reason = match (db_ok, &broker_problem) {
        (false, _) => Some("the database does not answer".to_owned()),
        (true, Some(problem)) => Some(problem.clone()),
        (true, None) => None,
    };
    Health {
        status: if reason.is_none() { "ok" } else { "degraded" }.into(),
        database: if db_ok { "ok" } else { "unavailable" }.into(),
        database_backend: state.store.backend().name().into(),
        broker: if broker_problem.is_none() {
            "ok"
        } else {
            "unavailable"
        }
        .into(),
        broker_backend: state.broker.name().into(),
        reason,
        connections: stats.connections,
        authenticated_users: stats.users,
        rooms: stats.rooms,
        presence_subscriptions: stats.presence_subscriptions,
        post_subscriptions: stats.post_subscriptions,
        version: env!("CARGO_PKG_VERSION").into(),
        protocol_version: protocol::PROTOCOL_VERSION,
        timestamp: crate::clock::iso(crate::store::now_ms()),
        services: HealthServices {
            database: if db_ok { "connected" } else { "disconnected" }.into(),
            redis: match (state.broker.name(), &broker_problem) {
                ("redis", None) => "connected",
                ("redis", Some(_)) => "disconnected",
                _ => "not_configured",
            }
            .into(),
            websocket: HealthWebSocket {
                status: "active".into(),
                connections: stats.connections,
                authenticated_users: stats.users,
            },
        },
    }
}

/// Prometheus metrics of this instance (keep it private: see the README).
#[utoipa::path(get, path = "/metrics", tag = "operations", security(()), responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let stats = state.hub.stats();
    let (pool_size, pool_idle) = state.store.pool_usage();
    let text = state.hub.metrics().render(Snapshot {
        sessions: stats.connections,
        users: stats.users,
        pool_size,
        pool_idle,
    });
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
}
