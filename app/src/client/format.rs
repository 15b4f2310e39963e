//! Words and times as the user reads them.

use protocol::{ErrorCode, Notification, NotificationKind, PresenceStatus};

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
        ErrorCode::TokenExpired => "Your session expired; reconnecting.".into(),
        ErrorCode::Internal => "Something went wrong on the server. Try again.".into(),
        // The server's own message is already written for people.
        _ => crate::api::sentence(server_message),
    }
}

/// A notification in words: "carol added you to Book club".
pub fn notification_text(n: &Notification) -> String {
    let place = n
        .conversation_title
        .clone()
        .unwrap_or_else(|| "a conversation".into());
    let who = &n.actor.display_name;
    let text = n.text.as_deref().unwrap_or_default();
    match n.kind {
        NotificationKind::AddedToConversation => format!("{who} added you to {place}"),
        NotificationKind::RemovedFromConversation => format!("{who} removed you from {place}"),
        NotificationKind::PostLiked => match n.others {
            0 => format!("{who} liked your post"),
            1 => format!("{who} and 1 other liked your post"),
            others => format!("{who} and {others} others liked your post"),
        },
        NotificationKind::PostCommented => format!("{who} commented on your post: {text}"),
        NotificationKind::Followed => format!("{who} started following you"),
        NotificationKind::MessageReceived => format!("{who} sent you a message: {text}"),
        NotificationKind::Mentioned => format!("{who} mentioned you in {place}: {text}"),
        NotificationKind::MessageReacted => match n.others {
            0 => format!("{who} reacted to your message: {text}"),
            1 => format!("{who} and 1 other reacted to your message: {text}"),
            others => format!("{who} and {others} others reacted to your message: {text}"),
        },
        NotificationKind::Test => text.to_owned(),
        NotificationKind::App => text.to_owned(),
    }
}

/// What a reaction chip says to a screen reader or on hover: "You and 2 others reacted with 👍".
pub fn reaction_label(emoji: &str, count: i64, mine: bool) -> String {
    let others = count - i64::from(mine);
    let who = match (mine, others) {
        (true, 0) => "You".to_owned(),
        (true, 1) => "You and 1 other".to_owned(),
        (true, n) => format!("You and {n} others"),
        (false, 1) => "1 person".to_owned(),
        (false, n) => format!("{n} people"),
    };
    format!("{who} reacted with {emoji}")
}

/// Who reacted, by name once known: "You and Bob reacted with 👍", "Bob, Carol and 3 others
/// reacted with 👍" (`names` as the server lists them, at most 50, mine said "You"; `count`
/// is the live total, which may have moved on since).
pub fn who_reacted(emoji: &str, count: i64, names: &[String]) -> String {
    match people(names, usize::try_from(count).unwrap_or(0)) {
        Some(who) => format!("{who} reacted with {emoji}"),
        None => reaction_label(emoji, count, false),
    }
}

/// "Alice is typing…", "Alice and Bob are typing…", "Alice, Bob and 2 others are typing…".
pub fn typing_line(names: &[String]) -> Option<String> {
    names_line(names, "is typing…", "are typing…")
}

/// "Bob is here", "Bob and Carol are here", "Bob, Carol and 2 others are here": who else has
/// the conversation open.
pub fn viewers_line(names: &[String]) -> Option<String> {
    names_line(names, "is here", "are here")
}

/// "42 others here": who else has a conversation open, when too many do to be named.
pub fn viewers_count_line(others: usize) -> Option<String> {
    match others {
        0 => None,
        1 => Some("1 other here".into()),
        n => Some(format!("{n} others here")),
    }
}

/// People and what they do, with the verb agreeing: at most two names, then a count.
fn names_line(names: &[String], one: &str, many: &str) -> Option<String> {
    let verb = if names.len() == 1 { one } else { many };
    people(names, names.len()).map(|who| format!("{who} {verb}"))
}

/// "Alice", "Alice and Bob", "Alice, Bob and 2 others": the first two of `names`, then how many
/// more of `total` people (which may be more than the names known).
fn people(names: &[String], total: usize) -> Option<String> {
    let rest = total.saturating_sub(names.len().min(2));
    match (names, rest) {
        ([], _) => None,
        ([a], 0) => Some(a.clone()),
        ([a], n) => Some(format!("{a} and {}", others(n))),
        ([a, b, ..], 0) => Some(format!("{a} and {b}")),
        ([a, b, ..], n) => Some(format!("{a}, {b} and {}", others(n))),
    }
}

/// A file's size for people: "512 B", "48 KB", "3.4 MB".
pub fn file_size(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    match bytes {
        b if b < KB => format!("{b} B"),
        b if b < MB => format!("{} KB", (b + KB / 2) / KB),
        b => format!("{:.1} MB", b as f64 / MB as f64),
    }
}

/// A user's presence in words: "online", "away (went away 5 min ago)", "busy (do not disturb)",
/// "last seen 5 min ago";
/// `None` (not connected, so not known) reads "status unknown".
pub fn presence_words(presence: Option<(PresenceStatus, Option<i64>)>, now_ms: i64) -> String {
    match presence {
        None => "status unknown".into(),
        Some((PresenceStatus::Online, _)) => "online".into(),
        Some((PresenceStatus::Away, Some(at))) => format!("away (went away {})", ago(at, now_ms)),
        Some((PresenceStatus::Away, None)) => "away".into(),
        Some((PresenceStatus::Busy, _)) => "busy (do not disturb)".into(),
        Some((PresenceStatus::Offline, Some(at))) => format!("last seen {}", ago(at, now_ms)),
        Some((PresenceStatus::Offline, None)) => "offline".into(),
    }
}

