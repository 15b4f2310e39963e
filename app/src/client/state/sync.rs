//! Opening, loading, sending and resyncing conversations.

use super::conversation::{Conv, Pending, SystemLine, Upload, UploadState};
use super::{send, Action, ChatState, ConnState, PageKind, Slice};
use protocol::{
    ClientEvent, ClientFrame, Conversation, ConversationId, ConversationKind, Message, MessageId,
    PresenceStatus, ReplyPreview,
};
use std::collections::BTreeSet;

impl ChatState {
    /// Adds or replaces a conversation (keeping its loaded messages and my unread count, which
    /// a shared `conversation_updated` does not carry). For a new direct conversation, starts
    /// watching the other person's presence; for a group whose members changed, adds
    /// "Dave joined the group" lines.
    pub fn upsert(&mut self, info: Conversation) -> Vec<Action> {
        self.presence_placeholders(&info);
        let id = info.id;
        self.touch(Slice::List);
        self.touch(Slice::Conversation(id));
        match self.conversations.get_mut(&id) {
            Some(c) => {
                let group = c.info.kind == ConversationKind::Group;
                let (joined, left) = c.replace_info(info);
                if !group {
                    return Vec::new();
                }
                let after_seq = c.max_seq().max(c.info.last_seq);
                let lines: Vec<String> = joined
                    .iter()
                    .map(|u| format!("{} joined the group", u.display_name))
                    .chain(
                        left.iter()
                            .map(|u| format!("{} left the group", u.display_name)),
                    )
                    .collect();
                for text in lines {
                    let key = self.next_key();
                    if let Some(c) = self.conversations.get_mut(&id) {
                        c.system.push(SystemLine {
                            after_seq,
                            text,
                            key,
                        });
                    }
                }
                if self.active == Some(id) {
                    let ids: Vec<_> = joined.iter().map(|u| u.id).collect();
                    return self.watch(ids);
                }
                Vec::new()
            }
            None => {
                self.learned_live.insert(id);
                let partner = self.partner(&info).map(|p| p.id);
                self.conversations.insert(id, Conv::new(info));
                self.watch(partner)
            }
        }
    }

    /// Replaces the conversation list with a fresh one from the server (keeping loaded messages,
    /// and conversations learned live since the last list: this one may have been read before
    /// they existed; one the user left is removed by its own `conversation_removed`).
    pub fn set_conversations(&mut self, list: Vec<Conversation>) -> Vec<Action> {
        let learned = std::mem::take(&mut self.learned_live);
        let ids: BTreeSet<ConversationId> = list.iter().map(|c| c.id).collect();
        let gone: Vec<ConversationId> = self
            .conversations
            .keys()
            .filter(|id| !ids.contains(id) && !learned.contains(id))
            .copied()
            .collect();
        for id in gone {
            self.conversations.remove(&id);
            self.touch(Slice::Conversation(id));
        }
        let mut actions = Vec::new();
        let mut total = 0;
        for info in list {
            total += info.unread;
            // The fresh list's counts are exact: take them as they are.
            let id = info.id;
            let (unread, muted) = (info.unread, info.muted);
            actions.extend(self.upsert(info));
            if let Some(c) = self.conversations.get_mut(&id) {
                c.info.unread = unread;
                c.info.muted = muted;
            }
        }
        total += learned
            .iter()
            .filter(|id| !ids.contains(id))
            .filter_map(|id| self.conversations.get(id))
            .map(|c| c.info.unread)
            .sum::<i64>();
        self.learned_live.clear();
        self.total_unread = total;
        self.touch(Slice::List);
        self.touch(Slice::Presence);
        if self
            .active
            .is_some_and(|a| !self.conversations.contains_key(&a))
        {
            self.active = None;
        }
        actions.extend(self.watch(self.partners()));
        if let Some(active) = self.active {
            actions.extend(self.watch_members(active));
            actions.extend(self.mark_read_if_viewing(active));
        }
        actions
    }

