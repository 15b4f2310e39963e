//! What a gateway session remembers to render events in its vocabulary, bounded.

use protocol::{ConversationId, Message, MessageId, PostCounts, PostId, Seq, UserId};
use std::collections::HashMap;

/// Entries kept in a session's [`Memory`] maps before they are cleared.
const MEMORY_BOUND: usize = 4096;

/// What a session remembers to render events its vocabulary shapes differently from Confab:
/// display names (typing events name the typer), the last counters of each watched post (likes
/// and comments are separate events) and the ids of the messages it saw by position (receipts
/// name a message), all bounded; for the hub's inbox, the user and the unread count and platform
/// of each of their conversations (as many as they are in). Nothing here costs a query.
#[derive(Debug, Default)]
pub struct Memory {
    names: HashMap<UserId, String>,
    counts: HashMap<PostId, PostCounts>,
    messages: HashMap<(ConversationId, Seq), MessageId>,
    me: Option<UserId>,
    /// The user's email (the hub's `authenticated` names it).
    email: Option<String>,
    /// Per conversation: the unread count and the newest message it includes.
    unread: HashMap<ConversationId, (i64, Seq)>,
    platforms: HashMap<ConversationId, String>,
    /// The direct conversation with each person the user typed to.
    directs: HashMap<UserId, ConversationId>,
}

impl Memory {
    /// Starts an inbox: the user, their conversations' unread counts (with the newest message
    /// each includes) and the platforms of those that have one.
    pub fn start_inbox(
        &mut self,
        me: UserId,
        unread: impl IntoIterator<Item = (ConversationId, i64, Seq)>,
        platforms: impl IntoIterator<Item = (ConversationId, String)>,
    ) {
        self.me = Some(me);
        self.unread = unread
            .into_iter()
            .map(|(c, n, seq)| (c, (n, seq)))
            .collect();
        self.platforms = platforms.into_iter().collect();
    }

    /// The direct conversation with `user`, if looked up before.
    pub fn direct_with(&self, user: UserId) -> Option<ConversationId> {
        self.directs.get(&user).copied()
    }

    /// Remembers the direct conversation with `user`.
    pub fn remember_direct(&mut self, user: UserId, conversation: ConversationId) {
        if self.directs.len() >= MEMORY_BOUND {
            self.directs.clear();
        }
        self.directs.insert(user, conversation);
    }

    /// Remembers the user's email.
    pub fn set_email(&mut self, email: Option<String>) {
        self.email = email;
    }

    /// The user's email, if remembered.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// Remembers whose session this is.
    pub fn set_me(&mut self, me: UserId) {
        self.me = Some(me);
    }

    /// The user, once known.
    pub fn me(&self) -> Option<UserId> {
        self.me
    }

    /// Counts a new message from someone else as unread, unless the count already includes
    /// it; whether it changed the count.
    pub fn count_unread(&mut self, conversation: ConversationId, seq: Seq) -> bool {
        let (count, through) = self.unread.entry(conversation).or_default();
        if seq <= *through {
            return false;
        }
        *count += 1;
        *through = seq;
        true
    }

    /// Sets a conversation's unread count.
    pub fn set_unread(&mut self, conversation: ConversationId, unread: i64) {
        self.unread.entry(conversation).or_default().0 = unread;
    }

    /// A conversation's unread count.
    pub fn unread_of(&self, conversation: ConversationId) -> i64 {
        self.unread.get(&conversation).map_or(0, |(n, _)| *n)
    }

    /// Every conversation's unread count.
    pub fn unread_counts(&self) -> impl Iterator<Item = (ConversationId, i64)> + '_ {
        self.unread.iter().map(|(c, (n, _))| (*c, *n))
    }

    /// Records where a conversation comes from (`None`: Confab's own).
    pub fn set_platform(&mut self, conversation: ConversationId, platform: Option<&str>) {
        match platform {
            Some(p) => self.platforms.insert(conversation, p.to_owned()),
            None => self.platforms.remove(&conversation),
        };
    }

    /// Where a conversation comes from, if elsewhere.
    pub fn platform_of(&self, conversation: ConversationId) -> Option<&str> {
        self.platforms.get(&conversation).map(String::as_str)
    }

    /// Forgets a conversation the user left.
    pub fn forget_conversation(&mut self, conversation: ConversationId) {
        self.unread.remove(&conversation);
        self.platforms.remove(&conversation);
    }

    /// Remembers a user's display name.
    pub fn name(&mut self, user: UserId, name: &str) {
        if self.names.len() >= MEMORY_BOUND {
            self.names.clear();
        }
        self.names.insert(user, name.to_owned());
    }

    /// A user's display name, if known.
    pub fn name_of(&self, user: UserId) -> Option<&str> {
        self.names.get(&user).map(String::as_str)
    }

    /// Records a post's counters; returns the previous ones (`None` the first time). A stale
    /// update (an older version) is not recorded and comes back as its own previous value, so
    /// that it reads as no change.
    pub fn counts(&mut self, counts: &PostCounts) -> Option<PostCounts> {
        if let Some(old) = self.counts.get(&counts.post_id) {
            if old.version > counts.version {
                // Stale (counters are coalesced and versioned): keep the newer ones.
                return Some(*counts);
            }
        }
        if self.counts.len() >= MEMORY_BOUND {
            self.counts.clear();
        }
        self.counts.insert(counts.post_id, *counts)
    }

    /// Remembers a message this session saw.
    pub fn message(&mut self, message: &Message) {
        if self.messages.len() >= MEMORY_BOUND {
            self.messages.clear();
        }
        self.messages
            .insert((message.conversation_id, message.seq), message.id);
    }

    /// The id of the message at a position, if this session saw it.
    pub fn message_at(&self, conversation: ConversationId, seq: Seq) -> Option<MessageId> {
        self.messages.get(&(conversation, seq)).copied()
    }

    /// The last known comment count of a post.
    pub fn comment_count(&self, post: PostId) -> Option<i64> {
        self.counts.get(&post).map(|c| c.comment_count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_keep_the_newest_version() {
        let post = PostId::new();
        let counts = |likes, version| PostCounts {
            post_id: post,
            like_count: likes,
            comment_count: 0,
            version,
        };
        let mut memory = Memory::default();
        assert_eq!(memory.counts(&counts(1, 1)), None);
        assert_eq!(memory.counts(&counts(3, 3)), Some(counts(1, 1)));
        // An older version changes nothing.
        assert_eq!(memory.counts(&counts(2, 2)), Some(counts(2, 2)));
        assert_eq!(memory.counts.get(&post), Some(&counts(3, 3)));
    }
}
