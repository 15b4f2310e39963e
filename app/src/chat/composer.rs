//! The message box: one draft per conversation (kept while switching), editing one of my
//! messages, the length limit shown as a count (never a silent cut), and typing signals.

use super::Editing;
use crate::client::state::UploadState;
use crate::client::typing::{Typing, TypingThrottle};
use crate::client::{format, ChatClient, Slice};
use crate::ui::now_ms;
use leptos::html;
use leptos::prelude::*;
use protocol::{ClientEvent, ConversationId};

/// A chosen file (a browser object: lives on this thread only).
#[derive(Clone)]
struct FileHandle(#[cfg(feature = "hydrate")] web_sys::File);

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
    // Files for the next message: (key, name, size, sent, failed reason, done).
    let uploads = Memo::new(move |_| {
        client.read(Slice::Conversation(id), |s| {
            s.conversations
                .get(&id)
                .map(|c| {
                    c.uploads
                        .iter()
                        .map(|u| {
                            let failed = match &u.state {
                                UploadState::Failed(why) => Some(why.clone()),
                                _ => None,
                            };
                            let done = matches!(u.state, UploadState::Done(_));
                            (u.key, u.name.clone(), u.size, u.sent, failed, done)
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    // A message never goes with a file half uploaded.
    let waiting = move || uploads.with(|list| list.iter().any(|u| !u.5));
    let has_files = move || uploads.with(|list| !list.is_empty());
    // The chosen files, kept to try a failed upload again.
    let chosen = StoredValue::new_local(std::collections::HashMap::<u64, FileHandle>::new());
    let file_input = NodeRef::<html::Input>::new();
    let next_key = StoredValue::new(0u64);
    let pick = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let Some(el) = file_input.get_untracked() else {
                return;
            };
            let Some(files) = el.files() else { return };
            for i in 0..files.length() {
                let Some(file) = files.get(i) else { continue };
                next_key.update_value(|k| *k += 1);
                let key = next_key.get_value();
                chosen.update_value(|m| {
                    m.insert(key, FileHandle(file.clone()));
                });
                crate::client::upload::start(client, id, key, file);
            }
            // The same file can be chosen again.
            el.set_value("");
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (file_input, next_key);
    };
    let retry = move |key: u64| {
        #[cfg(feature = "hydrate")]
        if let Some(file) = chosen.with_value(|m| m.get(&key).map(|f| f.0.clone())) {
            crate::client::upload::start(client, id, key, file);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (key, chosen);
    };
    let remove = move |key: u64| {
        chosen.update_value(|m| {
            m.remove(&key);
        });
        client.update(|s| {
            s.remove_upload(id, key);
            Vec::new()
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = text.get_untracked();
        let editing_now = editing.get_untracked().is_some();
        if too_long() || (body.trim().is_empty() && (editing_now || !has_files())) {
            return;
        }
        if !editing_now && waiting() {
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
                chosen.update_value(|m| m.clear());
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
        {move || has_files().then(|| view! {
            <ul class="uploads" data-testid="uploads" aria-label="Files for the next message">
                <For each=move || uploads.get() key=|u| u.clone() let:u>
                    {
                        let (key, name, size, sent, failed, done) = u;
                        let state = if failed.is_some() { "failed" } else if done { "done" } else { "uploading" };
                        view! {
                            <li class="upload" data-testid="upload" data-state=state>
                                <span class="upload-name">{name.clone()}</span>
                                <progress max=size.max(1) value=sent data-testid="upload-progress"
                                    aria-label=format!("Uploading {name}")></progress>
                                <span class="muted small">{format::file_size(sent)}" / "{format::file_size(size)}</span>
                                {failed.map(|why| view! {
                                    <span class="error">{why}</span>
                                    <button type="button" class="link" data-testid="retry-upload"
                                        on:click=move |_| retry(key)>"Try again"</button>
                                })}
                                <button type="button" class="link" aria-label="Remove this file"
                                    on:click=move |_| remove(key)>"✕"</button>
                            </li>
                        }
                    }
                </For>
            </ul>
        })}
        <form class="composer" on:submit=submit>
            <input type="file" multiple class="visually-hidden" id="composer-file" node_ref=file_input
                data-testid="attach-input" on:change=pick/>
            <label for="composer-file" class="attach" title="Attach pictures or files"
                data-testid="attach" role="button" tabindex="0">"📎"<span class="visually-hidden">"Attach files"</span></label>
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
            <button type="submit" disabled=move || too_long() || (editing.get().is_none() && waiting())
                title=move || waiting().then_some("Waiting for the files to finish uploading")>
                {move || if editing.get().is_some() { "Save" } else { "Send" }}
            </button>
        </form>
    }
}
