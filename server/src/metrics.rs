//! What an operator's Prometheus scrapes at `GET /metrics`: one recorder per instance (no
//! global state: several servers in one process, as in the tests, keep their own figures), with
//! every handle resolved once at start, so that counting on a hot path is an atomic add.
//!
//! Labels are bounded: event types, close codes, limit names, broker operations. Never a user,
//! session or conversation id.

use metrics::{Counter, Gauge, Histogram, Key, Label, Metadata, Recorder, SharedString, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use std::collections::HashMap;
use std::time::Duration;

/// Every client event type (the `type` of a client frame), for the per-type counters.
const EVENT_TYPES: [&str; 17] = [
    "authenticate",
    "ping",
    "join_conversation",
    "leave_conversation",
    "subscribe_presence",
    "unsubscribe_presence",
    "subscribe_posts",
    "unsubscribe_posts",
    "send_message",
    "send_direct_message",
    "edit_message",
    "delete_message",
    "mark_delivered",
    "mark_read",
    "typing_start",
    "typing_stop",
    "set_presence",
];

/// The limits whose refusals are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// A WebSocket's events per second.
    Events,
    /// REST requests per address.
    Api,
    /// Sign-in and registration attempts per address.
    Auth,
    /// Test notifications per user.
    TestNotification,
}

/// What the broker counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrokerOp {
    /// Envelopes published to Redis.
    Publish,
    /// Envelopes received from other instances.
    Receive,
}

/// Seconds buckets of the send → commit → ack latency.
const ACK_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
];

/// This instance's metrics.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    /// Open WebSockets, authenticated or not.
    pub connections: Gauge,
    /// WebSockets opened since start.
    pub connections_opened: Counter,
    /// Sessions that authenticated since start.
    pub sessions_authenticated: Counter,
    /// Authenticated sessions now (set at scrape time).
    sessions: Gauge,
    /// Distinct users connected here now (set at scrape time).
    users: Gauge,
    events: HashMap<&'static str, Counter>,
    events_invalid: Counter,
    /// Frames written to WebSockets.
    pub frames_out: Counter,
    /// Frames queued to sessions by fan-out (one per recipient session).
    pub deliveries: Counter,
    /// Connections closed because they did not read fast enough.
    pub slow_consumers: Counter,
    /// Messages a gateway session fetched to fill a gap in what it got live.
    gap_messages: Counter,
    /// State frames shed for lagging clients, by kind.
    shed: [Counter; 4],
    rate_limited: [Counter; 4],
    /// Seconds from a `send_message` arriving to its ack being queued (commit included).
    pub ack_latency: Histogram,
    pool_size: Gauge,
    pool_idle: Gauge,
    broker: [Counter; 2],
    broker_errors: Counter,
    /// Webhook delivery attempts, by outcome.
    webhooks: [Counter; 3],
}

/// How a webhook delivery attempt ended.
#[derive(Clone, Copy, Debug)]
pub enum WebhookOutcome {
    /// The endpoint answered 2xx.
    Delivered = 0,
    /// It did not: retried later.
    Retry = 1,
    /// It did not, and the retry window is over.
    Failed = 2,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn metadata() -> Metadata<'static> {
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()))
}

