//! The chat client's state and its reducer: pure Rust, no browser, unit-tested natively.
//!
//! Every server event goes through [`ChatState::apply`], which updates the state and returns the
//! [`Action`]s the browser side must perform (send a frame, fetch a page). Messages are kept per
//! conversation in a map keyed by sequence number, so a message can never be shown twice and a
//! gap in sequence numbers is detected and fetched.

use super::format;
use protocol::{
    ClientEvent, ClientFrame, Conversation, ConversationId, ConversationKind, ErrorCode, Message,
    MessageId, Notification, NotificationId, Presence, PresenceStatus, ReceiptKind, Seq,
    ServerEvent, ServerFrame, User, UserId,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

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
    /// Load the newest notifications, then mark them read (the bell was opened).
    OpenNotifications,
}

fn send(event: ClientEvent) -> Action {
    Action::Send(ClientFrame::new(event))
}

/// A message this client sent that the server has not acknowledged yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The client id, also used as the request id.
    pub temp_id: String,
    /// The text.
    pub body: String,
    /// Why the server refused it, if it did.
    pub failed: Option<String>,
}

/// A line in the chat that is not a message ("Bob joined").
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    /// Users viewing now (while I view it).
    pub viewers: Vec<UserId>,
    /// Join/leave lines.
    pub system: Vec<SystemLine>,
}

