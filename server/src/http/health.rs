//! `GET /health`: database and broker state, and live statistics of this instance.

use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use protocol::rest::Health;

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let db_ok = state.store.ping().await;
    let broker_problem = state.broker.problem();
    let stats = state.hub.stats();
    // Without the database nothing works; without Redis this instance still serves its own
    // clients (degraded, but up).
    let status = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let reason = match (db_ok, &broker_problem) {
        (false, _) => Some("the database does not answer".to_owned()),
        (true, Some(problem)) => Some(problem.clone()),
        (true, None) => None,
    };
    let body = Health {
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
    };
    (status, Json(body))
}
