//! The socket side of a session, driven by the session's one task: it reads client frames (with
//! the size and rate limits), writes what the outbox queues, pings, and notices idleness and
//! closes.
//!
//! One task per connection, not a reader and a writer: the socket is not split (no lock between
//! two halves), an idle connection is one small future, and a delivery costs one wake-up. While
//! a client event is being handled, [`Connection::drive`] keeps writing queued frames, so a slow
//! database call never holds up deliveries to that client.

use crate::codec::{decode, encode_event, request_id};
use crate::error::AppError;
use crate::hub::{CloseReason, OutboxReceiver, Received};
use crate::metrics::Metrics;
use crate::session::rate::{EventRate, Rate};
use crate::session::HARD_FRAME_CAP;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::task::AtomicWaker;
use futures_util::{SinkExt, StreamExt};
use protocol::{close, ClientFrame, ErrorCode, ServerEvent};
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;
use tokio::time::{sleep_until, Instant, Sleep};

/// How long a connection closed with unread input stays open after its close frame.
const RESET_LINGER: Duration = Duration::from_millis(500);

/// How long a closing connection may take to write its last frames.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// How soon a connection whose socket did not take all its frames tries again by itself. The
/// socket's own wake-up when it can take more is sometimes lost (seen with a client that stopped
/// reading and then read again: the rest of its backlog waited for the next heartbeat, up to
/// 20 s); this bounds the wait. Only connections that are behind arm it.
const WRITE_RETRY: Duration = Duration::from_millis(250);

/// How long a connection dropped as a slow consumer may take to write its last frames (the one
/// half written, the error, the close frame) if its client reads again.
const SLOW_CONSUMER_GRACE: Duration = Duration::from_secs(30);

/// What the connection produced next.
pub(super) enum Next {
    /// A decoded client frame that passed the size and rate limits.
    Frame(ClientFrame),
    /// A frame that was refused; answer with an error and go on.
    Refused { id: Option<String>, error: AppError },
    /// The deadline given to [`Connection::next`] passed.
    Deadline,
    /// The connection is over (closed by either side, or idle).
    Closed,
}

/// The limits and timings of a connection.
pub(super) struct Limits {
    pub events_per_second: u32,
    pub event_burst: u32,
    pub max_frame_bytes: usize,
    pub heartbeat: Duration,
    pub idle_timeout: Duration,
}

/// A WebSocket with its outbound queue, limits and timers.
pub(super) struct Connection {
    socket: WebSocket,
    outbox: OutboxReceiver,
    /// Frames taken from the outbox and not yet handed to the socket.
    pending: VecDeque<Utf8Bytes>,
    /// Frames were handed to the socket since its last flush.
    unflushed: bool,
    /// The socket failed for writing: frames are dropped and the read side will see the end.
    broken: bool,
    /// A ping is to be written.
    ping_due: bool,
    /// Why the server closes the connection, once it does.
    close: Option<CloseReason>,
    /// Set when the socket has something to read: a wake-up for a delivery skips the read side.
    readable: Arc<WakeFlag>,
    /// Set when the timer fired (or was reset): a wake-up for a delivery skips the timer.
    timer_due: Arc<WakeFlag>,
    /// One timer for the heartbeat and the idle timeout, set to the earlier of the two; it is
    /// not reset on every frame (activity only moves `last_activity`).
    timer: Pin<Box<Sleep>>,
    next_ping: Instant,
    /// The timer is set early to retry a blocked write (see [`WRITE_RETRY`]).
    write_retry: bool,
    last_activity: Instant,
    heartbeat: Duration,
    idle_timeout: Duration,
    rate: EventRate,
    max_frame_bytes: usize,
    metrics: Arc<Metrics>,
}

impl Connection {
    /// Wraps an upgraded socket and the receiving end of its outbox.
    pub fn new(
        socket: WebSocket,
        outbox: OutboxReceiver,
        limits: Limits,
        metrics: Arc<Metrics>,
    ) -> Self {
        let now = Instant::now();
        let next_ping = now + limits.heartbeat;
        Self {
            socket,
            outbox,
            pending: VecDeque::new(),
            unflushed: false,
            broken: false,
            ping_due: false,
            close: None,
            readable: WakeFlag::new(),
            timer_due: WakeFlag::new(),
            timer: Box::pin(sleep_until(next_ping.min(now + limits.idle_timeout))),
            next_ping,
            write_retry: false,
            last_activity: now,
            heartbeat: limits.heartbeat,
            idle_timeout: limits.idle_timeout,
            rate: EventRate::new(limits.events_per_second, limits.event_burst),
            max_frame_bytes: limits.max_frame_bytes,
            metrics,
        }
    }

