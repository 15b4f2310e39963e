//! The history of one conversation: rows in order (membership lines and my pending sends placed
//! where they happened), older pages loaded on scrolling up, and the view kept at the newest
//! message unless the user scrolled away.

use super::message::MessageRow;
use super::Editing;
use crate::client::state::{Pending, SystemLine};
use crate::client::{Action, ChatClient, ChatState, Slice};
use leptos::html;
use leptos::prelude::*;
use protocol::{ConversationId, Message};

/// A rendered line, with everything it shows (so a changed line gets a new key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    /// A stored message.
    Message {
        /// The message.
        message: Message,
        /// Sender's display name.
        sender: String,
        /// Whether I sent it (its delivery state is shown, and it can be edited).
        mine: bool,
        /// The display name of the author of the message it answers.
        quoted: Option<String>,
        /// Where its text mentions a member (the `@username` and who), to link them.
        links: Vec<(std::ops::Range<usize>, protocol::UserId)>,
    },
    /// One of my messages not acknowledged yet.
    Pending(ConversationId, Pending),
    /// "Dave joined the group".
    System(SystemLine),
}

/// The `@username`s of a message that name a member it mentions, with who they are.
fn mention_links(
    message: &Message,
    members: &[protocol::User],
) -> Vec<(std::ops::Range<usize>, protocol::UserId)> {
    if message.mentions.is_empty() {
        return Vec::new();
    }
    protocol::mention_spans(&message.body)
        .into_iter()
        .filter_map(|(range, name)| {
            let user = members.iter().find(|u| u.username == name)?;
            message
                .mentions
                .contains(&user.id)
                .then_some((range, user.id))
        })
        .collect()
}

impl Row {
    /// The rows of a conversation, in order: membership lines and pending sends go after the
    /// message that was newest when they happened.
    pub fn build(state: &ChatState, id: ConversationId) -> Vec<Row> {
        let Some(c) = state.conversations.get(&id) else {
            return Vec::new();
        };
        let mut rows = Vec::with_capacity(c.messages.len() + c.system.len() + c.pending.len());
        let mut system = c.system.iter().peekable();
        let mut pending = c.pending.iter().peekable();
        for message in c.messages.values() {
            while let Some(line) = system.next_if(|l| l.after_seq < message.seq) {
                rows.push(Row::System(line.clone()));
            }
            while let Some(p) = pending.next_if(|p| p.after_seq < message.seq) {
                rows.push(Row::Pending(id, p.clone()));
            }
            rows.push(Row::Message {
                sender: state.display_name(message.sender_id),
                mine: message.sender_id == state.me.id,
                quoted: message
                    .reply_to
                    .as_ref()
                    .map(|q| state.display_name(q.sender_id)),
                links: mention_links(message, &c.info.members),
                message: message.clone(),
            });
        }
        rows.extend(system.cloned().map(Row::System));
        rows.extend(pending.cloned().map(|p| Row::Pending(id, p)));
        rows
    }

    /// A key that changes whenever the row's text does (the delivery state updates in place).
    pub fn key(&self) -> String {
        match self {
            Row::Message {
                message: m, sender, ..
            } => format!(
                "m{}:{:?}:{}:{sender}:{:?}",
                m.id,
                m.edited_at,
                m.deleted,
                m.reply_to.as_ref().map(|q| (&q.excerpt, q.deleted))
            ),
            Row::Pending(_, p) => format!("p{}:{:?}", p.temp_id, p.failed),
            Row::System(line) => format!("s{}", line.key),
        }
    }
}

/// The message a quote's click asks the list to show (by sequence number): older pages are
/// loaded until it is there, then it is scrolled to and highlighted.
#[derive(Clone, Copy)]
pub struct JumpTo(pub RwSignal<Option<protocol::Seq>>);

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
