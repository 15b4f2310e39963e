//! # Confab web app
//!
//! A Leptos app rendered on the server (feature `ssr`) and hydrated in the browser (feature
//! `hydrate`). It speaks the [`protocol`] crate's types directly.
//!
//! Modules depend in one direction: [`pages`] → [`layout`] → the feature views ([`chat`],
//! [`conversations`], [`notifications`], [`social`]) → shared pieces ([`ui`], [`client`], [`auth`], [`api`]).
//!
//! - [`pages`]: the sign-in gate, sign-in form and the status page.
//! - [`layout`]: the signed-in frame: header, conversation list beside the routed pane, notice.
//! - [`chat`]: one conversation: history, composer, members.
//! - [`conversations`]: the conversation list and starting conversations.
//! - [`notifications`]: the bell.
//! - [`social`]: the feed, profiles and posts with live counters.
//! - [`ui`]: small shared components and helpers.
//! - [`client`]: the chat client: state, reducer, WebSocket connection.
//! - [`auth`]: who is signed in.
//! - [`api`]: REST calls (browser only).

// Leptos view types nest deeply; the default limit is too small for the whole app.
#![recursion_limit = "256"]

pub mod api;
pub mod auth;
pub mod chat;
pub mod client;
pub mod conversations;
pub mod layout;
pub mod notifications;
pub mod pages;
pub mod social;
pub mod ui;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{ParamSegment, StaticSegment};

/// The HTML document around the app, rendered by the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The root component. The signed-in layout stays mounted while the inner route changes, so
/// the WebSocket survives navigation.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser, after hydration: mark the page interactive (the cold-load
    // check in end2end/ measures the time to this).
    Effect::new(|_| {
        #[cfg(feature = "hydrate")]
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/confab.css"/>
        <Title text="Confab"/>
        <Router>
            <Routes fallback=|| view! { <p class="not-found">"Page not found."</p> }>
                <ParentRoute path=StaticSegment("") view=pages::home::HomePage>
                    <Route path=StaticSegment("") view=layout::EmptyPane/>
                    <Route path=(StaticSegment("c"), ParamSegment("id")) view=chat::ChatPane/>
                    <Route path=StaticSegment("status") view=pages::status::StatusPanel/>
                    <Route path=StaticSegment("feed") view=social::FeedPage/>
                    <Route path=(StaticSegment("u"), ParamSegment("id")) view=social::ProfilePage/>
                    <Route path=(StaticSegment("p"), ParamSegment("id")) view=social::PostPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The WASM entry point: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