impl Conv {
    fn new(info: Conversation) -> Self {
        Self {
            info,
            messages: BTreeMap::new(),
            loaded: false,
            has_older: false,
            pending: Vec::new(),
            typing: BTreeSet::new(),
            viewers: Vec::new(),
            system: Vec::new(),
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

    fn insert(&mut self, message: Message) {
        if message.seq >= self.info.last_seq {
            self.info.last_seq = message.seq;
            self.info.last_message = Some(message.clone());
        } else if self
            .info
            .last_message
            .as_ref()
            .is_some_and(|m| m.id == message.id)
        {
            self.info.last_message = Some(message.clone());
        }
        self.messages.insert(message.seq, message);
    }

    /// How far `user` has read (0 if unknown).
    fn read_seq(&self, user: UserId) -> Seq {
        self.info
            .positions
            .iter()
            .find(|p| p.user_id == user)
            .map_or(0, |p| p.read_seq)
    }

    fn position_mut(&mut self, user: UserId) -> &mut protocol::MemberPosition {
        if let Some(i) = self.info.positions.iter().position(|p| p.user_id == user) {
            &mut self.info.positions[i]
        } else {
            self.info.positions.push(protocol::MemberPosition {
                user_id: user,
                delivered_seq: 0,
                read_seq: 0,
            });
            self.info.positions.last_mut().expect("just pushed")
        }
    }
}

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
    /// The latest problem, in plain words.
    pub notice: Option<String>,
    /// Bumped with every new notice, so that a timer set for one notice never closes a later one.
    pub notice_seq: u64,
    /// The notice is about the connection: it goes once the connection is back.
    notice_until_connected: bool,
    /// Notifications known so far, newest first.
    pub notifications: Vec<Notification>,
    /// The bell's count.
    pub unread_notifications: i64,
    /// Users whose presence this connection watches (the server forgets them on reconnect).
    pub watched: BTreeSet<UserId>,
    next_key: u64,
}

/// Most members of an open group whose presence is watched at once.
pub const WATCH_GROUP_MEMBERS: usize = 200;

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
            notice: None,
            notice_seq: 0,
            notice_until_connected: false,
            notifications: Vec::new(),
            unread_notifications: 0,
            watched: BTreeSet::new(),
            next_key: 0,
        }
    }

    /// Applies a server frame.
    pub fn apply(&mut self, frame: ServerFrame) -> Vec<Action> {
        let mut actions = Vec::new();
        match frame.event {
            ServerEvent::Authenticated { user, .. } => {
                self.me = user;
                self.conn = ConnState::Connected;
                if self.notice_until_connected {
                    self.notice = None;
                    self.notice_until_connected = false;
                }
                // A new connection watches nobody yet.
                self.watched.clear();
                actions.extend(self.resync());
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
            }
            ServerEvent::Pong { .. } | ServerEvent::ConversationLeft { .. } => {}
            ServerEvent::ConversationJoined {
                conversation_id,
                viewers,
            } => {
                if let Some(c) = self.conversations.get_mut(&conversation_id) {
                    c.viewers = viewers;
                }
            }
            ServerEvent::ViewerJoined {
                conversation_id,
                user_id,
            } => {
                self.viewers_changed(conversation_id, user_id, true);
            }
            ServerEvent::ViewerLeft {
                conversation_id,
                user_id,
            } => {
                self.viewers_changed(conversation_id, user_id, false);
            }
            ServerEvent::MessageAck { temp_id, message } => {
                if let Some(c) = self.conversations.get_mut(&message.conversation_id) {
                    c.pending.retain(|p| p.temp_id != temp_id);
                    c.insert(message);
                }
            }
            ServerEvent::MessageNew { message } => actions.extend(self.message_new(message)),
            ServerEvent::MessageEdited { message } | ServerEvent::MessageDeleted { message } => {
                self.uncount_if_deleted(&message);
                if let Some(c) = self.conversations.get_mut(&message.conversation_id) {
                    if c.messages.contains_key(&message.seq)
                        || c.info
                            .last_message
                            .as_ref()
                            .is_some_and(|m| m.id == message.id)
                    {
                        c.insert(message);
                    }
                }
            }
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
                }
            }
            ServerEvent::UnreadChanged {
                conversation_id,
                unread,
                total,
                read_seq,
            } => {
                let me = self.me.id;
                if let Some(c) = self.conversations.get_mut(&conversation_id) {
                    c.info.unread = unread;
                    let pos = c.position_mut(me);
                    pos.read_seq = pos.read_seq.max(read_seq);
                    pos.delivered_seq = pos.delivered_seq.max(read_seq);
                }
                self.total_unread = total;
                // A message I am looking at right now is read.
                actions.extend(self.mark_read_if_viewing(conversation_id));
            }
            ServerEvent::TypingStarted {
                conversation_id,
                user_id,
            } => {
                if let Some(c) = self.conversations.get_mut(&conversation_id) {
                    c.typing.insert(user_id);
                }
            }
            ServerEvent::TypingStopped {
                conversation_id,
                user_id,
            } => {
                if let Some(c) = self.conversations.get_mut(&conversation_id) {
                    c.typing.remove(&user_id);
                }
            }
            ServerEvent::ConversationUpdated { conversation } => {
                actions.extend(self.upsert(conversation))
            }
            ServerEvent::ConversationRemoved { conversation_id } => {
                self.conversations.remove(&conversation_id);
                if self.active == Some(conversation_id) {
                    self.active = None;
                    self.set_notice("You were removed from that conversation.".into(), false);
                }
            }
            ServerEvent::NotificationNew {
                notification,
                unread_notifications,
            } => {
                if !self.notifications.iter().any(|n| n.id == notification.id) {
                    self.notifications.insert(0, notification);
                }
                self.unread_notifications = unread_notifications;
            }
            ServerEvent::NotificationsRead {
                unread_notifications,
            } => {
                self.unread_notifications = unread_notifications;
                if unread_notifications == 0 {
                    for n in &mut self.notifications {
                        n.read = true;
                    }
                }
            }
            ServerEvent::Error { code, message } => {
                self.error(frame.id.as_deref(), code, &message);
            }
        }
        actions
    }

    fn error(&mut self, request: Option<&str>, code: ErrorCode, message: &str) {
        let text = format::error_text(code, message);
        if matches!(code, ErrorCode::Kicked | ErrorCode::AuthFailed) {
            self.conn = ConnState::Ended(text.clone());
        }
        // Sends use their temp id as the request id: mark that message as failed.
        if let Some(id) = request {
            for c in self.conversations.values_mut() {
                if let Some(p) = c.pending.iter_mut().find(|p| p.temp_id == id) {
                    p.failed = Some(text.clone());
                }
            }
        }
        // Errors that end in a reconnect are stale once it succeeds.
        let until_connected = matches!(
            code,
            ErrorCode::Unavailable | ErrorCode::SlowConsumer | ErrorCode::IdleTimeout
        );
        self.set_notice(text, until_connected);
    }

    /// Shows a notice (replacing any other). `until_connected`: it is about the connection and
    /// goes once the connection is back.
    pub fn set_notice(&mut self, text: String, until_connected: bool) {
        self.notice = Some(text);
        self.notice_seq += 1;
        self.notice_until_connected = until_connected;
    }

    /// Closes notice number `seq` if it is still the one shown (a timer, or the ✕ button).
    pub fn dismiss_notice(&mut self, seq: u64) {
        if self.notice_seq == seq {
            self.notice = None;
            self.notice_until_connected = false;
        }
    }

    fn viewers_changed(&mut self, conversation: ConversationId, user: UserId, joined: bool) {
        let name = self.display_name(user);
        let key = self.next_key;
        self.next_key += 1;
        if let Some(c) = self.conversations.get_mut(&conversation) {
            c.viewers.retain(|v| *v != user);
            if joined {
                c.viewers.push(user);
                c.viewers.sort();
            }
            if user != self.me.id {
                let after_seq = c.max_seq();
                let verb = if joined { "joined" } else { "left" };
                c.system.push(SystemLine {
                    after_seq,
                    text: format!("{name} {verb}"),
                    key,
                });
            }
        }
    }

    /// A presence entry from the server: mine sets my status (other devices, appearing
    /// offline), others' go to the presence map.
    fn presence_changed(&mut self, presence: Presence) {
        if presence.user_id == self.me.id {
            self.my_status = presence.status;
        } else {
            self.presence.insert(presence.user_id, presence);
        }
    }

    /// A deleted message from someone else that I had not read no longer counts as unread.
    fn uncount_if_deleted(&mut self, message: &Message) {
        if !message.deleted || message.sender_id == self.me.id {
            return;
        }
        let Some(c) = self.conversations.get(&message.conversation_id) else {
            return;
        };
        let already = c.messages.get(&message.seq).is_some_and(|m| m.deleted);
        if already || message.seq <= c.read_seq(self.me.id) {
            return;
        }
        let c = self
            .conversations
            .get_mut(&message.conversation_id)
            .expect("checked above");
        if c.info.unread > 0 {
            c.info.unread -= 1;
            self.total_unread = (self.total_unread - 1).max(0);
        }
    }

    fn message_new(&mut self, message: Message) -> Vec<Action> {
        let mut actions = Vec::new();
        let conv_id = message.conversation_id;
        let Some(c) = self.conversations.get_mut(&conv_id) else {
            // A conversation we have not heard of (e.g. created while we were away).
            return vec![Action::RefreshConversations];
        };
        if c.loaded && message.seq > c.max_seq() + 1 {
            actions.push(Action::FetchAfter {
                conversation: conv_id,
                after: c.max_seq(),
            });
        }
        c.typing.remove(&message.sender_id);
        let me = self.me.id;
        let from_other = message.sender_id != me;
        let seq = message.seq;
        let read = c.read_seq(me);
        // Count a message from someone else once: only if it is newer than anything counted.
        let counts = from_other && seq > c.info.last_seq && seq > read;
        c.insert(message);
        if counts {
            c.info.unread += 1;
            self.total_unread += 1;
        } else if !from_other {
            // Sending (from another device) means having read up to it.
            let pos = c.position_mut(me);
            pos.read_seq = pos.read_seq.max(seq);
            pos.delivered_seq = pos.delivered_seq.max(seq);
        }
        if from_other {
            actions.push(send(ClientEvent::MarkDelivered {
                conversation_id: conv_id,
                up_to_seq: seq,
            }));
        }
        actions.extend(self.mark_read_if_viewing(conv_id));
        actions
    }

    /// Adds or replaces a conversation (keeping its loaded messages and my unread count, which
    /// a shared `conversation_updated` does not carry). For a new direct conversation, starts
    /// watching the other person's presence.
    pub fn upsert(&mut self, info: Conversation) -> Vec<Action> {
        for p in self.presence_placeholders(&info) {
            self.presence.entry(p.user_id).or_insert(p);
        }
        let id = info.id;
        match self.conversations.get_mut(&id) {
            Some(c) => {
                let unread = c.info.unread;
                c.info = info;
                c.info.unread = unread;
                Vec::new()
            }
            None => {
                let partner = self.partner(&info).map(|p| p.id);
                self.conversations.insert(id, Conv::new(info));
                self.watch(partner)
            }
        }
    }

    fn presence_placeholders(&self, info: &Conversation) -> Vec<Presence> {
        info.members
            .iter()
            .filter(|m| m.id != self.me.id)
            .map(|m| Presence {
                user_id: m.id,
                status: PresenceStatus::Offline,
                last_seen_at: None,
            })
            .collect()
    }

    /// Starts watching the presence of users not watched yet.
    fn watch(&mut self, users: impl IntoIterator<Item = UserId>) -> Vec<Action> {
        let me = self.me.id;
        let new: Vec<UserId> = users
            .into_iter()
            .filter(|u| *u != me && self.watched.insert(*u))
            .collect();
        if new.is_empty() {
            return Vec::new();
        }
        vec![send(ClientEvent::SubscribePresence { user_ids: new })]
    }

    /// The people of my direct conversations (watched for as long as I am connected).
    fn partners(&self) -> BTreeSet<UserId> {
        self.conversations
            .values()
            .filter_map(|c| self.partner(&c.info).map(|p| p.id))
            .collect()
    }

    /// Stops watching the members of a group I am leaving, except my direct partners.
    fn unwatch_members(&mut self, conversation: ConversationId) -> Vec<Action> {
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
    fn watch_members(&mut self, conversation: ConversationId) -> Vec<Action> {
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

    /// Replaces the conversation list with a fresh one from the server (keeping loaded messages).
    pub fn set_conversations(&mut self, list: Vec<Conversation>) -> Vec<Action> {
        let ids: BTreeSet<ConversationId> = list.iter().map(|c| c.id).collect();
        self.conversations.retain(|id, _| ids.contains(id));
        let mut total = 0;
        for info in list {
            total += info.unread;
            // The fresh list's counts are exact: take them as they are.
            let id = info.id;
            let unread = info.unread;
            let _ = self.upsert(info);
            if let Some(c) = self.conversations.get_mut(&id) {
                c.info.unread = unread;
            }
        }
        self.total_unread = total;
        if self.active.is_some_and(|a| !ids.contains(&a)) {
            self.active = None;
        }
        let mut actions = self.watch(self.partners());
        if let Some(active) = self.active {
            actions.extend(self.watch_members(active));
            actions.extend(self.mark_read_if_viewing(active));
        }
        actions
    }

    /// What to do after (re)authenticating: reload the list, re-join the open view, fetch what
    /// was missed and re-send unacknowledged messages (the server deduplicates by temp id).
    fn resync(&mut self) -> Vec<Action> {
        let mut actions = vec![Action::RefreshConversations];
        if let Some(active) = self.active {
            actions.push(send(ClientEvent::JoinConversation {
                conversation_id: active,
            }));
        }
        let mut ids: Vec<_> = self.conversations.keys().copied().collect();
        ids.sort();
        for id in ids {
            let c = &self.conversations[&id];
            if c.loaded {
                actions.push(Action::FetchAfter {
                    conversation: id,
                    after: c.max_seq(),
                });
            }
            for p in c.pending.iter().filter(|p| p.failed.is_none()) {
                actions.push(Action::Send(ClientFrame::with_id(
                    p.temp_id.clone(),
                    ClientEvent::SendMessage {
                        conversation_id: id,
                        temp_id: p.temp_id.clone(),
                        body: p.body.clone(),
                    },
                )));
            }
        }
        if self.my_status != PresenceStatus::Online {
            actions.push(send(ClientEvent::SetPresence {
                status: self.my_status,
            }));
        }
        actions
    }

    /// Merges a page of history. `newest` says whether it was the newest page (sets `loaded`);
    /// `older` whether it was an older page (sets `has_older`); `more_after` asks for the next.
    pub fn merge_page(
        &mut self,
        conversation: ConversationId,
        messages: Vec<Message>,
        page: PageKind,
        has_more: bool,
    ) -> Vec<Action> {
        let Some(c) = self.conversations.get_mut(&conversation) else {
            return Vec::new();
        };
        let newest_seq = messages.last().map(|m| m.seq);
        for m in messages {
            c.insert(m);
        }
        let mut actions = Vec::new();
        match page {
            PageKind::Latest => {
                c.loaded = true;
                c.has_older = has_more;
            }
            PageKind::Older => c.has_older = has_more,
            PageKind::After => {
                if has_more {
                    if let Some(after) = newest_seq {
                        actions.push(Action::FetchAfter {
                            conversation,
                            after,
                        });
                    }
                }
            }
        }
        actions.extend(self.mark_read_if_viewing(conversation));
        actions
    }

    /// Opens a conversation: join its live view, load history, mark it read.
    pub fn open(&mut self, conversation: ConversationId) -> Vec<Action> {
        if self.active == Some(conversation) {
            return Vec::new();
        }
        let mut actions = Vec::new();
        if let Some(previous) = self.active.take() {
            if let Some(c) = self.conversations.get_mut(&previous) {
                c.viewers.clear();
            }
            actions.push(send(ClientEvent::LeaveConversation {
                conversation_id: previous,
            }));
            actions.extend(self.unwatch_members(previous));
        }
        let Some(c) = self.conversations.get(&conversation) else {
            return actions;
        };
        let loaded = c.loaded;
        self.active = Some(conversation);
        actions.push(send(ClientEvent::JoinConversation {
            conversation_id: conversation,
        }));
        if !loaded {
            actions.push(Action::FetchLatest(conversation));
        }
        actions.extend(self.watch_members(conversation));
        actions.extend(self.mark_read_if_viewing(conversation));
        actions
    }

    /// Closes the open conversation (e.g. back to the list on a phone).
    pub fn close_active(&mut self) -> Vec<Action> {
        match self.active.take() {
            Some(previous) => {
                let mut actions = vec![send(ClientEvent::LeaveConversation {
                    conversation_id: previous,
                })];
                actions.extend(self.unwatch_members(previous));
                actions
            }
            None => Vec::new(),
        }
    }

    /// The page became visible or hidden.
    pub fn set_visible(&mut self, visible: bool) -> Vec<Action> {
        self.visible = visible;
        match (visible, self.active) {
            (true, Some(active)) => self.mark_read_if_viewing(active),
            _ => Vec::new(),
        }
    }

    /// Sends `mark_read` when the open, visible conversation has unread messages.
    fn mark_read_if_viewing(&mut self, conversation: ConversationId) -> Vec<Action> {
        if self.active != Some(conversation) || !self.visible || self.conn != ConnState::Connected {
            return Vec::new();
        }
        let Some(c) = self.conversations.get_mut(&conversation) else {
            return Vec::new();
        };
        let me = self.me.id;
        let last = c.info.last_seq.max(c.max_seq());
        let read = c.read_seq(me);
        if last == 0 || (read >= last && c.info.unread == 0) {
            return Vec::new();
        }
        let pos = c.position_mut(me);
        pos.read_seq = last;
        pos.delivered_seq = pos.delivered_seq.max(last);
        self.total_unread -= c.info.unread;
        c.info.unread = 0;
        vec![send(ClientEvent::MarkRead {
            conversation_id: conversation,
            up_to_seq: last,
        })]
    }

    /// Queues a message: shown at once as pending, acknowledged later.
    pub fn send_text(&mut self, conversation: ConversationId, body: String) -> Vec<Action> {
        let body = body.trim().to_owned();
        let Some(c) = self.conversations.get_mut(&conversation) else {
            return Vec::new();
        };
        if body.is_empty() {
            return Vec::new();
        }
        let temp_id = MessageId::new().to_string();
        c.pending.push(Pending {
            temp_id: temp_id.clone(),
            body: body.clone(),
            failed: None,
        });
        vec![Action::Send(ClientFrame::with_id(
            temp_id.clone(),
            ClientEvent::SendMessage {
                conversation_id: conversation,
                temp_id,
                body,
            },
        ))]
    }

    /// Replaces the notification list with a fresh one from the server.
    pub fn set_notifications(&mut self, list: Vec<Notification>, unread: i64) {
        self.notifications = list;
        self.unread_notifications = unread;
    }

    /// The newest notification not yet read, to mark everything up to it as read.
    pub fn newest_unread_notification(&self) -> Option<NotificationId> {
        self.notifications
            .iter()
            .filter(|n| !n.read)
            .map(|n| n.id)
            .max()
    }

    /// Drops a failed pending message.
    pub fn discard(&mut self, conversation: ConversationId, temp_id: &str) {
        if let Some(c) = self.conversations.get_mut(&conversation) {
            c.pending.retain(|p| p.temp_id != temp_id);
        }
    }

    /// Where one of my messages is, judged from the other members' positions.
    pub fn delivery(&self, message: &Message) -> Delivery {
        let Some(c) = self.conversations.get(&message.conversation_id) else {
            return Delivery::Sent;
        };
        let others = c.info.positions.iter().filter(|p| p.user_id != self.me.id);
        let (mut delivered, mut seen) = (false, false);
        for p in others {
            seen |= p.read_seq >= message.seq;
            delivered |= p.delivered_seq >= message.seq;
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

    /// A user's presence status.
    pub fn status_of(&self, user: UserId) -> PresenceStatus {
        if user == self.me.id {
            return self.my_status;
        }
        self.presence
            .get(&user)
            .map_or(PresenceStatus::Offline, |p| p.status)
    }

    /// "Alice is typing…" for a conversation, if anyone is.
    pub fn typing_line(&self, conversation: ConversationId) -> Option<String> {
        let c = self.conversations.get(&conversation)?;
        let names: Vec<String> = c
            .typing
            .iter()
            .filter(|u| **u != self.me.id)
            .map(|u| self.display_name(*u))
            .collect();
        format::typing_line(&names)
    }
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

#[cfg(test)]
mod tests;
