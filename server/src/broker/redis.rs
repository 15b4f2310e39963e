//! The Redis broker: several instances act as one.
//!
//! - **Fan-out.** A frame is delivered to this instance's sessions at once, then published once
//!   on its topic's channel ([`super::wire`]); every other instance with sessions in the topic
//!   delivers it to them. An instance subscribes to a topic's channel while it has a session in
//!   the topic (the hub reports openings and closings; channels are reference counted), on one
//!   subscriber connection for the whole instance.
//! - **Publishing** goes through one queue (bounded) and one task that pipelines whatever is
//!   waiting: order is kept, and callers never wait for Redis.
//! - **Presence** lives in Redis, changed by one atomic script (`presence.lua`) with the same
//!   rules as the in-process registry. Each instance holds a lease it renews every second; an
//!   instance that stops renewing is reaped by another: its sessions go, and its users who have
//!   no session elsewhere go offline.
//! - **Faults.** While Redis is unreachable, local delivery, storage and acks go on; `/health`
//!   says `degraded`; the connections retry by themselves. Once Redis answers again the
//!   instance subscribes again, puts its sessions and views in Redis right (those that ended
//!   meanwhile go: no ghosts), and tells its sessions to `resync` (fetch what they may have
//!   missed, as after a reconnect). Whatever this instance published meanwhile never reached
//!   the others, so it also asks every other instance, on the control channel, to have its
//!   sessions resync; the same happens after its publish queue overflowed.

use super::wire::{self, Envelope, Membership};
use crate::codec::encode_event;
use crate::counters::{offer_and_deliver, Coalescer};
use crate::error::AppError;
use crate::hub::{CloseReason, Hub, TopicChange};
use crate::metrics::BrokerOp;
use crate::presence::{PresenceUpdate, SessionEnd};
use crate::store::now_ms;
use crate::topic::{Except, Topic};
use axum::extract::ws::Utf8Bytes;
use protocol::{
    ConversationId, PostCounts, Presence, PresenceStatus, ServerEvent, SessionId, UserId,
};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{PushInfo, PushKind, Script};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// How long an instance's lease lasts without renewal: an instance killed without a goodbye
/// has its users shown offline elsewhere within this plus one reaper tick.
pub const LEASE: Duration = Duration::from_secs(5);

/// How often leases are renewed, health checked and dead instances looked for.
pub const TICK: Duration = Duration::from_secs(1);

/// Publishes waiting for the publisher task; beyond that they are dropped (and counted), the
/// receivers recover through `resync`.
const PUBLISH_QUEUE: usize = 65_536;

/// Most publishes sent in one pipeline.
const PUBLISH_BATCH: usize = 512;

/// Messages from Redis waiting for delivery into the hub; beyond that the instance resyncs its
/// sessions rather than growing.
const RECEIVE_QUEUE: usize = 65_536;

/// The presence rules, run inside Redis.
const PRESENCE_SCRIPT: &str = include_str!("presence.lua");

/// One use of a shared quota (GCRA): KEYS[1] holds the theoretical arrival time in
/// microseconds; ARGV = the interval between uses and the window (the burst). 1 if allowed.
const QUOTA_SCRIPT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = math.max(tonumber(redis.call('GET', KEYS[1])) or now, now)
if tat + interval - now > window then return 0 end
redis.call('SET', KEYS[1], tat + interval, 'PX', math.ceil((tat + interval - now) / 1000))
return 1
"#;

/// The set of live instances.
fn instances_key() -> String {
    format!("{}instances", wire::PREFIX)
}

fn lease_key(instance: Uuid) -> String {
    format!("{}lease:{instance}", wire::PREFIX)
}

/// Requests to the subscriber task.
enum Subscriber {
    /// A topic opened or closed locally.
    Topic(TopicChange),
    /// Subscribe to every channel again (after an outage), then answer.
    Resubscribe(oneshot::Sender<()>),
}

/// Hands Redis pushes to the receiver task without blocking the connection; when the queue is
/// full the push is dropped and the instance will resync.
struct BoundedPush {
    queue: mpsc::Sender<PushInfo>,
    overflowed: Arc<AtomicBool>,
}

