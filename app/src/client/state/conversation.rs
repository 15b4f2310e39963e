//! One conversation as this client knows it: the server's view, loaded messages, my pending
//! sends, who is typing or viewing, and membership lines.

use protocol::{
    Conversation, MemberPosition, Message, MessageReactions, ReplyPreview, Seq, User, UserId,
};
use std::collections::{BTreeMap, BTreeSet};

/// A message this client sent that the server has not acknowledged yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The client id, also used as the request id.
    pub temp_id: String,
    /// The text.
    pub body: String,
    /// Shown after the message with this sequence number (the newest when it was sent), so a
    /// failed message stays where it was written instead of sinking below newer ones.
    pub after_seq: Seq,
    /// Why the server refused it, if it did.
    pub failed: Option<String>,
    /// What it answers.
    pub reply: Option<ReplyPreview>,
    /// The files it carries.
    pub attachments: Vec<protocol::Attachment>,
}

/// A file being uploaded for the next message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    /// Which upload (the composer keeps the file under it, to try again).
    pub key: u64,
    /// The file's name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Bytes sent so far.
    pub sent: u64,
    /// Where it stands.
    pub state: UploadState,
}

/// Where an upload stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadState {
    /// Bytes are going out.
    Uploading,
    /// Stored: it goes with the next message.
    Done(protocol::Attachment),
    /// Refused or interrupted, with the reason: try again or remove it.
    Failed(String),
}

/// A line in the chat that is not a message: a membership change ("Dave joined the group").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SystemLine {
    /// Shown after the message with this sequence number.
    pub after_seq: Seq,
    /// The text.
    pub text: String,
    /// A unique key for rendering.
    pub key: u64,
}

/// Where one of my messages is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Delivery {
    /// Not acknowledged yet.
    Pending,
    /// Stored by the server.
    Sent,
    /// Another member's client received it.
    Delivered,
    /// Another member read it.
    Seen,
}

impl Delivery {
    /// The word shown next to the message.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "sending…",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Seen => "seen",
        }
    }
}

/// One conversation with what this client knows of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conv {
    /// The server's view (members, positions, unread, last message).
    pub info: Conversation,
    /// Loaded messages by sequence number.
    pub messages: BTreeMap<Seq, Message>,
    /// Whether the newest page has been loaded.
    pub loaded: bool,
    /// Whether older messages exist beyond the loaded ones.
    pub has_older: bool,
    /// My unacknowledged messages, in send order.
    pub pending: Vec<Pending>,
    /// Users typing now.
    pub typing: BTreeSet<UserId>,
    /// Users viewing now (while I view it), when few enough to be named.
    pub viewers: Vec<UserId>,
    /// How many users view it now, me included (while I view it).
    pub viewer_count: u32,
    /// Membership lines ("Dave joined the group").
    pub system: Vec<SystemLine>,
    /// The message the composer answers, if the user chose one.
    pub replying_to: Option<ReplyPreview>,
    /// Files uploading (or uploaded) for the next message.
    pub uploads: Vec<Upload>,
}

impl Conv {
    /// Updates what loaded replies (and the reply being written) quote of `original`, edited
    /// or deleted; true if any did.
    pub(super) fn requote(&mut self, original: &Message) -> bool {
        let now = ReplyPreview::of(original);
        let mut changed = false;
        for m in self.messages.values_mut() {
            if let Some(quote) = m.reply_to.as_mut().filter(|q| q.message_id == original.id) {
                *quote = now.clone();
                changed = true;
            }
        }
        if self
            .replying_to
            .as_ref()
            .is_some_and(|q| q.message_id == original.id)
        {
            // A deleted message is answered no more.
            self.replying_to = (!original.deleted).then(|| now.clone());
            changed = true;
        }
        changed
    }

    pub(super) fn new(info: Conversation) -> Self {
        Self {
            info,
            messages: BTreeMap::new(),
            loaded: false,
            has_older: false,
            pending: Vec::new(),
            typing: BTreeSet::new(),
            viewers: Vec::new(),
            viewer_count: 0,
            system: Vec::new(),
            replying_to: None,
            uploads: Vec::new(),
        }
    }

    /// The highest loaded sequence number (0 if none).
    pub fn max_seq(&self) -> Seq {
        self.messages.keys().next_back().copied().unwrap_or(0)
    }

    /// The lowest loaded sequence number.
    pub fn min_seq(&self) -> Option<Seq> {
        self.messages.keys().next().copied()
    }

    /// Whether the conversation is loaded and has nothing to show yet.
    pub fn is_empty(&self) -> bool {
        self.loaded && self.messages.is_empty() && self.pending.is_empty()
    }

