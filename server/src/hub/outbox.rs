//! The sending half of a connection: a bounded queue of shared frames and a close switch,
//! behind one small allocation.
//!
//! Frames are queued by whoever delivers (the hub, a handler replying) and taken in bulk by the
//! connection's task ([`OutboxReceiver::poll_recv`]). The queue's buffer grows with a backlog and
//! is reused, so an idle connection holds a few dozen bytes here; the task is woken only when the
//! queue goes from empty to non-empty (or on close), so a burst of deliveries costs one wake-up.
//!
//! Bound: a connection holds at most `capacity` queued frames here, plus the batch its task has
//! taken and not yet handed to the socket (also at most `capacity`, since it takes only when its
//! own buffer is empty). A client that stops reading fills both and is closed as a slow consumer.
//!
//! Two classes of frames: what a newer frame supersedes (typing, presence, viewers, post
//! counters: [`Shed`]) and everything else (messages, receipts, replies, notifications). Once
//! the queue is half full the client is lagging: frames of the first class are dropped (counted
//! in `confab_frames_shed_total{kind}`), and when a frame of the second class finds the queue
//! full, queued frames of the first class make room for it. Frames of the second class are never
//! dropped: with no room left the connection is closed (`SLOW_CONSUMER`), and the client resyncs
//! by sequence number. A client that lost presence, viewers or counters this way gets `resync`
//! once its queue has drained, to fetch them again (lost typing needs nothing: it ends by itself).

use crate::metrics::Metrics;
use crate::shed::Shed;
use axum::extract::ws::Utf8Bytes;
use protocol::ErrorCode;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// Why the server is closing a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseReason {
    /// WebSocket close code (see [`protocol::close`]).
    pub close_code: u16,
    /// The error code sent in the final `error` event.
    pub error: ErrorCode,
    /// A human-readable explanation.
    pub message: String,
}

impl CloseReason {
    /// Why sessions close when the instance shuts down: `UNAVAILABLE`, 1001 (going away).
    pub fn shutdown() -> Self {
        Self::new(
            protocol::close::GOING_AWAY,
            ErrorCode::Unavailable,
            "server shutting down",
        )
    }

    /// A close reason.
    pub fn new(close_code: u16, error: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            close_code,
            error,
            message: message.into(),
        }
    }

    /// Why a session that does not read fast enough is closed: `SLOW_CONSUMER`, 4008.
    pub fn slow_consumer() -> Self {
        Self::new(
            protocol::close::SLOW_CONSUMER,
            ErrorCode::SlowConsumer,
            "you were not reading events fast enough",
        )
    }
}

/// What [`OutboxReceiver::poll_recv`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    /// Queued frames were moved into the caller's buffer.
    Frames,
    /// The connection is to be closed (the first reason given wins); queued frames are dropped.
    Closed(CloseReason),
}

/// What a client that lost state frames gets once its queue has drained.
const RESYNC: &str = r#"{"type":"resync"}"#;

#[derive(Debug, Default)]
struct Queue {
    frames: VecDeque<Utf8Bytes>,
    /// State frames were shed: send `resync` once the queue drains.
    resync_due: bool,
    close: Option<CloseReason>,
    /// The receiving task, when it is waiting for frames.
    waker: Option<Waker>,
    /// The receiver was dropped: frames are refused.
    receiver_gone: bool,
}

#[derive(Debug)]
struct Shared {
    // A std mutex: held only to push, swap or set a field, never across `.await`; the senders
    // are the fan-out and the session's own replies, so it is almost never contended.
    queue: Mutex<Queue>,
    capacity: usize,
    /// Where shed frames are counted (none in unit tests).
    metrics: Option<Arc<Metrics>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Every update leaves the queue consistent: a poisoned lock is still usable.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A connection's outbound queue and its close switch. Cloning is one reference count.
#[derive(Clone, Debug)]
pub struct Outbox {
    shared: Arc<Shared>,
}

/// The connection task's end of an [`Outbox`].
#[derive(Debug)]
pub struct OutboxReceiver {
    shared: Arc<Shared>,
}

impl Outbox {
    /// A connection's outbox with room for `capacity` queued frames, and its receiving end.
    pub fn new(capacity: usize) -> (Self, OutboxReceiver) {
        Self::build(capacity, None)
    }

