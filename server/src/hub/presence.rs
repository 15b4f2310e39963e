//! Batched presence delivery: changes are queued as they happen and flushed on a short tick, so
//! changes that happen together (a connect storm, a server restart) reach each watcher as one
//! `presence_changed` frame. Each entry is serialized once and spliced into every batch.

use super::Hub;
use crate::codec::{encode_presence, presence_batch};
use crate::topic::Topic;
use axum::extract::ws::Utf8Bytes;
use protocol::{Presence, SessionId, UserId};
use std::collections::HashMap;
use std::sync::Mutex;

/// Presence changes waiting for the next flush, the latest per user.
#[derive(Debug, Default)]
pub(super) struct PresenceQueue {
    // A std Mutex: a push or a swap of the map, never held across `.await`.
    pending: Mutex<Vec<Presence>>,
}

impl Hub {
    /// Queues a presence change for delivery to the user's watchers and own sessions at the
    /// next [`Hub::flush_presence`].
    pub fn queue_presence(&self, presence: Presence) {
        self.presence
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(presence);
    }

    /// Delivers the queued changes: one frame per session, with the entries it watches.
    /// Returns the number of frames queued.
    pub fn flush_presence(&self) -> usize {
        let pending = std::mem::take(
            &mut *self
                .presence
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        if pending.is_empty() {
            return 0;
        }
        // The latest change per user wins, in order of first appearance.
        let mut latest: Vec<Presence> = Vec::with_capacity(pending.len());
        let mut index: HashMap<UserId, usize> = HashMap::with_capacity(pending.len());
        for p in pending {
            match index.get(&p.user_id) {
                Some(&i) => latest[i] = p,
                None => {
                    index.insert(p.user_id, latest.len());
                    latest.push(p);
                }
            }
        }
        let mut batches: HashMap<SessionId, (super::Outbox, Vec<Utf8Bytes>, UserId)> =
            HashMap::new();
        for presence in &latest {
            let entry = encode_presence(presence);
            let user = presence.user_id;
            for topic in [Topic::Presence(user), Topic::User(user)] {
                let topics = self.topics.read(&topic);
                let Some(t) = topics.get(&topic) else {
                    continue;
                };
                for (session, sub) in &t.subscribers {
                    let batch = batches
                        .entry(*session)
                        .or_insert_with(|| (sub.outbox.clone(), Vec::new(), user));
                    // A session watching its own user is in both topics: one entry is enough.
                    if batch.1.is_empty() || batch.2 != user {
                        batch.1.push(entry.clone());
                        batch.2 = user;
                    }
                }
            }
        }
        let frames = batches.len();
        for (_, (outbox, entries, _)) in batches {
            outbox.send(presence_batch(&entries));
        }
        frames
    }
}
