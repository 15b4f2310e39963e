//! The chat client's state and its reducer: pure Rust, no browser, unit-tested natively.
//!
//! Every server event goes through [`ChatState::apply`], which updates the state, records which
//! [`Slice`]s it touched (so that only the views reading them run again) and returns the
//! [`Action`]s the browser side must perform (send a frame, fetch a page). Messages are kept per
//! conversation in a map keyed by sequence number, so a message can never be shown twice and a
//! gap in sequence numbers is detected and fetched.
//!
//! - [`conversation`]: one conversation's data.
//! - [`changes`]: what a change touched.
//! - `sync`: opening, loading, sending and resyncing conversations.
//! - `presence`: whose presence is watched, and what is shown for it.
//! - `notice`: problems shown to the user.

mod blocks;
mod changes;
mod conversation;
mod mute;
mod notice;
mod posts;
mod presence;
mod sync;
mod toast;

pub use changes::{Changes, Slice};
pub use conversation::{Conv, Delivery, Pending, SystemLine, Upload, UploadState};
pub use posts::{PostLive, Posts};
pub use presence::WATCH_GROUP_MEMBERS;

use super::format;
use protocol::{
    ClientEvent, ClientFrame, Conversation, ConversationId, ConversationKind, Message,
    MessageReactions, Notification, NotificationId, Presence, PresenceStatus, ReadNotifications,
    ReceiptKind, Seq, ServerEvent, ServerFrame, User, UserId,
};
use std::collections::{BTreeSet, HashMap};

/// What the connection is doing, as the user sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnState {
    /// Opening the socket.
    Connecting,
    /// Authenticated and live.
    Connected,
    /// Lost; retrying after `in_ms`.
    Reconnecting {
        /// Milliseconds until the next attempt.
        in_ms: u32,
    },
    /// The server ended the session (signed out elsewhere, banned, token revoked).
    Ended(String),
}

impl ConnState {
    /// A short label for the header.
    pub fn label(&self) -> String {
        match self {
            Self::Connecting => "connecting…".into(),
            Self::Connected => "connected".into(),
            Self::Reconnecting { in_ms } => format!("reconnecting in {}s…", in_ms.div_ceil(1000)),
            Self::Ended(why) => format!("disconnected: {why}"),
        }
    }
}

/// Delay before reconnect attempt `attempt` (0-based): 500 ms doubling, capped at 10 s.
pub fn backoff_ms(attempt: u32) -> u32 {
    500u32.saturating_mul(1 << attempt.min(5)).min(10_000)
}

/// Something the browser side must do after a state change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send this frame over the WebSocket (dropped if disconnected; state that matters is
    /// re-sent on reconnect).
    Send(ClientFrame),
    /// Fetch the newest page of a conversation.
    FetchLatest(ConversationId),
    /// Fetch messages older than `before`.
    FetchOlder {
        /// The conversation.
        conversation: ConversationId,
        /// Exclusive upper bound.
        before: Seq,
    },
    /// Fetch messages newer than `after` (resync after a gap or a reconnect).
    FetchAfter {
        /// The conversation.
        conversation: ConversationId,
        /// Exclusive lower bound.
        after: Seq,
    },
    /// Reload the conversation list (after reconnecting, or an unknown conversation).
    RefreshConversations,
    /// Load the people I blocked (on every connection: another device may have changed them).
    LoadBlocks,
    /// Load the newest notifications (the bell was opened).
    OpenNotifications,
    /// Load the notifications older than this one ("Show older").
    OlderNotifications(NotificationId),
    /// Mark one notification read (it was opened).
    ReadNotification(NotificationId),
    /// Mark every notification up to this one read ("Mark all read").
    ReadNotificationsUpTo(NotificationId),
    /// The session's token expires soon: refresh the session (a fresh cookie and token) and
    /// hand the socket the fresh token, so that it stays open.
    RefreshSession,
}

fn send(event: ClientEvent) -> Action {
    Action::Send(ClientFrame::new(event))
}

/// Which kind of history page was fetched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageKind {
    /// The newest messages.
    Latest,
    /// Messages before the oldest loaded one.
    Older,
    /// Messages after the newest loaded one.
    After,
}

/// Most posts watched live at once (the server's default bound per connection).
pub const MAX_WATCHED_POSTS: usize = 500;

