//! One per-conversation socket: the session opened in its conversation (joining it as a
//! viewer, so that others see who is here), then one loop that takes client frames to the
//! handlers and renders what the session's outbox receives, until either side goes.

use super::dialect;
use super::names::Names;
use crate::auth::Signed;
use crate::domain::views;
use crate::error::AppError;
use crate::hub::{CloseReason, OutboxReceiver, Received};
use crate::metrics::{Metrics, OpenConnection};
use crate::session::rate::{EventRate, Rate};
use crate::session::sequence::{self, Arrival, Sequences};
use crate::session::{handlers, lifecycle, Context};
use crate::state::AppState;
use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket};
use protocol::{
    ClientFrame, ConversationId, ErrorCode, Seq, ServerEvent, ServerFrame, UserId,
    MAX_LISTED_VIEWERS,
};
use serde_json::Value;
use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{sleep_until, timeout, Instant};

/// How long one write may wait for a client that does not read before it is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the socket to its end.
pub async fn run(
    socket: WebSocket,
    state: AppState,
    names: Arc<Names>,
    signed: Signed,
    conversation: ConversationId,
    permit: OwnedSemaphorePermit,
) {
    let _permit = permit;
    let metrics = state.hub.metrics().clone();
    let _open = OpenConnection::new(&metrics);
    metrics.sessions_authenticated.increment(1);
    names.learn(signed.user.id, &signed.user.username);
    let (outbox, receiver) =
        crate::hub::Outbox::with_metrics(state.config.outbound_queue, metrics.clone());
    let rate = EventRate::new(state.config.events_per_second, state.config.event_burst);
    let mut cx = lifecycle::context(state, signed, outbox);
    lifecycle::open_in(&cx, conversation).await;
    let mut link = Link {
        socket,
        names,
        conversation,
        active: Vec::new(),
        rate,
        metrics: metrics.clone(),
        next_request: 0,
        sequences: Sequences::default(),
    };
    let code = match Box::pin(link.join(&cx)).await {
        Ok(()) => Box::pin(link.serve(&mut cx, receiver)).await,
        Err(error) => {
            let reason = CloseReason::new(close_code(&error), error.code(), error.public_message());
            link.close(&reason).await
        }
    };
    Box::pin(lifecycle::close(&mut cx)).await;
    metrics.connection_closed(code);
}

/// A username for a frame (empty if it cannot be read now: the frame still goes).
async fn name(names: &Names, cx: &Context, user: UserId) -> String {
    match names.of(&cx.state.store, user).await {
        Ok(name) => name,
        Err(e) => {
            tracing::debug!(error = %e, "a username could not be read");
            String::new()
        }
    }
}

/// The Confab close code for a refusal after the upgrade.
fn close_code(error: &AppError) -> u16 {
    match error {
        AppError::NotAMember | AppError::Forbidden(_) => protocol::close::KICKED,
        _ => protocol::close::GOING_AWAY,
    }
}

/// The socket with what rendering needs.
struct Link {
    socket: WebSocket,
    names: Arc<Names>,
    conversation: ConversationId,
    /// Who is here, as the socket was last told (sorted).
    active: Vec<UserId>,
    rate: EventRate,
    metrics: Arc<Metrics>,
    next_request: u64,
    /// The last message delivered (repeats dropped, gaps filled from history).
    sequences: Sequences,
}

impl Link {
    /// Joins the conversation as a viewer and tells the socket who is here.
    async fn join(&mut self, cx: &Context) -> Result<(), AppError> {
        let viewers = views::join(&cx.state, &cx.user, cx.id, self.conversation).await?;
        self.active = viewers.users;
        let frame = if viewers.count <= MAX_LISTED_VIEWERS as u32 {
            dialect::joined_or_left(cx.user.id, &cx.user.username, true, &self.active)
        } else {
            dialect::crowd(viewers.count, &self.active)
        };
        self.send(&frame)
            .await
            .map_err(|_| AppError::Unavailable("gone".into()))
    }