    /// Waits for the next client frame, the deadline, or the end of the connection, writing
    /// queued frames meanwhile.
    pub async fn next(&mut self, deadline: Option<Instant>) -> Next {
        let mut deadline = deadline.map(|at| Box::pin(sleep_until(at)));
        poll_fn(|cx| self.poll_next(cx, deadline.as_mut().map(|d| d.as_mut()))).await
    }

    /// Runs `work` (handling a client event) to completion while writing queued frames.
    /// Client frames are not read meanwhile: events are handled in order, one at a time.
    pub async fn drive<F: Future>(&mut self, work: F) -> F::Output {
        let mut work = pin!(work);
        poll_fn(|cx| {
            if let Poll::Ready(out) = work.as_mut().poll(cx) {
                return Poll::Ready(out);
            }
            if self.close.is_none() {
                if let Poll::Ready(reason) = self.poll_write(cx) {
                    self.close = Some(reason);
                }
            }
            Poll::Pending
        })
        .await
    }

    /// The close code the server is ending the connection with, once it is.
    pub fn close_code(&self) -> Option<u16> {
        self.close
            .as_ref()
            .map(|r| r.close_code)
            .or_else(|| self.outbox.close_reason().map(|r| r.close_code))
    }

    /// Writes the close reason (an `error` event, then a close frame) or completes the client's
    /// close handshake, within a short grace period; a client that stopped reading cannot hold
    /// the task (and its memory) beyond that.
    /// Returns the close code the server sent (`None`: the client closed, or went away).
    ///
    /// A slow consumer gets longer ([`SLOW_CONSUMER_GRACE`]): its socket's buffer is full, the
    /// last frame handed to it possibly half written. Dropping the socket then would leave the
    /// client a cut frame; waiting lets a client that reads again get whole frames, then the
    /// `SLOW_CONSUMER` error and the 4008 close frame. Only the socket is kept meanwhile (the
    /// session is gone, its queued frames dropped).
    pub async fn finish(self) -> Option<u16> {
        let Connection {
            mut socket,
            outbox,
            pending,
            close,
            ..
        } = self;
        let reason = close.or_else(|| outbox.close_reason());
        drop((outbox, pending));
        let code = reason.as_ref().map(|r| r.close_code);
        let grace = match code {
            Some(close::SLOW_CONSUMER) => SLOW_CONSUMER_GRACE,
            _ => CLOSE_GRACE,
        };
        let socket = &mut socket;
        let farewell = async move {
            let Some(reason) = reason else {
                let _ = socket.close().await;
                return;
            };
            let error = encode_event(ServerEvent::error(reason.error, reason.message.clone()));
            let _ = socket.send(Message::Text(error)).await;
            let mut text = reason.message;
            // A close frame's reason is limited to 123 bytes.
            while text.len() > 120 {
                text.pop();
            }
            let frame = CloseFrame {
                code: reason.close_code,
                reason: text.into(),
            };
            let unread_input = reason.close_code == close::MESSAGE_TOO_BIG;
            if socket.send(Message::Close(Some(frame))).await.is_err() {
                return;
            }
            if unread_input {
                // The rest of the oversized frame is unread: closing now would reset the
                // connection, and a reset can reach the client before it reads the close
                // frame. Give it a moment to read it.
                tokio::time::sleep(RESET_LINGER).await;
                return;
            }
            // The closing handshake: read (and drop) what the client still sends until its
            // close frame. Closing with unread input would reset the connection, and the reset
            // can overtake the frames written last (the error and the close frame).
            while let Some(Ok(message)) = socket.next().await {
                if matches!(message, Message::Close(_)) {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(grace, farewell).await;
        code
    }

    fn poll_next(&mut self, cx: &mut Context<'_>, deadline: Option<Pin<&mut Sleep>>) -> Poll<Next> {
        if self.close.is_some() {
            return Poll::Ready(Next::Closed);
        }
        if let Poll::Ready(reason) = self.poll_write(cx) {
            self.close = Some(reason);
            return Poll::Ready(Next::Closed);
        }
        if self.readable.take(cx) {
            let waker = Waker::from(self.readable.clone());
            let mut read_cx = Context::from_waker(&waker);
            while let Poll::Ready(message) = self.socket.poll_next_unpin(&mut read_cx) {
                match message {
                    Some(Ok(message)) => {
                        self.last_activity = Instant::now();
                        if let Some(next) = self.inbound(message) {
                            // More may be buffered: read again next time.
                            self.readable.set();
                            return Poll::Ready(next);
                        }
                    }
                    Some(Err(error)) => {
                        self.close = protocol_violation(error);
                        return Poll::Ready(Next::Closed);
                    }
                    None => return Poll::Ready(Next::Closed),
                }
            }
        }
        if deadline.is_some_and(|d| d.poll(cx).is_ready()) {
            return Poll::Ready(Next::Deadline);
        }
        if self.timer_due.take(cx) {
            let waker = Waker::from(self.timer_due.clone());
            let mut timer_cx = Context::from_waker(&waker);
            while self.timer.as_mut().poll(&mut timer_cx).is_ready() {
                self.write_retry = false;
                let now = Instant::now();
                let idle_at = self.last_activity + self.idle_timeout;
                if now >= idle_at {
                    self.close = Some(CloseReason::new(
                        close::IDLE_TIMEOUT,
                        ErrorCode::IdleTimeout,
                        "no activity within the idle timeout",
                    ));
                    return Poll::Ready(Next::Closed);
                }
                if now >= self.next_ping {
                    self.ping_due = true;
                    self.next_ping = now + self.heartbeat;
                }
                self.timer.as_mut().reset(self.next_ping.min(idle_at));
            }
        }
        if self.ping_due {
            if let Poll::Ready(reason) = self.poll_write(cx) {
                self.close = Some(reason);
                return Poll::Ready(Next::Closed);
            }
        }
        Poll::Pending
    }

    /// Applies the frame limits to an inbound message; `None` for control frames.
    fn inbound(&mut self, message: Message) -> Option<Next> {
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(_) => {
                return Some(Next::Refused {
                    id: None,
                    error: AppError::InvalidPayload(
                        "binary frames are not supported; send JSON text".into(),
                    ),
                })
            }
            // Pings are answered by the WebSocket layer; pongs only count as activity.
            Message::Ping(_) | Message::Pong(_) => return None,
            Message::Close(_) => return Some(Next::Closed),
        };
        if text.len() > self.max_frame_bytes {
            return Some(Next::Refused {
                id: request_id(&text),
                error: AppError::PayloadTooLarge(format!(
                    "frame of {} bytes exceeds the limit of {} bytes",
                    text.len(),
                    self.max_frame_bytes
                )),
            });
        }
        match self.rate.check(&self.metrics) {
            Rate::Allowed => {}
            // Answered once per window (with the request's id), never per refused frame.
            Rate::Refused { notice: false } => return None,
            Rate::Refused { notice: true } => {
                return Some(Next::Refused {
                    id: request_id(&text),
                    error: AppError::RateLimited,
                })
            }
        }
        Some(match decode(&text) {
            Ok(frame) => {
                self.metrics.event(frame.event.name());
                Next::Frame(frame)
            }
            Err(e) => {
                self.metrics.invalid_event();
                Next::Refused {
                    id: e.id,
                    error: e.error,
                }
            }
        })
    }

    /// Moves queued frames (and a due ping) into the socket and flushes, as far as the socket
    /// accepts without waiting. Ready only when the outbox asks to close.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<CloseReason> {
        // Until the outbox answers Pending: only then is the task registered to be woken by the
        // next frame (or, while frames are still pending here, by a close).
        loop {
            // With frames still pending here the outbox hands over nothing (and will not wake
            // the task for frames already queued behind them): once they are written, ask again.
            let had_pending = !self.pending.is_empty();
            let received = self.outbox.poll_recv(cx, &mut self.pending);
            if let Poll::Ready(Received::Closed(reason)) = received {
                return Poll::Ready(reason);
            }
            if self.broken {
                self.pending.clear();
                self.ping_due = false;
            } else if !self.feed(cx) {
                if received.is_ready() {
                    // The socket is full (it will wake the task): register with the outbox too.
                    continue;
                }
            } else if received.is_pending() && had_pending {
                // The socket took the leftovers: take what queued up meanwhile.
                continue;
            }
            if received.is_pending() {
                break;
            }
        }
        if self.unflushed && !self.broken {
            match self.socket.poll_flush_unpin(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(_)) => self.broken = true,
                Poll::Pending => {}
            }
        }
        let behind = !self.broken && (self.unflushed || !self.pending.is_empty());
        if behind && !self.write_retry {
            let retry = Instant::now() + WRITE_RETRY;
            if retry < self.timer.deadline() {
                self.timer.as_mut().reset(retry);
                // Polled again on the way out of `poll_next`, so that it is registered.
                self.timer_due.set();
            }
            self.write_retry = true;
        }
        Poll::Pending
    }

