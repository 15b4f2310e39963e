//! The browser side of the client: the WebSocket loop (connect with the session cookie,
//! reconnect with backoff), REST fetches requested by the state, and page visibility.

use super::state::{backoff_ms, Action, ConnState, PageKind};
use super::ChatClient;
use crate::api;
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::{futures::WebSocket, Message};
use leptos::prelude::*;
use protocol::{ClientEvent, ClientFrame, PresenceStatus, ServerEvent, ServerFrame};
use wasm_bindgen::prelude::*;

/// Milliseconds a hidden tab waits before setting the user away.
const AWAY_AFTER_HIDDEN_MS: u32 = 15_000;
/// Application ping interval (keeps proxies from idling the socket out and measures latency).
const PING_EVERY_MS: u32 = 20_000;

fn ws_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}/ws", location.host().ok()?))
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// Starts the connection loop and the visibility watcher.
pub fn start(client: ChatClient) {
    watch_visibility(client);
    leptos::task::spawn_local(async move {
        let mut attempt = 0;
        while !client.is_disposed() {
            set_conn(client, ConnState::Connecting);
            if let Some(Ok(ws)) = ws_url().map(|u| WebSocket::open(&u)) {
                connection(client, ws, &mut attempt).await;
            }
            client.set_outbox(None);
            let ended = client
                .peek(|s| matches!(s.conn, ConnState::Ended(_)))
                .unwrap_or(true);
            if ended {
                return;
            }
            let in_ms = backoff_ms(attempt);
            attempt += 1;
            set_conn(client, ConnState::Reconnecting { in_ms });
            gloo_timers::future::TimeoutFuture::new(in_ms).await;
        }
    });
}

fn set_conn(client: ChatClient, conn: ConnState) {
    client.update(|s| {
        s.set_conn(conn);
        Vec::new()
    });
}

async fn connection(client: ChatClient, ws: WebSocket, attempt: &mut u32) {
    let (mut sink, stream) = ws.split();
    let mut stream = stream.fuse();
    let (tx, rx) = futures::channel::mpsc::unbounded::<String>();
    let mut rx = rx.fuse();
    client.set_outbox(Some(tx));
    let mut ticker = gloo_timers::future::IntervalStream::new(PING_EVERY_MS).fuse();
    let mut ping_sent: Option<f64> = None;
    loop {
        if client.is_disposed() {
            let _ = sink.close().await;
            return;
        }
        futures::select! {
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let Ok(frame) = serde_json::from_str::<ServerFrame>(&text) else { continue };
                    match &frame.event {
                        ServerEvent::Authenticated { .. } => *attempt = 0,
                        ServerEvent::Pong { .. } => {
                            if let Some(sent) = ping_sent.take() {
                                let _ = client.latency_ms.try_set(Some(now() - sent));
                            }
                        }
                        _ => {}
                    }
                    client.update(|s| s.apply(frame));
                }
                Some(Ok(Message::Bytes(_))) => {}
                Some(Err(_)) | None => return,
            },
            text = rx.next() => match text {
                Some(text) => {
                    if sink.send(Message::Text(text)).await.is_err() {
                        return;
                    }
                }
                None => return,
            },
            _ = ticker.next() => {
                ping_sent = Some(now());
                let ping = serde_json::to_string(&ClientFrame::new(ClientEvent::Ping)).unwrap_or_default();
                if sink.send(Message::Text(ping)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Performs one action requested by the state.
pub fn perform(client: ChatClient, action: Action) {
    match action {
        Action::Send(frame) => {
            if let Ok(text) = serde_json::to_string(&frame) {
                client.push(text);
            }
        }
        Action::RefreshConversations => leptos::task::spawn_local(async move {
            match api::conversations().await {
                Ok(list) => client.update(|s| s.set_conversations(list)),
                Err(e) => client.notice(e.0),
            }
        }),
        Action::LoadBlocks => leptos::task::spawn_local(async move {
            match api::blocked().await {
                Ok(users) => client.update(|s| s.set_blocked(users.into_iter().map(|u| u.id))),
                Err(e) => client.notice(e.0),
            }
        }),
        Action::OpenNotifications => leptos::task::spawn_local(async move {
            match api::notifications(None).await {
                Ok(list) => client.update(|s| {
                    s.set_notifications(list.notifications, list.unread, list.has_more);
                    Vec::new()
                }),
                Err(e) => client.notice(e.0),
            }
        }),
        Action::OlderNotifications(before) => leptos::task::spawn_local(async move {
            match api::notifications(Some(before)).await {
                Ok(list) => client.update(|s| {
                    s.add_older_notifications(list.notifications, list.has_more);
                    Vec::new()
                }),
                Err(e) => client.notice(e.0),
            }
        }),
        // The server tells every session what was read (`notifications_read`).
        Action::ReadNotification(id) => leptos::task::spawn_local(async move {
            if let Err(e) = api::mark_notification_read(id).await {
                client.notice(e.0);
            }
        }),
        Action::ReadNotificationsUpTo(id) => leptos::task::spawn_local(async move {
            if let Err(e) = api::mark_notifications_read(id).await {
                client.notice(e.0);
            }
        }),
        // The cookie is renewed by the response; the open socket gets the token in band.
        Action::RefreshSession => leptos::task::spawn_local(async move {
            match api::refresh_session().await {
                Ok(session) => {
                    let refresh = ClientFrame::new(ClientEvent::RefreshToken {
                        token: session.token,
                    });
                    if let Ok(text) = serde_json::to_string(&refresh) {
                        client.push(text);
                    }
                }
                Err(e) => client.notice(e.0),
            }
        }),
        Action::FetchLatest(id) => fetch(client, id, None, None, PageKind::Latest),
        Action::FetchOlder {
            conversation,
            before,
        } => fetch(client, conversation, Some(before), None, PageKind::Older),
        Action::FetchAfter {
            conversation,
            after,
        } => fetch(client, conversation, None, Some(after), PageKind::After),
    }
}

fn fetch(
    client: ChatClient,
    id: protocol::ConversationId,
    before: Option<i64>,
    after: Option<i64>,
    kind: PageKind,
) {
    leptos::task::spawn_local(async move {
        match api::messages(id, before, after).await {
            Ok(page) => client.update(|s| s.merge_page(id, page.messages, kind, page.has_more)),
            Err(e) => client.notice(e.0),
        }
    });
}

/// Marks messages read only while the page is visible, and sets the user away when the tab
/// stays hidden (back online when it is shown again).
fn watch_visibility(client: ChatClient) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let auto_away = StoredValue::new(false);
    let doc = document.clone();
    let on_change = Closure::<dyn FnMut()>::new(move || {
        if client.is_disposed() {
            return;
        }
        let visible = !doc.hidden();
        client.update(|s| s.set_visible(visible));
        if visible {
            if auto_away.try_get_value() == Some(true) {
                auto_away.set_value(false);
                client.set_status(PresenceStatus::Online);
            }
            return;
        }
        let doc = doc.clone();
        leptos::task::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(AWAY_AFTER_HIDDEN_MS).await;
            let online = client.peek(|s| s.my_status == PresenceStatus::Online);
            if doc.hidden() && online == Some(true) {
                auto_away.set_value(true);
                client.set_status(PresenceStatus::Away);
            }
        });
    });
    let _ = document
        .add_event_listener_with_callback("visibilitychange", on_change.as_ref().unchecked_ref());
    // The listener lives as long as the page; it checks for disposal itself.
    on_change.forget();
}
