//! The hub owns this instance's live sessions and the topics they are in, and delivers
//! pre-serialized frames to them.
//!
//! - Frames are serialized once per event ([`crate::codec`]); every recipient gets the same
//!   reference-counted bytes.
//! - Sessions and topics live in sharded maps behind `RwLock`s: delivery takes one shard's read
//!   lock, so deliveries on different cores do not serialize, and no lock is held across
//!   `.await` (delivery is `try_send` into bounded queues).
//! - Each session records the topics it is in: unregistering costs the size of that set.
//! - Lock order: a session shard before a topic shard, never the reverse.
//! - A broker that spans instances can watch topics open (first local session in) and close
//!   (last one out), to subscribe this instance to exactly the topics it has sessions in.

mod outbox;
mod presence;

pub use outbox::{CloseReason, Outbox, OutboxReceiver, Received};

use crate::metrics::Metrics;
use crate::topic::{Except, Topic};
use axum::extract::ws::Utf8Bytes;
use presence::PresenceQueue;
use protocol::{SessionId, UserId};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use tokio::sync::{mpsc, watch};

/// Number of shards of each map: a few times the core count keeps write contention rare.
const SHARDS: usize = 32;

#[derive(Debug)]
struct SessionEntry {
    user: UserId,
    outbox: Outbox,
    topics: HashSet<Topic>,
}

#[derive(Debug)]
struct Subscriber {
    user: UserId,
    outbox: Outbox,
}

#[derive(Debug, Default)]
struct TopicEntry {
    subscribers: HashMap<SessionId, Subscriber>,
    /// Sessions per user, to tell a user's first arrival and last departure.
    users: HashMap<UserId, u32>,
}

impl TopicEntry {
    /// Adds a subscriber; true if it is the user's first session here.
    fn add(&mut self, session: SessionId, user: UserId, outbox: &Outbox) -> bool {
        if self.subscribers.contains_key(&session) {
            return false;
        }
        self.subscribers.insert(
            session,
            Subscriber {
                user,
                outbox: outbox.clone(),
            },
        );
        let count = self.users.entry(user).or_default();
        *count += 1;
        *count == 1
    }

    /// Removes a subscriber; true if it was the user's last session here.
    fn remove(&mut self, session: SessionId) -> bool {
        let Some(sub) = self.subscribers.remove(&session) else {
            return false;
        };
        match self.users.get_mut(&sub.user) {
            Some(count) if *count > 1 => {
                *count -= 1;
                false
            }
            _ => {
                self.users.remove(&sub.user);
                true
            }
        }
    }
}

/// Maps split into independently locked shards by key hash.
#[derive(Debug)]
struct Sharded<K, V> {
    shards: Vec<RwLock<HashMap<K, V>>>,
}

impl<K: Hash + Eq, V> Sharded<K, V> {
    fn new() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
        }
    }

    fn shard(&self, key: &K) -> &RwLock<HashMap<K, V>> {
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        &self.shards[hasher.finish() as usize % SHARDS]
    }

    // A panic while holding a shard cannot leave a map half-updated in a way that matters more
    // than losing every connection would: keep serving.
    fn read(&self, key: &K) -> RwLockReadGuard<'_, HashMap<K, V>> {
        self.shard(key).read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self, key: &K) -> RwLockWriteGuard<'_, HashMap<K, V>> {
        self.shard(key).write().unwrap_or_else(|p| p.into_inner())
    }

    fn all(&self) -> impl Iterator<Item = RwLockReadGuard<'_, HashMap<K, V>>> {
        self.shards
            .iter()
            .map(|s| s.read().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Live statistics for `/health`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HubStats {
    /// Authenticated connections.
    pub connections: usize,
    /// Distinct users with at least one connection.
    pub users: usize,
    /// Conversations with at least one viewer.
    pub rooms: usize,
    /// Presence subscriptions over all sessions.
    pub presence_subscriptions: usize,
    /// Session subscriptions to posts' live counters.
    pub post_subscriptions: usize,
}

/// A topic gained its first local session, or lost its last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopicChange {
    /// The first local session entered it.
    Opened(Topic),
    /// The last local session left it.
    Closed(Topic),
}

/// This instance's authenticated sessions and their topics.
#[derive(Debug)]
pub struct Hub {
    sessions: Sharded<SessionId, SessionEntry>,
    topics: Sharded<Topic, TopicEntry>,
    presence: PresenceQueue,
    /// Where topic openings and closings go, if a broker watches them. Sent under the topic's
    /// shard lock, so the changes of one topic arrive in the order they happened.
    watch: OnceLock<mpsc::UnboundedSender<TopicChange>>,
    /// This instance's metrics (the hub is what every part of an instance shares).
    metrics: Arc<Metrics>,
    /// Why every session closes, once the instance shuts down: connections that are not yet
    /// sessions (still authenticating) watch it, and a session registered after
    /// [`Hub::close_all`] is closed at once.
    closing: watch::Sender<Option<CloseReason>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    /// An empty hub.
    pub fn new() -> Self {
        Self {
            sessions: Sharded::new(),
            topics: Sharded::new(),
            presence: PresenceQueue::default(),
            watch: OnceLock::new(),
            metrics: Arc::new(Metrics::new()),
            closing: watch::channel(None).0,
        }
    }

