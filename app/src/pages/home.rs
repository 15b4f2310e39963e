//! The home page: the sign-in form, or the live status panel once signed in.

use super::signin::SignIn;
use super::status::StatusPanel;
use leptos::prelude::*;
use protocol::User;

/// Whether we know who is signed in yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// Still asking the server (also what the server renders).
    Unknown,
    /// Nobody is signed in.
    SignedOut,
    /// This user is signed in.
    SignedIn(User),
}

/// `/`.
#[component]
pub fn HomePage() -> impl IntoView {
    let auth = RwSignal::new(Auth::Unknown);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            let next = match crate::api::me().await {
                Ok(Some(user)) => Auth::SignedIn(user),
                _ => Auth::SignedOut,
            };
            auth.set(next);
        });
    });
    view! {
        <header class="topbar">
            <h1>"Confab"</h1>
        </header>
        <main class="page">
            {move || match auth.get() {
                Auth::Unknown => view! { <p class="muted" data-testid="loading">"Loading…"</p> }.into_any(),
                Auth::SignedOut => view! { <SignIn auth/> }.into_any(),
                Auth::SignedIn(user) => view! { <StatusPanel user auth/> }.into_any(),
            }}
        </main>
    }
}
