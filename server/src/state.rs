//! The shared application state handed to every handler: one `Arc`, so a clone (every
//! connection and request holds one) is a reference count and a pointer.

use crate::auth::JwtKeys;
use crate::auth::Passwords;
use crate::broker::Broker;
use crate::config::Config;
use crate::counters::Coalescer;
use crate::domain::like_writer::LikeWriter;
use crate::domain::message_bell::MessageBell;
use crate::domain::reaction_writer::ReactionWriter;
use crate::domain::receipt_writer::ReceiptWriter;
use crate::domain::viewer_counts::ViewerCounts;
use crate::domain::writer::MessageWriter;
use crate::error::AppError;
use crate::hub::Hub;
use crate::metrics::Limit;
use crate::store::Store;
use crate::typing::Typists;
use axum::extract::FromRef;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use leptos::config::LeptosOptions;
use protocol::UserId;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The window of the per-minute quotas.
const MINUTE: Duration = Duration::from_secs(60);

/// Test notifications a user may send per minute.
const TEST_NOTIFICATIONS: u32 = 6;

/// Everything handlers share (fields through `Deref` to [`Shared`]).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] points to.
pub struct Shared {
    /// Configuration.
    pub config: Arc<Config>,
    /// Storage.
    pub store: Store,
    /// Uploaded files' bytes.
    pub files: crate::files::Files,
    /// This instance's connections.
    pub hub: Arc<Hub>,
    /// Fan-out and presence across instances.
    pub broker: Broker,
    /// The batching write path of messages.
    pub writer: MessageWriter,
    /// The like writer (batches likes into one transaction).
    pub likes: LikeWriter,
    /// The reaction writer (batches reactions into one transaction).
    pub reactions: ReactionWriter,
    /// The receipt writer (batches delivered/read positions; bounds the receipts published).
    pub receipts: ReceiptWriter,
    /// Rings the bell for direct messages (checked in batches).
    pub message_bell: MessageBell,
    /// Coalesced viewer counts of conversations with many viewers.
    pub viewer_counts: Arc<ViewerCounts>,
    /// Password hashing, bounded ([`crate::auth::Passwords`]).
    pub passwords: Passwords,
    /// The typists each conversation announces now (a bounded number).
    pub typists: Typists,
    /// Token keys.
    pub jwt: Arc<JwtKeys>,
    /// Leptos site options.
    pub leptos: LeptosOptions,
    /// One permit per open WebSocket, capping connections.
    pub connections: Arc<Semaphore>,
    /// Live post counters, coalesced per post.
    pub counters: Arc<Coalescer<protocol::PostCounts>>,
    /// Live reaction counts, coalesced per message.
    pub reaction_counts: Arc<Coalescer<protocol::MessageReactions>>,
    /// Sign-in and registration attempts per client address.
    auth_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// REST requests per client address.
    api_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// Test notifications per user (`POST /api/notifications/test`).
    test_notification_limiter: Arc<DefaultKeyedRateLimiter<UserId>>,
    /// Server API requests per API key.
    server_api_limiter: Arc<DefaultKeyedRateLimiter<String>>,
}