    /// What to do after (re)authenticating: reload the list, re-join the open view, fetch what
    /// was missed and re-send unacknowledged messages (the server deduplicates by temp id).
    pub(super) fn resync(&mut self) -> Vec<Action> {
        let mut actions = self.fetch_missed();
        let mut ids: Vec<_> = self.conversations.keys().copied().collect();
        ids.sort();
        for id in ids {
            let c = &self.conversations[&id];
            for p in c.pending.iter().filter(|p| p.failed.is_none()) {
                actions.push(Action::Send(ClientFrame::with_id(
                    p.temp_id.clone(),
                    ClientEvent::SendMessage {
                        conversation_id: id,
                        temp_id: p.temp_id.clone(),
                        body: p.body.clone(),
                        reply_to: p.reply.as_ref().map(|r| r.message_id),
                        attachments: p.attachments.iter().map(|a| a.id).collect(),
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

    /// Reload the list, re-join the open view and fetch what every loaded conversation missed.
    fn fetch_missed(&self) -> Vec<Action> {
        let mut actions = vec![Action::RefreshConversations, Action::LoadBlocks];
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
        }
        actions
    }

    /// The server may have missed events for us (`resync`: it lost its link to the other
    /// instances for a while): fetch what changed, as after a reconnect, on the same connection
    /// (sends in flight stay in flight: their acks still come).
    pub(super) fn catch_up(&mut self) -> Vec<Action> {
        let mut actions = self.fetch_missed();
        actions.push(Action::OpenNotifications);
        if !self.watched.is_empty() {
            // Watching again answers with everyone's current presence.
            let user_ids = self.watched.iter().copied().collect();
            actions.push(send(ClientEvent::SubscribePresence { user_ids }));
        }
        actions.extend(self.rewatch_posts());
        actions
    }

    /// Merges a page of history. `page` says which kind it was (the newest page sets `loaded`,
    /// an older one `has_older`); a page after the newest with more to come asks for the next.
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
        let mut preview = false;
        for m in messages {
            preview |= c.insert_page(m);
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
        self.touch(Slice::Conversation(conversation));
        if preview {
            self.touch(Slice::List);
        }
        actions.extend(self.mark_read_if_viewing(conversation));
        actions
    }

    /// Opens a conversation: join its live view, load history, mark it read.
    pub fn open(&mut self, conversation: ConversationId) -> Vec<Action> {
        if self.active == Some(conversation) {
            return Vec::new();
        }
        let mut actions = self.close_active();
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
        // The server marks notifications about it read on join; show that at once.
        let mut read_any = false;
        for n in &mut self.notifications {
            if n.conversation_id == Some(conversation) && !n.read {
                n.read = true;
                read_any = true;
            }
        }
        if read_any {
            self.touch(Slice::Notifications);
        }
        actions.extend(self.watch_members(conversation));
        actions.extend(self.mark_read_if_viewing(conversation));
        actions
    }

    /// Closes the open conversation (e.g. back to the list on a phone).
    pub fn close_active(&mut self) -> Vec<Action> {
        let Some(previous) = self.active.take() else {
            return Vec::new();
        };
        self.touch(Slice::List);
        if let Some(c) = self.conversations.get_mut(&previous) {
            c.viewers.clear();
            c.viewer_count = 0;
            self.touch(Slice::Activity);
        }
        let mut actions = vec![send(ClientEvent::LeaveConversation {
            conversation_id: previous,
        })];
        actions.extend(self.unwatch_members(previous));
        actions
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
    pub(super) fn mark_read_if_viewing(&mut self, conversation: ConversationId) -> Vec<Action> {
        if self.active != Some(conversation) || !self.visible || self.conn != ConnState::Connected {
            return Vec::new();
        }
        let me = self.me.id;
        let Some(c) = self.conversations.get_mut(&conversation) else {
            return Vec::new();
        };
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
        self.touch(Slice::List);
        vec![send(ClientEvent::MarkRead {
            conversation_id: conversation,
            up_to_seq: last,
        })]
    }

    /// Queues a message with the files uploaded for it: shown at once as pending, acknowledged
    /// later. Nothing is sent while a file is still uploading or failed (a message never goes
    /// half done), with neither text nor files, or with text over the limit (the composer
    /// shows the count), never cut.
    pub fn send_text(&mut self, conversation: ConversationId, body: String) -> Vec<Action> {
        let body = body.trim().to_owned();
        if body.chars().count() > self.max_message_chars {
            return Vec::new();
        }
        let Some(c) = self.conversations.get_mut(&conversation) else {
            return Vec::new();
        };
        let mut attachments = Vec::new();
        for upload in &c.uploads {
            match &upload.state {
                UploadState::Done(file) => attachments.push(file.clone()),
                UploadState::Uploading | UploadState::Failed(_) => return Vec::new(),
            }
        }
        if body.is_empty() && attachments.is_empty() {
            return Vec::new();
        }
        c.uploads.clear();
        let temp_id = MessageId::new().to_string();
        let reply = c.replying_to.take();
        c.pending.push(Pending {
            temp_id: temp_id.clone(),
            body: body.clone(),
            after_seq: c.max_seq().max(c.info.last_seq),
            failed: None,
            reply: reply.clone(),
            attachments: attachments.clone(),
        });
        self.touch(Slice::Conversation(conversation));
        vec![Action::Send(ClientFrame::with_id(
            temp_id.clone(),
            ClientEvent::SendMessage {
                conversation_id: conversation,
                temp_id,
                body,
                reply_to: reply.map(|r| r.message_id),
                attachments: attachments.iter().map(|a| a.id).collect(),
            },
        ))]
    }

    /// A file started uploading for the next message in `conversation`.
    pub fn upload_started(
        &mut self,
        conversation: ConversationId,
        key: u64,
        name: String,
        size: u64,
    ) {
        if let Some(c) = self.conversations.get_mut(&conversation) {
            c.uploads.retain(|u| u.key != key);
            c.uploads.push(Upload {
                key,
                name,
                size,
                sent: 0,
                state: UploadState::Uploading,
            });
            self.touch(Slice::Conversation(conversation));
        }
    }

    /// How far an upload has gone.
    pub fn upload_progress(&mut self, conversation: ConversationId, key: u64, sent: u64) {
        if let Some(u) = self
            .conversations
            .get_mut(&conversation)
            .and_then(|c| c.uploads.iter_mut().find(|u| u.key == key))
        {
            u.sent = sent.min(u.size);
            self.touch(Slice::Conversation(conversation));
        }
    }

    /// An upload ended: stored, or refused / interrupted with the reason.
    pub fn upload_ended(
        &mut self,
        conversation: ConversationId,
        key: u64,
        result: Result<protocol::Attachment, String>,
    ) {
        if let Some(u) = self
            .conversations
            .get_mut(&conversation)
            .and_then(|c| c.uploads.iter_mut().find(|u| u.key == key))
        {
            u.state = match result {
                Ok(file) => {
                    u.sent = u.size;
                    UploadState::Done(file)
                }
                Err(why) => UploadState::Failed(why),
            };
            self.touch(Slice::Conversation(conversation));
        }
    }

    /// The user took a file off the next message.
    pub fn remove_upload(&mut self, conversation: ConversationId, key: u64) {
        if let Some(c) = self.conversations.get_mut(&conversation) {
            c.uploads.retain(|u| u.key != key);
            self.touch(Slice::Conversation(conversation));
        }
    }

    /// Starts answering a loaded message: the composer shows what the reply will quote.
    pub fn start_reply(&mut self, conversation: ConversationId, message: MessageId) {
        let Some(c) = self.conversations.get_mut(&conversation) else {
            return;
        };
        let quoted = c
            .messages
            .values()
            .find(|m| m.id == message && !m.deleted)
            .map(ReplyPreview::of);
        if quoted.is_some() {
            c.replying_to = quoted;
            self.touch(Slice::Conversation(conversation));
        }
    }

    /// Stops answering: the next message answers nothing.
    pub fn cancel_reply(&mut self, conversation: ConversationId) {
        if let Some(c) = self.conversations.get_mut(&conversation) {
            if c.replying_to.take().is_some() {
                self.touch(Slice::Conversation(conversation));
            }
        }
    }

    /// Drops a failed pending message.
    pub fn discard(&mut self, conversation: ConversationId, temp_id: &str) {
        if let Some(c) = self.conversations.get_mut(&conversation) {
            c.pending.retain(|p| p.temp_id != temp_id);
            self.touch(Slice::Conversation(conversation));
        }
    }
}