/// The longest message the server takes, in characters, until it says otherwise.
pub const DEFAULT_MAX_MESSAGE_CHARS: usize = 4000;

/// Everything the UI shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatState {
    /// The signed-in user.
    pub me: User,
    /// The connection.
    pub conn: ConnState,
    /// Conversations by id.
    pub conversations: HashMap<ConversationId, Conv>,
    /// Known presence of other users.
    pub presence: HashMap<UserId, Presence>,
    /// Unread messages over all conversations.
    pub total_unread: i64,
    /// The conversation on screen.
    pub active: Option<ConversationId>,
    /// Whether the page is visible (messages on screen count as read only then).
    pub visible: bool,
    /// The status I chose (or the tab chose for me).
    pub my_status: PresenceStatus,
    /// The longest message the server takes, in characters (Unicode scalar values).
    pub max_message_chars: usize,
    /// The latest problem, in plain words.
    pub notice: Option<String>,
    /// Bumped with every new notice, so that a timer set for one notice never closes a later one.
    pub notice_seq: u64,
    /// The notice is about the connection: it goes once the connection is back.
    notice_until_connected: bool,
    /// The notification popped up now (not while I am busy), and its number.
    pub toast: Option<(Notification, u64)>,
    /// Toasts popped up so far (numbers them).
    toasts_shown: u64,
    /// Notifications known so far, newest first.
    pub notifications: Vec<Notification>,
    /// The bell's count.
    pub unread_notifications: i64,
    /// Whether the server has older notifications than those listed.
    pub older_notifications: bool,
    /// Users whose presence this connection watches (the server forgets them on reconnect).
    pub watched: BTreeSet<UserId>,
    /// The people I blocked: their presence and typing are not shown, their messages collapsed.
    pub blocked: BTreeSet<UserId>,
    /// Live state of the posts shown.
    pub posts: Posts,
    /// Posts this connection watches.
    watched_posts: BTreeSet<protocol::PostId>,
    /// Conversations first learned from a live event since the list was last replaced: a list
    /// requested before they existed must not drop them.
    learned_live: BTreeSet<ConversationId>,
    /// What changed since the reactive layer last looked.
    changes: Changes,
    next_key: u64,
}

impl ChatState {
    /// A fresh state for a signed-in user.
    pub fn new(me: User) -> Self {
        Self {
            me,
            conn: ConnState::Connecting,
            conversations: HashMap::new(),
            presence: HashMap::new(),
            total_unread: 0,
            active: None,
            visible: true,
            my_status: PresenceStatus::Online,
            max_message_chars: DEFAULT_MAX_MESSAGE_CHARS,
            notice: None,
            notice_seq: 0,
            notice_until_connected: false,
            toast: None,
            toasts_shown: 0,
            notifications: Vec::new(),
            unread_notifications: 0,
            older_notifications: false,
            watched: BTreeSet::new(),
            blocked: BTreeSet::new(),
            posts: Posts::new(),
            watched_posts: BTreeSet::new(),
            learned_live: BTreeSet::new(),
            changes: Changes::default(),
            next_key: 0,
        }
    }

