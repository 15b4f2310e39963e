//! The message box: one draft per conversation (kept while switching), editing one of my
//! messages, the length limit shown as a count (never a silent cut), and typing signals.

use super::Editing;
use crate::client::typing::{Typing, TypingThrottle};
use crate::client::{format, ChatClient, Slice};
use crate::ui::now_ms;
use leptos::html;
use leptos::prelude::*;
use protocol::{ClientEvent, ConversationId};

/// The composer of one conversation.
#[component]
pub fn Composer(id: ConversationId, editing: Editing) -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let text = RwSignal::new(client.draft(id));
    let throttle = StoredValue::new(TypingThrottle::default());
    let input = NodeRef::<html::Input>::new();
    let max = Memo::new(move |_| client.read(Slice::Me, |s| s.max_message_chars));
    // Counted as the server counts: Unicode scalar values, not UTF-16 units.
    let chars = Memo::new(move |_| text.with(|t| t.trim().chars().count()));
    let too_long = move || chars.get() > max.get();
    let note = move || format::length_note(chars.get(), max.get());

    // Entering edit mode puts the message in the box (the draft waits in the client).
    Effect::new(move |_| {
        if let Some((_, body)) = editing.get() {
            text.set(body);
            if let Some(el) = input.get_untracked() {
                let _ = el.focus();
            }
        }
    });
    let on_input = move |_| {
        if editing.get_untracked().is_some() {
            return;
        }
        let now = text.with_untracked(|t| {
            client.set_draft(id, t);
            throttle
                .try_update_value(|th| th.input(t, now_ms()))
                .flatten()
        });
        match now {
            Some(Typing::Start) => client.send(ClientEvent::TypingStart {
                conversation_id: id,
            }),
            Some(Typing::Stop) => client.send(ClientEvent::TypingStop {
                conversation_id: id,
            }),
            None => {}
        }
    };
    let back_to_draft = move || {
        editing.set(None);
        text.set(client.draft(id));
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = text.get_untracked();
        if body.trim().is_empty() || too_long() {
            return;
        }
        match editing.get_untracked() {
            Some((message_id, _)) => {
                client.send(ClientEvent::EditMessage {
                    message_id,
                    body: body.trim().to_owned(),
                });
                back_to_draft();
            }
            None => {
                throttle.update_value(|t| t.sent());
                client.update(|s| s.send_text(id, body));
                client.set_draft(id, "");
                text.set(String::new());
            }
        }
    };
    // The message being answered, if any: shown above the box, with a way out.
    let replying = move || {
        client.read(Slice::Conversation(id), |s| {
            s.conversations.get(&id).and_then(|c| {
                c.replying_to
                    .as_ref()
                    .map(|q| (s.display_name(q.sender_id), q.excerpt.clone()))
            })
        })
    };
    view! {
        {move || replying().map(|(who, excerpt)| view! {
            <div class="replying" data-testid="replying">
                <span class="muted">"Replying to "</span>
                <strong>{who}</strong>
                <span class="quote-text">{excerpt}</span>
                <button type="button" class="link" aria-label="Cancel the reply"
                    on:click=move |_| client.update(|s| { s.cancel_reply(id); Vec::new() })>"Cancel"</button>
            </div>
        })}
        <form class="composer" on:submit=submit>
            {move || editing.get().map(|_| view! {
                <span class="editing muted">"Editing"
                    <button type="button" class="link" on:click=move |_| back_to_draft()>"Cancel"</button>
                </span>
            })}
            <label class="visually-hidden" for="composer-input">"Message"</label>
            <input id="composer-input" node_ref=input autocomplete="off"
                placeholder="Write a message…" bind:value=text on:input=on_input
                aria-invalid=move || too_long().to_string() aria-describedby="composer-length"/>
            <span id="composer-length" class="length" class:over=too_long data-testid="composer-length"
                aria-live="polite">{note}</span>
            <button type="submit" disabled=too_long>
                {move || if editing.get().is_some() { "Save" } else { "Send" }}
            </button>
        </form>
    }
}