impl Metrics {
    /// A fresh set of metrics, all at zero.
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Full("confab_message_ack_seconds".into()),
                &ACK_BUCKETS,
            )
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        let counter = |name: &'static str, labels: Vec<Label>, help: &'static str| {
            recorder.describe_counter(name.into(), None, help.into());
            recorder.register_counter(&Key::from_parts(name, labels), &metadata())
        };
        let gauge = |name: &'static str, labels: Vec<Label>, help: &'static str| {
            recorder.describe_gauge(name.into(), None, help.into());
            recorder.register_gauge(&Key::from_parts(name, labels), &metadata())
        };
        let label = |k: &'static str, v: &'static str| vec![Label::new(k, v)];
        const EVENTS: &str = "confab_events_received_total";
        const EVENTS_HELP: &str = "Client events received, by type (invalid: could not be decoded)";
        let events = EVENT_TYPES
            .iter()
            .map(|t| (*t, counter(EVENTS, label("type", t), EVENTS_HELP)))
            .collect();
        const LIMITED: &str = "confab_rate_limited_total";
        const LIMITED_HELP: &str = "Requests and events refused by a rate limit, by limit";
        const BROKER: &str = "confab_broker_envelopes_total";
        const BROKER_HELP: &str = "Envelopes published to and received from other instances";
        recorder.describe_histogram(
            "confab_message_ack_seconds".into(),
            Some(Unit::Seconds),
            "From a send_message arriving to its message_ack being queued (commit included)".into(),
        );
        Self {
            connections: gauge(
                "confab_websocket_connections",
                vec![],
                "Open WebSockets, authenticated or not",
            ),
            connections_opened: counter(
                "confab_websocket_opened_total",
                vec![],
                "WebSockets opened",
            ),
            sessions_authenticated: counter(
                "confab_sessions_authenticated_total",
                vec![],
                "WebSockets that authenticated",
            ),
            sessions: gauge(
                "confab_sessions",
                vec![],
                "Authenticated sessions connected to this instance",
            ),
            users: gauge(
                "confab_users_connected",
                vec![],
                "Distinct users with a session on this instance",
            ),
            events,
            events_invalid: counter(EVENTS, label("type", "invalid"), EVENTS_HELP),
            frames_out: counter(
                "confab_frames_sent_total",
                vec![],
                "Frames written to WebSockets",
            ),
            deliveries: counter(
                "confab_fanout_deliveries_total",
                vec![],
                "Frames queued to sessions by fan-out, one per recipient session",
            ),
            slow_consumers: counter(
                "confab_slow_consumer_closes_total",
                vec![],
                "WebSockets closed because the client did not read fast enough",
            ),
            gap_messages: counter(
                "confab_gap_messages_filled_total",
                vec![],
                "Messages fetched from history to fill a gap in what a gateway session got live",
            ),
            shed: crate::shed::Shed::ALL.map(|kind| {
                counter(
                    "confab_frames_shed_total",
                    label("kind", kind.label()),
                    "Frames a newer one supersedes (typing, presence, viewers, counters) dropped for lagging clients",
                )
            }),
            rate_limited: [
                counter(LIMITED, label("limit", "events"), LIMITED_HELP),
                counter(LIMITED, label("limit", "api"), LIMITED_HELP),
                counter(LIMITED, label("limit", "auth"), LIMITED_HELP),
                counter(LIMITED, label("limit", "test_notification"), LIMITED_HELP),
            ],
            ack_latency: recorder.register_histogram(
                &Key::from_static_name("confab_message_ack_seconds"),
                &metadata(),
            ),
            pool_size: gauge(
                "confab_db_pool_connections",
                label("state", "open"),
                "Database pool connections, open and idle",
            ),
            pool_idle: gauge(
                "confab_db_pool_connections",
                label("state", "idle"),
                "Database pool connections, open and idle",
            ),
            broker: [
                counter(BROKER, label("direction", "published"), BROKER_HELP),
                counter(BROKER, label("direction", "received"), BROKER_HELP),
            ],
            webhooks: {
                const NAME: &str = "confab_webhook_attempts_total";
                const HELP: &str = "Webhook delivery attempts, by outcome";
                [
                    counter(NAME, label("outcome", "delivered"), HELP),
                    counter(NAME, label("outcome", "retry"), HELP),
                    counter(NAME, label("outcome", "failed"), HELP),
                ]
            },
            broker_errors: counter(
                "confab_broker_errors_total",
                vec![],
                "Broker operations that failed (Redis unreachable or refusing)",
            ),
            recorder,
            handle,
        }
    }

    /// Counts a client event of type `name` (a [`protocol::ClientEvent::name`]).
    pub fn event(&self, name: &str) {
        if let Some(counter) = self.events.get(name) {
            counter.increment(1);
        }
    }

    /// Counts a frame that could not be decoded.
    pub fn invalid_event(&self) {
        self.events_invalid.increment(1);
    }

    /// Counts a state frame shed for a lagging client.
    pub fn shed(&self, kind: crate::shed::Shed) {
        self.shed[kind as usize].increment(1);
    }

    /// Counts messages fetched to fill a gap in a session's live messages.
    pub fn gap_filled(&self, messages: usize) {
        self.gap_messages.increment(messages as u64);
    }

    /// Counts a refusal by a rate limit.
    pub fn rate_limited(&self, limit: Limit) {
        self.rate_limited[limit as usize].increment(1);
    }

    /// Counts broker envelopes.
    pub fn broker(&self, op: BrokerOp, n: u64) {
        self.broker[op as usize].increment(n);
    }

    /// Counts a webhook delivery attempt.
    pub fn webhook(&self, outcome: WebhookOutcome) {
        self.webhooks[outcome as usize].increment(1);
    }

    /// Counts a failed broker operation.
    pub fn broker_error(&self) {
        self.broker_errors.increment(1);
    }

    /// Counts a WebSocket closed with `code` (`None`: the client closed it, or it went away).
    pub fn connection_closed(&self, code: Option<u16>) {
        let code: SharedString = match code {
            Some(code) => code.to_string().into(),
            None => "client".into(),
        };
        const NAME: &str = "confab_websocket_closed_total";
        self.recorder.describe_counter(
            NAME.into(),
            None,
            "WebSockets closed, by close code (client: closed by the client or lost)".into(),
        );
        let key = Key::from_parts(NAME, vec![Label::new("code", code)]);
        self.recorder
            .register_counter(&key, &metadata())
            .increment(1);
    }

    /// The Prometheus text exposition, with the gauges that are read rather than counted set
    /// from `now`.
    pub fn render(&self, now: Snapshot) -> String {
        self.sessions.set(now.sessions as f64);
        self.users.set(now.users as f64);
        self.pool_size.set(f64::from(now.pool_size));
        self.pool_idle.set(now.pool_idle as f64);
        self.handle.render()
    }

    /// Folds recorded histogram samples into their buckets (call every few seconds, so that
    /// an unscraped instance does not keep every sample).
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }
}

/// How often [`Metrics::upkeep`] should run.
pub const UPKEEP: Duration = Duration::from_secs(5);

/// Figures read at scrape time.
#[derive(Clone, Copy, Debug, Default)]
pub struct Snapshot {
    /// Authenticated sessions.
    pub sessions: usize,
    /// Distinct connected users.
    pub users: usize,
    /// Open database connections.
    pub pool_size: u32,
    /// Idle database connections.
    pub pool_idle: usize,
}

/// Counts an open connection (a WebSocket on `/ws` or a Socket.IO socket) for as long as it
/// lives, also if its task is dropped.
pub struct OpenConnection<'a>(&'a Metrics);

impl<'a> OpenConnection<'a> {
    /// Counts one more open connection.
    pub fn new(metrics: &'a Metrics) -> Self {
        metrics.connections_opened.increment(1);
        metrics.connections.increment(1.0);
        Self(metrics)
    }
}

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        self.0.connections.decrement(1.0);
    }
}