    /// What changed since the last call (the reactive layer wakes the views reading it).
    pub fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.changes)
    }

    fn touch(&mut self, slice: Slice) {
        self.changes.mark(slice);
    }

    /// Sets the connection state (from the socket loop).
    pub fn set_conn(&mut self, conn: ConnState) {
        if self.conn != conn {
            // Whether others are shown online depends on being connected.
            self.touch(Slice::Presence);
            self.touch(Slice::Conn);
            self.conn = conn;
        }
    }

    /// Sets the status I chose.
    pub fn set_my_status(&mut self, status: PresenceStatus) {
        self.my_status = status;
        self.touch(Slice::Me);
    }

    /// Applies a server frame.
    pub fn apply(&mut self, frame: ServerFrame) -> Vec<Action> {
        let mut actions = Vec::new();
        match frame.event {
            ServerEvent::Authenticated {
                user,
                max_message_chars,
                ..
            } => {
                self.me = user;
                self.max_message_chars = max_message_chars as usize;
                self.touch(Slice::Me);
                self.set_conn(ConnState::Connected);
                self.connection_back();
                // A new connection watches nobody yet.
                self.watched.clear();
                actions.extend(self.resync());
                actions.extend(self.rewatch_posts());
            }
            ServerEvent::PresenceSnapshot { users } | ServerEvent::PresenceChanged { users } => {
                for p in users {
                    self.presence_changed(p);
                }
            }
            ServerEvent::UnreadSnapshot {
                conversations,
                total,
                notifications,
            } => {
                self.unread_notifications = notifications;
                for u in conversations {
                    if let Some(c) = self.conversations.get_mut(&u.conversation_id) {
                        c.info.unread = u.unread;
                        c.info.last_seq = c.info.last_seq.max(u.last_seq);
                    }
                }
                self.total_unread = total;
                self.touch(Slice::Notifications);
                self.touch(Slice::List);
            }
            ServerEvent::Pong { .. } | ServerEvent::ConversationLeft { .. } => {}
            ServerEvent::ConversationJoined {
                conversation_id,
                viewers,
                viewer_count,
            }
            | ServerEvent::ViewersChanged {
                conversation_id,
                viewers,
                count: viewer_count,
            } => {
                if let Some(c) = self.conversations.get_mut(&conversation_id) {
                    c.viewers = viewers;
                    c.viewer_count = viewer_count;
                    self.touch(Slice::Activity);
                }
            }
            ServerEvent::ViewerJoined {
                conversation_id,
                user_id,
            } => self.viewers_changed(conversation_id, user_id, true),
            ServerEvent::ViewerLeft {
                conversation_id,
                user_id,
            } => self.viewers_changed(conversation_id, user_id, false),
            ServerEvent::MessageAck { temp_id, message } => {
                let id = message.conversation_id;
                if let Some(c) = self.conversations.get_mut(&id) {
                    c.pending.retain(|p| p.temp_id != temp_id);
                    c.insert(message);
                    self.touch(Slice::Conversation(id));
                    self.touch(Slice::List);
                }
            }
            ServerEvent::MessageNew { message } => actions.extend(self.message_new(message)),
            ServerEvent::MessageEdited { message } | ServerEvent::MessageDeleted { message } => {
                self.uncount_if_deleted(&message);
                let id = message.conversation_id;
                if let Some(c) = self.conversations.get_mut(&id) {
                    // Replies quote it as it reads now.
                    let requoted = c.requote(&message);
                    let shown = c.messages.contains_key(&message.seq);
                    let preview = c
                        .info
                        .last_message
                        .as_ref()
                        .is_some_and(|m| m.id == message.id);
                    if shown || preview {
                        c.insert(message);
                    }
                    if requoted || shown || preview {
                        self.touch(Slice::Conversation(id));
                    }
                    if preview {
                        self.touch(Slice::List);
                    }
                }
            }
            ServerEvent::ReactionsChanged { reactions } => self.react(reactions, None),
            ServerEvent::ReactionSaved {
                emoji,
                reacted,
                reactions,
            } => self.react(reactions, Some((emoji, reacted))),
            ServerEvent::Receipt {
                conversation_id,
                user_id,
                kind,
                up_to_seq,
            } => {
                if let Some(c) = self.conversations.get_mut(&conversation_id) {
                    let pos = c.position_mut(user_id);
                    match kind {
                        ReceiptKind::Delivered => {
                            pos.delivered_seq = pos.delivered_seq.max(up_to_seq)
                        }
                        ReceiptKind::Seen => {
                            pos.read_seq = pos.read_seq.max(up_to_seq);
                            pos.delivered_seq = pos.delivered_seq.max(up_to_seq);
                        }
                    }
                    self.touch(Slice::Conversation(conversation_id));
                }
            }
            ServerEvent::UnreadChanged {
                conversation_id,
                unread,
                read_seq,
            } => {
                let me = self.me.id;
                if let Some(c) = self.conversations.get_mut(&conversation_id) {
                    // The total is the sum of the conversations' counts.
                    self.total_unread = (self.total_unread + unread - c.info.unread).max(0);
                    c.info.unread = unread;
                    // Mentions are among the unread messages.
                    c.info.unread_mentions = c.info.unread_mentions.min(unread);
                    let pos = c.position_mut(me);
                    pos.read_seq = pos.read_seq.max(read_seq);
                    pos.delivered_seq = pos.delivered_seq.max(read_seq);
                }
                self.touch(Slice::List);
                // A message I am looking at right now is read.
                actions.extend(self.mark_read_if_viewing(conversation_id));
            }
            ServerEvent::TypingStarted {
                conversation_id,
                user_id,
                ..
            } => {
                // Whom I blocked is never shown typing.
                if self.blocked.contains(&user_id) {
                    return actions;
                }
                if let Some(c) = self.conversations.get_mut(&conversation_id) {
                    c.typing.insert(user_id);
                    self.touch(Slice::Activity);
                }
            }
            ServerEvent::TypingStopped {
                conversation_id,
                user_id,
            } => {
                if let Some(c) = self.conversations.get_mut(&conversation_id) {
                    c.typing.remove(&user_id);
                    self.touch(Slice::Activity);
                }
            }
            ServerEvent::ConversationUpdated { conversation } => {
                actions.extend(self.upsert(*conversation))
            }
            ServerEvent::ConversationRemoved { conversation_id } => {
                self.conversations.remove(&conversation_id);
                self.learned_live.remove(&conversation_id);
                self.touch(Slice::List);
                self.touch(Slice::Conversation(conversation_id));
                if self.active == Some(conversation_id) {
                    self.active = None;
                    self.set_notice("You were removed from that conversation.".into(), false);
                }
            }
            ServerEvent::MuteChanged {
                conversation_id,
                muted,
            } => self.mute_changed(conversation_id, muted),
            ServerEvent::BlocksChanged { user_id, blocked } => {
                actions.extend(self.block_changed(user_id, blocked))
            }
            ServerEvent::NotificationNew {
                notification,
                unread_notifications,
            } => {
                // The same id again is an update (a grouped like naming someone else).
                match self
                    .notifications
                    .iter_mut()
                    .find(|n| n.id == notification.id)
                {
                    Some(known) => *known = notification,
                    None => {
                        self.pop_up(&notification);
                        self.notifications.insert(0, notification)
                    }
                }
                self.unread_notifications = unread_notifications;
                self.touch(Slice::Notifications);
            }
            ServerEvent::NotificationsRead {
                read,
                unread_notifications,
            } => {
                self.unread_notifications = unread_notifications;
                let covers = |n: &Notification| match read {
                    ReadNotifications::UpTo { notification_id } => n.id <= notification_id,
                    ReadNotifications::One { notification_id } => n.id == notification_id,
                    ReadNotifications::Conversation { conversation_id } => {
                        n.conversation_id == Some(conversation_id)
                    }
                };
                for n in &mut self.notifications {
                    n.read |= covers(n);
                }
                // A pop-up about something read (here, by opening its conversation, or on
                // another device) has nothing left to say.
                if self.toast.as_ref().is_some_and(|(n, _)| covers(n)) {
                    self.toast = None;
                    self.touch(Slice::Toast);
                }
                self.touch(Slice::Notifications);
            }
            ServerEvent::NotificationRemoved {
                notification_id,
                unread_notifications,
            } => {
                self.notifications.retain(|n| n.id != notification_id);
                self.unread_notifications = unread_notifications;
                self.touch(Slice::Notifications);
            }
            ServerEvent::Resync => actions.extend(self.catch_up()),
            ServerEvent::PostsSubscribed { posts } => {
                for counts in posts {
                    self.post_event(posts::PostEvent::Counts(counts));
                }
            }
            ServerEvent::PostCountsChanged { counts } => {
                self.post_event(posts::PostEvent::Counts(counts))
            }
            ServerEvent::CommentNew { comment, counts } => {
                self.post_event(posts::PostEvent::Comment(comment));
                self.post_event(posts::PostEvent::Counts(counts));
            }
            ServerEvent::CommentDeleted {
                post_id,
                comment_id,
            } => self.post_event(posts::PostEvent::CommentGone(post_id, comment_id)),
            ServerEvent::PostDeleted { post_id } => {
                self.post_event(posts::PostEvent::Deleted(post_id))
            }
            ServerEvent::Error { code, message } => {
                self.error(frame.id.as_deref(), code, &message);
            }
            ServerEvent::TokenExpiring { .. } => actions.push(Action::RefreshSession),
            ServerEvent::TokenRefreshed { .. } => {}
            // A product's own events are for its own front-end code; the chat has no use for them.
            ServerEvent::CustomEvent { .. } => {}
        }
        actions
    }

    /// Someone opened or closed this conversation while I have it open: a quiet "here now"
    /// indicator, not a line in the history.
    fn viewers_changed(&mut self, conversation: ConversationId, user: UserId, joined: bool) {
        if let Some(c) = self.conversations.get_mut(&conversation) {
            // Sent by name only while few view it, so the list is whole.
            c.viewers.retain(|v| *v != user);
            if joined {
                c.viewers.push(user);
                c.viewers.sort();
            }
            c.viewer_count = u32::try_from(c.viewers.len()).unwrap_or(u32::MAX);
            self.touch(Slice::Activity);
        }
    }

    /// A message's reactions changed (and, from `reaction_saved`, whether one is mine).
    fn react(&mut self, reactions: MessageReactions, mine: Option<(String, bool)>) {
        let id = reactions.conversation_id;
        if let Some(c) = self.conversations.get_mut(&id) {
            if c.react(reactions, mine) {
                self.touch(Slice::Conversation(id));
            }
        }
    }

    /// A deleted message from someone else that I had not read no longer counts as unread.
    fn uncount_if_deleted(&mut self, message: &Message) {
        if !message.deleted || message.sender_id == self.me.id {
            return;
        }
        let me = self.me.id;
        let Some(c) = self.conversations.get_mut(&message.conversation_id) else {
            return;
        };
        let already = c.messages.get(&message.seq).is_some_and(|m| m.deleted);
        if already || message.seq <= c.read_seq(me) || c.info.unread == 0 {
            return;
        }
        c.info.unread -= 1;
        let mentioned_me = c
            .messages
            .get(&message.seq)
            .is_some_and(|m| m.mentions.contains(&me));
        if mentioned_me {
            c.info.unread_mentions = (c.info.unread_mentions - 1).max(0);
        }
        c.info.unread_mentions = c.info.unread_mentions.min(c.info.unread);
        self.total_unread = (self.total_unread - 1).max(0);
        self.touch(Slice::List);
    }

    fn message_new(&mut self, message: Message) -> Vec<Action> {
        let mut actions = Vec::new();
        let conv_id = message.conversation_id;
        let me = self.me.id;
        let Some(c) = self.conversations.get_mut(&conv_id) else {
            // A conversation we have not heard of (e.g. created while we were away).
            return vec![Action::RefreshConversations];
        };
        if c.loaded && message.seq > c.max_seq() + 1 {
            actions.push(Action::FetchAfter {
                conversation: conv_id,
                after: c.max_seq(),
            });
        } else if !c.loaded && message.seq > c.info.last_seq + 1 {
            // Messages we never got (an instance died before publishing them): the list's
            // exact unread counts include them.
            actions.push(Action::RefreshConversations);
        }
        let was_typing = c.typing.remove(&message.sender_id);
        let from_other = message.sender_id != me;
        let seq = message.seq;
        let read = c.read_seq(me);
        // Count a message from someone else once: only if it is newer than anything counted.
        let counts = from_other && seq > c.info.last_seq && seq > read;
        let message_mentions_me = message.mentions.contains(&me);
        c.insert(message);
        if counts {
            c.info.unread += 1;
            if message_mentions_me {
                c.info.unread_mentions += 1;
            }
            self.total_unread += 1;
        } else if !from_other {
            // Sending (from another device) means having read up to it.
            let pos = c.position_mut(me);
            pos.read_seq = pos.read_seq.max(seq);
            pos.delivered_seq = pos.delivered_seq.max(seq);
        }
        self.touch(Slice::Conversation(conv_id));
        self.touch(Slice::List);
        if was_typing {
            self.touch(Slice::Activity);
        }
        // Reading it says it was delivered too: one receipt, not two, while I look at it.
        let read = self.mark_read_if_viewing(conv_id);
        if from_other && read.is_empty() {
            actions.push(send(ClientEvent::MarkDelivered {
                conversation_id: conv_id,
                up_to_seq: seq,
            }));
        }
        actions.extend(read);
        actions
    }

    /// Replaces the notification list with a fresh one from the server.
    pub fn set_notifications(&mut self, list: Vec<Notification>, unread: i64, more: bool) {
        self.notifications = list;
        self.unread_notifications = unread;
        self.older_notifications = more;
        self.touch(Slice::Notifications);
    }

    /// Appends an older page of notifications (those already listed are kept once).
    pub fn add_older_notifications(&mut self, page: Vec<Notification>, more: bool) {
        for n in page {
            if !self.notifications.iter().any(|known| known.id == n.id) {
                self.notifications.push(n);
            }
        }
        self.older_notifications = more;
        self.touch(Slice::Notifications);
    }

    /// The newest notification not yet read, to mark everything up to it as read.
    pub fn newest_unread_notification(&self) -> Option<NotificationId> {
        self.notifications
            .iter()
            .filter(|n| !n.read)
            .map(|n| n.id)
            .max()
    }

    /// Where my message number `seq` is, judged from the other members' positions.
    pub fn delivery(&self, conversation: ConversationId, seq: Seq) -> Delivery {
        let Some(c) = self.conversations.get(&conversation) else {
            return Delivery::Sent;
        };
        let others = c.info.positions.iter().filter(|p| p.user_id != self.me.id);
        let (mut delivered, mut seen) = (false, false);
        for p in others {
            seen |= p.read_seq >= seq;
            delivered |= p.delivered_seq >= seq;
        }
        if seen {
            Delivery::Seen
        } else if delivered {
            Delivery::Delivered
        } else {
            Delivery::Sent
        }
    }

    /// Conversations, most recently active first.
    pub fn sorted(&self) -> Vec<&Conv> {
        let mut list: Vec<&Conv> = self.conversations.values().collect();
        list.sort_by_key(|c| {
            let at = c
                .info
                .last_message
                .as_ref()
                .map_or(c.info.created_at, |m| m.created_at);
            (std::cmp::Reverse(at), c.info.id)
        });
        list
    }

    /// A user's display name, from any conversation's members.
    pub fn display_name(&self, user: UserId) -> String {
        if user == self.me.id {
            return self.me.display_name.clone();
        }
        if user == UserId::SYSTEM {
            return "Announcement".into();
        }
        self.conversations
            .values()
            .flat_map(|c| c.info.members.iter())
            .find(|m| m.id == user)
            .map_or_else(|| "someone".into(), |m| m.display_name.clone())
    }

    /// The other member of a direct conversation.
    pub fn partner(&self, conv: &Conversation) -> Option<User> {
        (conv.kind == ConversationKind::Direct)
            .then(|| conv.members.iter().find(|m| m.id != self.me.id).cloned())
            .flatten()
    }

    /// The name shown for a conversation.
    pub fn title(&self, conv: &Conversation) -> String {
        match (&conv.title, self.partner(conv)) {
            (Some(title), _) => title.clone(),
            (None, Some(partner)) => partner.display_name,
            (None, None) => "Conversation".into(),
        }
    }

    /// "Alice is typing…" for a conversation, if anyone is.
    pub fn typing_line(&self, conversation: ConversationId) -> Option<String> {
        let c = self.conversations.get(&conversation)?;
        format::typing_line(&self.others_names(c.typing.iter()))
    }

    /// "Bob is here" for the open conversation: who else has it open right now ("42 others
    /// here" when too many view it to be named).
    pub fn viewers_line(&self, conversation: ConversationId) -> Option<String> {
        let c = self.conversations.get(&conversation)?;
        if c.viewers.is_empty() && c.viewer_count as usize > protocol::MAX_LISTED_VIEWERS {
            // The count includes me.
            return format::viewers_count_line(c.viewer_count.saturating_sub(1) as usize);
        }
        format::viewers_line(&self.others_names(c.viewers.iter()))
    }

    /// The display names of these users, leaving me out, and whom I blocked.
    fn others_names<'a>(&self, users: impl Iterator<Item = &'a UserId>) -> Vec<String> {
        users
            .filter(|u| **u != self.me.id && !self.blocked.contains(u))
            .map(|u| self.display_name(*u))
            .collect()
    }

    fn next_key(&mut self) -> u64 {
        self.next_key += 1;
        self.next_key
    }
}

#[cfg(test)]
mod tests;
