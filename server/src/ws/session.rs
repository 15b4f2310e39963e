//! One WebSocket connection: authentication, then the event loop, then cleanup.
//!
//! Two tasks per connection: this reader (decodes, rate-limits and handles client events in
//! order) and a writer ([`write_loop`]) that drains the bounded outbound queue, sends heartbeats
//! and performs server-initiated closes.

use super::context::{send_error, Context};
use super::handlers;
use crate::auth;
use crate::codec::{decode, encode_event};
use crate::domain::sessions;
use crate::error::AppError;
use crate::hub::{CloseReason, Outbox};
use crate::state::AppState;
use crate::store::now_ms;
use crate::typing::TypingState;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use protocol::{close, ClientEvent, ErrorCode, ServerEvent, SessionId, User};
use std::num::NonZeroU32;
use std::time::Duration;
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit};
use tokio::time::{sleep_until, Instant};

/// Runs a connection to completion. `token` is the one given in the upgrade request, if any.
pub async fn run(
    socket: WebSocket,
    state: AppState,
    token: Option<String>,
    _permit: OwnedSemaphorePermit,
) {
    let (sink, stream) = socket.split();
    let (outbox, frames, close_rx) = Outbox::new(state.config.outbound_queue);
    let writer = tokio::spawn(write_loop(
        sink,
        frames,
        close_rx.clone(),
        state.config.heartbeat(),
    ));
    let mut inbound = Inbound::new(stream, close_rx, &state);

    if let Some(user) = authenticate(&state, &outbox, &mut inbound, token).await {
        let mut cx = start(state, user, outbox.clone()).await;
        run_session(&mut cx, &mut inbound).await;
        let typing_in = cx.typing.clear();
        sessions::close(&cx.state, cx.user.id, cx.id, typing_in).await;
        tracing::debug!(user = %cx.user.id, session = %cx.id, "session ended");
    }
    drop(outbox);
    drop(inbound);
    // Give the writer a moment to flush the close frame; a client that stopped reading
    // cannot hold the task (and its memory) beyond that.
    let mut writer = writer;
    if tokio::time::timeout(Duration::from_secs(2), &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
}

/// What the reader produced next.
enum Next {
    /// A decoded client frame that passed the size and rate limits.
    Frame(protocol::ClientFrame),
    /// A frame that was refused; answer with an error and go on.
    Refused { id: Option<String>, error: AppError },
    /// The deadline given to [`Inbound::next`] passed.
    Deadline,
    /// The connection is over (closed by either side, or idle).
    Closed,
}

/// The receiving half with its limits.
struct Inbound {
    stream: SplitStream<WebSocket>,
    close_rx: watch::Receiver<Option<CloseReason>>,
    limiter: DefaultDirectRateLimiter,
    max_frame_bytes: usize,
    idle_timeout: Duration,
    last_activity: Instant,
}

impl Inbound {
    fn new(
        stream: SplitStream<WebSocket>,
        close_rx: watch::Receiver<Option<CloseReason>>,
        state: &AppState,
    ) -> Self {
        let per_second = NonZeroU32::new(state.config.events_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(state.config.event_burst).unwrap_or(per_second);
        Self {
            stream,
            close_rx,
            limiter: RateLimiter::direct(Quota::per_second(per_second).allow_burst(burst)),
            max_frame_bytes: state.config.max_frame_bytes,
            idle_timeout: state.config.idle_timeout(),
            last_activity: Instant::now(),
        }
    }

    /// Waits for the next client frame, the deadline, or the end of the connection.
    async fn next(&mut self, outbox: &Outbox, deadline: Option<Instant>) -> Next {
        loop {
            let idle_at = self.last_activity + self.idle_timeout;
            let message = tokio::select! {
                biased;
                _ = self.close_rx.changed() => return Next::Closed,
                _ = sleep_until(idle_at) => {
                    outbox.close(CloseReason::new(
                        close::IDLE_TIMEOUT,
                        ErrorCode::IdleTimeout,
                        "no activity within the idle timeout",
                    ));
                    return Next::Closed;
                }
                _ = sleep_until(deadline.unwrap_or(idle_at)), if deadline.is_some() => return Next::Deadline,
                message = self.stream.next() => message,
            };
            self.last_activity = Instant::now();
            let text = match message {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Binary(_))) => {
                    return Next::Refused {
                        id: None,
                        error: AppError::InvalidPayload(
                            "binary frames are not supported; send JSON text".into(),
                        ),
                    }
                }
                // Pings are answered by the WebSocket layer; pongs only count as activity.
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Next::Closed,
            };
            if text.len() > self.max_frame_bytes {
                return Next::Refused {
                    id: None,
                    error: AppError::PayloadTooLarge(format!(
                        "frame of {} bytes exceeds the limit of {} bytes",
                        text.len(),
                        self.max_frame_bytes
                    )),
                };
            }
            if self.limiter.check().is_err() {
                return Next::Refused {
                    id: None,
                    error: AppError::RateLimited,
                };
            }
            return match decode(&text) {
                Ok(frame) => Next::Frame(frame),
                Err(e) => Next::Refused {
                    id: e.id,
                    error: e.error,
                },
            };
        }
    }
}

