//! The frames a newer one supersedes (typing, presence, viewers, post counters): what a client
//! that lags loses first (see [`crate::hub::Outbox`]), counted by kind in the metrics.

/// The frames a newer one supersedes, by kind: dropped first when a client lags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shed {
    /// `typing_started`, `typing_stopped` (typing ends by itself).
    Typing = 0,
    /// `presence_changed`.
    Presence = 1,
    /// `viewer_joined`, `viewer_left`, `viewers_changed`.
    Viewers = 2,
    /// `post_counts_changed` (the next one is exact again).
    Counters = 3,
}

impl Shed {
    /// Every kind, in metric order.
    pub const ALL: [Shed; 4] = [Shed::Typing, Shed::Presence, Shed::Viewers, Shed::Counters];

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Typing => "typing",
            Self::Presence => "presence",
            Self::Viewers => "viewers",
            Self::Counters => "counters",
        }
    }

    /// The kind of a broadcast frame a newer one supersedes, from how it begins (replies
    /// begin with their `id` and are never shed).
    pub fn of(frame: &str) -> Option<Shed> {
        const KINDS: [(&str, Shed); 7] = [
            (r#"{"type":"typing_started""#, Shed::Typing),
            (r#"{"type":"typing_stopped""#, Shed::Typing),
            (r#"{"type":"presence_changed""#, Shed::Presence),
            (r#"{"type":"viewer_joined""#, Shed::Viewers),
            (r#"{"type":"viewer_left""#, Shed::Viewers),
            (r#"{"type":"viewers_changed""#, Shed::Viewers),
            (r#"{"type":"post_counts_changed""#, Shed::Counters),
        ];
        if !frame.starts_with(r#"{"type":""#) {
            return None;
        }
        KINDS
            .iter()
            .find(|(prefix, _)| frame.starts_with(prefix))
            .map(|(_, kind)| *kind)
    }

    /// Whether losing one leaves the client's state stale until it fetches it again.
    pub fn needs_resync(self) -> bool {
        self != Shed::Typing
    }
}
