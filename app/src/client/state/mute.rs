//! Conversations I muted: their direct messages ring no bell (the server's side), and their
//! unread messages stay out of the header's total; the list still counts them, greyed.

use super::{ChatState, Slice};
use protocol::{ConversationId, Millis, Muted};

impl ChatState {
    /// I muted or unmuted a conversation (here or on another device).
    pub fn mute_changed(&mut self, conversation: ConversationId, muted: Option<Muted>) {
        if let Some(c) = self.conversations.get_mut(&conversation) {
            c.info.muted = muted;
            self.touch(Slice::List);
            self.touch(Slice::Conversation(conversation));
        }
    }

    /// The mute of a conversation still holding at `now`.
    pub fn mute_of(&self, conversation: ConversationId, now: Millis) -> Option<Muted> {
        self.conversations
            .get(&conversation)
            .and_then(|c| c.info.muted)
            .filter(|m| m.holds_at(now))
    }

    /// When the next timed mute ends (after `now`), for a timer to show it ending.
    pub fn next_mute_end(&self, now: Millis) -> Option<Millis> {
        self.conversations
            .values()
            .filter_map(|c| c.info.muted.and_then(|m| m.until))
            .filter(|until| *until > now)
            .min()
    }

    /// Drops the mutes that ended by `now`: the list, the header's total and the menu change.
    pub fn end_mutes(&mut self, now: Millis) {
        let ended: Vec<ConversationId> = self
            .conversations
            .values()
            .filter(|c| c.info.muted.is_some_and(|m| !m.holds_at(now)))
            .map(|c| c.info.id)
            .collect();
        for id in ended {
            self.mute_changed(id, None);
        }
    }

    /// Unread messages over all conversations but the muted ones: the header's count.
    pub fn loud_unread(&self, now: Millis) -> i64 {
        let muted: i64 = self
            .conversations
            .values()
            .filter(|c| c.info.muted.is_some_and(|m| m.holds_at(now)))
            .map(|c| c.info.unread)
            .sum();
        (self.total_unread - muted).max(0)
    }
}
