//! The per-connection event rate, the same on every transport.

use crate::metrics::{Limit, Metrics};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;
use tokio::time::Instant;

/// At most one `RATE_LIMITED` notice per connection per this window.
const NOTICE_WINDOW: Duration = Duration::from_secs(1);

/// What [`EventRate::check`] decided about one client event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rate {
    /// Within the rate: handle it.
    Allowed,
    /// Refused. `notice`: tell the client (`RATE_LIMITED`); otherwise one notice was already
    /// sent in this window, and a flood must not fill the client's own queue with errors.
    Refused { notice: bool },
}

/// A connection's event rate limit: `per_second` sustained with bursts of `burst`.
pub(crate) struct EventRate {
    limiter: DefaultDirectRateLimiter,
    notice_at: Option<Instant>,
}

impl EventRate {
    /// A limit of `per_second` events (at least 1) with bursts of `burst` (0: `per_second`).
    pub fn new(per_second: u32, burst: u32) -> Self {
        let per_second = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(per_second);
        Self {
            limiter: RateLimiter::direct(Quota::per_second(per_second).allow_burst(burst)),
            notice_at: None,
        }
    }

    /// Checks one event; a refusal is counted in the metrics.
    pub fn check(&mut self, metrics: &Metrics) -> Rate {
        if self.limiter.check().is_ok() {
            return Rate::Allowed;
        }
        metrics.rate_limited(Limit::Events);
        let now = Instant::now();
        let notice = self
            .notice_at
            .is_none_or(|at| now.duration_since(at) >= NOTICE_WINDOW);
        if notice {
            self.notice_at = Some(now);
        }
        Rate::Refused { notice }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_burst_refusals_are_noticed_once_per_window() {
        let metrics = Metrics::new();
        let mut rate = EventRate::new(1, 2);
        assert_eq!(rate.check(&metrics), Rate::Allowed);
        assert_eq!(rate.check(&metrics), Rate::Allowed);
        assert_eq!(rate.check(&metrics), Rate::Refused { notice: true });
        assert_eq!(rate.check(&metrics), Rate::Refused { notice: false });
    }
}
