//! What a state change touched. The reducer records it; the reactive layer
//! ([`crate::client::ChatClient`]) wakes only the views that read those parts, so a keep-alive
//! `pong` re-renders nothing and a message in one conversation leaves the others, the composer
//! and the header alone.

use protocol::ConversationId;
use std::collections::BTreeSet;

/// A part of the state that views subscribe to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Slice {
    /// The connection state.
    Conn,
    /// Who I am and the status I chose.
    Me,
    /// The conversation list: which conversations exist, their order, titles, previews, unread
    /// counts, the total, and which one is open.
    List,
    /// Other users' presence.
    Presence,
    /// Who is typing or viewing, in any conversation.
    Activity,
    /// The bell: notifications and their unread count.
    Notifications,
    /// The notice shown to the user.
    Notice,
    /// The notification popped up.
    Toast,
    /// Live counters and comments of the posts shown.
    Posts,
    /// One conversation's content: messages, pending sends, positions, members, membership
    /// lines, loading state.
    Conversation(ConversationId),
}

/// The slices a state change touched.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    slices: BTreeSet<Slice>,
}

impl Changes {
    /// Records that `slice` changed.
    pub fn mark(&mut self, slice: Slice) {
        self.slices.insert(slice);
    }

    /// Whether `slice` changed.
    pub fn contains(&self, slice: Slice) -> bool {
        self.slices.contains(&slice)
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.slices.is_empty()
    }

    /// The changed slices.
    pub fn iter(&self) -> impl Iterator<Item = Slice> + '_ {
        self.slices.iter().copied()
    }
}
