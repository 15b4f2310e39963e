//! Password hashing with argon2id (the crate's recommended parameters: 19 MiB and about a
//! tenth of a second of CPU per hash), on a small pool of threads of its own.
//!
//! A sign-in storm must neither take the server's memory nor its async threads: at most
//! `workers` hashes run at once (each on a long-lived thread, so the allocator keeps at most one
//! 19 MiB block per worker instead of one per short-lived blocking thread), at most `queue`
//! wait for a worker, and a request beyond that is refused at once with `UNAVAILABLE`
//! (retry in a moment) rather than queued without bound.

use crate::error::AppError;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, SaltString};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// One hashing job, run on a worker.
type Job = Box<dyn FnOnce() + Send>;

/// The hashing pool (cheap to clone: a handle to its queue).
#[derive(Clone, Debug)]
pub struct Passwords {
    jobs: SyncSender<Job>,
}

impl Passwords {
    /// Starts `workers` threads (at least 1) with room for `queue` waiting jobs.
    pub fn start(workers: usize, queue: usize) -> Self {
        let (jobs, rx) = sync_channel::<Job>(queue);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("confab-argon2-{i}"))
                .spawn(move || work(&rx))
                .expect("starting a password hashing thread");
        }
        Self { jobs }
    }

    /// Hashes a password into a PHC string.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| AppError::Internal(format!("hashing password: {e}")))
        })
        .await
    }

    /// Whether `password` matches the PHC string `hash`.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, AppError> {
        self.run(move || {
            let parsed = PasswordHash::new(&hash)
                .map_err(|e| AppError::Internal(format!("stored hash is malformed: {e}")))?;
            Ok(Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok())
        })
        .await
    }

    /// Runs `f` on a worker; `UNAVAILABLE` when the queue is full.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = reply.send(f());
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                return Err(AppError::Unavailable(
                    "too many sign-ins at once; retry in a moment".into(),
                ))
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(AppError::Internal("the password workers stopped".into()))
            }
        }
        answer
            .await
            .map_err(|_| AppError::Internal("a password worker stopped".into()))?
    }
}

/// A worker: takes jobs until the pool is dropped.
fn work(rx: &Mutex<Receiver<Job>>) {
    loop {
        // Held only while taking the next job, never while hashing.
        let job = match rx.lock().unwrap_or_else(|p| p.into_inner()).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        job();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_the_right_password() {
        let passwords = Passwords::start(1, 4);
        let hash = passwords.hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(passwords
            .verify("correct horse".into(), hash.clone())
            .await
            .unwrap());
        assert!(!passwords.verify("wrong horse".into(), hash).await.unwrap());
    }

    #[tokio::test]
    async fn past_the_queue_a_request_is_refused_at_once() {
        // One worker, room for two waiting: of twelve at once, at most three are taken (one
        // running, two waiting); the rest are refused without waiting.
        let passwords = Passwords::start(1, 2);
        let attempts: Vec<_> = (0..12)
            .map(|i| {
                let passwords = passwords.clone();
                tokio::spawn(async move { passwords.hash(format!("password {i}")).await })
            })
            .collect();
        let mut done = 0;
        let mut refused = 0;
        for attempt in attempts {
            match attempt.await.unwrap() {
                Ok(_) => done += 1,
                Err(e) => {
                    assert_eq!(e.code(), protocol::ErrorCode::Unavailable);
                    refused += 1;
                }
            }
        }
        assert!((1..=3).contains(&done), "done {done}");
        assert_eq!(done + refused, 12);
    }
}
