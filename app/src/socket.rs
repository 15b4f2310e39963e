//! The WebSocket client: connection state, and (in the browser) the connect/reconnect loop.

use protocol::{ServerEvent, SessionId, User};

/// What the user sees about the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnState {
    /// Not connected yet.
    Connecting,
    /// Connected and authenticated.
    Connected {
        /// This session.
        session_id: SessionId,
        /// The server's protocol version.
        protocol_version: u32,
    },
    /// The connection dropped; retrying after a delay (milliseconds).
    Reconnecting {
        /// Milliseconds until the next attempt.
        in_ms: u32,
        /// Why the last connection ended, if known.
        reason: Option<String>,
    },
    /// The server refused the session (signed out, banned); no retry.
    Ended(String),
}

impl ConnState {
    /// A one-line label.
    pub fn label(&self) -> String {
        match self {
            Self::Connecting => "connecting…".into(),
            Self::Connected { .. } => "connected".into(),
            Self::Reconnecting { in_ms, .. } => {
                format!("reconnecting in {}s…", in_ms.div_ceil(1000))
            }
            Self::Ended(why) => format!("disconnected: {why}"),
        }
    }
}

/// Delay before reconnect attempt `attempt` (0-based): exponential from 500 ms, capped at 15 s.
pub fn backoff_ms(attempt: u32) -> u32 {
    500u32.saturating_mul(1 << attempt.min(5)).min(15_000)
}

/// How the state changes on a server event; `None` when the event does not concern the
/// connection itself.
pub fn on_event(event: &ServerEvent) -> Option<ConnState> {
    match event {
        ServerEvent::Authenticated {
            session_id,
            protocol_version,
            ..
        } => Some(ConnState::Connected {
            session_id: *session_id,
            protocol_version: *protocol_version,
        }),
        ServerEvent::Error { code, message } if is_final(*code) => {
            Some(ConnState::Ended(message.clone()))
        }
        _ => None,
    }
}

/// Errors after which reconnecting would not help.
fn is_final(code: protocol::ErrorCode) -> bool {
    use protocol::ErrorCode::*;
    matches!(code, AuthFailed | Kicked)
}

/// The user from an `authenticated` event.
pub fn authenticated_user(event: &ServerEvent) -> Option<&User> {
    match event {
        ServerEvent::Authenticated { user, .. } => Some(user),
        _ => None,
    }
}

#[cfg(feature = "hydrate")]
pub use browser::connect;

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use futures::{SinkExt, StreamExt};
    use gloo_net::websocket::{futures::WebSocket, Message};
    use leptos::prelude::*;
    use protocol::{ClientEvent, ClientFrame, ServerFrame};

    fn ws_url() -> Option<String> {
        let location = web_sys::window()?.location();
        let scheme = if location.protocol().ok()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        Some(format!("{scheme}://{}/ws", location.host().ok()?))
    }

    /// Keeps a connection open (authenticated by the session cookie), reconnecting with
    /// backoff, and hands every server event to `on_frame`. Measures ping round trips.
    pub fn connect(
        state: RwSignal<ConnState>,
        latency_ms: RwSignal<Option<f64>>,
        on_frame: impl Fn(ServerFrame) + 'static,
    ) {
        leptos::task::spawn_local(async move {
            let mut attempt = 0;
            // The loop ends when the component owning `state` is gone (e.g. after sign-out).
            while !state.is_disposed() {
                state.set(ConnState::Connecting);
                let reason = match ws_url().map(|u| WebSocket::open(&u)) {
                    Some(Ok(ws)) => run(ws, state, latency_ms, &on_frame, &mut attempt).await,
                    Some(Err(e)) => Some(e.to_string()),
                    None => Some("no browser window".into()),
                };
                if state.is_disposed() || matches!(state.get_untracked(), ConnState::Ended(_)) {
                    return;
                }
                let in_ms = backoff_ms(attempt);
                attempt += 1;
                state.set(ConnState::Reconnecting { in_ms, reason });
                gloo_timers::future::TimeoutFuture::new(in_ms).await;
            }
        });
    }

    async fn run(
        ws: WebSocket,
        state: RwSignal<ConnState>,
        latency_ms: RwSignal<Option<f64>>,
        on_frame: &impl Fn(ServerFrame),
        attempt: &mut u32,
    ) -> Option<String> {
        let (mut tx, rx) = ws.split();
        let mut rx = rx.fuse();
        let now = || js_sys_now();
        let mut ping_sent: Option<f64> = None;
        let mut ticker = gloo_timers::future::IntervalStream::new(5_000).fuse();
        loop {
            if state.is_disposed() {
                let _ = tx.close().await;
                return None;
            }
            futures::select! {
                message = rx.next() => match message {
                    Some(Ok(Message::Text(text))) => {
                        let Ok(frame) = serde_json::from_str::<ServerFrame>(&text) else { continue };
                        if state.is_disposed() {
                            continue;
                        }
                        if let Some(next) = on_event(&frame.event) {
                            if matches!(next, ConnState::Connected { .. }) {
                                *attempt = 0;
                            }
                            state.set(next);
                        }
                        if matches!(frame.event, ServerEvent::Pong { .. }) {
                            if let Some(sent) = ping_sent.take() {
                                latency_ms.set(Some(now() - sent));
                            }
                        }
                        on_frame(frame);
                    }
                    Some(Ok(Message::Bytes(_))) => {}
                    Some(Err(e)) => return Some(e.to_string()),
                    None => return None,
                },
                _ = ticker.next() => {
                    let ping = serde_json::to_string(&ClientFrame::new(ClientEvent::Ping)).unwrap_or_default();
                    ping_sent = Some(now());
                    if tx.send(Message::Text(ping)).await.is_err() {
                        return Some("the connection dropped".into());
                    }
                }
            }
        }
    }

    fn js_sys_now() -> f64 {
        web_sys::window()
            .and_then(|w| w.performance())
            .map(|p| p.now())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::ErrorCode;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff_ms(0), 500);
        assert_eq!(backoff_ms(1), 1000);
        assert_eq!(backoff_ms(10), 15_000);
    }

    #[test]
    fn kicked_sessions_do_not_reconnect() {
        let event = ServerEvent::error(ErrorCode::Kicked, "signed out");
        assert_eq!(
            on_event(&event),
            Some(ConnState::Ended("signed out".into()))
        );
        let transient = ServerEvent::error(ErrorCode::RateLimited, "slow down");
        assert_eq!(on_event(&transient), None);
    }
}
