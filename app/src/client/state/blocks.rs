//! The people I blocked: their presence and typing are hidden, their messages collapsed (the
//! server refuses direct messages between us and stops telling me their presence).

use super::{send, Action, ChatState, Slice};
use protocol::{ClientEvent, UserId};
use std::collections::BTreeSet;

impl ChatState {
    /// The list of people I blocked, loaded on (re)connecting.
    pub fn set_blocked(&mut self, users: impl IntoIterator<Item = UserId>) -> Vec<Action> {
        let now: BTreeSet<UserId> = users.into_iter().collect();
        let was = self.blocked.clone();
        let mut actions = Vec::new();
        for user in now.difference(&was) {
            actions.extend(self.block_changed(*user, true));
        }
        for user in was.difference(&now) {
            actions.extend(self.block_changed(*user, false));
        }
        actions
    }

    /// I blocked or unblocked someone (here or on another device).
    pub(super) fn block_changed(&mut self, user: UserId, blocked: bool) -> Vec<Action> {
        let mut actions = Vec::new();
        if blocked {
            if !self.blocked.insert(user) {
                return actions;
            }
            self.presence.remove(&user);
            // The server stopped telling; saying so keeps both sides' lists equal.
            if self.watched.remove(&user) {
                actions.push(send(ClientEvent::UnsubscribePresence {
                    user_ids: vec![user],
                }));
            }
            for c in self.conversations.values_mut() {
                c.typing.remove(&user);
            }
            if self.toast.as_ref().is_some_and(|(n, _)| n.actor.id == user) {
                self.toast = None;
                self.touch(Slice::Toast);
            }
        } else {
            if !self.blocked.remove(&user) {
                return actions;
            }
            // Watched again where they are shown: a direct partner, or in the open group.
            let shown = self.partners().contains(&user)
                || self.active.is_some_and(|a| {
                    self.conversations
                        .get(&a)
                        .is_some_and(|c| c.info.members.iter().any(|m| m.id == user))
                });
            if shown {
                actions.extend(self.watch([user]));
            }
        }
        self.touch(Slice::Presence);
        self.touch(Slice::Activity);
        // The list's previews of their messages.
        self.touch(Slice::List);
        let ids: Vec<_> = self.conversations.keys().copied().collect();
        for id in ids {
            self.touch(Slice::Conversation(id));
        }
        actions
    }
}
