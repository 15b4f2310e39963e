//! A session's token clock: a session lives on its token, and ends when the token does unless
//! the client gives it a fresh one in band (`refresh_token`). It is warned first
//! (`token_expiring`, once per token, `--token-warning-secs` ahead).

use crate::store::now_ms;
use protocol::Millis;
use std::time::Duration;
use tokio::time::Instant;

/// What is due at a deadline of [`TokenClock::next_deadline`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Due {
    /// Nothing yet.
    Nothing,
    /// Warn the client: its token expires at this time.
    Warn(Millis),
    /// The token has expired: end the session.
    Expired,
}

/// When the session's token expires, and whether the client was warned.
#[derive(Debug)]
pub(crate) struct TokenClock {
    expires_at: Millis,
    warn_at: Instant,
    expire_at: Instant,
    warned: bool,
    ended: bool,
    warning: Duration,
}

impl TokenClock {
    /// The clock of a token that expires at `expires_at`, warned `warning` ahead (at once if
    /// that is already past).
    pub fn new(expires_at: Millis, warning: Duration) -> Self {
        let mut clock = Self {
            expires_at,
            warn_at: Instant::now(),
            expire_at: Instant::now(),
            warned: false,
            ended: false,
            warning,
        };
        clock.renew(expires_at);
        clock
    }

    /// Runs on a fresh token from now on (warned again before it expires).
    pub fn renew(&mut self, expires_at: Millis) {
        let now = Instant::now();
        let left = u64::try_from(expires_at.saturating_sub(now_ms())).unwrap_or(0);
        self.expires_at = expires_at;
        self.expire_at = now + Duration::from_millis(left);
        self.warn_at = self
            .expire_at
            .checked_sub(self.warning)
            .unwrap_or(now)
            .max(now);
        self.warned = false;
        self.ended = false;
    }

    /// When something is next due (`None` once the session was ended).
    pub fn next_deadline(&self) -> Option<Instant> {
        match (self.ended, self.warned) {
            (true, _) => None,
            (false, false) => Some(self.warn_at),
            (false, true) => Some(self.expire_at),
        }
    }

    /// What is due at `now` (each warning and the end once).
    pub fn due(&mut self, now: Instant) -> Due {
        if self.ended {
            return Due::Nothing;
        }
        if now >= self.expire_at {
            self.ended = true;
            return Due::Expired;
        }
        if !self.warned && now >= self.warn_at {
            self.warned = true;
            return Due::Warn(self.expires_at);
        }
        Due::Nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_once_then_ends_unless_renewed() {
        let mut clock = TokenClock::new(now_ms() + 10_000, Duration::from_secs(4));
        let start = Instant::now();
        assert_eq!(clock.due(start), Due::Nothing);
        let warn_at = clock.next_deadline().unwrap();
        assert!(
            warn_at >= start + Duration::from_millis(5_900),
            "{:?}",
            warn_at - start
        );
        assert!(matches!(clock.due(warn_at), Due::Warn(_)));
        assert_eq!(clock.due(warn_at), Due::Nothing, "warned once");
        let end = clock.next_deadline().unwrap();
        assert!(end >= start + Duration::from_millis(9_900));
        // A fresh token moves both.
        clock.renew(now_ms() + 60_000);
        assert_eq!(clock.due(end), Due::Nothing);
        let end = start + Duration::from_secs(61);
        assert_eq!(clock.due(end), Due::Expired);
        assert_eq!(clock.next_deadline(), None);
    }

    #[test]
    fn a_token_shorter_than_the_warning_is_warned_at_once() {
        let mut clock = TokenClock::new(now_ms() + 2_000, Duration::from_secs(60));
        assert!(matches!(clock.due(Instant::now()), Due::Warn(_)));
    }
}