impl redis::aio::AsyncPushSender for BoundedPush {
    fn send(&self, info: PushInfo) -> Result<(), redis::aio::SendError> {
        if self.queue.try_send(info).is_err() {
            self.overflowed.store(true, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// Fan-out and presence across instances through Redis.
pub struct RedisBroker {
    instance: Uuid,
    hub: Arc<Hub>,
    commands: ConnectionManager,
    publish: mpsc::Sender<(String, Vec<u8>)>,
    subscriber: mpsc::UnboundedSender<Subscriber>,
    script: Script,
    quota: Script,
    healthy: AtomicBool,
    /// Why Redis is considered down, for `/health`.
    problem: Mutex<Option<String>>,
    /// Pushes were dropped (the receive queue was full): sessions must resync.
    overflowed: Arc<AtomicBool>,
    /// Publishes are being dropped (warned once until the queue drains).
    dropping: AtomicBool,
    /// Some envelopes never reached Redis: once it takes publishes again, every other instance
    /// is asked to have its sessions resync.
    lost: AtomicBool,
    /// This instance's sessions and the status each chose (`Offline`: appearing offline), kept
    /// whatever Redis does, to put Redis right after an outage.
    sessions: Mutex<HashMap<SessionId, (UserId, PresenceStatus)>>,
    /// What putting Redis right found to announce, until the reaper loop takes it.
    pending: Mutex<Departures>,
    /// Coalesces the post counters delivered here, local and remote alike, so that a watcher
    /// gets at most 10 updates a second per post however many instances take likes.
    delivery: Arc<Coalescer<protocol::PostCounts>>,
}

impl std::fmt::Debug for RedisBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBroker")
            .field("instance", &self.instance)
            .field("healthy", &self.healthy)
            .finish_non_exhaustive()
    }
}

/// The URL with RESP3 asked for (push messages need it).
fn resp3(url: &str) -> String {
    if url.contains("protocol=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&protocol=resp3")
    } else {
        format!("{url}?protocol=resp3")
    }
}

fn config() -> ConnectionManagerConfig {
    // Fail fast while Redis is away (callers go on without it) and keep retrying in between.
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(1)))
        .set_response_timeout(Some(Duration::from_secs(1)))
        .set_number_of_retries(2)
        .set_min_delay(Duration::from_millis(100))
        .set_max_delay(Duration::from_secs(1))
}

impl RedisBroker {
    /// Connects to Redis (it must answer now), registers this instance and starts the
    /// publisher, subscriber, receiver and health tasks.
    pub async fn connect(url: &str, hub: Arc<Hub>) -> Result<Arc<Self>, AppError> {
        let unreachable = |e: redis::RedisError| AppError::Internal(format!("Redis at {url}: {e}"));
        let client = redis::Client::open(resp3(url)).map_err(unreachable)?;
        let commands = ConnectionManager::new_with_config(client.clone(), config())
            .await
            .map_err(unreachable)?;
        let overflowed = Arc::new(AtomicBool::new(false));
        let (push_tx, push_rx) = mpsc::channel(RECEIVE_QUEUE);
        let push = BoundedPush {
            queue: push_tx,
            overflowed: overflowed.clone(),
        };
        let mut subscriptions =
            ConnectionManager::new_with_config(client, config().set_push_sender(push))
                .await
                .map_err(unreachable)?;
        for channel in [wire::CONTROL, wire::EVERYONE] {
            subscriptions
                .subscribe(channel)
                .await
                .map_err(unreachable)?;
        }
        let topics = hub
            .watch_topics()
            .ok_or_else(|| AppError::Internal("the hub is already watched".into()))?;
        let (publish, publish_rx) = mpsc::channel(PUBLISH_QUEUE);
        let (subscriber, subscriber_rx) = mpsc::unbounded_channel();
        let broker = Arc::new(Self {
            instance: Uuid::now_v7(),
            hub,
            commands,
            publish,
            subscriber: subscriber.clone(),
            script: Script::new(PRESENCE_SCRIPT),
            quota: Script::new(QUOTA_SCRIPT),
            healthy: AtomicBool::new(true),
            problem: Mutex::new(None),
            overflowed,
            dropping: AtomicBool::new(false),
            lost: AtomicBool::new(false),
            sessions: Mutex::new(HashMap::new()),
            pending: Mutex::new(Departures::default()),
            delivery: Arc::new(Coalescer::new()),
        });
        broker.renew_lease().await.map_err(unreachable)?;
        tokio::spawn(forward_topics(topics, subscriber));
        tokio::spawn(subscribe_loop(subscriptions.clone(), subscriber_rx));
        tokio::spawn(publish_loop(Arc::downgrade(&broker), publish_rx));
        tokio::spawn(receive_loop(Arc::downgrade(&broker), push_rx));
        tokio::spawn(health_loop(Arc::downgrade(&broker), subscriptions));
        tracing::info!(instance = %broker.instance, "connected to Redis");
        Ok(broker)
    }

