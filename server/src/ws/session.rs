//! One WebSocket connection: authentication, then the event loop, then cleanup, all in one task
//! that owns the socket through a [`Connection`].

use super::connection::{Connection, Limits, Next};
use crate::auth;
use crate::auth::Signed;
use crate::error::AppError;
use crate::hub::{CloseReason, Outbox};
use crate::metrics::OpenConnection;
use crate::session::{handlers, lifecycle, send_error, Context};
use crate::state::AppState;
use crate::store::now_ms;
use axum::extract::ws::WebSocket;
use protocol::{close, ClientEvent, ErrorCode, ServerEvent};
use std::future::Future;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;

/// Runs a connection to completion. `token` is the one given in the upgrade request, if any.
///
/// Not an `async fn`: its arguments would be stored in the future beside the values built from
/// them. The returned future holds the connection once, and the phases that await the database
/// are boxed, so that an idle connection's task is the size of its idle loop rather than of its
/// largest handler (together they were most of an idle connection's memory).
pub fn run(
    socket: WebSocket,
    state: AppState,
    token: Option<String>,
    permit: OwnedSemaphorePermit,
) -> impl Future<Output = ()> {
    let (outbox, receiver) =
        Outbox::with_metrics(state.config.outbound_queue, state.hub.metrics().clone());
    let limits = Limits {
        events_per_second: state.config.events_per_second,
        event_burst: state.config.event_burst,
        max_frame_bytes: state.config.max_frame_bytes,
        heartbeat: state.config.heartbeat(),
        idle_timeout: state.config.idle_timeout(),
    };
    let metrics = state.hub.metrics().clone();
    let mut conn = Connection::new(socket, receiver, limits, metrics.clone());
    async move {
        let _permit = permit;
        let _open = OpenConnection::new(&metrics);
        let user = Box::pin(authenticate(&state, &outbox, &mut conn, token)).await;
        if let Some(user) = user {
            metrics.sessions_authenticated.increment(1);
            let mut cx = Box::pin(start(state, user, outbox, &mut conn)).await;
            run_session(&mut cx, &mut conn).await;
            Box::pin(lifecycle::close(&mut cx)).await;
            tracing::debug!(user = %cx.user.id, session = %cx.id, "session ended");
        }
        // Counted when decided: a slow consumer's farewell may take a while (see `finish`).
        if conn.close_code() == Some(close::SLOW_CONSUMER) {
            metrics.slow_consumers.increment(1);
        }
        let code = Box::pin(conn.finish()).await;
        metrics.connection_closed(code);
    }
}

/// The authentication phase: the upgrade token, or an `authenticate` event before the deadline.
async fn authenticate(
    state: &AppState,
    outbox: &Outbox,
    conn: &mut Connection,
    token: Option<String>,
) -> Option<Signed> {
    let fail = |error: AppError| {
        outbox.close(CloseReason::new(
            close::AUTH_FAILED,
            ErrorCode::AuthFailed,
            error.public_message(),
        ));
        None
    };
    if let Some(token) = token {
        return match conn
            .drive(auth::check(&state.jwt, &state.store, &token))
            .await
        {
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
    let mut closing = state.hub.closing();
    loop {
        let next = tokio::select! {
            next = conn.next(Some(deadline)) => next,
            // Not a session yet, so not closed by the hub: the shutdown reaches it here.
            reason = closing.wait_for(Option::is_some) => {
                if let Ok(reason) = reason {
                    outbox.close((*reason).clone().unwrap_or_else(CloseReason::shutdown));
                }
                return None;
            }
        };
        match next {
            Next::Frame(frame) => match frame.event {
                ClientEvent::Authenticate { token } => {
                    return match conn
                        .drive(auth::check(&state.jwt, &state.store, &token))
                        .await
                    {
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
async fn start(state: AppState, signed: Signed, outbox: Outbox, conn: &mut Connection) -> Context {
    let cx = lifecycle::context(state, signed, outbox);
    let id = cx.id;
    let snapshot = conn.drive(lifecycle::open(&cx)).await;
    cx.reply(
        None,
        ServerEvent::Authenticated {
            user: cx.user.clone(),
            session_id: id,
            server_time: now_ms(),
            protocol_version: protocol::PROTOCOL_VERSION,
            max_message_chars: u32::try_from(cx.state.config.max_message_chars).unwrap_or(u32::MAX),
        },
    );
    match snapshot {
        Ok(snapshot) => {
            cx.reply(
                None,
                ServerEvent::UnreadSnapshot {
                    conversations: snapshot.unread.conversations,
                    total: snapshot.unread.total,
                    notifications: snapshot.notifications,
                },
            );
            // A status chosen on another session (or before a reload) holds here too.
            if let Some(status) = snapshot.chosen {
                let me = protocol::Presence {
                    user_id: cx.user.id,
                    status,
                    last_seen_at: None,
                };
                cx.reply(None, ServerEvent::PresenceChanged { users: vec![me] });
            }
        }
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
async fn run_session(cx: &mut Context, conn: &mut Connection) {
    loop {
        match conn.next(cx.next_deadline()).await {
            Next::Frame(frame) => {
                let id = frame.id.clone();
                // Boxed: see `run`.
                if let Err(e) = conn.drive(Box::pin(handlers::handle(cx, frame))).await {
                    send_error(&cx.outbox, id, &e);
                }
            }
            Next::Refused { id, error } => send_error(&cx.outbox, id, &error),
            Next::Deadline => conn.drive(Box::pin(lifecycle::on_deadline(cx))).await,
            Next::Closed => return,
        }
    }
}
