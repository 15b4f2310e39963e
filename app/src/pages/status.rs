//! The live server-status page, fed by the WebSocket and `/health`.

use crate::client::{ChatClient, ConnState, Slice};
use leptos::prelude::*;
use protocol::rest::Health;

/// `/status`: the connection and the server's statistics.
#[component]
pub fn StatusPanel() -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let health = RwSignal::new(None::<Health>);
    let error = RwSignal::new(None::<String>);

    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        while !health.is_disposed() {
            match crate::api::health().await {
                Ok(h) => {
                    let _ = health.try_set(Some(h));
                }
                Err(e) => {
                    let _ = error.try_set(Some(e.0));
                }
            }
            gloo_timers::future::TimeoutFuture::new(3_000).await;
        }
    });

    let conn = move || client.read(Slice::Conn, |s| s.conn.clone());
    let me = move || client.read(Slice::Me, |s| s.me.display_name.clone());
    view! {
        <section class="card status pane-body" aria-label="Server status">
            <h2>"Signed in as " <span data-testid="me">{me}</span></h2>
            <dl>
                <dt>"Connection"</dt>
                <dd data-testid="status-connection">{move || conn().label()}</dd>
                <dt>"Protocol"</dt>
                <dd data-testid="protocol">{move || match conn() {
                    ConnState::Connected => format!("v{}", protocol::PROTOCOL_VERSION),
                    _ => "–".into(),
                }}</dd>
                <dt>"Round trip"</dt>
                <dd>{move || client.latency_ms.get().map_or("measuring…".into(), |ms| format!("{ms:.0} ms"))}</dd>
                <dt>"Database"</dt>
                <dd data-testid="database">{move || health.get().map_or("–".into(), |h| format!("{} ({})", h.database, h.database_backend))}</dd>
                <dt>"Live connections"</dt>
                <dd data-testid="connections">{move || health.get().map_or("–".into(), |h| h.connections.to_string())}</dd>
                <dt>"Users online here"</dt>
                <dd>{move || health.get().map_or("–".into(), |h| h.authenticated_users.to_string())}</dd>
                <dt>"Active rooms"</dt>
                <dd>{move || health.get().map_or("–".into(), |h| h.rooms.to_string())}</dd>
            </dl>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}
