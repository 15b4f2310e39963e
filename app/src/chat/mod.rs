//! The chat view of one conversation (`/c/{id}`): its header with presence and who is here,
//! the history ([`messages`], one [`message`] per line), who is typing, the [`composer`] and
//! the [`members`] list and the [`mute`] menu.
//!
//! Each part reads only the slices of the client state it shows, so incoming events never
//! rebuild the conversation: a draft, an edit in progress, the scroll position and an open
//! member list survive them.

mod composer;
mod members;
mod message;
mod messages;
mod mute;
mod rows;

use crate::client::{format, ChatClient, Slice};
use crate::ui::{now_ms, param_id, PresenceDot};
use composer::Composer;
use leptos::prelude::*;
use leptos_router::components::A;
use members::Members;
use messages::MessageList;
use mute::MuteMenu;
use protocol::{ConversationId, MessageId};

/// The message being edited, shared by the list (which starts an edit) and the composer.
pub(crate) type Editing = RwSignal<Option<(MessageId, String)>>;

/// `/c/{id}`.
#[component]
pub fn ChatPane() -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let id = param_id::<ConversationId>("id");
    let known = Memo::new(move |_| {
        id.get()
            .is_some_and(|id| client.read(Slice::List, |s| s.conversations.contains_key(&id)))
    });
    // Open the conversation once it is known (the list may still be loading after a reload).
    Effect::new(move |_| {
        if let (Some(id), true) = (id.get(), known.get()) {
            client.open(id);
        }
    });
    let still_loading = move || client.read(Slice::List, |s| s.conversations.is_empty());
    let shown = move || id.get().filter(|_| known.get());
    // Keyed by id: another conversation gets new elements (member list closed, its own
    // composer and scroll position) instead of having the previous ones patched in place.
    view! {
        <For each=move || shown().into_iter() key=|id| *id let:id>
            <Conversation id/>
        </For>
        {move || shown().is_none().then(|| view! {
            <div class="empty pane-body">
                <p class="muted">{move || if still_loading() { "Loading…" } else { "This conversation is not available." }}</p>
                <A href="/">"Back to conversations"</A>
            </div>
        })}
    }
}

#[component]
fn Conversation(id: ConversationId) -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let editing: Editing = RwSignal::new(None);
    let conv = Slice::Conversation(id);
    let title = Memo::new(move |_| {
        client.read(conv, |s| {
            s.conversations
                .get(&id)
                .map(|c| s.title(&c.info))
                .unwrap_or_default()
        })
    });
    let partner = Memo::new(move |_| {
        client.read(conv, |s| {
            s.conversations
                .get(&id)
                .and_then(|c| s.partner(&c.info))
                .map(|p| p.id)
        })
    });
    let description = Memo::new(move |_| {
        client.read(conv, |s| {
            s.conversations
                .get(&id)
                .and_then(|c| c.info.description.clone())
        })
    });
    let members = Memo::new(move |_| {
        client.read(conv, |s| {
            s.conversations.get(&id).map_or(0, |c| c.info.members.len())
        })
    });
    let partner_presence = Memo::new(move |_| {
        partner
            .get()
            .and_then(|p| client.read(Slice::Presence, |s| s.presence_of(p)))
    });
    // I blocked the partner of this direct conversation: no composer, a way to unblock.
    let blocked = Memo::new(move |_| {
        partner
            .get()
            .is_some_and(|p| client.read(conv, |s| s.blocked.contains(&p)))
    });
    let unblock = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(p) = partner.get_untracked() {
            leptos::task::spawn_local(async move {
                // The server tells every session of mine (`blocks_changed`).
                if let Err(e) = crate::api::set_block(p, false).await {
                    client.notice(e.0);
                }
            });
        }
    };
    let subtitle = move || match partner.get() {
        Some(_) if blocked.get() => "blocked".to_owned(),
        Some(_) => format::presence_words(partner_presence.get(), now_ms()),
        None => format!("{} members", members.get()),
    };
    let here = move || client.read(Slice::Activity, |s| s.viewers_line(id));
    let typing = move || {
        client
            .read(Slice::Activity, |s| s.typing_line(id))
            .unwrap_or_default()
    };
    let dot = Signal::derive(move || partner_presence.get().map(|(status, _)| status));
    view! {
        <section class="chat" aria-label=title>
            <header class="chat-header">
                <A href="/" attr:class="back" attr:aria-label="Back to conversations">"←"</A>
                <div class="chat-title">
                    <h2 data-testid="chat-title">{title}</h2>
                    <span class="muted" data-testid="chat-presence">
                        {move || partner.get().map(|_| view! { <PresenceDot status=dot/> " " })}
                        {subtitle}
                    </span>
                    {move || partner.get().map(|p| view! {
                        " · "
                        <A href=format!("/u/{p}") attr:class="small-link" attr:data-testid="partner-profile">"Profile"</A>
                    })}
                    {move || here().map(|line| view! {
                        <span class="here muted" data-testid="viewers">" · "{line}</span>
                    })}
                    {move || description.get().map(|about| {
                        let full = about.clone();
                        view! {
                            <p class="about muted" data-testid="chat-description" title=full>{about}</p>
                        }
                    })}
                </div>
                <MuteMenu id/>
                <Members id/>
            </header>
            <MessageList id editing/>
            <p class="typing muted" data-testid="typing" aria-live="polite">{typing}</p>
            {move || if blocked.get() {
                view! {
                    <div class="blocked-bar" data-testid="blocked-bar">
                        <span>"You blocked " {title.get()} ". Neither of you can message the other."</span>
                        <button class="secondary small" data-testid="unblock" on:click=unblock>"Unblock"</button>
                    </div>
                }.into_any()
            } else {
                view! { <Composer id editing/> }.into_any()
            }}
        </section>
    }
}