    /// [`Outbox::new`], counting shed frames in `metrics`.
    pub fn with_metrics(capacity: usize, metrics: Arc<Metrics>) -> (Self, OutboxReceiver) {
        Self::build(capacity, Some(metrics))
    }

    fn build(capacity: usize, metrics: Option<Arc<Metrics>>) -> (Self, OutboxReceiver) {
        let shared = Arc::new(Shared {
            queue: Mutex::default(),
            capacity: capacity.max(1),
            metrics,
        });
        (
            Self {
                shared: shared.clone(),
            },
            OutboxReceiver { shared },
        )
    }

    /// Queues a frame without waiting. A lagging client's state frames are shed; a full queue
    /// makes room by shedding queued state frames, else closes the connection as a slow
    /// consumer. False if the frame was not queued (shed, full, closing or gone).
    pub fn send(&self, frame: Utf8Bytes) -> bool {
        let mut queue = self.shared.lock();
        if queue.close.is_some() || queue.receiver_gone {
            return false;
        }
        let capacity = self.shared.capacity;
        if queue.frames.len() >= capacity.div_ceil(2) {
            if let Some(kind) = Shed::of(frame.as_str()) {
                self.shed(&mut queue, kind);
                return false;
            }
        }
        if queue.frames.len() >= capacity {
            // Room for a frame that must arrive: the oldest queued state frame goes.
            let queued = queue
                .frames
                .iter()
                .position(|f| Shed::of(f.as_str()).is_some());
            if let Some(kind) = queued
                .and_then(|at| queue.frames.remove(at))
                .and_then(|f| Shed::of(f.as_str()))
            {
                self.shed(&mut queue, kind);
            }
        }
        if queue.frames.len() >= capacity {
            queue.close = Some(CloseReason::slow_consumer());
            queue.frames = VecDeque::new();
            let waker = queue.waker.take();
            drop(queue);
            if let Some(waker) = waker {
                waker.wake();
            }
            return false;
        }
        queue.frames.push_back(frame);
        // Only the first frame of a batch wakes the task: it takes everything queued at once.
        let waker = if queue.frames.len() == 1 {
            queue.waker.take()
        } else {
            None
        };
        drop(queue);
        if let Some(waker) = waker {
            waker.wake();
        }
        true
    }

    fn shed(&self, queue: &mut Queue, kind: Shed) {
        queue.resync_due |= kind.needs_resync();
        if let Some(metrics) = &self.shared.metrics {
            metrics.shed(kind);
        }
    }

