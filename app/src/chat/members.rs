//! The member list of a conversation with each member's presence and role (owner, admin);
//! the owner names admins here. It belongs to one conversation: opening another starts with it
//! closed.

use crate::client::{format, ChatClient, Slice};
use crate::ui::{now_ms, PresenceDot};
use leptos::prelude::*;
use protocol::{ConversationId, UserId};

/// A member's role in a group, in words.
fn role(info: &protocol::Conversation, user: UserId) -> Option<&'static str> {
    if info.owner_id == Some(user) {
        Some("owner")
    } else if info.admins.contains(&user) {
        Some("admin")
    } else {
        None
    }
}

/// The "Members (n)" disclosure.
#[component]
pub fn Members(id: ConversationId) -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let members = move || {
        let list = client.read(Slice::Conversation(id), |s| {
            s.conversations
                .get(&id)
                .map(|c| {
                    let owner = c.info.owner_id == Some(s.me.id);
                    c.info
                        .members
                        .iter()
                        .map(|m| {
                            let role = role(&c.info, m.id);
                            // The owner may name (or unname) anyone else an admin.
                            let can_name = owner && m.id != s.me.id;
                            (
                                m.id,
                                m.display_name.clone(),
                                m.id == s.me.id,
                                role,
                                can_name,
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        });
        client.read(Slice::Presence, |s| {
            list.into_iter()
                .map(|(user, name, me, role, can_name)| {
                    let presence = s.presence_of(user);
                    let words = format::presence_words(presence, now_ms());
                    let status = presence.map(|(status, _)| status);
                    (user, name, status, words, me, role, can_name)
                })
                .collect::<Vec<_>>()
        })
    };
    let set_admin = move |user: UserId, admin: bool| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            // Every member (me included) gets `conversation_updated` with the new roles.
            if let Err(e) = crate::api::set_admin(id, user, admin).await {
                client.notice(e.0);
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (user, admin);
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
                        let (user, name, status, words, me, role, can_name) = member;
                        let admin = role == Some("admin");
                        view! {
                            <li>
                                <PresenceDot status=Signal::stored(status)/>
                                <span>{name}{me.then_some(" (you)")}</span>
                                {role.map(|r| view! { <span class="role" data-testid="role">{r}</span> })}
                                <span class="muted">{words}</span>
                                {can_name.then(|| view! {
                                    <button class="link small" data-testid="toggle-admin"
                                        on:click=move |_| set_admin(user, !admin)>
                                        {if admin { "Remove admin" } else { "Make admin" }}
                                    </button>
                                })}
                            </li>
                        }
                    }
                </For>
            </ul>
        </details>
    }
}
