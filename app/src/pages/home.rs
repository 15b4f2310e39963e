//! The sign-in gate: the sign-in form, or the chat layout once signed in.

use super::signin::SignIn;
use crate::auth::Auth;
use crate::layout::ChatLayout;
use leptos::prelude::*;

/// The parent route of every page.
#[component]
pub fn HomePage() -> impl IntoView {
    let auth = RwSignal::new(Auth::Unknown);
    provide_context(auth);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            let next = match crate::api::me().await {
                Ok(Some(user)) => Auth::SignedIn(user),
                Ok(None) => Auth::SignedOut(None),
                Err(e) => Auth::SignedOut(Some(e.0)),
            };
            auth.set(next);
        });
    });
    // A memo, so the signed-in layout (and its WebSocket) is only rebuilt when who is signed
    // in actually changes.
    let gate = Memo::new(move |_| auth.get());
    move || match gate.get() {
        Auth::SignedIn(user) => view! { <ChatLayout user/> }.into_any(),
        other => view! {
            <header class="topbar"><h1>"Confab"</h1></header>
            <main class="page">
                {match other {
                    Auth::SignedOut(reason) => view! { <SignIn auth reason/> }.into_any(),
                    _ => view! { <p class="muted" data-testid="loading">"Loading…"</p> }.into_any(),
                }}
            </main>
        }
        .into_any(),
    }
}