    /// This instance's id.
    pub fn instance(&self) -> Uuid {
        self.instance
    }

    /// The hub it delivers to.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// `None` while Redis answers, else why not.
    pub fn problem(&self) -> Option<String> {
        if self.healthy.load(Ordering::Relaxed) {
            return None;
        }
        let problem = self.problem.lock().unwrap_or_else(|p| p.into_inner());
        Some(
            problem
                .clone()
                .unwrap_or_else(|| "Redis is unreachable".into()),
        )
    }

    fn failed(&self, what: &str, error: &redis::RedisError) {
        self.hub.metrics().broker_error();
        if self.healthy.swap(false, Ordering::Relaxed) {
            tracing::warn!(%error, "Redis {what} failed: cross-instance delivery paused");
        }
        *self.problem.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(format!("Redis unreachable ({what}: {error})"));
    }

    /// Queues an envelope for publishing (never waits).
    fn send(&self, channel: String, payload: Vec<u8>) {
        if self.publish.try_send((channel, payload)).is_err() {
            // Redis cannot keep up (65,536 waiting): these events reach only this instance's
            // sessions until the others resync; warned once per episode.
            self.lost.store(true, Ordering::Relaxed);
            if !self.dropping.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "the Redis publish queue is full: events are not crossing instances"
                );
            }
        }
    }

    /// Delivers a frame here and publishes it to the other instances.
    pub fn publish(&self, topic: Topic, except: Except, frame: &Utf8Bytes) {
        self.hub.deliver(topic, except, frame);
        self.send(
            wire::channel(topic),
            wire::frame(self.instance, except, frame.as_str()),
        );
    }

    /// Applies a membership change here and on every instance with the user's sessions.
    pub fn membership(&self, change: Membership) {
        let user = apply(&self.hub, &change);
        self.send(
            wire::channel(Topic::User(user)),
            wire::membership(self.instance, &change),
        );
    }

    /// A post's counters changed here (already coalesced for publishing): published to the
    /// other instances, and delivered here through this instance's delivery coalescer.
    pub fn counts_changed(&self, counts: PostCounts) {
        self.send(
            wire::channel(Topic::Post(counts.post_id)),
            wire::counts(self.instance, &counts),
        );
        self.deliver_counts(counts);
    }

    fn deliver_counts(&self, counts: PostCounts) {
        let hub = self.hub.clone();
        offer_and_deliver(&self.delivery, counts, move |counts| {
            let frame = encode_event(ServerEvent::PostCountsChanged { counts });
            hub.deliver(Topic::Post(counts.post_id), Except::Nobody, &frame);
        });
    }

    /// Queues a presence change here and for the watchers on every instance.
    pub fn presence_changed(&self, presence: Presence) {
        let envelope = wire::presence(self.instance, &presence);
        let channel = wire::channel(Topic::Presence(presence.user_id));
        self.hub.queue_presence(presence);
        self.send(channel, envelope);
    }

    /// Runs one operation of the presence/viewers/typing script; `None` (logged) while Redis
    /// is away.
    async fn script<T: redis::FromRedisValue>(&self, args: &[String]) -> Option<T> {
        if !self.healthy.load(Ordering::Relaxed) {
            return None;
        }
        let mut invocation = self.script.prepare_invoke();
        invocation.arg(args[0].as_str()).arg(wire::PREFIX);
        for arg in &args[1..] {
            invocation.arg(arg.as_str());
        }
        let mut conn = self.commands.clone();
        match invocation.invoke_async(&mut conn).await {
            Ok(value) => Some(value),
            Err(e) => {
                self.failed("presence", &e);
                None
            }
        }
    }

    /// Counts one use of a quota shared by every instance: `limit` uses at once, then one more
    /// each `window / limit` (the generic cell rate algorithm, as the local limiters use, on
    /// Redis's clock). `true` while within it, and also while Redis does not answer (each
    /// instance's own limiter still applies then).
    pub async fn within_quota(&self, name: &str, limit: u32, window: Duration) -> bool {
        if !self.healthy.load(Ordering::Relaxed) {
            return true;
        }
        let window_us = u64::try_from(window.as_micros()).unwrap_or(u64::MAX);
        let interval_us = (window_us / u64::from(limit.max(1))).max(1);
        let mut conn = self.commands.clone();
        let allowed: redis::RedisResult<i64> = self
            .quota
            .key(format!("{}quota:{name}", wire::PREFIX))
            .arg(interval_us)
            .arg(window_us)
            .invoke_async(&mut conn)
            .await;
        match allowed {
            Ok(allowed) => allowed == 1,
            Err(e) => {
                self.failed("quota", &e);
                true
            }
        }
    }

    fn remember(&self, session: SessionId, entry: Option<(UserId, PresenceStatus)>) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        match entry {
            Some(entry) => sessions.insert(session, entry),
            None => sessions.remove(&session),
        };
    }

    /// Records a new session; returns the presence to announce, if it changed.
    pub async fn session_started(
        &self,
        user: UserId,
        session: SessionId,
    ) -> Option<PresenceUpdate> {
        self.remember(session, Some((user, PresenceStatus::Online)));
        let args = self.session_args("connect", user, session, None);
        let change: Option<Vec<String>> = self.script(&args).await?;
        change.as_deref().and_then(parse_update)
    }

    /// Sets one session's status; returns the presence to announce, if it changed.
    pub async fn set_status(
        &self,
        user: UserId,
        session: SessionId,
        status: PresenceStatus,
    ) -> Option<PresenceUpdate> {
        self.remember(session, Some((user, status)));
        let args = self.session_args("set_status", user, session, Some(status));
        let change: Option<Vec<String>> = self.script(&args).await?;
        change.as_deref().and_then(parse_update)
    }

    /// Forgets a session.
    pub async fn session_ended(&self, user: UserId, session: SessionId) -> SessionEnd {
        self.remember(session, None);
        let args = self.session_args("disconnect", user, session, None);
        let Some(reply) = self.script::<Vec<String>>(&args).await else {
            return SessionEnd::Others(None);
        };
        match reply.first().map(String::as_str) {
            Some("last") => SessionEnd::Last,
            _ => SessionEnd::Others(parse_update(&reply[1..])),
        }
    }

    /// After the grace period: whether the user is to be announced offline now.
    pub async fn expire(&self, user: UserId) -> bool {
        let args = ["expire".to_owned(), user.to_string()];
        self.script::<i64>(&args).await == Some(1)
    }

    /// The announced status of each user (offline for all while Redis is away).
    pub async fn statuses(&self, users: &[UserId]) -> Vec<(PresenceStatus, Option<i64>)> {
        let mut args = vec!["statuses".to_owned()];
        args.extend(users.iter().map(UserId::to_string));
        let reply: Vec<String> = self.script(&args).await.unwrap_or_default();
        if reply.len() != users.len() * 2 {
            return vec![(PresenceStatus::Offline, None); users.len()];
        }
        reply
            .chunks(2)
            .map(|pair| (parse_status(&pair[0]), pair[1].parse().ok()))
            .collect()
    }

    fn session_args(
        &self,
        op: &str,
        user: UserId,
        session: SessionId,
        status: Option<PresenceStatus>,
    ) -> Vec<String> {
        let mut args = vec![
            op.to_owned(),
            user.to_string(),
            self.instance.to_string(),
            session.to_string(),
        ];
        if let Some(status) = status {
            args.push(status_str(status).to_owned());
        }
        args.push(now_ms().to_string());
        args
    }

    /// Renews this instance's lease (and its place in the set of instances).
    async fn renew_lease(&self) -> redis::RedisResult<()> {
        let mut conn = self.commands.clone();
        redis::pipe()
            .cmd("SET")
            .arg(lease_key(self.instance))
            .arg(1)
            .arg("PX")
            .arg(LEASE.as_millis() as u64)
            .ignore()
            .cmd("SADD")
            .arg(instances_key())
            .arg(self.instance.to_string())
            .ignore()
            .query_async(&mut conn)
            .await
    }

    /// Reaps every instance whose lease ran out (each is reaped by exactly one instance):
    /// returns what to announce (presence `Offline`: the user has no session left).
    pub async fn reap_dead(&self) -> Departures {
        if !self.healthy.load(Ordering::Relaxed) {
            return Departures::default();
        }
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        let mut conn = self.commands.clone();
        let instances: Vec<String> = match redis::cmd("SMEMBERS")
            .arg(instances_key())
            .query_async(&mut conn)
            .await
        {
            Ok(list) => list,
            Err(e) => {
                self.failed("reaper", &e);
                return Departures::default();
            }
        };
        let mut departures = pending;
        for other in instances {
            let Ok(id) = other.parse::<Uuid>() else {
                continue;
            };
            if id == self.instance {
                continue;
            }
            let alive: redis::RedisResult<bool> = redis::cmd("EXISTS")
                .arg(lease_key(id))
                .query_async(&mut conn)
                .await;
            if alive.unwrap_or(true) {
                continue;
            }
            // Whoever removes it from the set reaps it.
            let claimed: redis::RedisResult<i64> = redis::cmd("SREM")
                .arg(instances_key())
                .arg(&other)
                .query_async(&mut conn)
                .await;
            if claimed.unwrap_or(0) != 1 {
                continue;
            }
            let args = ["reap".to_owned(), other.clone(), now_ms().to_string()];
            let reply: Vec<String> = self.script(&args).await.unwrap_or_default();
            tracing::warn!(instance = %other, changes = reply.len() / 3, "reaped an instance that stopped renewing its lease");
            departures.extend(parse_departures(&reply));
        }
        departures
    }

    /// After an outage: makes this instance's sessions and views in Redis exactly the ones it
    /// has (those that ended meanwhile go, those that began are added); what that changes is
    /// announced by the reaper loop.
    async fn reconcile(&self) {
        let mut args = vec![
            "reconcile".to_owned(),
            self.instance.to_string(),
            now_ms().to_string(),
        ];
        let sessions: Vec<(SessionId, UserId, PresenceStatus)> = self
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(s, (u, status))| (*s, *u, *status))
            .collect();
        args.push(sessions.len().to_string());
        for (session, user, status) in sessions {
            args.extend([
                user.to_string(),
                session.to_string(),
                status_str(status).to_owned(),
            ]);
        }
        for (conversation, user, session) in self.hub.viewing_sessions() {
            args.extend([
                conversation.to_string(),
                user.to_string(),
                session.to_string(),
            ]);
        }
        if let Some(reply) = self.script::<Vec<String>>(&args).await {
            let found = parse_departures(&reply);
            self.pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(found);
        }
    }

    /// Leaves the cluster on shutdown: this instance's sessions go at once (no lease to wait
    /// out); returns what to announce.
    pub async fn leave(&self) -> Departures {
        let mut conn = self.commands.clone();
        let _: redis::RedisResult<()> = redis::pipe()
            .cmd("DEL")
            .arg(lease_key(self.instance))
            .ignore()
            .cmd("SREM")
            .arg(instances_key())
            .arg(self.instance.to_string())
            .ignore()
            .query_async(&mut conn)
            .await;
        let args = [
            "reap".to_owned(),
            self.instance.to_string(),
            now_ms().to_string(),
        ];
        let reply: Vec<String> = self.script(&args).await.unwrap_or_default();
        parse_departures(&reply)
    }

    fn view_args(
        &self,
        op: &str,
        conversation: ConversationId,
        user: UserId,
        session: SessionId,
    ) -> Vec<String> {
        vec![
            op.to_owned(),
            conversation.to_string(),
            user.to_string(),
            self.instance.to_string(),
            session.to_string(),
        ]
    }

    /// A session started viewing: whether it is the user's first, anywhere (`local`, this
    /// instance's answer, while Redis is away).
    pub async fn view_joined(
        &self,
        conversation: ConversationId,
        user: UserId,
        session: SessionId,
        local: bool,
    ) -> bool {
        let args = self.view_args("view_join", conversation, user, session);
        self.script::<i64>(&args).await.map_or(local, |n| n == 1)
    }

    /// A session stopped viewing: whether it was the user's last, anywhere.
    pub async fn view_left(
        &self,
        conversation: ConversationId,
        user: UserId,
        session: SessionId,
        local: bool,
    ) -> bool {
        let args = self.view_args("view_leave", conversation, user, session);
        self.script::<i64>(&args).await.map_or(local, |n| n == 1)
    }

    /// Records that a user types (or stopped) in a conversation here, so that the typing stops
    /// for everyone if this instance dies.
    pub async fn typing(&self, conversation: ConversationId, user: UserId, typing: bool) {
        let args = [
            "typing".to_owned(),
            self.instance.to_string(),
            conversation.to_string(),
            user.to_string(),
            if typing { "1" } else { "0" }.to_owned(),
        ];
        let _ = self.script::<i64>(&args).await;
    }

    /// A user left a conversation: they view it nowhere.
    pub async fn view_forget(&self, conversation: ConversationId, user: UserId) {
        let args = [
            "view_forget".to_owned(),
            conversation.to_string(),
            user.to_string(),
        ];
        let _ = self.script::<i64>(&args).await;
    }

    /// How many users view a conversation on any instance, and who (sorted) when they are at
    /// most `limit` (this instance's while Redis is away).
    pub async fn viewers(
        &self,
        conversation: ConversationId,
        limit: usize,
    ) -> (usize, Vec<UserId>) {
        let args = [
            "viewers".to_owned(),
            conversation.to_string(),
            limit.to_string(),
        ];
        match self.script::<Vec<String>>(&args).await {
            Some(reply) => {
                let count = reply.first().and_then(|n| n.parse().ok()).unwrap_or(0);
                let mut users: Vec<UserId> = reply
                    .iter()
                    .skip(1)
                    .filter_map(|id| id.parse().ok())
                    .collect();
                users.sort();
                (count, users)
            }
            None => self.hub.users_upto(Topic::Viewers(conversation), limit),
        }
    }

    /// Whether a user views a conversation on any instance (here first: no Redis call then).
    pub async fn is_viewing(&self, conversation: ConversationId, user: UserId) -> bool {
        if self.hub.has_user(Topic::Viewers(conversation), user) {
            return true;
        }
        let args = [
            "is_viewing".to_owned(),
            conversation.to_string(),
            user.to_string(),
        ];
        match self.script::<i64>(&args).await {
            Some(n) => n == 1,
            None => false,
        }
    }
}

