//! Server configuration: command-line flags, each also settable by an environment variable.

use clap::Parser;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// Confab server configuration.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "confab",
    version,
    about = "Confab real-time chat server",
    args_override_self = true
)]
pub struct Config {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on. `LEPTOS_SITE_ADDR` (set by cargo-leptos) is used when this is unset.
    #[arg(long, env = "CONFAB_BIND")]
    pub bind: Option<SocketAddr>,

    /// Directory for the embedded database and the generated JWT secret.
    #[arg(long, env = "CONFAB_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database URL (`sqlite://…` or `postgres://…`). Default: a SQLite file in the data dir.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Redis URL (`redis://host:port`): several instances sharing it and one PostgreSQL database
    /// act as one. Default: everything in this process.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// Maximum database connections in the pool.
    #[arg(long, env = "CONFAB_DB_MAX_CONNECTIONS", default_value_t = 8)]
    pub db_max_connections: u32,

    /// HS256 secret for signing tokens (at least 32 bytes). Default: generated once and kept in
    /// `<data-dir>/jwt_secret`.
    #[arg(long, env = "CONFAB_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Token lifetime in seconds.
    #[arg(long, env = "CONFAB_TOKEN_TTL_SECS", default_value_t = 7 * 24 * 3600)]
    pub token_ttl_secs: u64,

    /// Origins allowed to open WebSockets, comma-separated (e.g. `https://chat.example.com`).
    /// Same-origin requests and clients that send no Origin (non-browsers) are always allowed.
    #[arg(long, env = "CONFAB_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Usernames that may use the admin API (kick/ban), comma-separated.
    #[arg(long, env = "CONFAB_ADMIN_USERNAMES", value_delimiter = ',')]
    pub admin_usernames: Vec<String>,

    /// Mark the session cookie `Secure` (set when serving over HTTPS).
    #[arg(long, env = "CONFAB_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,

    /// Maximum simultaneous WebSocket connections on this instance.
    #[arg(long, env = "CONFAB_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,

    /// Largest WebSocket text frame processed, in bytes; larger ones get `PAYLOAD_TOO_LARGE`.
    #[arg(long, env = "CONFAB_MAX_FRAME_BYTES", default_value_t = 48 * 1024)]
    pub max_frame_bytes: usize,

    /// Longest message body, in characters.
    #[arg(long, env = "CONFAB_MAX_MESSAGE_CHARS", default_value_t = 4000)]
    pub max_message_chars: usize,

    /// Largest file one upload may be, in bytes (pictures and files attached to messages).
    #[arg(long, env = "CONFAB_MAX_UPLOAD_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_upload_bytes: usize,

