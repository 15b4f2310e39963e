//! The member list of a conversation with each member's presence. It belongs to one
//! conversation: opening another starts with it closed.

use crate::client::{format, ChatClient, Slice};
use crate::ui::{now_ms, PresenceDot};
use leptos::prelude::*;
use protocol::ConversationId;

/// The "Members (n)" disclosure.
#[component]
pub fn Members(id: ConversationId) -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let members = move || {
        let list = client.read(Slice::Conversation(id), |s| {
            s.conversations
                .get(&id)
                .map(|c| {
                    c.info
                        .members
                        .iter()
                        .map(|m| (m.id, m.display_name.clone(), m.id == s.me.id))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        });
        client.read(Slice::Presence, |s| {
            list.into_iter()
                .map(|(user, name, me)| {
                    let presence = s.presence_of(user);
                    let words = format::presence_words(presence, now_ms());
                    (user, name, presence.map(|(status, _)| status), words, me)
                })
                .collect::<Vec<_>>()
        })
    };
    let count = Memo::new(move |_| {
        client.read(Slice::Conversation(id), |s| {
            s.conversations.get(&id).map_or(0, |c| c.info.members.len())
        })
    });
    let details = NodeRef::<leptos::html::Details>::new();
    let close_on_escape = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            if let Some(el) = details.get_untracked() {
                el.set_open(false);
            }
        }
    };
    view! {
        <details class="members" data-testid="members" node_ref=details on:keydown=close_on_escape>
            <summary>{move || format!("Members ({})", count.get())}</summary>
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
