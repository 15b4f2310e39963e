//! The conversation's notification menu: mute it for an hour, eight hours, a week or until
//! unmuted, and unmute it. The server tells every session of mine (`mute_changed`); the answer
//! is applied at once too, so the menu never waits for the socket.

use crate::client::{format, ChatClient, Slice};
use crate::ui::{now_ms, utc_offset_minutes};
use leptos::prelude::*;
use protocol::ConversationId;

const HOUR_MS: i64 = 3_600_000;

/// The menu in the conversation's header.
#[component]
pub fn MuteMenu(id: ConversationId) -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let muted =
        Memo::new(move |_| client.read(Slice::Conversation(id), |s| s.mute_of(id, now_ms())));
    let choose = move |ev: leptos::ev::Event| {
        let now = now_ms();
        let mute = match event_target_value(&ev).as_str() {
            "on" => None,
            "1h" => Some(Some(now + HOUR_MS)),
            "8h" => Some(Some(now + 8 * HOUR_MS)),
            "1w" => Some(Some(now + 7 * 24 * HOUR_MS)),
            "always" => Some(None),
            _ => return,
        };
        #[cfg(feature = "hydrate")]
        {
            let select = event_target::<web_sys::HtmlSelectElement>(&ev);
            leptos::task::spawn_local(async move {
                match crate::api::set_mute(id, mute).await {
                    Ok(state) => client.update(|s| {
                        s.mute_changed(id, state.muted);
                        Vec::new()
                    }),
                    Err(e) => {
                        // Nothing changed: the menu says so again.
                        let was = muted.get_untracked().is_some();
                        select.set_value(if was { "muted" } else { "on" });
                        client.notice(e.0);
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = mute;
    };
    let value = move || if muted.get().is_some() { "muted" } else { "on" };
    let label = move || {
        muted.get().map_or_else(
            || "🔔 Notifications on".to_owned(),
            |m| {
                format!(
                    "🔕 {}",
                    format::muted_words(m.until, now_ms(), utc_offset_minutes())
                )
            },
        )
    };
    view! {
        <select class="mute-select" class:is-muted=move || muted.get().is_some()
            data-testid="mute" aria-label="Notifications for this conversation"
            title="Muted: its messages do not ring the bell or pop up, and its unread count leaves the total; a mention of you still rings"
            on:change=choose prop:value=value>
            <option value="muted" hidden=move || muted.get().is_none()>{label}</option>
            <option value="on">{move || if muted.get().is_some() { "🔔 Unmute" } else { "🔔 Notifications on" }}</option>
            <option value="1h">"🔕 Mute for 1 hour"</option>
            <option value="8h">"🔕 Mute for 8 hours"</option>
            <option value="1w">"🔕 Mute for a week"</option>
            <option value="always">"🔕 Mute until I unmute"</option>
        </select>
    }
}