/// The authentication phase: the upgrade token, or an `authenticate` event before the deadline.
async fn authenticate(
    state: &AppState,
    outbox: &Outbox,
    inbound: &mut Inbound,
    token: Option<String>,
) -> Option<User> {
    let fail = |error: AppError| {
        outbox.close(CloseReason::new(
            close::AUTH_FAILED,
            ErrorCode::AuthFailed,
            error.public_message(),
        ));
        None
    };
    if let Some(token) = token {
        return match auth::authenticate(&state.jwt, &state.store, &token).await {
            Ok(user) => Some(user),
            Err(e @ AppError::AuthFailed(_)) => fail(e),
            Err(e) => {
                send_error(outbox, None, &e);
                outbox.close(CloseReason::new(
                    close::AUTH_FAILED,
                    e.code(),
                    e.public_message(),
                ));
                None
            }
        };
    }
    let deadline = Instant::now() + state.config.auth_timeout();
    loop {
        match inbound.next(outbox, Some(deadline)).await {
            Next::Frame(frame) => match frame.event {
                ClientEvent::Authenticate { token } => {
                    return match auth::authenticate(&state.jwt, &state.store, &token).await {
                        Ok(user) => Some(user),
                        Err(e @ AppError::AuthFailed(_)) => fail(e),
                        Err(e) => {
                            send_error(outbox, frame.id, &e);
                            None
                        }
                    };
                }
                _ => send_error(outbox, frame.id, &AppError::NotAuthenticated),
            },
            Next::Refused { id, error } => send_error(outbox, id, &error),
            Next::Deadline => {
                outbox.close(CloseReason::new(
                    close::AUTH_TIMEOUT,
                    ErrorCode::AuthTimeout,
                    "no authentication within the deadline",
                ));
                return None;
            }
            Next::Closed => return None,
        }
    }
}

/// Registers the session and sends `authenticated` and the unread snapshot.
async fn start(state: AppState, user: User, outbox: Outbox) -> Context {
    let id = SessionId::new();
    let cx = Context {
        typing: TypingState::new(state.config.typing_timeout()),
        state,
        user,
        id,
        outbox,
    };
    let snapshot = sessions::open(&cx.state, cx.user.id, id, cx.outbox.clone()).await;
    cx.reply(
        None,
        ServerEvent::Authenticated {
            user: cx.user.clone(),
            session_id: id,
            server_time: now_ms(),
            protocol_version: protocol::PROTOCOL_VERSION,
        },
    );
    match snapshot {
        Ok(snapshot) => cx.reply(
            None,
            ServerEvent::UnreadSnapshot {
                conversations: snapshot.unread.conversations,
                total: snapshot.unread.total,
                notifications: snapshot.notifications,
            },
        ),
        // Without its conversations the session would answer NOT_A_MEMBER to everything:
        // close it so the client reconnects, rather than leave it half set up.
        Err(e) => cx.outbox.close(CloseReason::new(
            close::GOING_AWAY,
            ErrorCode::Unavailable,
            format!(
                "the session could not be set up ({}); reconnect",
                e.public_message()
            ),
        )),
    }
    tracing::debug!(user = %cx.user.id, session = %id, "session started");
    cx
}

/// Handles client events in order until the connection ends.
async fn run_session(cx: &mut Context, inbound: &mut Inbound) {
    loop {
        match inbound.next(&cx.outbox, cx.typing.next_deadline()).await {
            Next::Frame(frame) => {
                let id = frame.id.clone();
                if let Err(e) = handlers::handle(cx, frame).await {
                    send_error(&cx.outbox, id, &e);
                }
            }
            Next::Refused { id, error } => send_error(&cx.outbox, id, &error),
            Next::Deadline => {
                for conversation in cx.typing.expire(Instant::now()) {
                    crate::domain::typing::stopped(&cx.state, cx.user.id, conversation).await;
                }
            }
            Next::Closed => return,
        }
    }
}

/// Drains the outbound queue to the socket, pings, and performs server-initiated closes.
async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut frames: mpsc::Receiver<Utf8Bytes>,
    mut close_rx: watch::Receiver<Option<CloseReason>>,
    heartbeat: Duration,
) {
    let ping = tokio::time::sleep(heartbeat);
    tokio::pin!(ping);
    // Kept across iterations (not re-created per frame): a delivery wakes this task, and
    // re-registering every waker on each wake-up was a measurable part of its cost.
    let mut close_open = true;
    let closing = {
        let closed = close_rx.changed();
        tokio::pin!(closed);
        loop {
            tokio::select! {
                biased;
                changed = &mut closed, if close_open => {
                    if changed.is_err() {
                        // Every outbox is gone: drain what is queued, then stop.
                        close_open = false;
                        continue;
                    }
                    break true;
                }
                frame = frames.recv() => match frame {
                    Some(frame) => {
                        // Queue what else is waiting and write it all with one flush.
                        let mut batch = sink.feed(Message::Text(frame)).await.is_ok();
                        while batch {
                            match frames.try_recv() {
                                Ok(more) => batch = sink.feed(Message::Text(more)).await.is_ok(),
                                Err(_) => break,
                            }
                        }
                        if !batch || sink.flush().await.is_err() {
                            return;
                        }
                    }
                    None => {
                        let _ = sink.close().await;
                        return;
                    }
                },
                _ = &mut ping => {
                    if sink.send(Message::Ping(Default::default())).await.is_err() {
                        return;
                    }
                    ping.as_mut().reset(Instant::now() + heartbeat);
                }
            }
        }
    };
    if !closing {
        return;
    }
    let reason = close_rx.borrow().clone();
    if let Some(reason) = reason {
        let error = encode_event(ServerEvent::error(reason.error, reason.message.clone()));
        let _ = sink.send(Message::Text(error)).await;
        let mut text = reason.message;
        // A close frame's reason is limited to 123 bytes.
        while text.len() > 120 {
            text.pop();
        }
        let _ = sink
            .send(Message::Close(Some(CloseFrame {
                code: reason.close_code,
                reason: text.into(),
            })))
            .await;
    }
}
