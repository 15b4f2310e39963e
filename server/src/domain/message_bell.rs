//! The bell for direct messages. A direct message rings the recipient's bell unless they have
//! the conversation open, muted it, or already have an unread "sent you a message" entry for
//! it (so a burst of messages rings once until they read it). Group messages are counted by unread
//! badges only: a notification per member per message would cost every send the size of the
//! group.
//!
//! Checked after the ack, off its path, in batches: one task takes the messages sent since its
//! last round and asks the database once for all of them which recipients already have an
//! entry, instead of one query (and one hand-off to the database's thread) per message.

use super::bell::{notify_with, EXCERPT_CHARS};
use crate::broker::Broker;
use crate::store::{NotificationDraft, Store};
use protocol::{Message, NotificationKind, User};
use std::collections::HashSet;
use tokio::sync::mpsc;

/// Most messages checked in one round.
const MAX_ROUND: usize = 512;

/// The handle to hand sent messages to the bell's task.
#[derive(Clone, Debug)]
pub struct MessageBell {
    sent: mpsc::Sender<(User, Message)>,
}

impl MessageBell {
    /// Starts the task; `queue` bounds the messages waiting for it.
    pub fn start(store: Store, broker: Broker, queue: usize) -> Self {
        let (sent, rx) = mpsc::channel(queue.max(1));
        tokio::spawn(run(store, broker, rx));
        Self { sent }
    }

    /// A new message was stored and published: ring its recipient's bell if it should. Never
    /// waits (a full queue is waited on by a task of its own).
    pub fn ring(&self, sender: &User, message: &Message) {
        let job = (sender.clone(), message.clone());
        if let Err(mpsc::error::TrySendError::Full(job)) = self.sent.try_send(job) {
            let sent = self.sent.clone();
            tokio::spawn(async move {
                let _ = sent.send(job).await;
            });
        }
    }
}

async fn run(store: Store, broker: Broker, mut rx: mpsc::Receiver<(User, Message)>) {
    let mut round = Vec::with_capacity(MAX_ROUND);
    while rx.recv_many(&mut round, MAX_ROUND).await > 0 {
        if let Err(e) = ring_round(&store, &broker, round.drain(..)).await {
            tracing::warn!(error = %e, "message notifications failed");
        }
    }
}

async fn ring_round(
    store: &Store,
    broker: &Broker,
    round: impl Iterator<Item = (User, Message)>,
) -> Result<(), crate::error::AppError> {
    // The first message of each (recipient, conversation) in the round: a burst rings once.
    let mut candidates = Vec::new();
    let mut seen = HashSet::new();
    for (sender, message) in round {
        let conversation = message.conversation_id;
        // Remembered after the first time: no query per message.
        let Some(recipient) = store.direct_partner(conversation, sender.id).await? else {
            continue;
        };
        if !seen.insert((recipient, conversation)) {
            continue;
        }
        if broker.is_viewing(conversation, recipient).await {
            continue;
        }
        candidates.push((recipient, sender, message));
    }
    let pairs: Vec<_> = candidates
        .iter()
        .map(|(recipient, _, m)| (*recipient, m.conversation_id))
        .collect();
    let quiet = store.quiet_direct_pairs(&pairs).await?;
    for (recipient, sender, message) in candidates {
        let conversation = message.conversation_id;
        if quiet.contains(&(recipient, conversation)) {
            continue;
        }
        let draft = NotificationDraft {
            kind: NotificationKind::MessageReceived,
            actor: &sender,
            conversation: Some((conversation, None)),
            post: None,
            message: None,
            text: Some(message.preview().chars().take(EXCERPT_CHARS).collect()),
            link: None,
        };
        notify_with(store, broker, &draft, &[recipient]).await?;
    }
    Ok(())
}
