//! Typing indicators: which conversations one session is typing in, when each expires without
//! a refresh, and when a refresh is worth re-broadcasting (throttling) ([`TypingState`]); and
//! how many typists a conversation announces at a time ([`Typists`]).

use protocol::{ConversationId, UserId};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Most typists a conversation announces at a time (per instance). Every typist is one frame
/// to every member, so in a big group where many type at once the frames would grow with the
/// typists times the members; an indicator names a few people anyway. A typist beyond the limit
/// is announced at a refresh after a slot frees.
pub const MAX_ANNOUNCED_TYPISTS: usize = 5;

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

/// The typists each conversation announces now, at most [`MAX_ANNOUNCED_TYPISTS`] each.
#[derive(Debug)]
pub struct Typists {
    /// Past this since its last start, an entry no longer counts (a stop that never came).
    stale: Duration,
    announced: Mutex<HashMap<ConversationId, Vec<(UserId, Instant)>>>,
}

impl Typists {
    /// No typists yet; `typing_timeout` is how long typing lasts without a refresh.
    pub fn new(typing_timeout: Duration) -> Self {
        Self {
            stale: typing_timeout * 2,
            announced: Mutex::default(),
        }
    }

    /// `user` starts (or refreshes) typing in `conversation`: whether to announce it, i.e. the
    /// user is one of the conversation's announced typists (now).
    pub fn admit(&self, conversation: ConversationId, user: UserId, now: Instant) -> bool {
        // Never held across an await.
        let mut announced = self.announced.lock().unwrap_or_else(|p| p.into_inner());
        let typists = announced.entry(conversation).or_default();
        typists.retain(|(_, at)| now.duration_since(*at) < self.stale);
        if let Some(entry) = typists.iter_mut().find(|(u, _)| *u == user) {
            entry.1 = now;
            return true;
        }
        if typists.len() >= MAX_ANNOUNCED_TYPISTS {
            return false;
        }
        typists.push((user, now));
        true
    }

    /// `user` stopped typing: whether they were announced (so their stop must be too).
    pub fn release(&self, conversation: ConversationId, user: UserId) -> bool {
        let mut announced = self.announced.lock().unwrap_or_else(|p| p.into_inner());
        let Some(typists) = announced.get_mut(&conversation) else {
            return false;
        };
        let before = typists.len();
        typists.retain(|(u, _)| *u != user);
        let was = typists.len() < before;
        if typists.is_empty() {
            announced.remove(&conversation);
        }
        was
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conversation_announces_a_bounded_number_of_typists() {
        let t0 = Instant::now();
        let c = ConversationId::new();
        let typists = Typists::new(Duration::from_secs(5));
        let users: Vec<UserId> = (0..MAX_ANNOUNCED_TYPISTS + 3)
            .map(|_| UserId::new())
            .collect();
        let admitted = users.iter().filter(|u| typists.admit(c, **u, t0)).count();
        assert_eq!(admitted, MAX_ANNOUNCED_TYPISTS);
        let waiting = users[MAX_ANNOUNCED_TYPISTS];
        // A refresh of an announced typist stays announced; a stop frees a slot for the next.
        assert!(typists.admit(c, users[0], t0 + Duration::from_secs(1)));
        assert!(
            !typists.release(c, waiting),
            "never announced: no stop to announce"
        );
        assert!(typists.release(c, users[0]));
        assert!(typists.admit(c, waiting, t0 + Duration::from_secs(3)));
        // Other conversations have their own slots; entries without a refresh go stale.
        assert!(typists.admit(ConversationId::new(), users[1], t0));
        assert!(typists.admit(c, users[0], t0 + Duration::from_secs(11)));
    }

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
