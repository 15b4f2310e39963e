//! A write path that commits in batches: requests from every session go through one queue; one
//! task takes whatever has arrived (up to a maximum) and applies it in one call (one
//! transaction), then answers each request. Under a burst that is one commit, one counts update
//! and one notification refresh per batch instead of one per request; a lone request is never
//! held back. Likes ([`super::like_writer`]) and reactions ([`super::reactions`]) use it.

use super::writer::gather_more;
use crate::error::AppError;
use std::future::Future;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// How long a batch waits for more requests during a burst. These replies and the counters
/// they feed are not latency-critical (counters are coalesced to 100 ms anyway), and on SQLite
/// every statement is a hand-off to the connection's thread: at 500 likes/s, gathering 5 ms cut
/// the server's CPU per like from 1.1–1.3 ms to 0.43–0.60 ms (BENCHMARKS.md).
const GATHER: Duration = Duration::from_millis(5);

/// A request arriving within this long of the previous batch's end means a burst.
const BURST_GAP: Duration = Duration::from_millis(50);

/// One answer per request of a batch, in the batch's order; `Err` fails the whole batch.
pub type BatchResult<T> = Result<Vec<Result<T, AppError>>, AppError>;

struct Job<Req, Out> {
    request: Req,
    reply: oneshot::Sender<Result<Out, AppError>>,
}

/// The handle to submit requests to a batching writer task.
pub struct Batcher<Req, Out> {
    jobs: mpsc::Sender<Job<Req, Out>>,
    what: &'static str,
}

impl<Req, Out> Clone for Batcher<Req, Out> {
    fn clone(&self) -> Self {
        Self {
            jobs: self.jobs.clone(),
            what: self.what,
        }
    }
}

impl<Req, Out> std::fmt::Debug for Batcher<Req, Out> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").field("what", &self.what).finish()
    }
}

impl<Req: Send + 'static, Out: Send + 'static> Batcher<Req, Out> {
    /// Starts the writer task. `queue` bounds the requests waiting for it (beyond that,
    /// requests wait their turn); `max` bounds a batch; `what` names a request in errors
    /// ("like"); `apply` commits a batch.
    pub fn start<F, Fut>(queue: usize, max: usize, what: &'static str, apply: F) -> Self
    where
        F: FnMut(Vec<Req>) -> Fut + Send + 'static,
        Fut: Future<Output = BatchResult<Out>> + Send + 'static,
    {
        let (jobs, rx) = mpsc::channel(queue.max(1));
        tokio::spawn(run(rx, max.max(1), what, apply));
        Self { jobs, what }
    }

    /// Submits one request; its answer once its batch is committed.
    pub async fn submit(&self, request: Req) -> Result<Out, AppError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { request, reply })
            .await
            .map_err(|_| AppError::Unavailable("the server is shutting down".into()))?;
        answer
            .await
            .map_err(|_| AppError::Internal(format!("the {} writer stopped", self.what)))?
    }
}

async fn run<Req, Out, F, Fut>(
    mut rx: mpsc::Receiver<Job<Req, Out>>,
    max: usize,
    what: &'static str,
    mut apply: F,
) where
    F: FnMut(Vec<Req>) -> Fut,
    Fut: Future<Output = BatchResult<Out>>,
{
    let mut jobs: Vec<Job<Req, Out>> = Vec::with_capacity(max);
    let mut last_end: Option<Instant> = None;
    while rx.recv_many(&mut jobs, max).await > 0 {
        // A lone request is never held back; during a burst, batches wait a little to grow.
        if last_end.is_some_and(|end| end.elapsed() < BURST_GAP) {
            gather_more(&mut rx, &mut jobs, max, GATHER).await;
        }
        let (requests, replies): (Vec<Req>, Vec<_>) =
            jobs.drain(..).map(|j| (j.request, j.reply)).unzip();
        let size = requests.len();
        match apply(requests).await {
            Ok(answers) if answers.len() == size => {
                for (reply, answer) in replies.into_iter().zip(answers) {
                    let _ = reply.send(answer);
                }
            }
            outcome => {
                match outcome {
                    Err(e) => {
                        tracing::error!(error = %e, size, "could not store a batch of {what}s")
                    }
                    Ok(answers) => tracing::error!(
                        size,
                        answers = answers.len(),
                        "a batch of {what}s was answered out of step"
                    ),
                }
                for reply in replies {
                    let _ = reply.send(Err(AppError::Unavailable(format!(
                        "the {what} could not be stored; try again"
                    ))));
                }
            }
        }
        last_end = Some(Instant::now());
    }
}
