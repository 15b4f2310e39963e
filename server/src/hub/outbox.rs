//! The sending half of a connection: a bounded queue of shared frames and a close switch.

use axum::extract::ws::Utf8Bytes;
use protocol::ErrorCode;
use tokio::sync::{mpsc, watch};

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
    /// A close reason.
    pub fn new(close_code: u16, error: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            close_code,
            error,
            message: message.into(),
        }
    }

    pub(super) fn slow_consumer() -> Self {
        Self::new(
            protocol::close::SLOW_CONSUMER,
            ErrorCode::SlowConsumer,
            "you were not reading events fast enough",
        )
    }
}

/// A connection's outbound queue and its close switch. Cloning is two reference counts.
#[derive(Clone, Debug)]
pub struct Outbox {
    frames: mpsc::Sender<Utf8Bytes>,
    closer: watch::Sender<Option<CloseReason>>,
}

impl Outbox {
    /// A connection's outbox with room for `capacity` queued frames, plus the receiving ends.
    pub fn new(
        capacity: usize,
    ) -> (
        Self,
        mpsc::Receiver<Utf8Bytes>,
        watch::Receiver<Option<CloseReason>>,
    ) {
        let (frames, rx) = mpsc::channel(capacity.max(1));
        let (closer, close_rx) = watch::channel(None);
        (Self { frames, closer }, rx, close_rx)
    }

    /// Queues a frame without waiting; a full queue closes the connection as a slow consumer.
    pub fn send(&self, frame: Utf8Bytes) -> bool {
        match self.frames.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.close(CloseReason::slow_consumer());
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Asks the connection to close with a reason (the first reason wins).
    pub fn close(&self, reason: CloseReason) {
        self.closer.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(reason);
                true
            } else {
                false
            }
        });
    }
}
