//! The latest problem, in plain words, for a few seconds or until dismissed.

use crate::client::{ChatClient, Slice};
use leptos::prelude::*;

/// How long a notice stays on screen unless dismissed sooner (or made stale by a reconnect).
const NOTICE_MS: u64 = 8_000;

/// The notice bar.
#[component]
pub fn Notice() -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let shown = Memo::new(move |_| {
        client.read(Slice::Notice, |s| {
            s.notice.clone().map(|text| (text, s.notice_seq))
        })
    });
    let dismiss = move |seq: u64| {
        client.update(|s| {
            s.dismiss_notice(seq);
            Vec::new()
        })
    };
    // Once per notice: a timer closes it unless a newer one replaced it.
    Effect::new(move |_| {
        if let Some((_, seq)) = shown.get() {
            set_timeout(
                move || dismiss(seq),
                std::time::Duration::from_millis(NOTICE_MS),
            );
        }
    });
    move || {
        shown.get().map(|(text, seq)| {
            view! {
                <div class="notice" role="alert" data-testid="notice">
                    <span>{text}</span>
                    <button class="link" aria-label="Dismiss" on:click=move |_| dismiss(seq)>"✕"</button>
                </div>
            }
        })
    }
}
