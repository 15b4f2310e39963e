//! The live server-status panel, fed by the WebSocket and `/health`.

use super::home::Auth;
use crate::socket::ConnState;
use leptos::prelude::*;
use protocol::rest::Health;
use protocol::User;

/// Shows who is signed in, the live connection, and server statistics.
#[component]
pub fn StatusPanel(user: User, auth: RwSignal<Auth>) -> impl IntoView {
    let conn = RwSignal::new(ConnState::Connecting);
    let latency = RwSignal::new(None::<f64>);
    let health = RwSignal::new(None::<Health>);
    let error = RwSignal::new(None::<String>);

    #[cfg(feature = "hydrate")]
    {
        crate::socket::connect(conn, latency, move |frame| {
            if let protocol::ServerEvent::Error { message, .. } = frame.event {
                error.set(Some(message));
            }
        });
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
    }

    let sign_out = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match crate::api::logout().await {
                Ok(()) => auth.set(Auth::SignedOut),
                Err(e) => error.set(Some(e.0)),
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = auth;
    };

    let conn_class = move || match conn.get() {
        ConnState::Connected { .. } => "badge ok",
        ConnState::Ended(_) => "badge bad",
        _ => "badge warn",
    };

    view! {
        <section class="card status" aria-label="Server status">
            <div class="row">
                <h2>"Signed in as " <span data-testid="me">{user.display_name.clone()}</span></h2>
                <button class="secondary" on:click=sign_out>"Sign out"</button>
            </div>
            <dl>
                <dt>"Connection"</dt>
                <dd><span class=conn_class data-testid="connection">{move || conn.get().label()}</span></dd>
                <dt>"Protocol"</dt>
                <dd data-testid="protocol">{move || match conn.get() {
                    ConnState::Connected { protocol_version, .. } => format!("v{protocol_version}"),
                    _ => "–".into(),
                }}</dd>
                <dt>"Round trip"</dt>
                <dd>{move || latency.get().map_or("–".into(), |ms| format!("{ms:.0} ms"))}</dd>
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