    /// The loop; returns the close code when the server ends the socket.
    async fn serve(&mut self, cx: &mut Context, receiver: OutboxReceiver) -> Option<u16> {
        let heartbeat = cx.state.config.heartbeat();
        let mut next_ping = Instant::now() + heartbeat;
        let mut pending = VecDeque::new();
        loop {
            let deadline = cx.next_deadline();
            let far = Instant::now() + Duration::from_secs(3600);
            tokio::select! {
                received = poll_fn(|c| receiver.poll_recv(c, &mut pending)) => match received {
                    Received::Frames => {
                        for bytes in pending.drain(..).collect::<Vec<_>>() {
                            if self.deliver(cx, &bytes).await.is_err() {
                                // A write that did not finish in time is still in the socket's
                                // buffer: the farewell finishes it (if the client reads again)
                                // so that the client gets whole frames, then the close frame.
                                return self.close(&CloseReason::slow_consumer()).await;
                            }
                        }
                    }
                    Received::Closed(reason) => return self.close(&reason).await,
                },
                incoming = self.socket.recv() => match incoming {
                    Some(Ok(WsMessage::Text(text))) => self.handle(cx, &text).await,
                    Some(Ok(WsMessage::Binary(_))) => {
                        let error = AppError::InvalidPayload("frames are JSON text".into());
                        self.refuse(&error).await;
                    }
                    Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return None,
                    Some(Ok(_)) => {}
                },
                _ = sleep_until(deadline.unwrap_or(far)), if deadline.is_some() => {
                    Box::pin(lifecycle::on_deadline(cx)).await;
                }
                _ = sleep_until(next_ping) => {
                    next_ping = Instant::now() + heartbeat;
                    let ping = WsMessage::Ping(Vec::new().into());
                    if timeout(WRITE_TIMEOUT, self.socket.send(ping)).await.is_err() {
                        return Some(protocol::close::SLOW_CONSUMER);
                    }
                }
            }
        }
    }

    /// One client frame: over the size and rate limits it is refused, else it runs through the
    /// session's handlers; a failure is answered with an `error` frame.
    async fn handle(&mut self, cx: &mut Context, text: &Utf8Bytes) {
        if text.len() > cx.state.config.max_frame_bytes {
            let limit = cx.state.config.max_frame_bytes;
            let error = AppError::PayloadTooLarge(format!("a frame may be at most {limit} bytes"));
            return self.refuse(&error).await;
        }
        if let Rate::Refused { notice } = self.rate.check(&self.metrics) {
            if notice {
                self.refuse(&AppError::RateLimited).await;
            }
            return;
        }
        let event = match dialect::parse(text.as_str(), self.conversation) {
            Ok(event) => event,
            Err(error) => {
                self.metrics.invalid_event();
                return self.refuse(&error).await;
            }
        };
        self.metrics.event(event.name());
        self.next_request += 1;
        let frame = ClientFrame {
            id: Some(format!("chat-{}", self.next_request)),
            event,
        };
        if let Err(error) = Box::pin(handlers::handle(cx, frame)).await {
            self.refuse(&error).await;
        }
    }