    /// This instance's metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Reports every topic opening and closing from now on (once per hub; the receiver must
    /// keep draining: the channel is unbounded so that the hub never waits, and holds at most
    /// the changes between two drains).
    pub fn watch_topics(&self) -> Option<mpsc::UnboundedReceiver<TopicChange>> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.watch.set(tx).ok()?;
        Some(rx)
    }

    fn report(&self, change: TopicChange) {
        if let Some(watch) = self.watch.get() {
            let _ = watch.send(change);
        }
    }

    /// The topics with at least one local session.
    pub fn open_topics(&self) -> Vec<Topic> {
        self.topics
            .all()
            .flat_map(|s| s.keys().copied().collect::<Vec<_>>())
            .collect()
    }

    /// Registers an authenticated session in its user's topic.
    pub fn register(&self, session: SessionId, user: UserId, outbox: Outbox) {
        let mut shard = self.sessions.write(&session);
        shard.insert(
            session,
            SessionEntry {
                user,
                outbox: outbox.clone(),
                topics: HashSet::new(),
            },
        );
        // Checked under the shard's lock: close_all either finds the session in the shard or
        // has said why by then, and the session ends at once with the same reason.
        if let Some(reason) = self.closing.borrow().clone() {
            outbox.close(reason);
        }
        drop(shard);
        self.subscribe(session, Topic::User(user));
    }

    /// Removes a session from the hub and every topic it was in. Returns those topics, each
    /// with whether its user left it entirely here (no other local session of theirs is in it).
    pub fn unregister(&self, session: SessionId) -> Vec<(Topic, bool)> {
        let mut sessions = self.sessions.write(&session);
        let Some(entry) = sessions.remove(&session) else {
            return Vec::new();
        };
        entry
            .topics
            .into_iter()
            .map(|topic| {
                let mut topics = self.topics.write(&topic);
                let left = topics.get_mut(&topic).is_some_and(|t| t.remove(session));
                if topics.get(&topic).is_some_and(|t| t.subscribers.is_empty()) {
                    topics.remove(&topic);
                    self.report(TopicChange::Closed(topic));
                }
                (topic, left)
            })
            .collect()
    }

    /// Puts a session in a topic. `Some(true)` if it is its user's first session there, `None`
    /// if the session is not registered.
    pub fn subscribe(&self, session: SessionId, topic: Topic) -> Option<bool> {
        let mut sessions = self.sessions.write(&session);
        let entry = sessions.get_mut(&session)?;
        if !entry.topics.insert(topic) {
            return Some(false);
        }
        let mut topics = self.topics.write(&topic);
        let entry_of_topic = topics.entry(topic).or_insert_with(|| {
            self.report(TopicChange::Opened(topic));
            TopicEntry::default()
        });
        let first = entry_of_topic.add(session, entry.user, &entry.outbox);
        Some(first)
    }

    /// Takes a session out of a topic. `Some(true)` if it was its user's last session there,
    /// `None` if the session was not in it.
    pub fn unsubscribe(&self, session: SessionId, topic: Topic) -> Option<bool> {
        let mut sessions = self.sessions.write(&session);
        let entry = sessions.get_mut(&session)?;
        if !entry.topics.remove(&topic) {
            return None;
        }
        let mut topics = self.topics.write(&topic);
        let left = topics.get_mut(&topic).is_some_and(|t| t.remove(session));
        if topics.get(&topic).is_some_and(|t| t.subscribers.is_empty()) {
            topics.remove(&topic);
            self.report(TopicChange::Closed(topic));
        }
        Some(left)
    }

    /// The local sessions of a user.
    fn sessions_of(&self, user: UserId) -> Vec<SessionId> {
        let topic = Topic::User(user);
        self.topics
            .read(&topic)
            .get(&topic)
            .map(|t| t.subscribers.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Puts every local session of `user` in a topic (they joined a conversation).
    pub fn subscribe_user(&self, user: UserId, topic: Topic) {
        for session in self.sessions_of(user) {
            self.subscribe(session, topic);
        }
    }

    /// Takes every local session of `user` out of a topic; true if any was in it.
    pub fn unsubscribe_user(&self, user: UserId, topic: Topic) -> bool {
        let mut any = false;
        for session in self.sessions_of(user) {
            any |= self.unsubscribe(session, topic).is_some();
        }
        any
    }

    /// Whether a session is in a topic (for a conversation topic: whether its user is a member).
    pub fn is_subscribed(&self, session: SessionId, topic: Topic) -> bool {
        self.sessions
            .read(&session)
            .get(&session)
            .is_some_and(|e| e.topics.contains(&topic))
    }

    /// How many topics of one kind a session is in.
    pub fn count_topics(&self, session: SessionId, kind: impl Fn(&Topic) -> bool) -> usize {
        self.sessions
            .read(&session)
            .get(&session)
            .map_or(0, |e| e.topics.iter().filter(|t| kind(t)).count())
    }

    /// How many distinct users have a local session in a topic, and who (sorted) when they
    /// are at most `limit` (else an empty list): costs the list only when it is short.
    pub fn users_upto(&self, topic: Topic, limit: usize) -> (usize, Vec<UserId>) {
        let topics = self.topics.read(&topic);
        let Some(entry) = topics.get(&topic) else {
            return (0, Vec::new());
        };
        let count = entry.users.len();
        if count > limit {
            return (count, Vec::new());
        }
        let mut users: Vec<UserId> = entry.users.keys().copied().collect();
        users.sort();
        (count, users)
    }

    /// Whether `user` has a local session in a topic.
    pub fn has_user(&self, topic: Topic, user: UserId) -> bool {
        self.topics
            .read(&topic)
            .get(&topic)
            .is_some_and(|t| t.users.contains_key(&user))
    }

    /// Queues a shared frame to every local session in a topic but the excluded ones; returns
    /// how many sessions it was queued for.
    pub fn deliver(&self, topic: Topic, except: Except, frame: &Utf8Bytes) -> usize {
        if topic == Topic::Everyone {
            return self.deliver_all_except(except, frame);
        }
        let topics = self.topics.read(&topic);
        let Some(entry) = topics.get(&topic) else {
            return 0;
        };
        let mut delivered = 0;
        for (session, sub) in &entry.subscribers {
            if !except.excludes(*session, sub.user) && sub.outbox.send(frame.clone()) {
                delivered += 1;
            }
        }
        self.metrics.deliveries.increment(delivered as u64);
        delivered
    }

    /// Every local session viewing a conversation: (conversation, user, session).
    pub fn viewing_sessions(&self) -> Vec<(protocol::ConversationId, UserId, SessionId)> {
        let mut out = Vec::new();
        for shard in self.topics.all() {
            for (topic, entry) in shard.iter() {
                if let Topic::Viewers(conversation) = topic {
                    for (session, sub) in &entry.subscribers {
                        out.push((*conversation, sub.user, *session));
                    }
                }
            }
        }
        out
    }

    /// Queues a shared frame to every local session; returns how many it was queued for.
    pub fn deliver_all(&self, frame: &Utf8Bytes) -> usize {
        self.deliver_all_except(Except::Nobody, frame)
    }

    fn deliver_all_except(&self, except: Except, frame: &Utf8Bytes) -> usize {
        let delivered = self
            .sessions
            .all()
            .map(|shard| {
                shard
                    .iter()
                    .filter(|(id, e)| !except.excludes(**id, e.user))
                    .filter(|(_, e)| e.outbox.send(frame.clone()))
                    .count()
            })
            .sum();
        self.metrics.deliveries.increment(delivered as u64);
        delivered
    }

    /// Closes every local session of a user.
    pub fn close_user(&self, user: UserId, reason: &CloseReason) -> usize {
        let topic = Topic::User(user);
        let topics = self.topics.read(&topic);
        let Some(entry) = topics.get(&topic) else {
            return 0;
        };
        for sub in entry.subscribers.values() {
            sub.outbox.close(reason.clone());
        }
        entry.subscribers.len()
    }

    /// Closes every local session (shutdown), and from now on every session that registers and
    /// every connection still authenticating ([`Hub::closing`]).
    pub fn close_all(&self, reason: &CloseReason) {
        self.closing.send_replace(Some(reason.clone()));
        for shard in self.sessions.all() {
            for entry in shard.values() {
                entry.outbox.close(reason.clone());
            }
        }
    }

    /// Why the instance is closing its sessions, once it is: a connection that is not a
    /// session yet waits on this beside its client (`changed()` resolves when it starts).
    pub fn closing(&self) -> watch::Receiver<Option<CloseReason>> {
        self.closing.subscribe()
    }

    /// Current statistics (walks every shard: for `/health`, not for hot paths).
    pub fn stats(&self) -> HubStats {
        let mut stats = HubStats::default();
        for shard in self.sessions.all() {
            stats.connections += shard.len();
        }
        for shard in self.topics.all() {
            for (topic, entry) in shard.iter() {
                match topic {
                    Topic::User(_) => stats.users += 1,
                    Topic::Viewers(_) => stats.rooms += 1,
                    Topic::Presence(_) => stats.presence_subscriptions += entry.subscribers.len(),
                    Topic::Post(_) => stats.post_subscriptions += entry.subscribers.len(),
                    Topic::Conversation(_) | Topic::Everyone => {}
                }
            }
        }
        stats
    }
}

#[cfg(test)]
mod tests;
