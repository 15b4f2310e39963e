//! Sign in or register.

use crate::auth::Auth;
use leptos::prelude::*;

/// The sign-in / registration form.
#[component]
pub fn SignIn(auth: RwSignal<Auth>, reason: Option<String>) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(reason);
    let busy = RwSignal::new(false);

    let submit = move |register: bool| {
        #[cfg(feature = "hydrate")]
        {
            use protocol::rest::{LoginRequest, RegisterRequest};
            busy.set(true);
            error.set(None);
            let (u, p) = (username.get_untracked(), password.get_untracked());
            leptos::task::spawn_local(async move {
                let result = if register {
                    crate::api::register(&RegisterRequest {
                        username: u,
                        password: p,
                        display_name: None,
                        email: None,
                    })
                    .await
                } else {
                    crate::api::login(&LoginRequest {
                        username: u,
                        password: p,
                    })
                    .await
                };
                busy.set(false);
                match result {
                    Ok(reply) => auth.set(Auth::SignedIn(reply.user)),
                    Err(e) => error.set(Some(e.0)),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (register, auth);
    };

    view! {
        <form class="card signin" on:submit=move |ev| { ev.prevent_default(); submit(false); }>
            <h2>"Sign in"</h2>
            <p class="muted">"New here? Pick a username and password and choose Create account."</p>
            <label for="username">"Username"</label>
            <input id="username" name="username" autocomplete="username" required
                bind:value=username/>
            <label for="password">"Password"</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required
                minlength="8" bind:value=password/>
            <div class="actions">
                <button type="submit" disabled=move || busy.get()>"Sign in"</button>
                <button type="button" class="secondary" disabled=move || busy.get()
                    on:click=move |_| submit(true)>"Create account"</button>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </form>
    }
}
