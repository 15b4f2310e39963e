//! The signed-in layout: the header, the conversation list beside the routed pane, the
//! notice and the toast. It owns the [`ChatClient`] for as long as the user is signed in.

mod header;
mod notice;
mod toast;

use crate::auth::Auth;
use crate::client::{ChatClient, ConnState, Slice};
use crate::conversations::ConversationList;
use crate::ui::GoTo;
use header::Header;
use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_location;
use notice::Notice;
use protocol::User;
use toast::Toast;

/// The app once signed in.
#[component]
pub fn ChatLayout(user: User) -> impl IntoView {
    let client = ChatClient::new(user);
    provide_context(client);
    client.start();
    let auth = expect_context::<RwSignal<Auth>>();

    // The session ended on the server (signed out elsewhere, banned): back to sign-in.
    Effect::new(move |_| {
        if let ConnState::Ended(why) = client.read(Slice::Conn, |s| s.conn.clone()) {
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
        <Toast/>
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
