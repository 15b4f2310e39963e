//! One line of the chat: a message (mine with its delivery state and edit/delete buttons), a
//! pending message, or a system line.

use crate::client::state::{Pending, SystemLine};
use crate::client::{format, ChatClient, ChatState, Delivery};
use leptos::prelude::*;
use protocol::{ClientEvent, ConversationId, Message, MessageId};

/// A rendered line, with everything it shows (so a changed line gets a new key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    /// A stored message.
    Message {
        /// The message.
        message: Message,
        /// Sender's display name.
        sender: String,
        /// For my messages, how far it got.
        delivery: Option<Delivery>,
    },
    /// One of my messages not acknowledged yet.
    Pending(ConversationId, Pending),
    /// "Bob joined".
    System(SystemLine),
}

impl Row {
    /// The rows of a conversation, in order.
    pub fn build(state: &ChatState, id: ConversationId) -> Vec<Row> {
        let Some(c) = state.conversations.get(&id) else {
            return Vec::new();
        };
        let mut rows = Vec::with_capacity(c.messages.len() + c.system.len() + c.pending.len());
        let mut system = c.system.iter().peekable();
        for message in c.messages.values() {
            while let Some(line) = system.next_if(|l| l.after_seq < message.seq) {
                rows.push(Row::System(line.clone()));
            }
            let mine = message.sender_id == state.me.id;
            rows.push(Row::Message {
                sender: state.display_name(message.sender_id),
                delivery: mine.then(|| state.delivery(message)),
                message: message.clone(),
            });
        }
        rows.extend(system.cloned().map(Row::System));
        rows.extend(c.pending.iter().cloned().map(|p| Row::Pending(id, p)));
        rows
    }

    /// A key that changes whenever the row's content does.
    pub fn key(&self) -> String {
        match self {
            Row::Message {
                message: m,
                delivery,
                sender,
            } => {
                format!(
                    "m{}:{:?}:{}:{:?}:{sender}",
                    m.id, m.edited_at, m.deleted, delivery
                )
            }
            Row::Pending(_, p) => format!("p{}:{:?}", p.temp_id, p.failed),
            Row::System(line) => format!("s{}", line.key),
        }
    }
}

/// One line.
#[component]
pub fn MessageRow(row: Row, editing: RwSignal<Option<(MessageId, String)>>) -> impl IntoView {
    let client = expect_context::<ChatClient>();
    match row {
        Row::System(line) => {
            view! { <li class="system muted" data-testid="system-line">{line.text}</li> }.into_any()
        }
        Row::Pending(conversation, pending) => {
            let temp_id = pending.temp_id.clone();
            let failed = pending.failed.clone();
            view! {
                <li class="message mine pending" data-testid="message" data-state="pending">
                    <p class="body">{pending.body}</p>
                    <span class="meta">
                        {match failed {
                            Some(why) => view! {
                                <span class="error">"Not sent: "{why}" "</span>
                                <button class="link" on:click=move |_| {
                                    let _ = client.state.try_update(|s| s.discard(conversation, &temp_id));
                                }>"Dismiss"</button>
                            }.into_any(),
                            None => view! { <span data-testid="delivery">{Delivery::Pending.label()}</span> }.into_any(),
                        }}
                    </span>
                </li>
            }
            .into_any()
        }
        Row::Message {
            message,
            sender,
            delivery,
        } => {
            let mine = delivery.is_some();
            let id = message.id;
            let body = message.body.clone();
            let time = format::clock(message.created_at, super::view::utc_offset_minutes());
            let state = delivery.map(|d| d.label());
            view! {
                <li class="message" class:mine=mine class:deleted=message.deleted data-testid="message"
                    data-seq=message.seq data-state=state.unwrap_or("received")>
                    {(!mine).then(|| view! { <span class="sender">{sender}</span> })}
                    <p class="body">
                        {if message.deleted { "This message was deleted".to_owned() } else { message.body.clone() }}
                    </p>
                    <span class="meta muted">
                        <time>{time}</time>
                        {message.edited_at.filter(|_| !message.deleted).map(|_| " · edited")}
                        {state.map(|s| view! { " · " <span data-testid="delivery">{s}</span> })}
                        {(mine && !message.deleted).then(|| view! {
                            <button class="link" aria-label="Edit message"
                                on:click=move |_| editing.set(Some((id, body.clone())))>"Edit"</button>
                            <button class="link" aria-label="Delete message"
                                on:click=move |_| client.send(ClientEvent::DeleteMessage { message_id: id })>"Delete"</button>
                        })}
                    </span>
                </li>
            }
            .into_any()
        }
    }
}
