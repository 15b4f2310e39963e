//! Words and times as the user reads them.

use protocol::ErrorCode;

/// An error in plain words.
pub fn error_text(code: ErrorCode, server_message: &str) -> String {
    match code {
        ErrorCode::RateLimited => "You are sending too fast. Wait a moment and try again.".into(),
        ErrorCode::NotAMember => "You are not a member of that conversation.".into(),
        ErrorCode::Forbidden => "You can only change your own messages.".into(),
        ErrorCode::NotFound => "That no longer exists.".into(),
        ErrorCode::PayloadTooLarge => "That is too large to send.".into(),
        ErrorCode::Kicked => "You were signed out.".into(),
        ErrorCode::AuthFailed | ErrorCode::NotAuthenticated => {
            "Your session has ended. Please sign in again.".into()
        }
        ErrorCode::SlowConsumer | ErrorCode::IdleTimeout => {
            "The connection was interrupted; reconnecting.".into()
        }
        ErrorCode::Unavailable => "The server is busy or restarting; retrying.".into(),
        ErrorCode::Internal => "Something went wrong on the server. Try again.".into(),
        // The server's own message is already written for people.
        _ => crate::api::sentence(server_message),
    }
}

/// "Alice is typing…", "Alice and Bob are typing…", "Alice, Bob and 2 others are typing…".
pub fn typing_line(names: &[String]) -> Option<String> {
    match names {
        [] => None,
        [one] => Some(format!("{one} is typing…")),
        [a, b] => Some(format!("{a} and {b} are typing…")),
        [a, b, rest @ ..] => Some(format!("{a}, {b} and {} others are typing…", rest.len())),
    }
}

/// How long ago, in words: "just now", "5 min ago", "3 h ago", "2 days ago".
pub fn ago(then_ms: i64, now_ms: i64) -> String {
    let secs = (now_ms - then_ms).max(0) / 1000;
    match secs {
        0..=59 => "just now".into(),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ => match secs / 86_400 {
            1 => "yesterday".into(),
            days => format!("{days} days ago"),
        },
    }
}

/// `HH:MM` of a timestamp, given the local offset from UTC in minutes.
pub fn clock(ms: i64, offset_minutes: i64) -> String {
    let minutes = (ms / 60_000 + offset_minutes).rem_euclid(24 * 60);
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_lines() {
        let n = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(typing_line(&[]), None);
        assert_eq!(typing_line(&n(&["Alice"])).unwrap(), "Alice is typing…");
        assert_eq!(
            typing_line(&n(&["Alice", "Bob"])).unwrap(),
            "Alice and Bob are typing…"
        );
        assert_eq!(
            typing_line(&n(&["A", "B", "C", "D"])).unwrap(),
            "A, B and 2 others are typing…"
        );
    }

    #[test]
    fn relative_times() {
        assert_eq!(ago(0, 30_000), "just now");
        assert_eq!(ago(0, 5 * 60_000), "5 min ago");
        assert_eq!(ago(0, 3 * 3_600_000), "3 h ago");
        assert_eq!(ago(0, 86_400_000), "yesterday");
        assert_eq!(ago(0, 3 * 86_400_000), "3 days ago");
    }

    #[test]
    fn clock_applies_the_offset() {
        let t = 13 * 3_600_000 + 7 * 60_000; // 13:07 UTC
        assert_eq!(clock(t, 0), "13:07");
        assert_eq!(clock(t, 120), "15:07");
        assert_eq!(clock(t, -14 * 60), "23:07");
    }

    #[test]
    fn errors_read_as_sentences() {
        assert_eq!(
            error_text(ErrorCode::ValidationFailed, "message body is empty"),
            "Message body is empty"
        );
        assert!(error_text(ErrorCode::RateLimited, "x").contains("too fast"));
    }
}
