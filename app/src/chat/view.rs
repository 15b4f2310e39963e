//! The chat view of one conversation: history (older pages on scroll up), live messages with
//! delivery states, typing line, composer with editing, and the member list with presence.

use super::message::{MessageRow, Row};
use crate::client::{format, Action, ChatClient};
use crate::conversations::PresenceDot;
use leptos::html;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use protocol::{ClientEvent, ConversationId, MessageId, PresenceStatus};

/// Minutes to add to UTC for local clock times.
pub fn utc_offset_minutes() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        -(js_sys::Date::new_0().get_timezone_offset() as i64)
    }
    #[cfg(not(feature = "hydrate"))]
    0
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    0
}

/// A user's presence in words: "online", "away (went away 5 min ago)", "last seen 5 min ago".
fn presence_words(status: PresenceStatus, last_seen: Option<i64>) -> String {
    match (status, last_seen) {
        (PresenceStatus::Online, _) => "online".into(),
        (PresenceStatus::Away, Some(at)) => {
            format!("away (went away {})", format::ago(at, now_ms()))
        }
        (PresenceStatus::Away, None) => "away".into(),
        (PresenceStatus::Offline, Some(at)) => format!("last seen {}", format::ago(at, now_ms())),
        (PresenceStatus::Offline, None) => "offline".into(),
    }
}

/// `/c/{id}`.
#[component]
pub fn ChatPane() -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<ConversationId>().ok())
    });
    // Open the conversation once it is known (the list may still be loading after a reload).
    Effect::new(move |_| {
        if let Some(id) = id.get() {
            if client
                .state
                .with(|s| s.conversations.contains_key(&id) && s.active != Some(id))
            {
                client.open(id);
            }
        }
    });
    move || {
        match id.get() {
        Some(id) if client.state.with(|s| s.conversations.contains_key(&id)) => view! { <Conversation id/> }.into_any(),
        _ => view! {
            <div class="empty pane-body">
                <p class="muted">{move || if client.state.with(|s| s.conversations.is_empty()) { "Loading…" } else { "This conversation is not available." }}</p>
                <A href="/">"Back to conversations"</A>
            </div>
        }
        .into_any(),
    }
    }
}

#[component]
fn Conversation(id: ConversationId) -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let editing = RwSignal::new(None::<(MessageId, String)>);
    let title = move || {
        client.state.with(|s| {
            s.conversations
                .get(&id)
                .map(|c| s.title(&c.info))
                .unwrap_or_default()
        })
    };
    let partner = move || {
        client.state.with(|s| {
            s.conversations
                .get(&id)
                .and_then(|c| s.partner(&c.info))
                .map(|p| p.id)
        })
    };
    let subtitle = move || {
        client.state.with(|s| match partner() {
            Some(p) => presence_words(
                s.status_of(p),
                s.presence.get(&p).and_then(|x| x.last_seen_at),
            ),
            None => s
                .conversations
                .get(&id)
                .map(|c| format!("{} members", c.info.members.len()))
                .unwrap_or_default(),
        })
    };
    let partner_status = Signal::derive(move || {
        partner().map_or(PresenceStatus::Offline, |p| {
            client.state.with(|s| s.status_of(p))
        })
    });
    view! {
        <section class="chat" aria-label=title>
            <header class="chat-header">
                <A href="/" attr:class="back" attr:aria-label="Back to conversations">"←"</A>
                <div class="chat-title">
                    <h2 data-testid="chat-title">{title}</h2>
                    <span class="muted" data-testid="chat-presence">
                        {move || partner().map(|_| view! { <PresenceDot status=partner_status/> " " })}
                        {subtitle}
                    </span>
                </div>
                <Members id/>
            </header>
            <MessageList id editing/>
            <p class="typing muted" data-testid="typing" aria-live="polite">
                {move || client.state.with(|s| s.typing_line(id)).unwrap_or_default()}
            </p>
            <Composer id editing/>
        </section>
    }
}