    /// Renders one frame from the outbox for this socket (most are not for it).
    async fn deliver(&mut self, cx: &Context, bytes: &Utf8Bytes) -> Result<(), ()> {
        let Ok(frame) = serde_json::from_str::<ServerFrame>(bytes.as_str()) else {
            return Ok(());
        };
        let rendered = match frame.event {
            ServerEvent::MessageNew { message } if message.conversation_id == self.conversation => {
                match self.sequences.arrive(&message) {
                    Arrival::Next => {}
                    // Delivered already (published again after a failover).
                    Arrival::Repeat => return Ok(()),
                    Arrival::Gap { after } => {
                        self.fill_gap(cx, after, message.seq).await?;
                        self.sequences.arrive(&message);
                    }
                }
                let name = name(&self.names, cx, message.sender_id).await;
                Some(dialect::message(&message, &name))
            }
            ServerEvent::MessageAck { message, .. }
                if message.conversation_id == self.conversation =>
            {
                self.sequences
                    .delivered(message.conversation_id, message.seq);
                let name = name(&self.names, cx, message.sender_id).await;
                Some(dialect::message(&message, &name))
            }
            ServerEvent::TypingStarted {
                conversation_id,
                user_id,
                ..
            } if conversation_id == self.conversation => {
                let name = name(&self.names, cx, user_id).await;
                Some(dialect::typing(user_id, &name))
            }
            ServerEvent::ViewerJoined {
                conversation_id,
                user_id,
            } if conversation_id == self.conversation => {
                if let Err(at) = self.active.binary_search(&user_id) {
                    self.active.insert(at, user_id);
                }
                let name = name(&self.names, cx, user_id).await;
                Some(dialect::joined_or_left(user_id, &name, true, &self.active))
            }
            ServerEvent::ViewerLeft {
                conversation_id,
                user_id,
            } if conversation_id == self.conversation => {
                self.active.retain(|u| *u != user_id);
                let name = name(&self.names, cx, user_id).await;
                Some(dialect::joined_or_left(user_id, &name, false, &self.active))
            }
            ServerEvent::ViewersChanged {
                conversation_id,
                count,
                viewers,
            } if conversation_id == self.conversation => {
                self.active = viewers;
                Some(dialect::crowd(count, &self.active))
            }
            ServerEvent::ConversationRemoved { conversation_id }
                if conversation_id == self.conversation =>
            {
                // The socket was for this conversation only: it ends, saying why.
                cx.outbox.close(CloseReason::new(
                    protocol::close::KICKED,
                    ErrorCode::NotAMember,
                    "you are no longer a member of this conversation",
                ));
                None
            }
            ServerEvent::Error { code, message } => Some(dialect::error(code, &message)),
            _ => None,
        };
        match rendered {
            Some(value) => self.send(&value).await,
            None => Ok(()),
        }
    }

    /// Sends the messages missing between `after` and `before` (from history) as if live.
    async fn fill_gap(&mut self, cx: &Context, after: Seq, before: Seq) -> Result<(), ()> {
        let store = &cx.state.store;
        match sequence::fill(store, self.conversation, after, before).await {
            Ok(messages) => {
                self.metrics.gap_filled(messages.len());
                for message in messages {
                    let name = name(&self.names, cx, message.sender_id).await;
                    self.send(&dialect::message(&message, &name)).await?;
                }
            }
            Err(e) => tracing::warn!(error = %e, "a gap in a conversation could not be filled"),
        }
        self.sequences.delivered(self.conversation, before - 1);
        Ok(())
    }

    /// Answers a refused or failed frame with an `error` frame.
    async fn refuse(&mut self, error: &AppError) {
        let _ = self
            .send(&dialect::error(error.code(), &error.public_message()))
            .await;
    }

    /// Sends a frame; `Err` when the client does not take it in time or is gone.
    async fn send(&mut self, value: &Value) -> Result<(), ()> {
        self.metrics.frames_out.increment(1);
        let text = WsMessage::Text(value.to_string().into());
        match timeout(WRITE_TIMEOUT, self.socket.send(text)).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(()),
        }
    }

    /// Ends the socket with the reason's error frame and close code.
    async fn close(&mut self, reason: &CloseReason) -> Option<u16> {
        let _ = self
            .send(&dialect::error(reason.error, &reason.message))
            .await;
        let frame = CloseFrame {
            code: reason.close_code,
            reason: reason.message.chars().take(100).collect::<String>().into(),
        };
        let _ = timeout(
            WRITE_TIMEOUT,
            self.socket.send(WsMessage::Close(Some(frame))),
        )
        .await;
        Some(reason.close_code)
    }
}
