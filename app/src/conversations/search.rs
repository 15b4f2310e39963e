//! "Search messages": words typed here find messages in all of my conversations, or only the
//! open one (newest first, "Show more" for older ones); a result opens its conversation at that
//! message.

use crate::client::{format, ChatClient, Slice};
use crate::ui::utc_offset_minutes;
use leptos::prelude::*;
use leptos_router::components::A;
use protocol::Message;

/// The search panel in the sidebar.
#[component]
pub fn MessageSearch() -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let query = RwSignal::new(String::new());
    let results = RwSignal::new(Vec::<Message>::new());
    let next = RwSignal::new(None::<String>);
    let searched = RwSignal::new(false);
    // "Only this conversation": the one open now, if any.
    let only_here = RwSignal::new(false);
    let active = Memo::new(move |_| client.read(Slice::List, |s| s.active));
    let scope = move || only_here.get().then(|| active.get()).flatten();
    // One page: the first for a new query, or the one after `before`.
    let fetch = move |q: String, before: Option<String>| {
        let within = scope();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            if q.trim().is_empty() {
                let _ = results.try_set(Vec::new());
                let _ = next.try_set(None);
                let _ = searched.try_set(false);
                return;
            }
            let more = before.is_some();
            match crate::api::search_messages(q.trim(), within, before.as_deref()).await {
                // Only the answer to the latest query counts.
                Ok(page) if query.try_get_untracked().as_deref() == Some(q.as_str()) => {
                    if more {
                        results.update(|r| r.extend(page.messages));
                    } else {
                        let _ = results.try_set(page.messages);
                    }
                    let _ = next.try_set(page.next);
                    let _ = searched.try_set(true);
                }
                Ok(_) => {}
                Err(e) => client.notice(e.0),
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (q, before, within, client, results, next, searched);
    };
    Effect::new(move |_| {
        // A new query, or a new scope, starts again.
        let _ = scope();
        fetch(query.get(), None)
    });
    let row = move |m: Message| {
        let (title, sender) = client
            .peek(|s| {
                let title = s
                    .conversations
                    .get(&m.conversation_id)
                    .map(|c| s.title(&c.info))
                    .unwrap_or_default();
                (title, s.display_name(m.sender_id))
            })
            .unwrap_or_default();
        let time = format::clock(m.created_at, utc_offset_minutes());
        view! {
            <li data-testid="search-result">
                <A href=format!("/c/{}?m={}", m.conversation_id, m.seq)>
                    <span class="row">
                        <strong>{title}</strong>
                        <time class="muted">{time}</time>
                    </span>
                    <span class="muted">{sender}": "{protocol::excerpt(&m.body)}</span>
                </A>
            </li>
        }
    };
    view! {
        <details class="tool" data-testid="message-search">
            <summary>"Search messages"</summary>
            <label for="search-messages">"Search messages"</label>
            <input id="search-messages" type="search" placeholder="Words in a message"
                autocomplete="off" bind:value=query/>
            {move || active.get().map(|_| view! {
                <label class="inline">
                    <input type="checkbox" data-testid="search-here" bind:checked=only_here/>
                    " Only this conversation"
                </label>
            })}
            <ul class="search-results message-results">
                <For each=move || results.get() key=|m| m.id let:m>
                    {row(m)}
                </For>
            </ul>
            {move || (searched.get() && results.with(Vec::is_empty))
                .then(|| view! { <p class="muted" data-testid="no-results">"No messages found"</p> })}
            {move || next.get().map(|cursor| view! {
                <button type="button" class="small" data-testid="more-results"
                    on:click=move |_| fetch(query.get_untracked(), Some(cursor.clone()))>"Show more"</button>
            })}
        </details>
    }
}
