//! The write path of likes: likes and unlikes from every request go through one queue; the
//! writer takes whatever has arrived (up to [`MAX_LIKE_BATCH`]) and commits it in one
//! transaction ([`crate::store::Store::apply_likes`]). Under a burst on one post that is one
//! counts update and one notification refresh per batch instead of one per like; a lone like is
//! never held back.

use super::writer::gather_more;
use crate::error::AppError;
use crate::store::{LikeChange, LikeRequest, Store, MAX_LIKE_BATCH};
use protocol::PostCounts;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// What a request gets back: the post's counts after its batch (`None`: no such post), and, for
/// the first request of each changed post in a batch, the change to publish (once per batch).
pub type LikeResult = Result<(Option<PostCounts>, Option<LikeChange>), AppError>;

struct Job {
    request: LikeRequest,
    reply: oneshot::Sender<LikeResult>,
}

/// The handle to submit likes to the writer task.
#[derive(Clone, Debug)]
pub struct LikeWriter {
    jobs: mpsc::Sender<Job>,
}

impl LikeWriter {
    /// Starts the writer task; `queue` bounds the likes waiting for it (beyond that, requests
    /// wait their turn).
    pub fn start(store: Store, queue: usize) -> Self {
        let (jobs, rx) = mpsc::channel(queue.max(1));
        tokio::spawn(run(store, rx));
        Self { jobs }
    }

    /// Likes or unlikes, once committed.
    pub async fn submit(&self, request: LikeRequest) -> LikeResult {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { request, reply })
            .await
            .map_err(|_| AppError::Unavailable("the server is shutting down".into()))?;
        answer
            .await
            .map_err(|_| AppError::Internal("the like writer stopped".into()))?
    }
}

/// How long a batch waits for more likes during a burst. A like's reply and its counters are
/// not latency-critical (the counters are coalesced to 100 ms anyway), and on SQLite every
/// statement is a hand-off to the connection's thread: at 500 likes/s, gathering 5 ms cut the
/// server's CPU per like from 1.1–1.3 ms to 0.43–0.60 ms (BENCHMARKS.md).
const GATHER: Duration = Duration::from_millis(5);

/// A like arriving within this long of the previous batch's end means a burst.
const BURST_GAP: Duration = Duration::from_millis(50);

async fn run(store: Store, mut rx: mpsc::Receiver<Job>) {
    let mut jobs: Vec<Job> = Vec::with_capacity(MAX_LIKE_BATCH);
    let mut last_end: Option<Instant> = None;
    while rx.recv_many(&mut jobs, MAX_LIKE_BATCH).await > 0 {
        // A lone like is never held back; during a burst, batches wait a little to grow.
        if last_end.is_some_and(|end| end.elapsed() < BURST_GAP) {
            gather_more(&mut rx, &mut jobs, MAX_LIKE_BATCH, GATHER).await;
        }
        let batch: Vec<LikeRequest> = jobs.iter().map(|j| j.request.clone()).collect();
        match store.apply_likes(&batch).await {
            Ok(mut done) => {
                for job in jobs.drain(..) {
                    let post = job.request.post;
                    let counts = done.counts.get(&post).copied();
                    let position = done
                        .changes
                        .iter()
                        .position(|c| c.change.counts.post_id == post);
                    let change = position.map(|i| done.changes.swap_remove(i));
                    let _ = job.reply.send(Ok((counts, change)));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, size = batch.len(), "could not store a batch of likes");
                for job in jobs.drain(..) {
                    let _ = job.reply.send(Err(AppError::Unavailable(
                        "the like could not be stored; try again".into(),
                    )));
                }
            }
        }
        last_end = Some(Instant::now());
    }
}
