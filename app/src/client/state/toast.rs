//! New notifications pop up for a few seconds ("toasts"), except while I am busy (do not
//! disturb): then the bell keeps them, silently.

use super::{ChatState, Slice};
use protocol::{Notification, PresenceStatus};

impl ChatState {
    /// A new notification arrived: pop it up unless I chose "do not disturb", it is already
    /// read, it is about the conversation I am looking at, or it comes from someone I blocked.
    pub(super) fn pop_up(&mut self, notification: &Notification) {
        let looking_at = notification.conversation_id.is_some()
            && notification.conversation_id == self.active
            && self.visible;
        let blocked = self.blocked.contains(&notification.actor.id);
        if self.my_status == PresenceStatus::Busy || notification.read || looking_at || blocked {
            return;
        }
        self.toasts_shown += 1;
        self.toast = Some((notification.clone(), self.toasts_shown));
        self.touch(Slice::Toast);
    }

    /// Closes toast number `seq` if it is still the one shown (a timer, a click, or ✕).
    pub fn dismiss_toast(&mut self, seq: u64) {
        if self.toast.as_ref().is_some_and(|(_, shown)| *shown == seq) {
            self.toast = None;
            self.touch(Slice::Toast);
        }
    }
}
