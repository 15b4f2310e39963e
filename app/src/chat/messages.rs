//! The history of one conversation: rows in order (membership lines and my pending sends placed
//! where they happened), older pages loaded on scrolling up, and the view kept at the newest
//! message unless the user scrolled away.

use super::message::MessageRow;
use super::rows::{JumpTo, Row};
use super::Editing;
use crate::client::{Action, ChatClient, Slice};
use leptos::html;
use leptos::prelude::*;
use protocol::ConversationId;

/// The scrolling list of one conversation.
#[component]
pub fn MessageList(id: ConversationId, editing: Editing) -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let jump = JumpTo(RwSignal::new(None));
    provide_context(jump);
    // `?m=SEQ` (a search result) opens the conversation at that message.
    let query = leptos_router::hooks::use_query_map();
    Effect::new(move |_| {
        if let Some(seq) = query.read().get("m").and_then(|m| m.parse().ok()) {
            jump.0.set(Some(seq));
        }
    });
    let conv = Slice::Conversation(id);
    let list = NodeRef::<html::Div>::new();
    let stick_to_bottom = StoredValue::new(true);
    let loading_older = RwSignal::new(false);
    let rows = move || client.read(conv, |s| Row::build(s, id));
    let has_older = Memo::new(move |_| {
        client.read(conv, |s| {
            s.conversations.get(&id).is_some_and(|c| c.has_older)
        })
    });
    let is_empty = Memo::new(move |_| {
        client.read(conv, |s| {
            s.conversations.get(&id).is_some_and(|c| c.is_empty())
        })
    });

    let load_older = move || {
        if loading_older.get_untracked() {
            return;
        }
        let before = client
            .peek(|s| s.conversations.get(&id).and_then(|c| c.min_seq()))
            .flatten();
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
        let count = client.read(conv, |s| {
            s.conversations
                .get(&id)
                .map_or(0, |c| c.messages.len() + c.pending.len() + c.system.len())
        });
        if previous == Some(count) {
            return count;
        }
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
    // A quote was clicked: load older pages until its message is there, then show it.
    Effect::new(move |_| {
        let Some(seq) = jump.0.get() else {
            return;
        };
        let (loaded, older) = client.read(conv, |s| {
            s.conversations.get(&id).map_or((false, false), |c| {
                (c.messages.contains_key(&seq), c.has_older)
            })
        });
        if loaded {
            jump.0.set(None);
            request_animation_frame(move || {
                let Some(Some(el)) = list.try_get_untracked() else {
                    return;
                };
                let selector = format!("[data-seq=\"{seq}\"]");
                if let Ok(Some(row)) = el.query_selector(&selector) {
                    stick_to_bottom.set_value(false);
                    row.scroll_into_view();
                    let _ = row.class_list().add_1("highlight");
                    // Highlighted long enough to be found, then plain again.
                    set_timeout(
                        move || {
                            let _ = row.class_list().remove_1("highlight");
                        },
                        std::time::Duration::from_secs(3),
                    );
                }
            });
        } else if older {
            load_older();
        } else {
            jump.0.set(None);
        }
    });
    let on_scroll = move |_| {
        let Some(el) = list.get_untracked() else {
            return;
        };
        stick_to_bottom.set_value(el.scroll_top() + el.client_height() >= el.scroll_height() - 40);
        if el.scroll_top() < 40 && has_older.get_untracked() {
            load_older();
        }
    };
    view! {
        <div class="messages" node_ref=list on:scroll=on_scroll data-testid="messages" tabindex="0"
            aria-label="Messages">
            {move || has_older.get().then(|| view! {
                <button class="link load-older" on:click=move |_| load_older()>"Load older messages"</button>
            })}
            {move || is_empty.get().then(|| view! {
                <p class="empty-conversation muted" data-testid="empty-conversation">
                    "No messages yet. Say hello!"
                </p>
            })}
            <ol>
                <For each=rows key=|row| row.key() let:row>
                    <MessageRow row editing/>
                </For>
            </ol>
        </div>
    }
}
