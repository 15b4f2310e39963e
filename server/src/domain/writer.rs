//! The write path of messages: sends from every session go through one queue; the writer takes
//! whatever has arrived (up to [`MAX_BATCH`]) and commits it in one transaction, then publishes
//! each new message in sequence order and answers each sender. Batches form by themselves under
//! load (sends arriving while a batch commits make the next one) and add no delay when idle.

use crate::broker::Broker;
use crate::codec::encode_event;
use crate::error::AppError;
use crate::store::{NewMessage, Store, MAX_BATCH};
use crate::topic::{Except, Topic};
use protocol::{Message, ServerEvent, SessionId};
use tokio::sync::{mpsc, oneshot};

/// What a sender gets back: the stored message, and whether it is new (false for a retry).
pub type SendResult = Result<(Message, bool), AppError>;

struct Job {
    message: NewMessage,
    /// The sending session, which gets `message_ack` instead of `message_new`.
    origin: Option<SessionId>,
    reply: oneshot::Sender<SendResult>,
}

/// The handle to submit sends to the writer task.
#[derive(Clone, Debug)]
pub struct MessageWriter {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("message", &self.message)
            .finish()
    }
}

impl MessageWriter {
    /// Starts the writer task. `queue` bounds the sends waiting for it: beyond that, senders
    /// wait (each session has one send in flight, so this only bounds bursts).
    pub fn start(store: Store, broker: Broker, queue: usize) -> Self {
        let (jobs, rx) = mpsc::channel(queue.max(1));
        // One task: batches need a single committer, and it runs until every handle is gone.
        tokio::spawn(run(store, broker, rx));
        Self { jobs }
    }

    /// Stores a message, publishes it to the conversation if new, and returns it once committed.
    pub async fn submit(&self, message: NewMessage, origin: Option<SessionId>) -> SendResult {
        let (reply, answer) = oneshot::channel();
        self.jobs
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