impl AppState {
    /// Assembles the state and starts the message and like writers (call inside the runtime).
    pub fn new(
        config: Config,
        store: Store,
        files: crate::files::Files,
        jwt: JwtKeys,
        leptos: LeptosOptions,
        hub: Arc<Hub>,
        broker: Broker,
    ) -> Self {
        // Room for a burst of sends from every connection at once before senders wait.
        let writer = MessageWriter::start(
            store.clone(),
            broker.clone(),
            8192,
            config.fault_exit_after_commit.clone(),
        );
        let likes = crate::domain::like_writer::start(store.clone(), 8192);
        let reactions = crate::domain::reaction_writer::start(store.clone(), 8192);
        let receipts = ReceiptWriter::start(store.clone(), broker.clone(), 8192);
        let viewer_counts = ViewerCounts::start(broker.clone());
        let message_bell = MessageBell::start(store.clone(), broker.clone(), 8192);
        let passwords = Passwords::start(config.password_workers(), config.password_queue);
        let per_minute =
            NonZeroU32::new(config.auth_attempts_per_minute).unwrap_or(NonZeroU32::MIN);
        let per_second = NonZeroU32::new(config.api_requests_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = per_second.saturating_mul(NonZeroU32::new(4).expect("4 is not zero"));
        let server_per_second =
            NonZeroU32::new(config.server_api_requests_per_second).unwrap_or(NonZeroU32::MIN);
        Self(Arc::new(Shared {
            broker,
            writer,
            likes,
            reactions,
            receipts,
            message_bell,
            viewer_counts,
            passwords,
            typists: Typists::new(config.typing_timeout()),
            hub,
            connections: Arc::new(Semaphore::new(config.max_connections)),
            counters: Arc::new(Coalescer::new()),
            reaction_counts: Arc::new(Coalescer::new()),
            auth_limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            test_notification_limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(
                NonZeroU32::new(TEST_NOTIFICATIONS).expect("not zero"),
            ))),
            api_limiter: Arc::new(RateLimiter::keyed(
                Quota::per_second(per_second).allow_burst(burst),
            )),
            server_api_limiter: Arc::new(RateLimiter::keyed(
                Quota::per_second(server_per_second)
                    .allow_burst(server_per_second.saturating_mul(NonZeroU32::new(4).expect("4"))),
            )),
            config: Arc::new(config),
            store,
            files,
            jwt: Arc::new(jwt),
            leptos,
        }))
    }

    /// Counts a sign-in or registration attempt from `ip`; `RATE_LIMITED` past the quota,
    /// which every instance shares when there are several (through the broker).
    pub async fn check_auth_rate(&self, ip: IpAddr) -> Result<(), AppError> {
        let limit = self.config.auth_attempts_per_minute;
        let checked = match self.auth_limiter.check_key(&ip) {
            Ok(()) => {
                self.shared_quota(&format!("auth:{ip}"), limit, MINUTE)
                    .await
            }
            Err(_) => Err(AppError::RateLimited),
        };
        self.counted(checked, Limit::Auth)
    }

    /// Counts a refusal in the metrics.
    fn counted(&self, checked: Result<(), AppError>, limit: Limit) -> Result<(), AppError> {
        if checked.is_err() {
            self.hub.metrics().rate_limited(limit);
        }
        checked
    }

    async fn shared_quota(&self, name: &str, limit: u32, window: Duration) -> Result<(), AppError> {
        match self.broker.within_quota(name, limit, window).await {
            true => Ok(()),
            false => Err(AppError::RateLimited),
        }
    }
}

impl AppState {
    /// Counts a REST request from `ip`; `RATE_LIMITED` past the quota.
    pub fn check_api_rate(&self, ip: IpAddr) -> Result<(), AppError> {
        let checked = self
            .api_limiter
            .check_key(&ip)
            .map_err(|_| AppError::RateLimited);
        self.counted(checked, Limit::Api)
    }

    /// Counts a server API request made with the key `key`; `RATE_LIMITED` past its quota.
    pub fn check_server_api_rate(&self, key: &str) -> Result<(), AppError> {
        let checked = self
            .server_api_limiter
            .check_key(&key.to_owned())
            .map_err(|_| AppError::RateLimited);
        self.counted(checked, Limit::Api)
    }

    /// Counts a test notification by `user` (6 a minute, on all instances together);
    /// `RATE_LIMITED` past it.
    pub async fn check_test_notification_rate(&self, user: UserId) -> Result<(), AppError> {
        let checked = match self.test_notification_limiter.check_key(&user) {
            Ok(()) => {
                let name = format!("test-notification:{user}");
                self.shared_quota(&name, TEST_NOTIFICATIONS, MINUTE).await
            }
            Err(_) => Err(AppError::RateLimited),
        };
        self.counted(checked, Limit::TestNotification)
    }

    /// Forgets addresses that have been quiet long enough to be back at full quota, so the
    /// limiters' memory does not grow with every address ever seen.
    pub fn prune_limiters(&self) {
        self.api_limiter.retain_recent();
        self.auth_limiter.retain_recent();
        self.test_notification_limiter.retain_recent();
        self.server_api_limiter.retain_recent();
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