/// The composer's length note: nothing while far from the limit, "3,990 / 4,000" near it,
/// "12 characters too long" over it. `chars` counts Unicode scalar values, as the server does.
pub fn length_note(chars: usize, max: usize) -> Option<String> {
    if chars > max {
        let over = chars - max;
        let unit = if over == 1 { "character" } else { "characters" };
        Some(format!(
            "{} {unit} too long (limit {})",
            thousands(over),
            thousands(max)
        ))
    } else if chars * 10 >= max * 9 {
        Some(format!("{} / {}", thousands(chars), thousands(max)))
    } else {
        None
    }
}

/// 4000 → "4,000".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// "1 like", "3 likes": a count with its noun.
pub fn count(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// "1 other", "3 others".
fn others(n: usize) -> String {
    if n == 1 {
        "1 other".into()
    } else {
        format!("{n} others")
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

/// What a mute says of itself: "Muted" (until unmuted), "Muted until 14:30" (within a day),
/// "Muted for 7 days".
pub fn muted_words(until: Option<i64>, now_ms: i64, offset_minutes: i64) -> String {
    match until {
        None => "Muted".into(),
        Some(until) if until - now_ms < 86_400_000 => {
            format!("Muted until {}", clock(until, offset_minutes))
        }
        Some(until) => {
            let days = (until - now_ms + 86_399_999) / 86_400_000;
            format!("Muted for {days} days")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_reacted_names_two_then_counts() {
        let n = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(who_reacted("👍", 1, &n(&["You"])), "You reacted with 👍");
        assert_eq!(
            who_reacted("👍", 2, &n(&["You", "Bob"])),
            "You and Bob reacted with 👍"
        );
        assert_eq!(
            who_reacted("🎉", 5, &n(&["Bob", "Carol", "Dave"])),
            "Bob, Carol and 3 others reacted with 🎉"
        );
        // The live count moved past the names fetched.
        assert_eq!(
            who_reacted("🎉", 2, &n(&["Bob"])),
            "Bob and 1 other reacted with 🎉"
        );
        assert_eq!(who_reacted("🎉", 3, &[]), "3 people reacted with 🎉");
    }

    #[test]
    fn mutes_in_words() {
        let now = 1_700_000_000_000;
        assert_eq!(muted_words(None, now, 0), "Muted");
        // 22:13 UTC plus an hour, shown at UTC+1.
        assert_eq!(
            muted_words(Some(now + 3_600_000), now, 60),
            "Muted until 00:13"
        );
        assert_eq!(
            muted_words(Some(now + 7 * 86_400_000), now, 0),
            "Muted for 7 days"
        );
    }

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
    fn viewers_count_lines() {
        assert_eq!(viewers_count_line(0), None);
        assert_eq!(viewers_count_line(1).unwrap(), "1 other here");
        assert_eq!(viewers_count_line(42).unwrap(), "42 others here");
    }

    #[test]
    fn viewers_lines() {
        let n = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(viewers_line(&[]), None);
        assert_eq!(viewers_line(&n(&["Bob"])).unwrap(), "Bob is here");
        assert_eq!(
            viewers_line(&n(&["A", "B", "C"])).unwrap(),
            "A, B and 1 other are here"
        );
    }

    #[test]
    fn file_sizes_in_words() {
        assert_eq!(file_size(512), "512 B");
        assert_eq!(file_size(48 * 1024 + 100), "48 KB");
        assert_eq!(file_size(3_565_158), "3.4 MB");
    }

    #[test]
    fn presence_in_words() {
        let min = 60_000;
        assert_eq!(presence_words(None, 0), "status unknown");
        assert_eq!(
            presence_words(Some((PresenceStatus::Online, None)), 0),
            "online"
        );
        assert_eq!(
            presence_words(Some((PresenceStatus::Away, Some(0))), 5 * min),
            "away (went away 5 min ago)"
        );
        assert_eq!(
            presence_words(Some((PresenceStatus::Busy, None)), 0),
            "busy (do not disturb)"
        );
        assert_eq!(
            presence_words(Some((PresenceStatus::Offline, Some(0))), 5 * min),
            "last seen 5 min ago"
        );
    }

    #[test]
    fn the_length_note_shows_near_and_over_the_limit() {
        assert_eq!(length_note(10, 4000), None);
        assert_eq!(length_note(3600, 4000).unwrap(), "3,600 / 4,000");
        assert_eq!(
            length_note(4001, 4000).unwrap(),
            "1 character too long (limit 4,000)"
        );
        assert_eq!(
            length_note(2_500_000, 4000).unwrap(),
            "2,496,000 characters too long (limit 4,000)"
        );
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1, "like", "likes"), "1 like");
        assert_eq!(count(0, "like", "likes"), "0 likes");
        assert_eq!(count(12, "comment", "comments"), "12 comments");
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
