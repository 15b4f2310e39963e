//! Presence: a user is online while any of their sessions is online, away while all their
//! sessions are away, and offline once the last session has been gone for the reconnect grace.
//!
//! [`PresenceRegistry`] is the pure bookkeeping (kept by the broker); the functions below do the
//! announcing: last-seen is stored and `presence_changed` goes to everyone who shares a
//! conversation with the user, and to the user's own sessions.

use crate::error::AppError;
use crate::hub::{Audience, Envelope};
use crate::state::AppState;
use crate::store::now_ms;
use crate::ws::codec::encode_event;
use protocol::{Presence, PresenceStatus, ServerEvent, SessionId, UserId};
use std::collections::HashMap;

/// A presence change to announce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PresenceUpdate {
    /// Whose.
    pub user: UserId,
    /// The new status.
    pub status: PresenceStatus,
}

#[derive(Debug)]
struct UserPresence {
    sessions: HashMap<SessionId, PresenceStatus>,
    /// What others were last told.
    announced: PresenceStatus,
}

/// Sessions and announced status per user.
#[derive(Debug, Default)]
pub struct PresenceRegistry {
    users: HashMap<UserId, UserPresence>,
}

fn aggregate(sessions: &HashMap<SessionId, PresenceStatus>) -> PresenceStatus {
    if sessions.values().any(|s| *s == PresenceStatus::Online) {
        PresenceStatus::Online
    } else if sessions.is_empty() {
        PresenceStatus::Offline
    } else {
        PresenceStatus::Away
    }
}

impl PresenceRegistry {
    fn reannounce(&mut self, user: UserId) -> Option<PresenceUpdate> {
        let entry = self.users.get_mut(&user)?;
        let status = aggregate(&entry.sessions);
        // Offline is only announced by `expire`, after the grace period.
        if status == entry.announced || status == PresenceStatus::Offline {
            return None;
        }
        entry.announced = status;
        Some(PresenceUpdate { user, status })
    }

    /// A session connected (as online).
    pub fn connect(&mut self, user: UserId, session: SessionId) -> Option<PresenceUpdate> {
        self.users
            .entry(user)
            .or_insert_with(|| UserPresence {
                sessions: HashMap::new(),
                announced: PresenceStatus::Offline,
            })
            .sessions
            .insert(session, PresenceStatus::Online);
        self.reannounce(user)
    }

    /// A session changed its own status.
    pub fn set_status(
        &mut self,
        user: UserId,
        session: SessionId,
        status: PresenceStatus,
    ) -> Option<PresenceUpdate> {
        let entry = self.users.get_mut(&user)?;
        *entry.sessions.get_mut(&session)? = status;
        self.reannounce(user)
    }

    /// A session closed; true if the user has no session left.
    pub fn disconnect(&mut self, user: UserId, session: SessionId) -> bool {
        let Some(entry) = self.users.get_mut(&user) else {
            return false;
        };
        entry.sessions.remove(&session);
        if entry.sessions.is_empty() {
            true
        } else {
            // E.g. the remaining sessions are all away.
            let _ = self.reannounce(user);
            false
        }
    }

    /// The grace period passed: true (and the user forgotten) if they are still without sessions.
    pub fn expire(&mut self, user: UserId) -> bool {
        match self.users.get(&user) {
            Some(entry) if entry.sessions.is_empty() => {
                self.users.remove(&user);
                true
            }
            _ => false,
        }
    }

    /// The status others were last told.
    pub fn status(&self, user: UserId) -> PresenceStatus {
        self.users
            .get(&user)
            .map_or(PresenceStatus::Offline, |u| u.announced)
    }
}

/// Sends a presence change to the user's contacts and their own sessions.
pub async fn announce(state: &AppState, presence: Presence) -> Result<(), AppError> {
    let contacts = state.store.contacts(presence.user_id).await?;
    let audience = Audience::users(
        contacts
            .into_iter()
            .map(|(id, _)| id)
            .chain(std::iter::once(presence.user_id)),
    );
    let frame = encode_event(ServerEvent::PresenceChanged { presence });
    state.broker.publish(Envelope { audience, frame }).await;
    Ok(())
}