/// What sessions that went without a goodbye leave behind.
#[derive(Debug, Default)]
pub struct Departures {
    /// Presence changes to announce (`Offline`: no session left anywhere).
    pub presence: Vec<PresenceUpdate>,
    /// Conversations users no longer view anywhere.
    pub views: Vec<(ConversationId, UserId)>,
    /// Conversations in which users were typing (on the instance that went).
    pub typing: Vec<(ConversationId, UserId)>,
}

impl Departures {
    fn extend(&mut self, other: Departures) {
        self.presence.extend(other.presence);
        self.views.extend(other.views);
        self.typing.extend(other.typing);
    }
}

/// The reaper's reply: triples of `user, status, away_since`, `"view", conversation, user` or
/// `"typing", conversation, user`.
fn parse_departures(reply: &[String]) -> Departures {
    let mut departures = Departures::default();
    for triple in reply.chunks(3) {
        let pair = || -> Option<(ConversationId, UserId)> {
            Some((triple.get(1)?.parse().ok()?, triple.get(2)?.parse().ok()?))
        };
        match triple.first().map(String::as_str) {
            Some("view") => departures.views.extend(pair()),
            Some("typing") => departures.typing.extend(pair()),
            _ => departures.presence.extend(parse_update(triple)),
        }
    }
    departures
}

