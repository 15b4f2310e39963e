//! When the composer tells the server "I am typing": `typing_start` when text appears and again
//! at most every 2 s while it keeps changing (the server stops the indicator 5 s after the last
//! one), `typing_stop` once when the box is emptied. Sending a message needs no stop: the server
//! ends the indicator with the message.

/// Milliseconds between repeated `typing_start`s while typing goes on.
pub const REPEAT_MS: i64 = 2_000;

/// What to tell the server after an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Typing {
    /// Send `typing_start`.
    Start,
    /// Send `typing_stop`.
    Stop,
}

/// The throttle for one composer.
#[derive(Clone, Copy, Debug, Default)]
pub struct TypingThrottle {
    /// When the last `typing_start` went, while typing.
    last_start: Option<i64>,
}

impl TypingThrottle {
    /// The box now holds `text` (at `now_ms`): what, if anything, to send.
    pub fn input(&mut self, text: &str, now_ms: i64) -> Option<Typing> {
        if text.trim().is_empty() {
            return self.last_start.take().map(|_| Typing::Stop);
        }
        match self.last_start {
            Some(at) if now_ms - at < REPEAT_MS => None,
            _ => {
                self.last_start = Some(now_ms);
                Some(Typing::Start)
            }
        }
    }

    /// The message was sent: the server ended the indicator.
    pub fn sent(&mut self) {
        self.last_start = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_once_per_interval_and_stops_once_when_emptied() {
        let mut t = TypingThrottle::default();
        assert_eq!(t.input("h", 0), Some(Typing::Start));
        assert_eq!(t.input("he", 500), None);
        assert_eq!(t.input("hel", REPEAT_MS + 1), Some(Typing::Start));
        assert_eq!(t.input("", REPEAT_MS + 2), Some(Typing::Stop));
        assert_eq!(t.input("  ", REPEAT_MS + 3), None, "stop is sent once");
        assert_eq!(t.input("a", REPEAT_MS + 4), Some(Typing::Start));
        t.sent();
        assert_eq!(t.input("", REPEAT_MS + 5), None, "a sent message ended it");
        assert_eq!(t.input("b", REPEAT_MS + 6), Some(Typing::Start));
    }
}
