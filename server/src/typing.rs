//! Typing indicators of one session: which conversations it is typing in, when each expires
//! without a refresh, and when a refresh is worth re-broadcasting (throttling).

use protocol::ConversationId;
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

/// A refresh within this interval of the last broadcast only extends the deadline.
const REBROADCAST_AFTER: Duration = Duration::from_secs(3);

#[derive(Clone, Copy, Debug)]
struct Typing {
    expires: Instant,
    broadcast_at: Instant,
}

/// The typing state of one session.
#[derive(Debug)]
pub struct TypingState {
    timeout: Duration,
    active: HashMap<ConversationId, Typing>,
}

impl TypingState {
    /// No typing yet; typing stops `timeout` after the last refresh.
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            active: HashMap::new(),
        }
    }

    /// Typing started or was refreshed; true if `typing_started` should be broadcast.
    pub fn start(&mut self, conversation: ConversationId, now: Instant) -> bool {
        let expires = now + self.timeout;
        match self.active.get_mut(&conversation) {
            Some(t) if now.duration_since(t.broadcast_at) < REBROADCAST_AFTER => {
                t.expires = expires;
                false
            }
            _ => {
                self.active.insert(
                    conversation,
                    Typing {
                        expires,
                        broadcast_at: now,
                    },
                );
                true
            }
        }
    }

    /// Typing stopped; true if `typing_stopped` should be broadcast.
    pub fn stop(&mut self, conversation: ConversationId) -> bool {
        self.active.remove(&conversation).is_some()
    }

    /// The earliest expiry, if any.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.active.values().map(|t| t.expires).min()
    }

    /// Removes and returns the conversations whose typing expired by `now`.
    pub fn expire(&mut self, now: Instant) -> Vec<ConversationId> {
        let expired: Vec<ConversationId> = self
            .active
            .iter()
            .filter(|(_, t)| t.expires <= now)
            .map(|(c, _)| *c)
            .collect();
        for c in &expired {
            self.active.remove(c);
        }
        expired
    }

    /// Removes and returns everything (the session is closing).
    pub fn clear(&mut self) -> Vec<ConversationId> {
        self.active.drain().map(|(c, _)| c).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refreshes_are_throttled_but_extend_the_deadline() {
        let t0 = Instant::now();
        let c = ConversationId::new();
        let mut s = TypingState::new(Duration::from_secs(5));
        assert!(s.start(c, t0));
        assert!(!s.start(c, t0 + Duration::from_secs(1)));
        assert_eq!(s.next_deadline(), Some(t0 + Duration::from_secs(6)));
        assert!(s.start(c, t0 + Duration::from_secs(4)));
    }

    #[test]
    fn typing_expires_without_refresh() {
        let t0 = Instant::now();
        let (a, b) = (ConversationId::new(), ConversationId::new());
        let mut s = TypingState::new(Duration::from_secs(5));
        s.start(a, t0);
        s.start(b, t0 + Duration::from_secs(2));
        assert!(s.expire(t0 + Duration::from_secs(4)).is_empty());
        assert_eq!(s.expire(t0 + Duration::from_secs(5)), vec![a]);
        assert_eq!(s.clear(), vec![b]);
        assert!(!s.stop(b));
    }
}