    /// Hands the due ping and the pending frames to the socket; false if it is not ready for
    /// more (it will wake the task) or failed.
    fn feed(&mut self, cx: &mut Context<'_>) -> bool {
        let mut written = 0;
        let fed = self.feed_counting(cx, &mut written);
        self.metrics.frames_out.increment(written);
        fed
    }

    fn feed_counting(&mut self, cx: &mut Context<'_>, written: &mut u64) -> bool {
        while self.ping_due || !self.pending.is_empty() {
            match self.socket.poll_ready_unpin(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(_)) => {
                    self.broken = true;
                    return false;
                }
                Poll::Pending => return false,
            }
            let message = if self.ping_due {
                self.ping_due = false;
                Message::Ping(Default::default())
            } else {
                match self.pending.pop_front() {
                    Some(frame) => {
                        *written += 1;
                        Message::Text(frame)
                    }
                    None => break,
                }
            };
            if self.socket.start_send_unpin(message).is_err() {
                self.broken = true;
                return false;
            }
            self.unflushed = true;
        }
        true
    }
}

/// The close reason for a frame the WebSocket layer refused: invalid UTF-8 in a text frame
/// (1007) or a frame over the hard cap (1009). Other read errors mean the peer is gone.
fn protocol_violation(error: axum::Error) -> Option<CloseReason> {
    let error = error.into_inner();
    tracing::debug!(%error, "WebSocket read failed");
    match error.downcast_ref::<tungstenite::Error>()? {
        tungstenite::Error::Utf8(_) => Some(CloseReason::new(
            close::INVALID_DATA,
            ErrorCode::InvalidPayload,
            "a text frame was not valid UTF-8",
        )),
        tungstenite::Error::Capacity(_) => Some(CloseReason::new(
            close::MESSAGE_TOO_BIG,
            ErrorCode::PayloadTooLarge,
            format!(
                "a frame exceeded the hard limit of {} bytes",
                HARD_FRAME_CAP
            ),
        )),
        _ => None,
    }
}

/// One source of wake-ups of a connection's task (the socket's read side, the timer): waking it
/// marks the source ready and wakes the task, so the task polls only the sources that woke it.
/// A delivery then costs the outbox and the write, not a read attempt and a timer check.
#[derive(Debug)]
struct WakeFlag {
    ready: AtomicBool,
    task: AtomicWaker,
}

impl WakeFlag {
    /// A flag that starts ready (every source is polled once to register).
    fn new() -> Arc<Self> {
        Arc::new(Self {
            ready: AtomicBool::new(true),
            task: AtomicWaker::new(),
        })
    }

    /// Registers the task and reports (and clears) whether the source is ready.
    fn take(&self, cx: &Context<'_>) -> bool {
        self.task.register(cx.waker());
        self.ready.swap(false, Ordering::AcqRel)
    }

    /// Marks the source ready without waking (the task is running).
    fn set(&self) {
        self.ready.store(true, Ordering::Release);
    }
}

impl Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.ready.store(true, Ordering::Release);
        self.task.wake();
    }
}