    /// The types of file people may upload, comma-separated; read from each file's bytes, never
    /// from its name (`image/*` allows every picture type the server can thumbnail).
    #[arg(
        long,
        env = "CONFAB_UPLOAD_TYPES",
        value_delimiter = ',',
        default_value = "image/*,application/pdf,text/plain,application/zip"
    )]
    pub upload_types: Vec<String>,

    /// How long an upload may wait to be sent with a message before it is deleted (its record
    /// and bytes), in seconds. Checked every hour, or every this many seconds when shorter.
    #[arg(long, env = "CONFAB_UNSENT_UPLOAD_TTL_SECS", default_value_t = 24 * 60 * 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub unsent_upload_ttl_secs: u64,

    /// An S3-compatible bucket to keep uploaded files in (with `--s3-endpoint`, `--s3-region`
    /// and the credentials). Default: the `files` directory in the data dir.
    #[arg(long, env = "CONFAB_S3_BUCKET")]
    pub s3_bucket: Option<String>,

    /// The S3 endpoint (e.g. `http://127.0.0.1:9000` for a local MinIO or moto); default AWS.
    #[arg(long, env = "CONFAB_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// The S3 region.
    #[arg(long, env = "CONFAB_S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,

    /// The S3 access key id.
    #[arg(long, env = "AWS_ACCESS_KEY_ID")]
    pub s3_access_key_id: Option<String>,

    /// The S3 secret access key.
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub s3_secret_access_key: Option<String>,

    /// Sustained events per second allowed per connection.
    #[arg(long, env = "CONFAB_EVENTS_PER_SECOND", default_value_t = 20)]
    pub events_per_second: u32,

    /// Burst of events allowed per connection above the sustained rate.
    #[arg(long, env = "CONFAB_EVENT_BURST", default_value_t = 40)]
    pub event_burst: u32,

    /// Outbound events queued per connection before it is closed as a slow consumer.
    #[arg(long, env = "CONFAB_OUTBOUND_QUEUE", default_value_t = 512)]
    pub outbound_queue: usize,

    /// Milliseconds a new WebSocket has to authenticate.
    #[arg(long, env = "CONFAB_AUTH_TIMEOUT_MS", default_value_t = 10_000)]
    pub auth_timeout_ms: u64,

    /// Seconds before its token expires that an open session is told so (`token_expiring`), to
    /// refresh it in band; unrefreshed, the session ends when the token does.
    #[arg(long, env = "CONFAB_TOKEN_WARNING_SECS", default_value_t = 300)]
    pub token_warning_secs: u64,

    /// Milliseconds before a failed webhook delivery's first retry; each retry waits twice as
    /// long as the one before, at most an hour.
    #[arg(long, env = "CONFAB_WEBHOOK_RETRY_BASE_MS", default_value_t = 5_000)]
    pub webhook_retry_base_ms: u64,

    /// Seconds a webhook delivery is retried before it is marked failed (replayable).
    #[arg(long, env = "CONFAB_WEBHOOK_RETRY_WINDOW_SECS", default_value_t = 24 * 3600)]
    pub webhook_retry_window_secs: u64,

    /// Milliseconds a webhook endpoint has to answer a delivery.
    #[arg(long, env = "CONFAB_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    pub webhook_timeout_ms: u64,

    /// Milliseconds a shutdown (SIGTERM, Ctrl-C) waits for every WebSocket to write its close
    /// frame before the process exits.
    #[arg(long, env = "CONFAB_SHUTDOWN_TIMEOUT_MS", default_value_t = 5_000)]
    pub shutdown_timeout_ms: u64,

    /// Milliseconds between server pings.
    #[arg(long, env = "CONFAB_HEARTBEAT_MS", default_value_t = 20_000)]
    pub heartbeat_ms: u64,

    /// Milliseconds without any frame from the client before it is closed.
    #[arg(long, env = "CONFAB_IDLE_TIMEOUT_MS", default_value_t = 60_000)]
    pub idle_timeout_ms: u64,

    /// Socket.IO gateway: the path it answers (`/socket.io` is socket.io-client's default; a
    /// client configured with another `path` needs the same here).
    #[arg(long, env = "CONFAB_SOCKETIO_PATH", default_value = "/socket.io",
          value_parser = parse_socketio_path)]
    pub socketio_path: String,

    /// Socket.IO gateway: Engine.IO `pingInterval`, milliseconds between the server's pings.
    #[arg(
        long,
        env = "CONFAB_SOCKETIO_PING_INTERVAL_MS",
        default_value_t = 25_000
    )]
    pub socketio_ping_interval_ms: u64,

    /// Socket.IO gateway: Engine.IO `pingTimeout`, milliseconds the client has to answer a ping
    /// before the connection is closed.
    #[arg(
        long,
        env = "CONFAB_SOCKETIO_PING_TIMEOUT_MS",
        default_value_t = 20_000
    )]
    pub socketio_ping_timeout_ms: u64,

    /// Socket.IO gateway: Engine.IO `maxPayload`, the largest HTTP long-polling request body
    /// and WebSocket message read, in bytes (events over `--max-frame-bytes` are refused one by
    /// one with `PAYLOAD_TOO_LARGE`; beyond this the transport is closed). At most 1 MiB.
    #[arg(long, env = "CONFAB_SOCKETIO_MAX_PAYLOAD", default_value_t = 1_000_000,
          value_parser = clap::value_parser!(u64).range(1024..=1_048_576))]
    pub socketio_max_payload: u64,

    /// Milliseconds a user stays online after their last session closes (reconnect grace).
    #[arg(long, env = "CONFAB_PRESENCE_GRACE_MS", default_value_t = 5_000)]
    pub presence_grace_ms: u64,

    /// Milliseconds after which typing stops without a refresh.
    #[arg(long, env = "CONFAB_TYPING_TIMEOUT_MS", default_value_t = 5_000)]
    pub typing_timeout_ms: u64,

    /// Users one connection may watch the presence of (`subscribe_presence`).
    #[arg(
        long,
        env = "CONFAB_MAX_PRESENCE_SUBSCRIPTIONS",
        default_value_t = 1000
    )]
    pub max_presence_subscriptions: usize,

    /// Posts one connection may watch for live counters (`subscribe_posts`).
    #[arg(long, env = "CONFAB_MAX_POST_SUBSCRIPTIONS", default_value_t = 500)]
    pub max_post_subscriptions: usize,

    /// Milliseconds presence changes are gathered before they go out as one batch per watcher.
    #[arg(long, env = "CONFAB_PRESENCE_BATCH_MS", default_value_t = 50)]
    pub presence_batch_ms: u64,

    /// REST requests allowed per second per client address (sustained; bursts of 4× pass).
    #[arg(long, env = "CONFAB_API_REQUESTS_PER_SECOND", default_value_t = 50)]
    pub api_requests_per_second: u32,

    /// Passwords hashed at once (argon2id: 19 MiB and about 0.1 s of CPU each); 0 means one per
    /// CPU core.
    #[arg(long, env = "CONFAB_PASSWORD_WORKERS", default_value_t = 0)]
    pub password_workers: usize,

    /// Sign-ins and registrations waiting for a password worker; beyond this they are refused
    /// with `UNAVAILABLE` (503) instead of queued.
    #[arg(long, env = "CONFAB_PASSWORD_QUEUE", default_value_t = 64)]
    pub password_queue: usize,

    /// Fault testing only: the process exits right after committing a batch holding a message
    /// whose text contains this marker, before publishing or acknowledging it (an instance that
    /// dies between commit and publish). Never set in production.
    #[arg(long, env = "CONFAB_FAULT_EXIT_AFTER_COMMIT", hide = true)]
    pub fault_exit_after_commit: Option<String>,

    /// Accept the product's own tokens too, signed RS256 or ES256 with the keys its JWKS URL
    /// serves (chosen by the token's `kid`; fetched again when a new `kid` appears).
    #[arg(long, env = "CONFAB_EXTERNAL_JWKS_URL")]
    pub external_jwks_url: Option<String>,

    /// Accept the product's own tokens too: the HS256 secret its backend signs them with
    /// (at least 32 bytes). Their users are provisioned from the claims on first sight.
    #[arg(long, env = "CONFAB_EXTERNAL_JWT_SECRET")]
    pub external_jwt_secret: Option<String>,

    /// The `iss` the product's tokens must carry (not checked when unset).
    #[arg(long, env = "CONFAB_EXTERNAL_JWT_ISSUER")]
    pub external_jwt_issuer: Option<String>,

    /// The `aud` the product's tokens must carry (not checked when unset).
    #[arg(long, env = "CONFAB_EXTERNAL_JWT_AUDIENCE")]
    pub external_jwt_audience: Option<String>,

    /// The claim of a product's token that holds its user id.
    #[arg(long, env = "CONFAB_EXTERNAL_JWT_ID_CLAIM", default_value = "sub")]
    pub external_jwt_id_claim: String,

    /// The claim holding the user's username (one is made up from the id when absent or taken).
    #[arg(
        long,
        env = "CONFAB_EXTERNAL_JWT_USERNAME_CLAIM",
        default_value = "username"
    )]
    pub external_jwt_username_claim: String,

    /// The claim holding the user's display name.
    #[arg(long, env = "CONFAB_EXTERNAL_JWT_NAME_CLAIM", default_value = "name")]
    pub external_jwt_name_claim: String,

    /// Server API requests allowed per second per API key (bursts of four times as many).
    #[arg(
        long,
        env = "CONFAB_SERVER_API_REQUESTS_PER_SECOND",
        default_value_t = 100
    )]
    pub server_api_requests_per_second: u32,

    /// Sign-in and registration attempts allowed per minute per client address.
    #[arg(long, env = "CONFAB_AUTH_ATTEMPTS_PER_MINUTE", default_value_t = 30)]
    pub auth_attempts_per_minute: u32,

    /// Reverse proxies whose `X-Forwarded-For` says who the client is (addresses or networks,
    /// comma separated, e.g. `10.0.0.0/8,::1`). Without it, the peer's address is the client's.
    #[arg(
        long,
        env = "CONFAB_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_proxy
    )]
    pub trusted_proxies: Vec<IpNet>,
}

