//! The write path of messages: sends from every session go through one queue; the writer takes
//! whatever has arrived (up to [`MAX_BATCH`]) and commits it in one transaction, then publishes
//! each new message in sequence order and answers each sender. Batches form by themselves under
//! load (sends arriving while a batch commits make the next one) and add no delay when idle.
//!
//! A retried send (the same `temp_id`) whose original is already stored is published again:
//! the instance that stored the original may have died between its commit and its publish, and
//! nothing else would ever deliver it live. Delivery is therefore at least once: a client that
//! already has the message (same `id` and `seq`) keeps one copy (the protocol reference says so,
//! and the web app and the gateway do).

use crate::broker::Broker;
use crate::codec::encode_event;
use crate::error::AppError;
use crate::store::{Backend, NewMessage, Store, MAX_BATCH};
use crate::topic::{Except, Topic};
use protocol::{Message, ServerEvent, SessionId};
use tokio::sync::{mpsc, oneshot};

/// What a sender gets back: the stored message, and whether it is new (false for a retry).
pub type SendResult = Result<(Message, bool), AppError>;

/// How long a batch may wait for more sends while they keep coming, on SQLite. (Measured at
/// 2,000 sends/s: 1 ms cut the server's CPU by 40 % with the same p99; 2 ms tripled the p99. On
/// PostgreSQL it cut CPU by a quarter but doubled the p99, so there batches do not wait.)
const GATHER: std::time::Duration = std::time::Duration::from_millis(1);

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
    /// `fault` is the fault-testing marker (`--fault-exit-after-commit`): never set in production.
    pub fn start(store: Store, broker: Broker, queue: usize, fault: Option<String>) -> Self {
        let (jobs, rx) = mpsc::channel(queue.max(1));
        // One task: batches need a single committer, and it runs until every handle is gone.
        let gather = store.backend() == Backend::Sqlite;
        tokio::spawn(run(store, broker, rx, gather, fault));
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

/// Takes the next batch: what has arrived and, when `gather` is given, what arrives within it
/// more. Under load that makes fewer, larger transactions (each costs the same few statements,
/// and on SQLite each statement is a hand-off to the connection's thread); callers gather only
/// while busy, so a lone job is never held back.
async fn next_batch<T>(
    rx: &mut mpsc::Receiver<T>,
    jobs: &mut Vec<T>,
    max: usize,
    gather: Option<std::time::Duration>,
) -> bool {
    if rx.recv_many(jobs, max).await == 0 {
        return false;
    }
    if let Some(gather) = gather {
        gather_more(rx, jobs, max, gather).await;
    }
    true
}

/// Adds to `jobs` what arrives within `gather` (up to `max` in all).
pub(super) async fn gather_more<T>(
    rx: &mut mpsc::Receiver<T>,
    jobs: &mut Vec<T>,
    max: usize,
    gather: std::time::Duration,
) {
    let deadline = tokio::time::Instant::now() + gather;
    while jobs.len() < max {
        let room = max - jobs.len();
        match tokio::time::timeout_at(deadline, rx.recv_many(jobs, room)).await {
            Ok(n) if n > 0 => {}
            _ => break,
        }
    }
}

async fn run(
    store: Store,
    broker: Broker,
    mut rx: mpsc::Receiver<Job>,
    gather: bool,
    fault: Option<String>,
) {
    let mut jobs: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    let mut published = std::collections::HashSet::new();
    let mut busy = false;
    while next_batch(&mut rx, &mut jobs, MAX_BATCH, busy.then_some(GATHER)).await {
        busy = gather && jobs.len() > 1;
        let (batch, waiting): (Vec<NewMessage>, Vec<_>) = jobs
            .drain(..)
            .map(|j| (j.message, (j.origin, j.reply)))
            .unzip();
        match store.insert_messages(&batch).await {
            Ok(results) => {
                if let Some(marker) = &fault {
                    exit_on_fault(marker, &results);
                }
                published.clear();
                for ((origin, reply), result) in waiting.into_iter().zip(results) {
                    // New, or a retry of a message stored before this batch (which its instance
                    // may never have published); a repeat within the batch is published once.
                    if let Ok((message, _)) = &result {
                        if !published.insert(message.id) {
                            let _ = reply.send(result);
                            continue;
                        }
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

/// The fault point of `--fault-exit-after-commit`: exits, as a crash would, once a batch holding
/// a new message with `marker` in its text is committed (before it is published or acknowledged).
fn exit_on_fault(marker: &str, results: &[SendResult]) {
    let hit = results
        .iter()
        .any(|r| matches!(r, Ok((m, true)) if m.body.contains(marker)));
    if hit {
        tracing::error!("fault point reached: exiting between commit and publish");
        std::process::exit(86);
    }
}
