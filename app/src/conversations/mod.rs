//! The conversation list, the forms that start conversations, and message search.

mod new;
mod search;

use crate::client::{format, ChatClient, Slice};
use crate::ui::{now_ms, utc_offset_minutes, PresenceDot};
use leptos::prelude::*;
use leptos_router::components::A;
use new::{NewDirect, NewGroup};
use search::MessageSearch;

/// Every conversation with its preview, time, unread count (grey when muted) and, for direct
/// ones, presence.
#[component]
pub fn ConversationList() -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let rows = move || {
        client.read(Slice::List, |s| {
            s.sorted()
                .into_iter()
                .map(|c| {
                    let id = c.info.id;
                    let partner = s.partner(&c.info).map(|p| p.id);
                    let preview = c.info.last_message.as_ref().map(|m| {
                        let who = if m.sender_id == s.me.id {
                            "You: ".to_owned()
                        } else {
                            String::new()
                        };
                        let body = if m.deleted {
                            "message deleted".into()
                        } else if s.blocked.contains(&m.sender_id) {
                            "a message from someone you blocked".into()
                        } else {
                            m.preview()
                        };
                        (format!("{who}{body}"), m.created_at)
                    });
                    (
                        id,
                        s.title(&c.info),
                        partner,
                        preview,
                        (c.info.unread, c.info.unread_mentions),
                        s.mute_of(id, now_ms()).is_some(),
                        s.active == Some(id),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="sidebar-tools">
            <NewDirect/>
            <NewGroup/>
            <MessageSearch/>
        </div>
        <ul class="conversations">
            <For each=rows key=|row| row.clone() let:row>
                {
                    let (id, title, partner, preview, (unread, mentions), muted, active) = row;
                    let status = Signal::derive(move || partner.and_then(|p| client.read(Slice::Presence, |s| s.presence_of(p).map(|(status, _)| status))));
                    let (text, at) = preview.map_or((String::from("No messages yet"), None), |(t, at)| (t, Some(at)));
                    view! {
                        <li class:active=active data-testid="conversation">
                            <A href=format!("/c/{id}")>
                                <span class="avatar">
                                    {title.chars().next().unwrap_or('?').to_uppercase().to_string()}
                                    {partner.map(|_| view! { <PresenceDot status/> })}
                                </span>
                                <span class="summary">
                                    <span class="row">
                                        <strong class="title" data-testid="conversation-title">{title.clone()}</strong>
                                        {muted.then(|| view! {
                                            <span class="muted-icon" data-testid="muted" role="img" aria-label="Muted" title="Muted">"🔕"</span>
                                        })}
                                        <time class="muted">{at.map(|at| format::clock(at, utc_offset_minutes()))}</time>
                                    </span>
                                    <span class="row">
                                        <span class="preview muted" data-testid="preview">{text}</span>
                                        {(mentions > 0).then(|| view! {
                                            <span class="count mention" data-testid="mention" role="img"
                                                title="You were mentioned"
                                                aria-label=format!("{mentions} unread mentions of you")>"@"</span>
                                        })}
                                        {(unread > 0).then(|| view! {
                                            <span class="count" class:quiet=muted data-testid="unread" role="img" aria-label=format!("{unread} unread")>{unread}</span>
                                        })}
                                    </span>
                                </span>
                            </A>
                        </li>
                    }
                }
            </For>
        </ul>
    }
}