fn status_str(status: PresenceStatus) -> &'static str {
    match status {
        PresenceStatus::Online => "online",
        PresenceStatus::Away => "away",
        PresenceStatus::Busy => "busy",
        PresenceStatus::Offline => "offline",
    }
}

fn parse_status(raw: &str) -> PresenceStatus {
    match raw {
        "online" => PresenceStatus::Online,
        "away" => PresenceStatus::Away,
        "busy" => PresenceStatus::Busy,
        _ => PresenceStatus::Offline,
    }
}

/// `[user, status, away_since or ""]` as an update.
fn parse_update(fields: &[String]) -> Option<PresenceUpdate> {
    let [user, status, since] = fields else {
        return None;
    };
    Some(PresenceUpdate {
        user: user.parse().ok()?,
        status: parse_status(status),
        away_since: since.parse().ok(),
    })
}

/// Applies a membership change to this instance's sessions; returns whose it is.
fn apply(hub: &Hub, change: &Membership) -> UserId {
    match change {
        Membership::Joined { user, conversation } => {
            hub.subscribe_user(*user, Topic::Conversation(*conversation));
            *user
        }
        Membership::Left { user, conversation } => {
            hub.unsubscribe_user(*user, Topic::Conversation(*conversation));
            hub.unsubscribe_user(*user, Topic::Viewers(*conversation));
            *user
        }
        Membership::Unwatched { user, watched } => {
            hub.unsubscribe_user(*user, Topic::Presence(*watched));
            *user
        }
        Membership::Closed {
            user,
            close_code,
            error,
            message,
        } => {
            let reason = CloseReason::new(*close_code, *error, message.clone());
            hub.close_user(*user, &reason);
            *user
        }
    }
}