/// Subcommands of `confab`.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum Command {
    /// Serve the app, the REST API and the WebSocket (the default).
    Serve,
    /// Create many users, groups and direct conversations in the configured database, and
    /// write each user's token to a JSON file (demo data, and the input of `confab-bench`).
    Seed(crate::seed::SeedPlan),
    /// Manage the server API's keys in the configured database (prints JSON).
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
}

/// `confab api-key …`.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key; its secret (`key`) is printed this once.
    Create {
        /// A name to tell keys apart.
        #[arg(long)]
        name: String,
        /// What it may do, comma-separated: users, presence, conversations, messages, events, notifications, admin.
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
    },
    /// List the keys (never their secrets).
    List,
    /// Revoke a key by id.
    Revoke {
        /// The key's id.
        id: String,
    },
}

impl Config {
    /// The effective listen address.
    pub fn bind_addr(&self) -> SocketAddr {
        self.bind
            .or_else(|| std::env::var("LEPTOS_SITE_ADDR").ok()?.parse().ok())
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 3000)))
    }

    /// The effective database URL.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("confab.db").display()
            ),
        }
    }

    /// Authentication deadline for new sockets.
    pub fn auth_timeout(&self) -> Duration {
        Duration::from_millis(self.auth_timeout_ms)
    }
    /// How long before its token's expiry a session is warned.
    pub fn token_warning(&self) -> Duration {
        Duration::from_secs(self.token_warning_secs)
    }

    /// How long a shutdown waits for the connections to close.
    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_millis(self.shutdown_timeout_ms)
    }

    /// Interval of server pings.
    pub fn heartbeat(&self) -> Duration {
        Duration::from_millis(self.heartbeat_ms)
    }
    /// Idle timeout of a socket.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.idle_timeout_ms)
    }
    /// Presence grace after the last session closes.
    pub fn presence_grace(&self) -> Duration {
        Duration::from_millis(self.presence_grace_ms)
    }
    /// Presence batching window.
    pub fn presence_batch(&self) -> Duration {
        Duration::from_millis(self.presence_batch_ms.max(1))
    }
    /// Password workers: as configured, else one per CPU core.
    pub fn password_workers(&self) -> usize {
        match self.password_workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
    /// Typing auto-stop.
    pub fn typing_timeout(&self) -> Duration {
        Duration::from_millis(self.typing_timeout_ms)
    }
}

