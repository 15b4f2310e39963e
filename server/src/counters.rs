//! Coalescing of live counters: a post's likes and comments, a message's reactions. Every like,
//! unlike, comment or reaction produces new counts; under a burst (hundreds a second on one post
//! or message) publishing each would cost every watcher a frame per change. The coalescer lets
//! one update per subject through per interval (100 ms: at most 10 per second per watcher) and
//! holds the newest counts meanwhile, published when the interval ends, so the last frame always
//! carries the exact final value. Counts carry a version from the database, so an update that
//! commits late never replaces a newer one.

use protocol::{MessageReactions, PostCounts};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// The shortest time between two published updates of one post.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// Slots kept before idle ones are dropped.
const PRUNE_ABOVE: usize = 4096;

/// Versioned counts of one subject, which the coalescer can hold.
pub trait Coalesce: Clone + Send + 'static {
    /// What they count (a post, a message).
    type Key: Copy + Eq + Hash + Send + 'static;
    /// The subject.
    fn key(&self) -> Self::Key;
    /// Their version: higher is newer.
    fn version(&self) -> i64;
}

impl Coalesce for PostCounts {
    type Key = protocol::PostId;
    fn key(&self) -> Self::Key {
        self.post_id
    }
    fn version(&self) -> i64 {
        self.version
    }
}

impl Coalesce for MessageReactions {
    type Key = protocol::MessageId;
    fn key(&self) -> Self::Key {
        self.message_id
    }
    fn version(&self) -> i64 {
        self.version
    }
}

/// What to do with offered counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Offer<T> {
    /// Publish these now.
    Publish(T),
    /// Call [`Coalescer::flush`] at this instant and publish what it returns.
    FlushAt(Instant),
    /// Nothing: a flush is already due, or these counts are older than ones already seen.
    Held,
}

#[derive(Debug)]
struct Slot<T> {
    latest: T,
    last_sent: Instant,
    flush_due: bool,
}

/// Per-subject coalescing state (one per instance and kind of counts).
#[derive(Debug)]
pub struct Coalescer<T: Coalesce> {
    slots: Mutex<HashMap<T::Key, Slot<T>>>,
}

impl<T: Coalesce> Default for Coalescer<T> {
    fn default() -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Coalesce> Coalescer<T> {
    /// A coalescer with no history.
    pub fn new() -> Self {
        Self::default()
    }

    /// New counts for a subject, at `now`.
    pub fn offer(&self, counts: T, now: Instant) -> Offer<T> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if slots.len() > PRUNE_ABOVE {
            slots.retain(|_, s| s.flush_due || now.duration_since(s.last_sent) < INTERVAL);
        }
        let slot = match slots.get_mut(&counts.key()) {
            Some(slot) => slot,
            None => {
                let slot = Slot {
                    latest: counts.clone(),
                    last_sent: now,
                    flush_due: false,
                };
                slots.insert(counts.key(), slot);
                return Offer::Publish(counts);
            }
        };
        if counts.version() <= slot.latest.version() {
            return Offer::Held;
        }
        if slot.flush_due {
            slot.latest = counts;
            return Offer::Held;
        }
        let next = slot.last_sent + INTERVAL;
        if now >= next {
            slot.last_sent = now;
            slot.latest = counts.clone();
            Offer::Publish(counts)
        } else {
            slot.latest = counts;
            slot.flush_due = true;
            Offer::FlushAt(next)
        }
    }

    /// The held counts of a subject, to publish now (the interval has passed).
    pub fn flush(&self, key: T::Key, now: Instant) -> Option<T> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let slot = slots.get_mut(&key)?;
        if !slot.flush_due {
            return None;
        }
        slot.flush_due = false;
        slot.last_sent = now;
        Some(slot.latest.clone())
    }
}

/// Offers counts to `coalescer` and hands what passes to `deliver`: now, or when the interval
/// ends (a short-lived task that sleeps, then flushes the newest counts by then).
pub fn offer_and_deliver<T: Coalesce>(
    coalescer: &std::sync::Arc<Coalescer<T>>,
    counts: T,
    deliver: impl FnOnce(T) + Send + 'static,
) {
    let key = counts.key();
    match coalescer.offer(counts, Instant::now()) {
        Offer::Publish(counts) => deliver(counts),
        Offer::FlushAt(at) => {
            let coalescer = coalescer.clone();
            tokio::spawn(async move {
                tokio::time::sleep_until(at).await;
                if let Some(counts) = coalescer.flush(key, Instant::now()) {
                    deliver(counts);
                }
            });
        }
        Offer::Held => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::PostId;

    fn counts(post: PostId, likes: i64, version: i64) -> PostCounts {
        PostCounts {
            post_id: post,
            like_count: likes,
            comment_count: 0,
            version,
        }
    }

    #[test]
    fn a_burst_publishes_once_per_interval_and_ends_on_the_final_value() {
        let c = Coalescer::new();
        let post = PostId::new();
        let t0 = Instant::now();
        assert_eq!(
            c.offer(counts(post, 1, 1), t0),
            Offer::Publish(counts(post, 1, 1))
        );
        let due = t0 + INTERVAL;
        assert_eq!(c.offer(counts(post, 2, 2), t0), Offer::FlushAt(due));
        for v in 3..=100 {
            assert_eq!(c.offer(counts(post, v, v), t0), Offer::Held);
        }
        assert_eq!(c.flush(post, due), Some(counts(post, 100, 100)));
        assert_eq!(c.flush(post, due), None, "flushed once");
        // Quiet for an interval: the next one goes at once.
        let later = due + INTERVAL;
        assert_eq!(
            c.offer(counts(post, 99, 101), later),
            Offer::Publish(counts(post, 99, 101))
        );
    }

    #[test]
    fn late_commits_never_replace_newer_counts() {
        let c = Coalescer::new();
        let post = PostId::new();
        let t0 = Instant::now();
        c.offer(counts(post, 5, 5), t0);
        assert_eq!(
            c.offer(counts(post, 7, 7), t0),
            Offer::FlushAt(t0 + INTERVAL)
        );
        assert_eq!(c.offer(counts(post, 6, 6), t0), Offer::Held);
        assert_eq!(c.flush(post, t0 + INTERVAL), Some(counts(post, 7, 7)));
        assert_eq!(c.offer(counts(post, 6, 6), t0 + INTERVAL * 3), Offer::Held);
    }

    #[test]
    fn posts_are_independent() {
        let c = Coalescer::new();
        let (a, b) = (PostId::new(), PostId::new());
        let t0 = Instant::now();
        assert!(matches!(c.offer(counts(a, 1, 1), t0), Offer::Publish(_)));
        assert!(matches!(c.offer(counts(b, 1, 1), t0), Offer::Publish(_)));
    }
}