async fn forward_topics(
    mut topics: mpsc::UnboundedReceiver<TopicChange>,
    subscriber: mpsc::UnboundedSender<Subscriber>,
) {
    while let Some(change) = topics.recv().await {
        if subscriber.send(Subscriber::Topic(change)).is_err() {
            return;
        }
    }
}

/// Keeps the subscriber connection subscribed to the channels of the topics open here,
/// reference counted (a user topic and a presence topic share the presence channel).
async fn subscribe_loop(mut conn: ConnectionManager, mut rx: mpsc::UnboundedReceiver<Subscriber>) {
    // The control and everyone channels (subscribed in `connect`) are held for good: no
    // session's topic maps to them.
    let mut counts: HashMap<String, u32> = HashMap::from([
        (wire::CONTROL.to_owned(), 1),
        (wire::EVERYONE.to_owned(), 1),
    ]);
    let mut requests = Vec::new();
    while rx.recv_many(&mut requests, 1024).await > 0 {
        let (mut subscribe, mut unsubscribe) = (Vec::new(), Vec::new());
        let mut answers = Vec::new();
        for request in requests.drain(..) {
            match request {
                Subscriber::Topic(TopicChange::Opened(topic)) => {
                    for channel in wire::channels(topic) {
                        let count = counts.entry(channel.clone()).or_default();
                        *count += 1;
                        if *count == 1 {
                            unsubscribe.retain(|c| *c != channel);
                            subscribe.push(channel);
                        }
                    }
                }
                Subscriber::Topic(TopicChange::Closed(topic)) => {
                    for channel in wire::channels(topic) {
                        if let Some(count) = counts.get_mut(&channel) {
                            *count -= 1;
                            if *count == 0 {
                                counts.remove(&channel);
                                subscribe.retain(|c| *c != channel);
                                unsubscribe.push(channel);
                            }
                        }
                    }
                }
                Subscriber::Resubscribe(done) => {
                    subscribe = counts.keys().cloned().collect();
                    answers.push(done);
                }
            }
        }
        // A failure here is an outage: the health check resubscribes everything afterwards.
        if !unsubscribe.is_empty() {
            if let Err(e) = conn.unsubscribe(&unsubscribe).await {
                tracing::debug!(error = %e, "unsubscribe failed");
            }
        }
        if !subscribe.is_empty() {
            for chunk in subscribe.chunks(1024) {
                if let Err(e) = conn.subscribe(chunk).await {
                    tracing::debug!(error = %e, "subscribe failed");
                    break;
                }
            }
        }
        for done in answers {
            let _ = done.send(());
        }
    }
}

