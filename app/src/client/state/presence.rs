//! Presence: whose presence this connection watches (direct partners always, members of the
//! open group while it is open), and what is shown for a user.

use super::{send, Action, ChatState, ConnState, Slice};
use protocol::{
    ClientEvent, Conversation, ConversationId, ConversationKind, Presence, PresenceStatus, UserId,
};
use std::collections::BTreeSet;

/// Most members of an open group whose presence is watched at once.
pub const WATCH_GROUP_MEMBERS: usize = 200;

impl ChatState {
    /// A presence entry from the server: mine sets my status (other devices, appearing
    /// offline), others' go to the presence map.
    pub(super) fn presence_changed(&mut self, presence: Presence) {
        if presence.user_id == self.me.id {
            self.set_my_status(presence.status);
        } else {
            self.presence.insert(presence.user_id, presence);
            self.touch(Slice::Presence);
        }
    }

    /// A user's status and last-seen time as far as this client knows; `None` while
    /// disconnected, when nobody's presence is known (showing them online would be a guess),
    /// and for people I blocked.
    pub fn presence_of(&self, user: UserId) -> Option<(PresenceStatus, Option<i64>)> {
        if user == self.me.id {
            return Some((self.my_status, None));
        }
        // Whom I blocked: not known (the server no longer tells).
        if self.conn != ConnState::Connected || self.blocked.contains(&user) {
            return None;
        }
        Some(
            self.presence
                .get(&user)
                .map_or((PresenceStatus::Offline, None), |p| {
                    (p.status, p.last_seen_at)
                }),
        )
    }

    pub(super) fn presence_placeholders(&mut self, info: &Conversation) {
        let me = self.me.id;
        for m in info.members.iter().filter(|m| m.id != me) {
            self.presence.entry(m.id).or_insert(Presence {
                user_id: m.id,
                status: PresenceStatus::Offline,
                last_seen_at: None,
            });
        }
    }

    /// Starts watching the presence of users not watched yet (never of whom I blocked).
    pub(super) fn watch(&mut self, users: impl IntoIterator<Item = UserId>) -> Vec<Action> {
        let me = self.me.id;
        let new: Vec<UserId> = users
            .into_iter()
            .filter(|u| *u != me && !self.blocked.contains(u) && self.watched.insert(*u))
            .collect();
        if new.is_empty() {
            return Vec::new();
        }
        vec![send(ClientEvent::SubscribePresence { user_ids: new })]
    }

    /// The people of my direct conversations (watched for as long as I am connected).
    pub(super) fn partners(&self) -> BTreeSet<UserId> {
        self.conversations
            .values()
            .filter_map(|c| self.partner(&c.info).map(|p| p.id))
            .collect()
    }

    /// Stops watching the members of a group I am leaving, except my direct partners.
    pub(super) fn unwatch_members(&mut self, conversation: ConversationId) -> Vec<Action> {
        let Some(c) = self.conversations.get(&conversation) else {
            return Vec::new();
        };
        if c.info.kind != ConversationKind::Group {
            return Vec::new();
        }
        let keep = self.partners();
        let gone: Vec<UserId> = c
            .info
            .members
            .iter()
            .map(|m| m.id)
            .filter(|u| !keep.contains(u) && self.watched.remove(u))
            .collect();
        if gone.is_empty() {
            return Vec::new();
        }
        vec![send(ClientEvent::UnsubscribePresence { user_ids: gone })]
    }

    /// Watches the members shown for the open conversation (bounded for big groups).
    pub(super) fn watch_members(&mut self, conversation: ConversationId) -> Vec<Action> {
        let Some(c) = self.conversations.get(&conversation) else {
            return Vec::new();
        };
        let members: Vec<UserId> = c
            .info
            .members
            .iter()
            .take(WATCH_GROUP_MEMBERS)
            .map(|m| m.id)
            .collect();
        self.watch(members)
    }
}
