//! The coalescing of `viewers_changed`: conversations whose viewers changed beyond the named
//! limit ([`protocol::MAX_LISTED_VIEWERS`]) get one frame each at most every
//! [`VIEWERS_INTERVAL`], with the count when it is sent.

use crate::broker::Broker;
use crate::codec::encode_event;
use crate::topic::{Except, Topic};
use protocol::{ConversationId, ServerEvent, MAX_LISTED_VIEWERS};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// How often, at most, a conversation's `viewers_changed` is sent.
pub const VIEWERS_INTERVAL: Duration = Duration::from_secs(1);

/// Conversations whose viewers changed beyond the named limit, sent one `viewers_changed` each
/// at most every [`VIEWERS_INTERVAL`].
#[derive(Debug, Default)]
pub struct ViewerCounts {
    changed: Mutex<HashSet<ConversationId>>,
    wake: Notify,
}

impl ViewerCounts {
    /// Starts the task that sends the rounds, a round at most every [`VIEWERS_INTERVAL`].
    pub fn start(broker: Broker) -> Arc<Self> {
        let counts = Arc::new(Self::default());
        tokio::spawn(run(counts.clone(), broker));
        counts
    }

    /// Notes a change (constant work; the frame goes out with the next round).
    pub fn changed(&self, conversation: ConversationId) {
        // Never held across an await: a set insert.
        let mut changed = self.changed.lock().unwrap_or_else(|p| p.into_inner());
        if changed.insert(conversation) && changed.len() == 1 {
            self.wake.notify_one();
        }
    }

    fn take(&self) -> Vec<ConversationId> {
        let mut changed = self.changed.lock().unwrap_or_else(|p| p.into_inner());
        changed.drain().collect()
    }
}

async fn run(counts: Arc<ViewerCounts>, broker: Broker) {
    loop {
        counts.wake.notified().await;
        // The changes of the whole interval go out together.
        tokio::time::sleep(VIEWERS_INTERVAL).await;
        for conversation in counts.take() {
            let (count, viewers) = broker.viewers(conversation, MAX_LISTED_VIEWERS).await;
            let event = ServerEvent::ViewersChanged {
                conversation_id: conversation,
                count: u32::try_from(count).unwrap_or(u32::MAX),
                viewers,
            };
            let topic = Topic::Viewers(conversation);
            broker
                .publish(topic, Except::Nobody, encode_event(event))
                .await;
        }
    }
}
