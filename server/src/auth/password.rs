//! Password hashing with argon2id (the crate's recommended parameters: 19 MiB and about a
//! tenth of a second of CPU per hash), on a small pool of threads of its own.
//!
//! A sign-in storm must neither take the server's memory nor its async threads: at most
//! `workers` hashes run at once, each on a long-lived thread that hashes into one block buffer
//! of its own, allocated once and reused (nothing is allocated per hash, so nothing is left
//! with the allocator after a burst), at most `queue` wait for a worker, and a request beyond
//! that is refused at once with `UNAVAILABLE` (retry in a moment) rather than queued without
//! bound.

use crate::error::AppError;
use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// One hashing job, run on a worker with its block buffer.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

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
        self.run(move |blocks| hash_into(blocks, &password)).await
    }

    /// Whether `password` matches the PHC string `hash`.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, AppError> {
        self.run(move |blocks| verify_into(blocks, &password, &hash))
            .await
    }

    /// Runs `f` on a worker; `UNAVAILABLE` when the queue is full.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |blocks| {
            let _ = reply.send(f(blocks));
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

/// A worker: takes jobs until the pool is dropped, hashing into its own buffer.
fn work(rx: &Mutex<Receiver<Job>>) {
    let mut blocks = Vec::new();
    loop {
        // Held only while taking the next job, never while hashing.
        let job = match rx.lock().unwrap_or_else(|p| p.into_inner()).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        job(&mut blocks);
    }
}

fn internal(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("{what}: {e}"))
}

/// argon2id with the crate's default parameters, into `blocks` (grown once to the size the
/// parameters need, then reused); the PHC string.
fn hash_into(blocks: &mut Vec<Block>, password: &str) -> Result<String, AppError> {
    let params = Params::default();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| internal("salt", e))?;
    let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = compute(
        blocks,
        Algorithm::Argon2id,
        Version::V0x13,
        &params,
        password,
        salt_raw,
        len,
    )?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| internal("params", e))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `hash` (any argon2 variant and parameters it
/// names), hashing into `blocks`; the comparison is constant-time.
fn verify_into(blocks: &mut Vec<Block>, password: &str, hash: &str) -> Result<bool, AppError> {
    let malformed = |e| internal("stored hash is malformed", e);
    let parsed = PasswordHash::new(hash).map_err(malformed)?;
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|e| internal("algorithm", e))?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).map_err(|e| internal("version", e))?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).map_err(|e| internal("params", e))?;
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return Err(AppError::Internal(
            "stored hash has no salt or output".into(),
        ));
    };
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt.decode_b64(&mut salt_bytes).map_err(malformed)?;
    let output = compute(
        blocks,
        algorithm,
        version,
        &params,
        password,
        salt_raw,
        expected.len(),
    )?;
    Ok(output == expected)
}

/// One argon2 computation into the reused `blocks`.
fn compute(
    blocks: &mut Vec<Block>,
    algorithm: Algorithm,
    version: Version,
    params: &Params,
    password: &str,
    salt: &[u8],
    len: usize,
) -> Result<Output, AppError> {
    let needed = params.block_count();
    if blocks.len() != needed {
        blocks.clear();
        blocks.resize(needed, Block::default());
        blocks.shrink_to_fit();
    }
    let argon = Argon2::new(algorithm, version, params.clone());
    Output::init_with(len, |out| {
        argon
            .hash_password_into_with_memory(password.as_bytes(), salt, out, &mut blocks[..])
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .map_err(|e| internal("hashing password", e))
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

    #[test]
    fn hashes_are_standard_argon2id_both_ways() {
        use argon2::{PasswordHasher, PasswordVerifier};
        let mut blocks = Vec::new();
        // Ours verifies with the crate's own verifier…
        let ours = hash_into(&mut blocks, "correct horse").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
        // …and a hash the crate made (as stored by earlier versions) verifies with ours,
        // reusing the same buffer.
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"battery staple", &salt)
            .unwrap()
            .to_string();
        assert!(verify_into(&mut blocks, "battery staple", &theirs).unwrap());
        assert!(!verify_into(&mut blocks, "battery stable", &theirs).unwrap());
        assert_eq!(blocks.len(), Params::default().block_count());
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
