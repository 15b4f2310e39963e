//! Coalescing of live post counters. Every like, unlike and comment produces new counts; under a
//! burst (hundreds of likes a second on one post) publishing each would cost every watcher a
//! frame per like. The coalescer lets one update per post through per interval (100 ms: at most
//! 10 per second per watcher) and holds the newest counts meanwhile, published when the interval
//! ends, so the last frame always carries the exact final value. Counts carry a version from
//! the database, so an update that commits late never replaces a newer one.

use protocol::{PostCounts, PostId};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// The shortest time between two published updates of one post.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// Slots kept before idle ones are dropped.
const PRUNE_ABOVE: usize = 4096;

/// What to do with offered counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offer {
    /// Publish these now.
    Publish(PostCounts),
    /// Call [`Coalescer::flush`] at this instant and publish what it returns.
    FlushAt(Instant),
    /// Nothing: a flush is already due, or these counts are older than ones already seen.
    Held,
}

#[derive(Debug)]
struct Slot {
    latest: PostCounts,
    last_sent: Instant,
    flush_due: bool,
}

/// Per-post coalescing state (one per instance).
#[derive(Debug, Default)]
pub struct Coalescer {
    slots: Mutex<HashMap<PostId, Slot>>,
}

impl Coalescer {
    /// A coalescer with no history.
    pub fn new() -> Self {
        Self::default()
    }

    /// New counts for a post, at `now`.
    pub fn offer(&self, counts: PostCounts, now: Instant) -> Offer {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if slots.len() > PRUNE_ABOVE {
            slots.retain(|_, s| s.flush_due || now.duration_since(s.last_sent) < INTERVAL);
        }
        let slot = match slots.get_mut(&counts.post_id) {
            Some(slot) => slot,
            None => {
                slots.insert(
                    counts.post_id,
                    Slot {
                        latest: counts,
                        last_sent: now,
                        flush_due: false,
                    },
                );
                return Offer::Publish(counts);
            }
        };
        if counts.version <= slot.latest.version {
            return Offer::Held;
        }
        slot.latest = counts;
        if slot.flush_due {
            return Offer::Held;
        }
        let next = slot.last_sent + INTERVAL;
        if now >= next {
            slot.last_sent = now;
            Offer::Publish(counts)
        } else {
            slot.flush_due = true;
            Offer::FlushAt(next)
        }
    }

    /// The held counts of a post, to publish now (the interval has passed).
    pub fn flush(&self, post: PostId, now: Instant) -> Option<PostCounts> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let slot = slots.get_mut(&post)?;
        if !slot.flush_due {
            return None;
        }
        slot.flush_due = false;
        slot.last_sent = now;
        Some(slot.latest)
    }
}

/// Offers counts to `coalescer` and hands what passes to `deliver`: now, or when the interval
/// ends (a short-lived task that sleeps, then flushes the newest counts by then).
pub fn offer_and_deliver(
    coalescer: &std::sync::Arc<Coalescer>,
    counts: PostCounts,
    deliver: impl FnOnce(PostCounts) + Send + 'static,
) {
    match coalescer.offer(counts, Instant::now()) {
        Offer::Publish(counts) => deliver(counts),
        Offer::FlushAt(at) => {
            let coalescer = coalescer.clone();
            let post = counts.post_id;
            tokio::spawn(async move {
                tokio::time::sleep_until(at).await;
                if let Some(counts) = coalescer.flush(post, Instant::now()) {
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