/// A Socket.IO path: `/` and then letters, digits, `-`, `_`, `.` or `/`, without a trailing
/// slash (`/socket.io`, `/realtime/socket.io`).
fn parse_socketio_path(text: &str) -> Result<String, String> {
    let path = text.trim().trim_end_matches('/');
    let ok = path.starts_with('/')
        && path.len() > 1
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Ok(path.to_owned())
    } else {
        Err(format!(
            "{text:?} is not a path like /socket.io (letters, digits, - _ . /)"
        ))
    }
}

/// Parses a trusted proxy: a network (`10.0.0.0/8`) or one address (`10.0.0.1`).
pub fn parse_proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is neither an IP address nor a network like 10.0.0.0/8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_setup() {
        let mut config = Config::try_parse_from(["confab", "--data-dir", "data"]).unwrap();
        config.database_url = None; // whatever the environment says
        assert_eq!(config.database_url(), "sqlite://data/confab.db?mode=rwc");
        assert_eq!(config.auth_timeout(), Duration::from_secs(10));
        assert_eq!(config.typing_timeout(), Duration::from_secs(5));
    }

    #[test]
    fn the_socketio_path_is_checked() {
        assert_eq!(parse_socketio_path("/engine.io/").unwrap(), "/engine.io");
        assert_eq!(
            parse_socketio_path("/rt/socket.io").unwrap(),
            "/rt/socket.io"
        );
        for bad in ["socket.io", "/", "/a b", "/x?y"] {
            assert!(parse_socketio_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn origins_are_comma_separated() {
        let config = Config::try_parse_from([
            "confab",
            "--allowed-origins",
            "https://a.test,https://b.test",
        ])
        .unwrap();
        assert_eq!(config.allowed_origins, ["https://a.test", "https://b.test"]);
    }
}