    /// Asks the connection to close with a reason (the first reason wins).
    pub fn close(&self, reason: CloseReason) {
        let mut queue = self.shared.lock();
        if queue.close.is_some() {
            return;
        }
        queue.close = Some(reason);
        queue.frames = VecDeque::new();
        let waker = queue.waker.take();
        drop(queue);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl OutboxReceiver {
    /// Reports the close, or moves every queued frame into `into` when it is empty (its buffer
    /// is swapped in for reuse); otherwise registers the task to be woken on the next frame (if
    /// none is queued) and on close.
    pub fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        into: &mut VecDeque<Utf8Bytes>,
    ) -> Poll<Received> {
        let mut queue = self.shared.lock();
        if let Some(reason) = &queue.close {
            return Poll::Ready(Received::Closed(reason.clone()));
        }
        if into.is_empty() && !queue.frames.is_empty() {
            std::mem::swap(&mut queue.frames, into);
            if std::mem::take(&mut queue.resync_due) {
                // The backlog is taken: after it, the client fetches what it lost.
                into.push_back(Utf8Bytes::from_static(RESYNC));
            }
            return Poll::Ready(Received::Frames);
        }
        match &queue.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => queue.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Takes every queued frame without waiting (tests and benches).
    pub fn try_recv_all(&self) -> Vec<Utf8Bytes> {
        self.shared.lock().frames.drain(..).collect()
    }

    /// The close reason, once one was given.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.shared.lock().close.clone()
    }
}

impl Drop for OutboxReceiver {
    fn drop(&mut self) {
        let mut queue = self.shared.lock();
        queue.receiver_gone = true;
        queue.frames = VecDeque::new();
        queue.waker = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    #[derive(Default)]
    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll(rx: &OutboxReceiver, waker: &Arc<CountingWaker>) -> (Poll<Received>, Vec<String>) {
        let waker = Waker::from(waker.clone());
        let mut buf = VecDeque::new();
        let polled = rx.poll_recv(&mut Context::from_waker(&waker), &mut buf);
        (polled, buf.iter().map(|f| f.as_str().to_owned()).collect())
    }

    #[test]
    fn a_burst_wakes_the_task_once_and_is_taken_at_once() {
        let (outbox, rx) = Outbox::new(8);
        let counter = Arc::new(CountingWaker::default());
        assert_eq!(poll(&rx, &counter).0, Poll::Pending);
        for f in ["a", "b", "c"] {
            assert!(outbox.send(f.into()));
        }
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert_eq!(
            poll(&rx, &counter),
            (
                Poll::Ready(Received::Frames),
                vec!["a".into(), "b".into(), "c".into()]
            )
        );
        assert_eq!(poll(&rx, &counter).0, Poll::Pending);
    }

    #[test]
    fn a_full_queue_closes_as_slow_consumer_and_the_first_reason_wins() {
        let (outbox, rx) = Outbox::new(2);
        assert!(outbox.send("a".into()) && outbox.send("b".into()));
        assert!(!outbox.send("c".into()));
        outbox.close(CloseReason::new(4000, ErrorCode::Internal, "later"));
        let counter = Arc::new(CountingWaker::default());
        let (polled, frames) = poll(&rx, &counter);
        assert_eq!(
            polled,
            Poll::Ready(Received::Closed(CloseReason::slow_consumer()))
        );
        assert!(frames.is_empty());
        assert!(!outbox.send("d".into()), "a closing outbox refuses frames");
    }

    #[test]
    fn a_lagging_client_loses_state_frames_first_and_is_told_to_resync() {
        let (outbox, rx) = Outbox::new(4);
        let message = || Utf8Bytes::from(r#"{"type":"message_new","message":{}}"#);
        let typing = || Utf8Bytes::from(r#"{"type":"typing_started","user_id":"u"}"#);
        let counts = || Utf8Bytes::from(r#"{"type":"post_counts_changed","counts":{}}"#);
        // Not lagging yet: state frames are queued like any.
        assert!(outbox.send(counts()));
        assert!(outbox.send(message()));
        // Half full: state frames are shed, messages still queued.
        assert!(!outbox.send(typing()));
        assert!(outbox.send(message()));
        assert!(outbox.send(message()));
        // Full: a message takes the queued counters' place instead of closing.
        assert!(outbox.send(message()));
        let counter = Arc::new(CountingWaker::default());
        let (polled, frames) = poll(&rx, &counter);
        assert_eq!(polled, Poll::Ready(Received::Frames));
        assert_eq!(frames.len(), 5);
        assert!(
            frames[..4].iter().all(|f| f.contains("message_new")),
            "{frames:?}"
        );
        assert_eq!(frames[4], RESYNC, "counters were lost: fetch them again");
        // Full of messages: a message closes it, nothing dropped silently.
        for _ in 0..4 {
            assert!(outbox.send(message()));
        }
        assert!(!outbox.send(message()));
        assert_eq!(
            poll(&rx, &counter).0,
            Poll::Ready(Received::Closed(CloseReason::slow_consumer()))
        );
    }

    #[test]
    fn replies_and_other_frames_are_never_state() {
        assert_eq!(
            Shed::of(r#"{"type":"presence_changed","users":[]}"#),
            Some(Shed::Presence)
        );
        assert_eq!(
            Shed::of(r#"{"id":"r1","type":"presence_snapshot","users":[]}"#),
            None
        );
        assert_eq!(Shed::of(r#"{"type":"receipt"}"#), None);
        assert_eq!(Shed::of(r#"{"type":"message_new"}"#), None);
    }

    #[test]
    fn a_dropped_receiver_refuses_frames() {
        let (outbox, rx) = Outbox::new(2);
        drop(rx);
        assert!(!outbox.send("a".into()));
    }
}