    /// Stores a message from a live frame; returns whether the conversation list's preview
    /// changed. Live frames carry no reactions, so a loaded message keeps its own (a deleted
    /// one has none).
    pub(super) fn insert(&mut self, mut message: Message) -> bool {
        if let Some(old) = self
            .messages
            .get(&message.seq)
            .filter(|o| o.id == message.id)
        {
            if !message.deleted {
                message.reactions = old.reactions.clone();
                message.my_reactions = old.my_reactions.clone();
                message.reactions_version = old.reactions_version;
            }
        }
        self.store(message)
    }

    /// Stores a message from a page of history, which carries its reactions: they replace
    /// those loaded unless a newer version of them arrived live meanwhile.
    pub(super) fn insert_page(&mut self, mut message: Message) -> bool {
        if let Some(old) = self
            .messages
            .get(&message.seq)
            .filter(|o| o.id == message.id)
        {
            if old.reactions_version > message.reactions_version && !message.deleted {
                message.reactions = old.reactions.clone();
                message.my_reactions = old.my_reactions.clone();
                message.reactions_version = old.reactions_version;
            }
        }
        self.store(message)
    }

    /// Applies a message's new reactions (kept if newer than those loaded) and, from
    /// `reaction_saved`, whether one of them is mine now. True if the message is loaded.
    pub(super) fn react(
        &mut self,
        reactions: MessageReactions,
        mine: Option<(String, bool)>,
    ) -> bool {
        let Some(m) = self
            .messages
            .values_mut()
            .find(|m| m.id == reactions.message_id)
        else {
            return false;
        };
        if let Some((emoji, reacted)) = mine {
            m.my_reactions.retain(|e| *e != emoji);
            if reacted {
                m.my_reactions.push(emoji);
            }
        }
        if reactions.version > m.reactions_version {
            m.reactions = reactions.counts;
            m.reactions_version = reactions.version;
            // A reaction nobody has any more is not mine either.
            let counts = &m.reactions;
            m.my_reactions
                .retain(|e| counts.iter().any(|c| c.emoji == *e));
        }
        true
    }

    fn store(&mut self, message: Message) -> bool {
        let preview = if message.seq >= self.info.last_seq {
            self.info.last_seq = message.seq;
            true
        } else {
            self.info
                .last_message
                .as_ref()
                .is_some_and(|m| m.id == message.id)
        };
        if preview {
            self.info.last_message = Some(message.clone());
        }
        self.messages.insert(message.seq, message);
        preview
    }

    /// How far `user` has read (0 if unknown).
    pub(super) fn read_seq(&self, user: UserId) -> Seq {
        self.info
            .positions
            .iter()
            .find(|p| p.user_id == user)
            .map_or(0, |p| p.read_seq)
    }

    pub(super) fn position_mut(&mut self, user: UserId) -> &mut MemberPosition {
        if let Some(i) = self.info.positions.iter().position(|p| p.user_id == user) {
            &mut self.info.positions[i]
        } else {
            self.info.positions.push(MemberPosition {
                user_id: user,
                delivered_seq: 0,
                read_seq: 0,
            });
            self.info.positions.last_mut().expect("just pushed")
        }
    }

    /// Takes a fresh server view, keeping what it does not carry (my unread count) and never
    /// moving a read or delivery position backwards: a list fetched after a reconnect may be
    /// older than a receipt that arrived live. Returns the members who joined and who left.
    pub(super) fn replace_info(&mut self, mut info: Conversation) -> (Vec<User>, Vec<User>) {
        info.unread = self.info.unread;
        // Shared frames never carry the viewer's own mute; `mute_changed` and the list do.
        info.muted = self.info.muted;
        // The list's count of mentions, but never more than the unread messages kept.
        info.unread_mentions = info.unread_mentions.min(info.unread);
        for old in &self.info.positions {
            match info.positions.iter_mut().find(|p| p.user_id == old.user_id) {
                Some(new) => {
                    new.read_seq = new.read_seq.max(old.read_seq);
                    new.delivered_seq = new.delivered_seq.max(old.delivered_seq);
                }
                None if info.members.iter().any(|m| m.id == old.user_id) => {
                    info.positions.push(old.clone())
                }
                None => {}
            }
        }
        if info.last_seq < self.info.last_seq {
            info.last_seq = self.info.last_seq;
            info.last_message = self.info.last_message.clone();
        }
        let joined = info
            .members
            .iter()
            .filter(|m| !self.info.members.iter().any(|o| o.id == m.id))
            .cloned()
            .collect();
        let left = self
            .info
            .members
            .iter()
            .filter(|o| !info.members.iter().any(|m| m.id == o.id))
            .cloned()
            .collect();
        self.info = info;
        (joined, left)
    }
}