/// Publishes in order, pipelining whatever is waiting (and dropping it while Redis is away).
/// Once publishing works again after envelopes were lost, it asks every other instance to have
/// its sessions resync (checked at least every [`TICK`], traffic or not).
async fn publish_loop(
    broker: std::sync::Weak<RedisBroker>,
    mut rx: mpsc::Receiver<(String, Vec<u8>)>,
) {
    let mut batch = Vec::with_capacity(PUBLISH_BATCH);
    loop {
        let received = tokio::time::timeout(TICK, rx.recv_many(&mut batch, PUBLISH_BATCH)).await;
        if received == Ok(0) {
            return;
        }
        let Some(broker) = broker.upgrade() else {
            return;
        };
        broker.dropping.store(false, Ordering::Relaxed);
        if !broker.healthy.load(Ordering::Relaxed) {
            // Redis is away: waiting for each batch's timeout would only back the queue up.
            // Everything sent meanwhile is recovered through `resync` once it is back.
            if !batch.is_empty() {
                broker.lost.store(true, Ordering::Relaxed);
                batch.clear();
            }
            continue;
        }
        let lost = broker.lost.swap(false, Ordering::Relaxed);
        if batch.is_empty() && !lost {
            continue;
        }
        let published = batch.len() as u64 + u64::from(lost);
        let mut pipe = redis::pipe();
        for (channel, payload) in batch.drain(..) {
            pipe.cmd("PUBLISH").arg(channel).arg(payload).ignore();
        }
        if lost {
            pipe.cmd("PUBLISH")
                .arg(wire::CONTROL)
                .arg(wire::resync(broker.instance))
                .ignore();
        }
        let mut conn = broker.commands.clone();
        let sent = pipe.query_async::<()>(&mut conn).await;
        if sent.is_ok() {
            broker.hub.metrics().broker(BrokerOp::Publish, published);
        }
        match sent {
            Ok(()) if lost => {
                tracing::info!("asked the other instances to have their sessions resync");
            }
            Ok(()) => {}
            Err(e) => {
                broker.lost.store(true, Ordering::Relaxed);
                broker.failed("publish", &e);
            }
        }
    }
}

