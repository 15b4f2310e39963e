//! The write path of messages: sends from every session go through one queue; the writer takes
//! whatever has arrived (up to [`MAX_BATCH`]) and commits it in one transaction, then publishes
//! each new message in sequence order and answers each sender. Batches form by themselves under
//! load (sends arriving while a batch commits make the next one) and add no delay when idle.
//!
//! On PostgreSQL several writers run, each owning the conversations that hash to it: their
//! batches touch disjoint rows, so their round trips overlap instead of queueing behind one
//! another. SQLite has a single writer lock, so it gets one writer.

use crate::broker::Broker;
use crate::codec::encode_event;
use crate::error::AppError;
use crate::store::{Backend, NewMessage, Store, MAX_BATCH};
use crate::topic::{Except, Topic};
use protocol::{ConversationId, Message, ServerEvent, SessionId};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// What a sender gets back: the stored message, and whether it is new (false for a retry).
pub type SendResult = Result<(Message, bool), AppError>;

/// Writers on PostgreSQL: enough to overlap a few round trips, few enough to keep batches
/// large and the pool free for reads.
const POSTGRES_WRITERS: usize = 4;

struct Job {
    message: NewMessage,
    /// The sending session, which gets `message_ack` instead of `message_new`.
    origin: Option<SessionId>,
    reply: oneshot::Sender<SendResult>,
}

/// The handle to submit sends to the writer tasks.
#[derive(Clone, Debug)]
pub struct MessageWriter {
    /// One queue per writer; a conversation always goes to the same one (its sequence numbers
    /// and temp-id checks stay with a single committer).
    shards: Arc<[mpsc::Sender<Job>]>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("message", &self.message)
            .finish()
    }
}

impl MessageWriter {
    /// Starts the writer tasks (see the module doc for how many). `queue` bounds the sends
    /// waiting for each: beyond that, senders wait (each session has one send in flight, so
    /// this only bounds bursts). Each task runs until every handle is gone.
    pub fn start(store: Store, broker: Broker, queue: usize) -> Self {
        let writers = match store.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => POSTGRES_WRITERS,
        };
        let shards = (0..writers)
            .map(|_| {
                let (jobs, rx) = mpsc::channel(queue.max(1));
                tokio::spawn(run(store.clone(), broker.clone(), rx));
                jobs
            })
            .collect();
        Self { shards }
    }

    /// Stores a message, publishes it to the conversation if new, and returns it once committed.
    pub async fn submit(&self, message: NewMessage, origin: Option<SessionId>) -> SendResult {
        let (reply, answer) = oneshot::channel();
        let shard = shard_of(message.conversation, self.shards.len());
        self.shards[shard]
            .send(Job {
                message,
                origin,
                reply,
            })
            .await
            .map_err(|_| AppError::Unavailable("the server is shutting down".into()))?;
        answer
            .await
            .map_err(|_| AppError::Internal("the message writer stopped".into()))?
    }
}

/// Which writer owns a conversation.
fn shard_of(conversation: ConversationId, shards: usize) -> usize {
    // UUIDv7: the low bits are random.
    (conversation.0.as_u128() % shards as u128) as usize
}

async fn run(store: Store, broker: Broker, mut rx: mpsc::Receiver<Job>) {
    let mut jobs: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let (batch, waiting): (Vec<NewMessage>, Vec<_>) = jobs
            .drain(..)
            .map(|j| (j.message, (j.origin, j.reply)))
            .unzip();
        match store.insert_messages(&batch).await {
            Ok(results) => {
                for ((origin, reply), result) in waiting.into_iter().zip(results) {
                    if let Ok((message, true)) = &result {
                        let frame = encode_event(ServerEvent::MessageNew {
                            message: message.clone(),
                        });
                        let topic = Topic::Conversation(message.conversation_id);
                        let except = origin.map_or(Except::Nobody, Except::Session);
                        broker.publish(topic, except, frame).await;
                    }
                    let _ = reply.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, size = batch.len(), "could not store a batch of messages");
                for (_, reply) in waiting {
                    let _ = reply.send(Err(AppError::Unavailable(
                        "the message could not be stored; retry with the same temp_id".into(),
                    )));
                }
            }
        }
    }
}
