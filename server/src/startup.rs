//! Building the application and running it until a shutdown signal.

use crate::auth::JwtKeys;
use crate::broker::Broker;
use crate::config::Config;
use crate::error::AppError;
use crate::hub::{CloseReason, Hub};
use crate::state::AppState;
use crate::store::Store;
use crate::{http, ws};
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

/// A server bound to its address, ready to run.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    router: Router,
}

impl Application {
    /// Opens the database (migrating it), loads keys and binds the listener.
    pub async fn build(config: Config) -> Result<Self, AppError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            AppError::Internal(format!("creating {}: {e}", config.data_dir.display()))
        })?;
        let store = Store::connect(&config.database_url(), config.db_max_connections).await?;
        let jwt = JwtKeys::from_config(&config)?;
        let addr = config.bind_addr();
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| AppError::Internal(format!("binding {addr}: {e}")))?;
        let leptos = leptos_options(listener.local_addr().unwrap_or(addr));
        let hub = Arc::new(Hub::new());
        let broker = match &config.redis_url {
            Some(url) => Broker::redis(url, hub.clone()).await?,
            None => Broker::local(hub.clone()),
        };
        let files = crate::files::Files::from_config(&config)?;
        let state = AppState::new(config, store, files, jwt, leptos, hub, broker);
        let router = router(state.clone());
        Ok(Self {
            listener,
            state,
            router,
        })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The shared state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then closes every WebSocket and the database pool.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = self.state.clone();
        tracing::info!(addr = %self.local_addr(), backend = state.store.backend().name(), broker = state.broker.name(), "confab listening");
        let hub = state.hub.clone();
        // Housekeeping: prune rate-limiter entries once a minute (a detached, sleeping task).
        let pruner = {
            let state = state.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
                loop {
                    tick.tick().await;
                    state.prune_limiters();
                }
            })
        };
        // Presence changes go out in batches: one flush per window (a detached, ticking task).
        let presence = {
            let hub = state.hub.clone();
            let window = state.config.presence_batch();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(window);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    hub.flush_presence();
                }
            })
        };
        // Histogram samples are folded into buckets every few seconds, scraped or not.
        let upkeep = {
            let metrics = state.hub.metrics().clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(crate::metrics::UPKEEP);
                loop {
                    tick.tick().await;
                    metrics.upkeep();
                }
            })
        };
        // Instances that die leave sessions behind: reap them (a no-op without Redis).
        let reaper = tokio::spawn(crate::domain::presence::reap_dead_instances(state.clone()));
        // Webhooks: the instance holding the lease delivers the outbox.
        let webhooks = tokio::spawn(crate::webhooks::dispatch(state.clone()));
        // Uploads never sent with a message go after a day.
        let uploads = tokio::spawn(crate::domain::files::sweep_unsent(state.clone()));
        let signal = async move {
            shutdown.await;
            // Open WebSockets would keep graceful shutdown waiting: close them first.
            hub.close_all(&CloseReason::shutdown());
        };
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(signal)
        .await?;
        // Upgraded connections are not waited for by the server: wait (bounded) until every
        // WebSocket has written its close frame and let go of its place.
        drain_connections(&state).await;
        pruner.abort();
        presence.abort();
        upkeep.abort();
        reaper.abort();
        webhooks.abort();
        uploads.abort();
        crate::domain::presence::leave(&state).await;
        state.store.close().await;
        Ok(())
    }
}

/// Waits until every connection has ended (each holds a place under `--max-connections` until
/// its close frame is written), at most `--shutdown-timeout-ms`.
async fn drain_connections(state: &AppState) {
    let all = u32::try_from(state.config.max_connections).unwrap_or(u32::MAX);
    let wait = state.connections.acquire_many(all);
    let open = state.config.max_connections - state.connections.available_permits();
    match tokio::time::timeout(state.config.shutdown_timeout(), wait).await {
        Ok(_) => tracing::info!(connections = open, "every connection closed"),
        Err(_) => tracing::warn!(
            left = state.config.max_connections - state.connections.available_permits(),
            "connections still open at the shutdown timeout"
        ),
    }
}

/// Leptos options from cargo-leptos' environment when present, else the defaults this
/// workspace's metadata declares.
fn leptos_options(addr: SocketAddr) -> LeptosOptions {
    let env = |key: &str, default: &str| std::env::var(key).unwrap_or_else(|_| default.to_owned());
    LeptosOptions::builder()
        .output_name(env("LEPTOS_OUTPUT_NAME", "confab"))
        .site_root(env("LEPTOS_SITE_ROOT", "target/site"))
        .site_pkg_dir(env("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(addr)
        .reload_port(env("LEPTOS_RELOAD_PORT", "3001").parse().unwrap_or(3001))
        .build()
}

/// The full router: REST, WebSocket, the server-rendered app and its static files.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let leptos = state.leptos.clone();
    let pages = Router::new()
        .merge(http::router(state.clone()))
        .leptos_routes(&state, routes, move || app::shell(leptos.clone()));
    crate::site::serve(pages, &state)
        .route("/ws", get(ws::upgrade::handler))
        .merge(crate::chatws::routes())
        .layer(crate::socketio::layer(&state))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
