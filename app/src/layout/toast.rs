//! A new notification, popped up for a few seconds (never while I am busy): it leads where the
//! bell's entry does, and opening it reads it.

use crate::client::{format, Action, ChatClient, Slice};
use crate::notifications::link;
use leptos::prelude::*;
use leptos_router::components::A;

/// How long a toast stays unless closed sooner.
const TOAST_MS: u64 = 6_000;

/// The toast, bottom right.
#[component]
pub fn Toast() -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let shown = Memo::new(move |_| {
        client.read(Slice::Toast, |s| {
            s.toast
                .as_ref()
                .map(|(n, seq)| (n.id, format::notification_text(n), link(n), *seq))
        })
    });
    let dismiss = move |seq: u64| {
        client.update(|s| {
            s.dismiss_toast(seq);
            Vec::new()
        })
    };
    Effect::new(move |_| {
        if let Some((.., seq)) = shown.get() {
            set_timeout(
                move || dismiss(seq),
                std::time::Duration::from_millis(TOAST_MS),
            );
        }
    });
    move || {
        shown.get().map(|(id, text, href, seq)| {
            let open = move |_| {
                client.run(vec![Action::ReadNotification(id)]);
                dismiss(seq);
            };
            view! {
                <div class="toast" role="status" data-testid="toast">
                    <span aria-hidden="true">"🔔"</span>
                    {match href {
                        Some(href) => view! { <A href=href on:click=open>{text}</A> }.into_any(),
                        None => view! { <span>{text}</span> }.into_any(),
                    }}
                    <button class="link" aria-label="Close" on:click=move |_| dismiss(seq)>"✕"</button>
                </div>
            }
        })
    }
}
