//! The signed-in layout (header, conversation list, the routed pane) and the chat view.

pub mod message;
pub mod view;

use crate::client::{ChatClient, ConnState};
use crate::conversations::ConversationList;
use crate::pages::home::Auth;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::use_location;
use protocol::{PresenceStatus, User};

/// The app once signed in. Owns the [`ChatClient`] for as long as the user is signed in.
#[component]
pub fn ChatLayout(user: User) -> impl IntoView {
    let client = ChatClient::new(user);
    provide_context(client);
    client.start();
    let auth = expect_context::<RwSignal<Auth>>();

    // The session ended on the server (signed out elsewhere, banned): back to sign-in.
    Effect::new(move |_| {
        if let Some(ConnState::Ended(why)) = client.state.try_with(|s| s.conn.clone()) {
            auth.set(Auth::SignedOut(Some(why)));
        }
    });

    // Components ask for navigation through this signal (they may be inside async tasks).
    let go_to = GoTo(RwSignal::new(None));
    provide_context(go_to);
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(path) = go_to.0.get() {
            navigate(&path, Default::default());
        }
    });

    let location = use_location();
    let in_pane = move || location.pathname.get() != "/";
    view! {
        <Header/>
        <div class="layout" class:pane-open=in_pane>
            <aside class="sidebar" aria-label="Conversations">
                <ConversationList/>
            </aside>
            <main class="pane">
                <Outlet/>
            </main>
        </div>
        <Notice/>
    }
}

/// A request to navigate, set by components and followed by the layout.
#[derive(Clone, Copy)]
pub struct GoTo(pub RwSignal<Option<String>>);

/// The top bar: total unread, connection, presence control, sign out.
#[component]
fn Header() -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let auth = expect_context::<RwSignal<Auth>>();
    let total = move || client.state.with(|s| s.total_unread);
    let conn = move || client.state.with(|s| s.conn.clone());
    let conn_class = move || match conn() {
        ConnState::Connected => "badge ok",
        ConnState::Ended(_) => "badge bad",
        _ => "badge warn",
    };
    let away = move || client.state.with(|s| s.my_status == PresenceStatus::Away);
    let toggle_away = move |_| {
        let next = if away() {
            PresenceStatus::Online
        } else {
            PresenceStatus::Away
        };
        client.set_status(next);
    };
    let hidden = move || {
        client
            .state
            .with(|s| s.my_status == PresenceStatus::Offline)
    };
    let toggle_hidden = move |_| {
        let next = if hidden() {
            PresenceStatus::Online
        } else {
            PresenceStatus::Offline
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
                aria-label=move || format!("{} unread messages in all", total())
                class:hidden=move || total() == 0>{total}</span>
            <span class="spacer"></span>
            <crate::notifications::Bell/>
            <span class=conn_class data-testid="connection" role="status">{move || conn().label()}</span>
            <button class="secondary small" data-testid="presence-toggle" on:click=toggle_away
                aria-pressed=move || away().to_string()>
                {move || if away() { "Away – set online" } else { "Online – set away" }}
            </button>
            <button class="secondary small" data-testid="appear-offline" on:click=toggle_hidden
                aria-pressed=move || hidden().to_string()
                title="Others see you offline, with your last-seen time frozen, while you stay connected">
                {move || if hidden() { "Hidden – show me" } else { "Appear offline" }}
            </button>
            <span class="me" data-testid="me-name">{move || client.state.with(|s| s.me.display_name.clone())}</span>
            <A href="/status" attr:class="small-link">"Status"</A>
            <button class="secondary small" on:click=sign_out>"Sign out"</button>
        </header>
    }
}

/// How long a notice stays on screen unless dismissed sooner (or made stale by a reconnect).
const NOTICE_MS: u64 = 8_000;

/// The latest problem, in plain words, for a few seconds or until dismissed.
#[component]
fn Notice() -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let notice = move || {
        client
            .state
            .with(|s| s.notice.clone().map(|t| (t, s.notice_seq)))
    };
    // A memo, so that the timer is set once per notice, not again on every state change while
    // it is shown (the state is one signal).
    let shown = Memo::new(move |_| {
        client
            .state
            .with(|s| s.notice.as_ref().map(|_| s.notice_seq))
    });
    Effect::new(move |_| {
        if let Some(seq) = shown.get() {
            set_timeout(
                move || {
                    let _ = client.state.try_update(|s| s.dismiss_notice(seq));
                },
                std::time::Duration::from_millis(NOTICE_MS),
            );
        }
    });
    move || {
        notice().map(|(text, seq)| {
            view! {
                <div class="notice" role="alert" data-testid="notice">
                    <span>{text}</span>
                    <button class="link" aria-label="Dismiss"
                        on:click=move |_| { let _ = client.state.try_update(|s| s.dismiss_notice(seq)); }>"✕"</button>
                </div>
            }
        })
    }
}

/// The pane when no conversation is open.
#[component]
pub fn EmptyPane() -> impl IntoView {
    let client = expect_context::<ChatClient>();
    // Coming back to the list leaves the open conversation's live view.
    Effect::new(move |_| client.update(|s| s.close_active()));
    view! {
        <div class="empty pane-body">
            <p class="muted">"Pick a conversation, or start one from the list."</p>
        </div>
    }
}
