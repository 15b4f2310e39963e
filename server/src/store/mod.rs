//! Storage: every SQL statement lives under this module.
//!
//! One implementation over sqlx's `Any` driver with portable SQL, so the same code and the same
//! migrations (`migrations/`) run on SQLite (the embedded default) and PostgreSQL. Ids are stored
//! as UUID strings and timestamps as Unix milliseconds. Each file adds the queries of one
//! aggregate to [`Store`].

mod api_keys;
pub(crate) mod blocks;
mod conversations;
mod external_users;
mod files;
mod follows;
mod likes;
mod messages;
mod notifications;
mod posts;
mod reactions;
mod receipts;
mod rows;
mod search;
mod seed;
mod users;
mod webhooks;

pub use api_keys::StoredKey;
pub use conversations::NewGroup;
pub use external_users::{ExternalProfile, NO_PASSWORD};
pub use likes::{LikeBatch, LikeChange, LikeRequest, MAX_LIKE_BATCH};
pub use messages::{NewMessage, PageCursor, MAX_BATCH};
pub use notifications::{GroupedNotification, NotificationDraft};
pub use posts::{CountsChange, PostSource, RemovedNotifications};
pub use reactions::{ReactionChange, ReactionOutcome, ReactionRequest, MAX_REACTION_BATCH};
pub use receipts::{MovedPosition, Position, PositionMark, UnreadState, MAX_POSITION_BATCH};
pub use search::SearchCursor;
pub use users::{Credentials, UserAuthState};
pub use webhooks::{DueDelivery, OutboxEvent};

use crate::error::AppError;
use protocol::{ConversationId, UserId};
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Which database the store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend named by a database URL.
    pub fn from_url(url: &str) -> Result<Self, AppError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            Err(AppError::Internal(format!(
                "unsupported database URL scheme in {url:?}: use sqlite:// or postgres://"
            )))
        }
    }

    /// Its name as shown by `/health`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// A cheap-to-clone handle on the connection pool.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The two members of each direct conversation (`None`: a group), which never change once
    /// created: asked after every message, answered from here after the first time.
    direct_pairs: Arc<DirectPairs>,
    /// The webhook event types some endpoint wants, as last read.
    webhook_interest: Arc<webhooks::Interest>,
}

/// A bounded map of conversations to their direct pair (cleared when full: it refills itself).
#[derive(Debug, Default)]
struct DirectPairs(Mutex<HashMap<ConversationId, Option<(UserId, UserId)>>>);

/// Conversations whose direct pair is remembered at most.
const MAX_DIRECT_PAIRS: usize = 100_000;

impl DirectPairs {
    fn get(&self, conversation: ConversationId) -> Option<Option<(UserId, UserId)>> {
        // Never held across an await.
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&conversation).copied()
    }

    fn insert(&self, conversation: ConversationId, pair: Option<(UserId, UserId)>) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_DIRECT_PAIRS {
            map.clear();
        }
        map.insert(conversation, pair);
    }
}

impl Store {
    /// Connects (creating a SQLite file if needed) and applies pending migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, AppError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers proceed while one writer commits; NORMAL sync is
                        // durable across application crashes, which is what an ack promises.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 10000")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| AppError::Internal(format!("migration failed: {e}")))?;
        let store = Self {
            pool,
            backend,
            direct_pairs: Arc::default(),
            webhook_interest: Arc::default(),
        };
        store.prepare_search().await?;
        Ok(store)
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// The pool's open connections and how many of them are idle.
    pub fn pool_usage(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Parses an id column; a malformed id in the database is an internal error.
fn parse_id<T: FromStr>(raw: &str) -> Result<T, AppError> {
    raw.parse()
        .map_err(|_| AppError::Internal(format!("malformed id in database: {raw:?}")))
}

/// Whether an error is a unique-constraint violation.
fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Builds `$start, $start+1, …` placeholders for an `IN (…)` list of `n` values.
fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($1, …, $width), ($width+1, …)`: `rows` tuples of numbered placeholders, for multi-row
/// `VALUES` lists, in a statement whose only parameters they are (bound in order).
///
/// On SQLite they are anonymous (`?`): SQLite finds a numbered parameter's name by a linear
/// scan, and the driver asks for every parameter's name, so numbered ones cost the square of
/// their count (a 1,000-row batch of receipts spent a quarter of the server's CPU there).
fn value_rows(backend: Backend, rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| match backend {
            Backend::Sqlite => format!("({})", vec!["?"; width].join(", ")),
            Backend::Postgres => format!("({})", placeholders(r * width + 1, width)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_rows_number_their_placeholders_in_order() {
        let pg = Backend::Postgres;
        assert_eq!(value_rows(pg, 2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(value_rows(pg, 1, 1), "($1)");
        assert_eq!(value_rows(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
    }

    #[test]
    fn placeholders_are_numbered() {
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
        assert_eq!(placeholders(1, 0), "");
    }

    #[test]
    fn backend_from_url() {
        assert_eq!(Backend::from_url("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(
            Backend::from_url("postgres://localhost/x").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::from_url("mysql://x").is_err());
    }
}
