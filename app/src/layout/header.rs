//! The top bar: total unread, the bell, connection, presence controls, who I am, sign out.

use crate::auth::Auth;
use crate::client::{ChatClient, ConnState, Slice};
use crate::notifications::Bell;
use crate::ui::now_ms;
use leptos::prelude::*;
use leptos_router::components::A;
use protocol::PresenceStatus;

/// The header.
#[component]
pub fn Header() -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let auth = expect_context::<RwSignal<Auth>>();
    // Muted conversations' unread messages are left out (the list still shows them).
    let total = Memo::new(move |_| client.read(Slice::List, |s| s.loud_unread(now_ms())));
    // A timed mute ends by itself: at its time, the list, this total and the menu say so.
    let next_mute_end = Memo::new(move |_| client.read(Slice::List, |s| s.next_mute_end(now_ms())));
    Effect::new(move |_| {
        if let Some(at) = next_mute_end.get() {
            let wait = u64::try_from(at - now_ms()).unwrap_or(0) + 50;
            set_timeout(
                move || {
                    client.update(|s| {
                        s.end_mutes(now_ms());
                        Vec::new()
                    })
                },
                std::time::Duration::from_millis(wait),
            );
        }
    });
    let conn = Memo::new(move |_| client.read(Slice::Conn, |s| s.conn.clone()));
    let status = Memo::new(move |_| client.read(Slice::Me, |s| s.my_status));
    let name = Memo::new(move |_| client.read(Slice::Me, |s| s.me.display_name.clone()));
    let conn_class = move || match conn.get() {
        ConnState::Connected => "badge ok",
        ConnState::Ended(_) => "badge bad",
        _ => "badge warn",
    };
    let choose = move |ev: leptos::ev::Event| {
        let next = match event_target_value(&ev).as_str() {
            "away" => PresenceStatus::Away,
            "busy" => PresenceStatus::Busy,
            "offline" => PresenceStatus::Offline,
            _ => PresenceStatus::Online,
        };
        client.set_status(next);
    };
    let value = move || {
        match status.get() {
            PresenceStatus::Online => "online",
            PresenceStatus::Away => "away",
            PresenceStatus::Busy => "busy",
            PresenceStatus::Offline => "offline",
        }
        .to_owned()
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
            <select class="status-select" data-testid="my-status" aria-label="My status"
                title="Busy: others see it and notifications wait in the bell without popping up. Appear offline: others see you offline, with your last-seen time frozen, while you stay connected"
                on:change=choose prop:value=value>
                <option value="online">"● Online"</option>
                <option value="away">"◐ Away"</option>
                <option value="busy">"⛔ Do not disturb"</option>
                <option value="offline">"○ Appear offline"</option>
            </select>
            <span class="me" data-testid="me-name">{name}</span>
            <A href="/feed" attr:class="small-link">"Feed"</A>
            <A href="/status" attr:class="small-link">"Status"</A>
            <button class="secondary small" on:click=sign_out>"Sign out"</button>
        </header>
    }
}