/// Announces an update that the registry reported.
pub async fn announce_update(state: &AppState, update: PresenceUpdate) -> Result<(), AppError> {
    announce(
        state,
        Presence {
            user_id: update.user,
            status: update.status,
            last_seen_at: None,
        },
    )
    .await
}

/// Called when a session closes: after the grace period, if the user has not come back, stores
/// last-seen and announces them offline.
pub async fn session_closed(state: AppState, user: UserId, session: SessionId) {
    if !state.broker.session_ended(user, session).await {
        return;
    }
    let grace = state.config.presence_grace();
    // One short-lived task per departing user: it only sleeps, then does two small writes.
    tokio::spawn(async move {
        tokio::time::sleep(grace).await;
        if !state.broker.expire(user).await {
            return;
        }
        let at = now_ms();
        let result = async {
            state.store.set_last_seen(user, at).await?;
            announce(
                &state,
                Presence {
                    user_id: user,
                    status: PresenceStatus::Offline,
                    last_seen_at: Some(at),
                },
            )
            .await
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(%user, error = %e, "could not announce offline");
        }
    });
}

/// Presence of the given users, with last-seen times from the store.
pub async fn presence_of(state: &AppState, users: &[UserId]) -> Result<Vec<Presence>, AppError> {
    let seen = state.store.last_seen(users).await?;
    Ok(presence_with(state, seen).await)
}

/// Presence of users whose last-seen times are already known.
pub async fn presence_with(state: &AppState, users: Vec<(UserId, Option<i64>)>) -> Vec<Presence> {
    let ids: Vec<UserId> = users.iter().map(|(id, _)| *id).collect();
    let statuses = state.broker.statuses(&ids).await;
    statuses
        .into_iter()
        .zip(users)
        .map(|((user_id, status), (_, last_seen_at))| Presence {
            user_id,
            status,
            last_seen_at,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn online_while_any_session_is_and_offline_only_after_expiry() {
        let mut r = PresenceRegistry::default();
        let (u, s1, s2) = (UserId::new(), SessionId::new(), SessionId::new());
        assert_eq!(
            r.connect(u, s1),
            Some(PresenceUpdate {
                user: u,
                status: PresenceStatus::Online
            })
        );
        assert_eq!(r.connect(u, s2), None);
        assert!(!r.disconnect(u, s1));
        assert_eq!(r.status(u), PresenceStatus::Online);
        assert!(r.disconnect(u, s2));
        // Still announced online during the grace period.
        assert_eq!(r.status(u), PresenceStatus::Online);
        assert!(r.expire(u));
        assert_eq!(r.status(u), PresenceStatus::Offline);
    }

    #[test]
    fn reconnecting_within_grace_announces_nothing() {
        let mut r = PresenceRegistry::default();
        let (u, s1, s2) = (UserId::new(), SessionId::new(), SessionId::new());
        r.connect(u, s1);
        assert!(r.disconnect(u, s1));
        assert_eq!(r.connect(u, s2), None);
        assert!(!r.expire(u));
    }

    #[test]
    fn away_only_when_every_session_is_away() {
        let mut r = PresenceRegistry::default();
        let (u, s1, s2) = (UserId::new(), SessionId::new(), SessionId::new());
        r.connect(u, s1);
        r.connect(u, s2);
        assert_eq!(r.set_status(u, s1, PresenceStatus::Away), None);
        assert_eq!(
            r.set_status(u, s2, PresenceStatus::Away),
            Some(PresenceUpdate {
                user: u,
                status: PresenceStatus::Away
            })
        );
        assert_eq!(
            r.set_status(u, s1, PresenceStatus::Online),
            Some(PresenceUpdate {
                user: u,
                status: PresenceStatus::Online
            })
        );
    }
}
