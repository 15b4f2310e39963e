//! The sign-in gate: the sign-in form, or the chat layout once signed in.

use super::signin::SignIn;
use crate::chat::ChatLayout;
use leptos::prelude::*;
use protocol::User;

/// Whether we know who is signed in yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// Still asking the server (also what the server renders).
    Unknown,
    /// Nobody is signed in; maybe with a reason.
    SignedOut(Option<String>),
    /// This user is signed in.
    SignedIn(User),
}

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
    let signed_in = Memo::new(move |_| match auth.get() {
        Auth::SignedIn(user) => Some(user),
        _ => None,
    });
    move || match signed_in.get() {
        Some(user) => view! { <ChatLayout user/> }.into_any(),
        None => {
            let reason = match auth.get_untracked() {
                Auth::SignedOut(reason) => reason,
                _ => None,
            };
            let loading = auth.get_untracked() == Auth::Unknown;
            view! {
                <header class="topbar"><h1>"Confab"</h1></header>
                <main class="page">
                    {if loading {
                        view! { <p class="muted" data-testid="loading">"Loading…"</p> }.into_any()
                    } else {
                        view! { <SignIn auth reason/> }.into_any()
                    }}
                </main>
            }
            .into_any()
        }
    }
}
