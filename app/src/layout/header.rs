//! The top bar: total unread, the bell, connection, presence controls, who I am, sign out.

use crate::auth::Auth;
use crate::client::{ChatClient, ConnState, Slice};
use crate::notifications::Bell;
use leptos::prelude::*;
use leptos_router::components::A;
use protocol::PresenceStatus;

/// The header.
#[component]
pub fn Header() -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let auth = expect_context::<RwSignal<Auth>>();
    let total = Memo::new(move |_| client.read(Slice::List, |s| s.total_unread));
    let conn = Memo::new(move |_| client.read(Slice::Conn, |s| s.conn.clone()));
    let status = Memo::new(move |_| client.read(Slice::Me, |s| s.my_status));
    let name = Memo::new(move |_| client.read(Slice::Me, |s| s.me.display_name.clone()));
    let conn_class = move || match conn.get() {
        ConnState::Connected => "badge ok",
        ConnState::Ended(_) => "badge bad",
        _ => "badge warn",
    };
    let away = move || status.get() == PresenceStatus::Away;
    let hidden = move || status.get() == PresenceStatus::Offline;
    let toggle = move |to: PresenceStatus| {
        let next = if status.get_untracked() == to {
            PresenceStatus::Online
        } else {
            to
        };
        client.set_status(next);
    };
    let sign_out = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match crate::api::logout().await {
                Ok(()) => auth.set(Auth::SignedOut(None)),
                Err(e) => client.notice(e.0),
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = auth;
    };
    view! {
        <header class="topbar">
            <A href="/"><h1>"Confab"</h1></A>
            <span class="count" data-testid="total-unread" role="img"
                aria-label=move || format!("{} unread messages in all", total.get())
                class:hidden=move || total.get() == 0>{total}</span>
            <span class="spacer"></span>
            <Bell/>
            <span class=conn_class data-testid="connection" role="status">{move || conn.get().label()}</span>
            <button class="secondary small" data-testid="presence-toggle"
                on:click=move |_| toggle(PresenceStatus::Away) aria-pressed=move || away().to_string()>
                {move || if away() { "Away – set online" } else { "Online – set away" }}
            </button>
            <button class="secondary small" data-testid="appear-offline"
                on:click=move |_| toggle(PresenceStatus::Offline) aria-pressed=move || hidden().to_string()
                title="Others see you offline, with your last-seen time frozen, while you stay connected">
                {move || if hidden() { "Hidden – show me" } else { "Appear offline" }}
            </button>
            <span class="me" data-testid="me-name">{name}</span>
            <A href="/feed" attr:class="small-link">"Feed"</A>
            <A href="/status" attr:class="small-link">"Status"</A>
            <button class="secondary small" on:click=sign_out>"Sign out"</button>
        </header>
    }
}