#[component]
fn MessageList(
    id: ConversationId,
    editing: RwSignal<Option<(MessageId, String)>>,
) -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let list = NodeRef::<html::Div>::new();
    let stick_to_bottom = StoredValue::new(true);
    let loading_older = RwSignal::new(false);
    let rows = move || client.state.with(|s| Row::build(s, id));
    let has_older = move || {
        client
            .state
            .with(|s| s.conversations.get(&id).is_some_and(|c| c.has_older))
    };

    let load_older = move || {
        if loading_older.get_untracked() {
            return;
        }
        let before = client
            .state
            .with_untracked(|s| s.conversations.get(&id).and_then(|c| c.min_seq()));
        if let Some(before) = before {
            loading_older.set(true);
            stick_to_bottom.set_value(false);
            client.run(vec![Action::FetchOlder {
                conversation: id,
                before,
            }]);
        }
    };
    // New rows: keep the view pinned to the newest message unless the user scrolled up.
    Effect::new(move |previous: Option<usize>| {
        let count = client.state.with(|s| {
            s.conversations
                .get(&id)
                .map_or(0, |c| c.messages.len() + c.pending.len() + c.system.len())
        });
        loading_older.set(false);
        if stick_to_bottom.get_value() || previous.is_none() {
            // After the browser has laid out the new rows; the list may be gone by then.
            request_animation_frame(move || {
                if let Some(Some(el)) = list.try_get_untracked() {
                    el.set_scroll_top(el.scroll_height());
                }
            });
        }
        count
    });
    let on_scroll = move |_| {
        let Some(el) = list.get_untracked() else {
            return;
        };
        stick_to_bottom.set_value(el.scroll_top() + el.client_height() >= el.scroll_height() - 40);
        if el.scroll_top() < 40 && has_older() {
            load_older();
        }
    };
    view! {
        <div class="messages" node_ref=list on:scroll=on_scroll data-testid="messages" tabindex="0"
            aria-label="Messages">
            {move || has_older().then(|| view! {
                <button class="link load-older" on:click=move |_| load_older()>"Load older messages"</button>
            })}
            <ol>
                <For each=rows key=|row| row.key() let:row>
                    <MessageRow row editing/>
                </For>
            </ol>
        </div>
    }
}

#[component]
fn Composer(id: ConversationId, editing: RwSignal<Option<(MessageId, String)>>) -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let text = RwSignal::new(String::new());
    let last_typing = StoredValue::new(0i64);
    let input = NodeRef::<html::Input>::new();

    // Entering edit mode puts the message in the box.
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
        let now = now_ms();
        if text.get_untracked().trim().is_empty() {
            if last_typing.get_value() != 0 {
                last_typing.set_value(0);
                client.send(ClientEvent::TypingStop {
                    conversation_id: id,
                });
            }
        } else if now - last_typing.get_value() > 2_000 {
            last_typing.set_value(now);
            client.send(ClientEvent::TypingStart {
                conversation_id: id,
            });
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = text.get_untracked();
        if body.trim().is_empty() {
            return;
        }
        match editing.get_untracked() {
            Some((message_id, _)) => {
                client.send(ClientEvent::EditMessage {
                    message_id,
                    body: body.trim().to_owned(),
                });
                editing.set(None);
            }
            None => {
                last_typing.set_value(0);
                client.update(|s| s.send_text(id, body));
            }
        }
        text.set(String::new());
    };
    let cancel = move |_| {
        editing.set(None);
        text.set(String::new());
    };
    view! {
        <form class="composer" on:submit=submit>
            {move || editing.get().map(|_| view! {
                <span class="editing muted">"Editing"
                    <button type="button" class="link" on:click=cancel>"Cancel"</button>
                </span>
            })}
            <label class="visually-hidden" for="composer-input">"Message"</label>
            <input id="composer-input" node_ref=input autocomplete="off" maxlength="4000"
                placeholder="Write a message…" bind:value=text on:input=on_input/>
            <button type="submit">{move || if editing.get().is_some() { "Save" } else { "Send" }}</button>
        </form>
    }
}

#[component]
fn Members(id: ConversationId) -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let members = move || {
        client.state.with(|s| {
            s.conversations
                .get(&id)
                .map(|c| {
                    c.info
                        .members
                        .iter()
                        .map(|m| {
                            let status = s.status_of(m.id);
                            let seen = s.presence.get(&m.id).and_then(|p| p.last_seen_at);
                            let me = m.id == s.me.id;
                            (
                                m.id,
                                m.display_name.clone(),
                                status,
                                presence_words(status, seen),
                                me,
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        <details class="members" data-testid="members">
            <summary>{move || format!("Members ({})", members().len())}</summary>
            <ul>
                <For each=members key=|m| m.clone() let:member>
                    {
                        let (_, name, status, words, me) = member;
                        view! {
                            <li>
                                <PresenceDot status=Signal::stored(status)/>
                                <span>{name}{me.then_some(" (you)")}</span>
                                <span class="muted">{words}</span>
                            </li>
                        }
                    }
                </For>
            </ul>
        </details>
    }
}
