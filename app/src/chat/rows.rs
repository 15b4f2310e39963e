//! What the history shows, line by line: stored messages (with what they quote and whom they
//! mention), my pending sends and membership lines, in order; and the message a list is asked
//! to show.

use crate::client::state::{Pending, SystemLine};
use crate::client::ChatState;
use leptos::prelude::RwSignal;
use protocol::{ConversationId, Message};

/// A rendered line, with everything it shows (so a changed line gets a new key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    /// A stored message.
    Message(Box<MessageLine>),
    /// One of my messages not acknowledged yet.
    Pending(ConversationId, Pending),
    /// "Dave joined the group".
    System(SystemLine),
}

/// A stored message as a line shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageLine {
    /// The message.
    pub message: Message,
    /// Sender's display name.
    pub sender: String,
    /// Whether I sent it (its delivery state is shown, and it can be edited).
    pub mine: bool,
    /// The display name of the author of the message it answers.
    pub quoted: Option<String>,
    /// Where its text mentions a member (the `@username` and who), to link them.
    pub links: Vec<(std::ops::Range<usize>, protocol::UserId)>,
    /// I blocked its sender: it is shown collapsed.
    pub blocked: bool,
    /// I may delete it though it is not mine: I own or administer the group.
    pub moderate: bool,
    /// Who deleted it, when that was not its sender (a moderator's name).
    pub deleted_by: Option<String>,
}

/// The `@username`s of a message that name a member it mentions, with who they are.
fn mention_links(
    message: &Message,
    members: &[protocol::User],
) -> Vec<(std::ops::Range<usize>, protocol::UserId)> {
    if message.mentions.is_empty() {
        return Vec::new();
    }
    protocol::mention_spans(&message.body)
        .into_iter()
        .filter_map(|(range, name)| {
            let user = members.iter().find(|u| u.username == name)?;
            message
                .mentions
                .contains(&user.id)
                .then_some((range, user.id))
        })
        .collect()
}

impl Row {
    /// The rows of a conversation, in order: membership lines and pending sends go after the
    /// message that was newest when they happened.
    pub fn build(state: &ChatState, id: ConversationId) -> Vec<Row> {
        let Some(c) = state.conversations.get(&id) else {
            return Vec::new();
        };
        let mut rows = Vec::with_capacity(c.messages.len() + c.system.len() + c.pending.len());
        let mut system = c.system.iter().peekable();
        let mut pending = c.pending.iter().peekable();
        let me = state.me.id;
        let moderator = c.info.owner_id == Some(me) || c.info.admins.contains(&me);
        for message in c.messages.values() {
            while let Some(line) = system.next_if(|l| l.after_seq < message.seq) {
                rows.push(Row::System(line.clone()));
            }
            while let Some(p) = pending.next_if(|p| p.after_seq < message.seq) {
                rows.push(Row::Pending(id, p.clone()));
            }
            rows.push(Row::Message(Box::new(MessageLine {
                sender: state.display_name(message.sender_id),
                mine: message.sender_id == state.me.id,
                quoted: message
                    .reply_to
                    .as_ref()
                    .map(|q| state.display_name(q.sender_id)),
                links: mention_links(message, &c.info.members),
                blocked: state.blocked.contains(&message.sender_id),
                moderate: moderator && message.sender_id != me,
                deleted_by: message.deleted_by.map(|u| state.display_name(u)),
                message: message.clone(),
            })));
        }
        rows.extend(system.cloned().map(Row::System));
        rows.extend(pending.cloned().map(|p| Row::Pending(id, p)));
        rows
    }

    /// A key that changes whenever the row's text does (the delivery state updates in place).
    pub fn key(&self) -> String {
        match self {
            Row::Message(line) => format!(
                "m{}:{:?}:{}:{}:{:?}:{}:{}:{:?}",
                line.message.id,
                line.message.edited_at,
                line.message.deleted,
                line.sender,
                line.message
                    .reply_to
                    .as_ref()
                    .map(|q| (&q.excerpt, q.deleted)),
                line.blocked,
                line.moderate,
                line.deleted_by
            ),
            Row::Pending(_, p) => format!("p{}:{:?}", p.temp_id, p.failed),
            Row::System(line) => format!("s{}", line.key),
        }
    }
}

/// The message a quote's click asks the list to show (by sequence number): older pages are
/// loaded until it is there, then it is scrolled to and highlighted.
#[derive(Clone, Copy)]
pub struct JumpTo(pub RwSignal<Option<protocol::Seq>>);