/// Delivers what other instances published into this instance's hub.
async fn receive_loop(broker: std::sync::Weak<RedisBroker>, mut rx: mpsc::Receiver<PushInfo>) {
    while let Some(push) = rx.recv().await {
        let Some(broker) = broker.upgrade() else {
            return;
        };
        if push.kind == PushKind::Disconnection {
            let error = redis::RedisError::from((redis::ErrorKind::Io, "connection lost"));
            broker.failed("subscription", &error);
            continue;
        }
        let Some(message) = redis::Msg::from_push_info(push) else {
            continue;
        };
        let Some((origin, envelope)) = wire::decode(message.get_payload_bytes()) else {
            continue;
        };
        if origin == broker.instance {
            continue;
        }
        broker.hub.metrics().broker(BrokerOp::Receive, 1);
        match envelope {
            Envelope::Frame { except, frame } => {
                if let Some(topic) = wire::topic_of(message.get_channel_name()) {
                    broker.hub.deliver(topic, except, &Utf8Bytes::from(frame));
                }
            }
            Envelope::Presence(presence) => broker.hub.queue_presence(presence),
            Envelope::Membership(change) => {
                apply(&broker.hub, &change);
            }
            Envelope::Counts(counts) => broker.deliver_counts(counts),
            Envelope::Resync => {
                let sessions = broker.hub.deliver_all(&encode_event(ServerEvent::Resync));
                tracing::info!(
                    sessions,
                    from = %origin,
                    "another instance lost envelopes: sessions told to resync"
                );
            }
        }
    }
}

/// Renews the lease and checks both connections every [`TICK`]; when Redis is back after an
/// outage (or pushes were dropped), subscribes again and tells every local session to resync.
async fn health_loop(broker: std::sync::Weak<RedisBroker>, mut subscriptions: ConnectionManager) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(broker) = broker.upgrade() else {
            return;
        };
        let lease = broker.renew_lease().await;
        let ping: redis::RedisResult<String> =
            redis::cmd("PING").query_async(&mut subscriptions).await;
        let was_healthy = broker.healthy.load(Ordering::Relaxed);
        match (lease, ping) {
            (Ok(()), Ok(_)) => {
                let overflowed = broker.overflowed.swap(false, Ordering::Relaxed);
                if !was_healthy || overflowed {
                    let (done, subscribed) = oneshot::channel();
                    if broker
                        .subscriber
                        .send(Subscriber::Resubscribe(done))
                        .is_ok()
                    {
                        let _ = subscribed.await;
                    }
                    broker.healthy.store(true, Ordering::Relaxed);
                    *broker.problem.lock().unwrap_or_else(|p| p.into_inner()) = None;
                    if !was_healthy {
                        // Sessions may have come and gone meanwhile: no ghosts.
                        broker.reconcile().await;
                    }
                    let sessions = broker.hub.deliver_all(&encode_event(ServerEvent::Resync));
                    tracing::info!(sessions, "Redis reachable again: sessions told to resync");
                }
            }
            (Err(e), _) | (_, Err(e)) => broker.failed("health check", &e),
        }
    }
}
