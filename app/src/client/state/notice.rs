//! Problems shown to the user: one notice at a time, closed by a timer, by hand, or (when it
//! is about the connection) as soon as the connection is back.

use super::{ChatState, ConnState, Slice};
use crate::client::format;
use protocol::ErrorCode;

impl ChatState {
    /// An error event: ends the connection for kicks, marks a refused send as failed, and
    /// shows the reason.
    pub(super) fn error(&mut self, request: Option<&str>, code: ErrorCode, message: &str) {
        let text = format::error_text(code, message);
        if matches!(code, ErrorCode::Kicked | ErrorCode::AuthFailed) {
            self.set_conn(ConnState::Ended(text.clone()));
        }
        // Sends use their temp id as the request id: mark that message as failed.
        if let Some(id) = request {
            let mut failed = None;
            for c in self.conversations.values_mut() {
                if let Some(p) = c.pending.iter_mut().find(|p| p.temp_id == id) {
                    p.failed = Some(text.clone());
                    failed = Some(c.info.id);
                }
            }
            if let Some(conversation) = failed {
                self.touch(Slice::Conversation(conversation));
            }
        }
        // Errors that end in a reconnect are stale once it succeeds.
        let until_connected = matches!(
            code,
            ErrorCode::Unavailable
                | ErrorCode::SlowConsumer
                | ErrorCode::IdleTimeout
                | ErrorCode::TokenExpired
        );
        self.set_notice(text, until_connected);
    }

    /// Shows a notice (replacing any other). `until_connected`: it is about the connection and
    /// goes once the connection is back.
    pub fn set_notice(&mut self, text: String, until_connected: bool) {
        self.notice = Some(text);
        self.notice_seq += 1;
        self.notice_until_connected = until_connected;
        self.touch(Slice::Notice);
    }

    /// Closes notice number `seq` if it is still the one shown (a timer, or the ✕ button).
    pub fn dismiss_notice(&mut self, seq: u64) {
        if self.notice_seq == seq && self.notice.is_some() {
            self.notice = None;
            self.notice_until_connected = false;
            self.touch(Slice::Notice);
        }
    }

    /// The connection is back: a notice about losing it is stale.
    pub(super) fn connection_back(&mut self) {
        if self.notice_until_connected {
            self.dismiss_notice(self.notice_seq);
        }
    }
}
