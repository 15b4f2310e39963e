//! The bell: a count of unread notifications and, when opened, the newest of them (older ones a
//! click away). Opening one marks it read; "Mark all read" marks the rest.

use crate::client::{format, Action, ChatClient, Slice};
use crate::ui::now_ms;
use leptos::prelude::*;
use leptos_router::components::A;
use protocol::{Notification, NotificationId, NotificationKind};

/// Where a notification leads: the conversation, the post, or the person.
pub fn link(n: &Notification) -> Option<String> {
    match n.kind {
        NotificationKind::AddedToConversation
        | NotificationKind::MessageReceived
        | NotificationKind::MessageReacted
        | NotificationKind::Mentioned => n.conversation_id.map(|c| format!("/c/{c}")),
        NotificationKind::PostLiked | NotificationKind::PostCommented => {
            n.post_id.map(|p| format!("/p/{p}"))
        }
        NotificationKind::Followed => Some(format!("/u/{}", n.actor.id)),
        NotificationKind::RemovedFromConversation | NotificationKind::Test => None,
        // The product's own: where it says.
        NotificationKind::App => n.link.clone(),
    }
}

/// The bell button with its badge and dropdown.
#[component]
pub fn Bell() -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let open = RwSignal::new(false);
    let count = Memo::new(move |_| client.read(Slice::Notifications, |s| s.unread_notifications));
    let toggle = move |_| {
        let now_open = !open.get_untracked();
        open.set(now_open);
        if now_open {
            client.run(vec![Action::OpenNotifications]);
        }
    };
    let items = move || {
        client.read(Slice::Notifications, |s| {
            s.notifications
                .iter()
                .map(|n| {
                    (
                        n.id,
                        format::notification_text(n),
                        n.created_at,
                        n.read,
                        link(n),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    let newest_unread =
        move || client.read(Slice::Notifications, |s| s.newest_unread_notification());
    let oldest_listed = move || {
        client.read(Slice::Notifications, |s| {
            s.older_notifications
                .then(|| s.notifications.iter().map(|n| n.id).min())
                .flatten()
        })
    };
    let mark_all = move |_| {
        if let Some(id) = newest_unread() {
            client.run(vec![Action::ReadNotificationsUpTo(id)]);
        }
    };
    let show_older = move |_| {
        if let Some(id) = oldest_listed() {
            client.run(vec![Action::OlderNotifications(id)]);
        }
    };
    // Opening one reads it (and closes the panel when it leads somewhere).
    let opened = move |id: NotificationId, read: bool, leads: bool| {
        if !read {
            client.run(vec![Action::ReadNotification(id)]);
        }
        if leads {
            open.set(false);
        }
    };
    view! {
        <div class="bell">
            <button class="secondary small" on:click=toggle aria-expanded=move || open.get().to_string()
                aria-label=move || format!("Notifications, {} unread", count.get())>
                <svg aria-hidden="true" width="16" height="16" viewBox="0 0 24 24" fill="none"
                    stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                    <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9"/>
                    <path d="M13.7 21a2 2 0 0 1-3.4 0"/>
                </svg>
                <span class="count" data-testid="bell-count" class:hidden=move || count.get() == 0>{count}</span>
            </button>
            {move || open.get().then(|| view! {
                <div class="bell-panel" role="dialog" aria-label="Notifications" data-testid="notifications">
                    <div class="bell-head">
                        <strong>"Notifications"</strong>
                        <button class="link small" data-testid="mark-all-read" on:click=mark_all
                            disabled=move || newest_unread().is_none()>"Mark all read"</button>
                    </div>
                    {move || items().is_empty().then(|| view! { <p class="muted">"Nothing new."</p> })}
                    <ul>
                        <For each=items key=|n| (n.0, n.1.clone(), n.3) let:n>
                            {
                                let (id, text, at, read, link) = n;
                                view! {
                                    <li class:unread=!read data-testid="notification">
                                        {match link {
                                            Some(href) => view! {
                                                <A href=href on:click=move |_| opened(id, read, true)>{text.clone()}</A>
                                            }.into_any(),
                                            None => view! {
                                                <button class="link" on:click=move |_| opened(id, read, false)>
                                                    {text.clone()}
                                                </button>
                                            }.into_any(),
                                        }}
                                        <span class="muted">{format::ago(at, now_ms())}</span>
                                    </li>
                                }
                            }
                        </For>
                    </ul>
                    {move || oldest_listed().is_some().then(|| view! {
                        <button class="link small" data-testid="older-notifications" on:click=show_older>
                            "Show older"
                        </button>
                    })}
                </div>
            })}
        </div>
    }
}
