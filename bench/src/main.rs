//! `confab-bench`: drives a running Confab server with real WebSocket clients, using the users
//! and tokens written by `confab seed`, and reports what the targets are stated in:
//! connected/errors, connects per second, deliveries per second, loss, latency p50/p99/max, ack
//! p99, and the server's RSS per connection and CPU per delivery (from `/proc/<pid>`).
//!
//! Scenarios: `idle`, `group` (one big group or many groups), `direct`, and `reconnect` (a
//! reconnect storm that resyncs by sequence number). A connect storm is `group --senders 0`.

mod client;
mod listener;
mod proc;
mod report;
mod scenarios;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Load generator for Confab.
#[derive(Debug, Parser)]
#[command(name = "confab-bench", version)]
pub struct Args {
    /// The server's base URL; several (comma-separated) spread the clients over instances
    /// round-robin (REST calls go to the first).
    #[arg(long, default_value = "http://127.0.0.1:3000", value_delimiter = ',')]
    pub url: Vec<String>,
    /// The JSON file written by `confab seed`.
    #[arg(long, default_value = "seed.json")]
    pub seed: PathBuf,
    /// The server's process id, to read its RSS and CPU time; several (comma-separated) are
    /// added up.
    #[arg(long, value_delimiter = ',')]
    pub server_pid: Vec<u32>,
    /// Name the gateway's vocabulary in the Socket.IO handshake (`auth.vocabulary`, e.g.
    /// `snake`). Without it a client with a handshake token may be either Flask-SocketIO
    /// system's, and gets both's events until it sends an event only one of them has.
    #[arg(long, global = true)]
    pub socketio_vocabulary: Option<String>,
    /// The scenario.
    #[command(subcommand)]
    pub scenario: Scenario,
}

/// What to run.
#[derive(Debug, Subcommand)]
pub enum Scenario {
    /// Connect users and hold the connections idle; reports RSS per connection.
    Idle {
        /// Connections (one per seeded user, from the first).
        #[arg(long, default_value_t = 1000)]
        users: usize,
        /// Connects per second.
        #[arg(long, default_value_t = 1000)]
        rate: u32,
        /// Seconds to hold them before measuring.
        #[arg(long, default_value_t = 5)]
        hold: u64,
    },
    /// Connect every member of the seeded groups, then senders in each group send messages.
    Group(GroupArgs),
    /// Both members of each seeded direct conversation connect; one side sends.
    Direct {
        /// Persisted sends per second over all pairs.
        #[arg(long, default_value_t = 2000)]
        rate: u32,
        /// Seconds of sending.
        #[arg(long, default_value_t = 20)]
        duration: u64,
        /// Connects per second.
        #[arg(long, default_value_t = 1000)]
        connect_rate: u32,
    },
    /// One post (by the first seeded user) is liked and unliked `rate` times a second by
    /// `likers` people while `watchers` clients watch it live: checks that every watcher ends on
    /// the exact count and how many updates coalescing lets through.
    Likes {
        /// Clients watching the post (the first seeded users).
        #[arg(long, default_value_t = 5000)]
        watchers: usize,
        /// People liking and unliking (the seeded users after the watchers).
        #[arg(long, default_value_t = 200)]
        likers: usize,
        /// Likes plus unlikes per second.
        #[arg(long, default_value_t = 500)]
        rate: u32,
        /// Seconds of liking.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Connects per second.
        #[arg(long, default_value_t = 1000)]
        connect_rate: u32,
    },
    /// One message of the first group is reacted to `rate` times a second (reactions added and
    /// taken back over the WebSocket, cycling through a few emojis) by `reactors` members while
    /// `watchers` members have the conversation open, as the web app does: checks that every
    /// watcher ends on the exact counts and how many updates coalescing lets through.
    Reactions {
        /// Members watching (the first seeded users; the first of them writes the message).
        #[arg(long, default_value_t = 5000)]
        watchers: usize,
        /// Members reacting (the seeded users after the watchers).
        #[arg(long, default_value_t = 200)]
        reactors: usize,
        /// Reactions added plus taken back per second.
        #[arg(long, default_value_t = 500)]
        rate: u32,
        /// Seconds of reacting.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Connects per second.
        #[arg(long, default_value_t = 1000)]
        connect_rate: u32,
    },
    /// Members of the first group connect, all drop at once, messages are sent meanwhile, and
    /// all reconnect at once and resync by sequence number (REST `after=`).
    Reconnect {
        /// Clients that drop and reconnect.
        #[arg(long, default_value_t = 5000)]
        users: usize,
        /// Messages sent while they are away.
        #[arg(long, default_value_t = 20)]
        missed: usize,
    },
}

/// The `group` scenario's settings.
#[derive(Clone, Copy, Debug, clap::Args)]
pub struct GroupArgs {
    /// Connects per second.
    #[arg(long, default_value_t = 1000)]
    pub rate: u32,
    /// Senders per group (0: a connect storm only).
    #[arg(long, default_value_t = 1)]
    pub senders: usize,
    /// Messages per second per sender.
    #[arg(long, default_value_t = 10)]
    pub msg_rate: u32,
    /// Seconds of sending.
    #[arg(long, default_value_t = 20)]
    pub duration: u64,
    /// Use only the first N groups.
    #[arg(long)]
    pub groups: Option<usize>,
    /// Members other than the senders listen through the Socket.IO gateway (snake_case
    /// vocabulary) instead of the native WebSocket.
    #[arg(long)]
    pub socketio: bool,
    /// With `--socketio`, the senders go through Socket.IO too (needed for a server that
    /// speaks only Socket.IO, such as the Node reference peer in `bench/peers/`).
    #[arg(long)]
    pub all_socketio: bool,
    /// Listeners behave like the web app: three in four have their group open
    /// (`join_conversation` before the sending starts) and report every message as read,
    /// the others have it in the background and confirm delivery; all type now and then and
    /// watch the presence of some members.
    #[arg(long)]
    pub app: bool,
    /// With `--app`: seconds between one listener's typing bursts (0: never). Each burst
    /// is one `typing_start` that the server ends after 5 s.
    #[arg(long, default_value_t = 120)]
    pub typing_every: u64,
    /// With `--app`: members whose presence each listener watches (native only: the
    /// gateway watches a conversation's members itself when it is joined).
    #[arg(long, default_value_t = 20)]
    pub watch: usize,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("could not raise the open files limit: {e}");
    }
    match scenarios::run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("confab-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
