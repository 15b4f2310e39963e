//! Presence bookkeeping: a user is online while any of their sessions is online, away while all
//! their sessions are away, and offline once the last session has been gone for the reconnect
//! grace. Two choices apply to all of a user's sessions and win over that while any session is
//! connected: appearing offline, and "busy / do not disturb".
//!
//! [`PresenceRegistry`] is pure state (kept by the broker); announcing is in
//! [`crate::domain::presence`].

use protocol::{PresenceStatus, SessionId, UserId};
use std::collections::HashMap;

/// A presence change to announce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PresenceUpdate {
    /// Whose.
    pub user: UserId,
    /// The new status.
    pub status: PresenceStatus,
    /// For `away`: since when (Unix ms), shown as the user's last-seen time.
    pub away_since: Option<i64>,
}

#[derive(Debug)]
struct UserPresence {
    /// Each session's own choice: online or away.
    sessions: HashMap<SessionId, PresenceStatus>,
    /// The user's own choice for every session: `Offline` (appear offline) or `Busy`, kept
    /// across a reconnect within the grace period and while sessions go away; `None` to follow
    /// the sessions.
    chosen: Option<PresenceStatus>,
    /// What others were last told.
    announced: PresenceStatus,
    /// When the announced status became `away`.
    away_since: Option<i64>,
}

/// What closing a session did to its user's presence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionEnd {
    /// It was the user's last session.
    Last,
    /// Other sessions remain; their aggregate may have changed.
    Others(Option<PresenceUpdate>),
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
    fn reannounce(&mut self, user: UserId, now: i64) -> Option<PresenceUpdate> {
        let entry = self.users.get_mut(&user)?;
        let status = match entry.chosen {
            Some(chosen) if !entry.sessions.is_empty() => chosen,
            _ => aggregate(&entry.sessions),
        };
        let invisible = entry.chosen == Some(PresenceStatus::Offline);
        // Losing the last session is only announced by `expire`, after the grace period.
        if status == entry.announced || (status == PresenceStatus::Offline && !invisible) {
            return None;
        }
        entry.announced = status;
        entry.away_since = (status == PresenceStatus::Away).then_some(now);
        Some(PresenceUpdate {
            user,
            status,
            away_since: entry.away_since,
        })
    }

    /// A session connected (as online) at `now` (Unix ms).
    pub fn connect(
        &mut self,
        user: UserId,
        session: SessionId,
        now: i64,
    ) -> Option<PresenceUpdate> {
        self.users
            .entry(user)
            .or_insert_with(|| UserPresence {
                sessions: HashMap::new(),
                chosen: None,
                announced: PresenceStatus::Offline,
                away_since: None,
            })
            .sessions
            .insert(session, PresenceStatus::Online);
        self.reannounce(user, now)
    }

    /// A session chose a status: `online` or `away` for itself, or `offline` (appear offline) or
    /// `busy` for the user on every session (until a session chooses `online`; `away` keeps it).
    pub fn set_status(
        &mut self,
        user: UserId,
        session: SessionId,
        status: PresenceStatus,
        now: i64,
    ) -> Option<PresenceUpdate> {
        let entry = self.users.get_mut(&user)?;
        match status {
            PresenceStatus::Offline | PresenceStatus::Busy => {
                if !entry.sessions.contains_key(&session) {
                    return None;
                }
                entry.chosen = Some(status);
            }
            // A session's own idleness keeps the user's choice; choosing online ends it.
            PresenceStatus::Away => *entry.sessions.get_mut(&session)? = status,
            PresenceStatus::Online => {
                *entry.sessions.get_mut(&session)? = status;
                entry.chosen = None;
            }
        }
        self.reannounce(user, now)
    }

    /// A session closed: [`SessionEnd::Last`] if the user has no session left (the caller waits
    /// out the grace period and calls [`Self::expire`]).
    pub fn disconnect(&mut self, user: UserId, session: SessionId, now: i64) -> SessionEnd {
        let Some(entry) = self.users.get_mut(&user) else {
            return SessionEnd::Others(None);
        };
        entry.sessions.remove(&session);
        if entry.sessions.is_empty() {
            SessionEnd::Last
        } else {
            // E.g. the remaining sessions are all away.
            SessionEnd::Others(self.reannounce(user, now))
        }
    }

    /// The grace period passed: true (and the user forgotten) if they are still without sessions
    /// and others still see them as present (an invisible user was announced offline already).
    pub fn expire(&mut self, user: UserId) -> bool {
        match self.users.get(&user) {
            Some(entry) if entry.sessions.is_empty() => {
                let was_shown = entry.announced != PresenceStatus::Offline;
                self.users.remove(&user);
                was_shown
            }
            _ => false,
        }
    }

    /// The status others were last told, and since when the user is away if they are.
    pub fn status_and_away_since(&self, user: UserId) -> (PresenceStatus, Option<i64>) {
        self.users
            .get(&user)
            .map_or((PresenceStatus::Offline, None), |u| {
                (u.announced, u.away_since)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl PresenceRegistry {
        fn status(&self, user: UserId) -> PresenceStatus {
            self.status_and_away_since(user).0
        }

        fn is_invisible(&self, user: UserId) -> bool {
            self.users
                .get(&user)
                .is_some_and(|u| u.chosen == Some(PresenceStatus::Offline))
        }
    }

    #[test]
    fn online_while_any_session_is_and_offline_only_after_expiry() {
        let mut r = PresenceRegistry::default();
        let (u, s1, s2) = (UserId::new(), SessionId::new(), SessionId::new());
        assert_eq!(
            r.connect(u, s1, 0),
            Some(PresenceUpdate {
                user: u,
                status: PresenceStatus::Online,
                away_since: None,
            })
        );
        assert_eq!(r.connect(u, s2, 0), None);
        assert_eq!(r.disconnect(u, s1, 0), SessionEnd::Others(None));
        assert_eq!(r.status(u), PresenceStatus::Online);
        assert_eq!(r.disconnect(u, s2, 0), SessionEnd::Last);
        // Still announced online during the grace period.
        assert_eq!(r.status(u), PresenceStatus::Online);
        assert!(r.expire(u));
        assert_eq!(r.status(u), PresenceStatus::Offline);
    }

    #[test]
    fn reconnecting_within_grace_announces_nothing() {
        let mut r = PresenceRegistry::default();
        let (u, s1, s2) = (UserId::new(), SessionId::new(), SessionId::new());
        r.connect(u, s1, 0);
        assert_eq!(r.disconnect(u, s1, 0), SessionEnd::Last);
        assert_eq!(r.connect(u, s2, 0), None);
        assert!(!r.expire(u));
    }

    #[test]
    fn appearing_offline_hides_every_session_until_a_status_is_chosen_again() {
        let mut r = PresenceRegistry::default();
        let (u, s1, s2) = (UserId::new(), SessionId::new(), SessionId::new());
        r.connect(u, s1, 0);
        r.connect(u, s2, 0);
        let offline = Some(PresenceUpdate {
            user: u,
            status: PresenceStatus::Offline,
            away_since: None,
        });
        assert_eq!(r.set_status(u, s1, PresenceStatus::Offline, 0), offline);
        assert_eq!(r.status(u), PresenceStatus::Offline);
        assert!(r.is_invisible(u));
        // Another device connecting or closing does not reveal the user.
        assert_eq!(r.connect(u, SessionId::new(), 0), None);
        assert_eq!(r.disconnect(u, s2, 0), SessionEnd::Others(None));
        assert_eq!(r.status(u), PresenceStatus::Offline);
        assert_eq!(
            r.set_status(u, s1, PresenceStatus::Online, 0),
            Some(PresenceUpdate {
                user: u,
                status: PresenceStatus::Online,
                away_since: None,
            })
        );
    }

    #[test]
    fn an_invisible_user_leaving_is_not_announced_again() {
        let mut r = PresenceRegistry::default();
        let (u, s1) = (UserId::new(), SessionId::new());
        r.connect(u, s1, 0);
        r.set_status(u, s1, PresenceStatus::Offline, 0);
        assert_eq!(r.disconnect(u, s1, 0), SessionEnd::Last);
        assert!(!r.expire(u), "already shown offline");
        assert!(!r.is_invisible(u));
    }

    #[test]
    fn away_only_when_every_session_is_away() {
        let mut r = PresenceRegistry::default();
        let (u, s1, s2) = (UserId::new(), SessionId::new(), SessionId::new());
        r.connect(u, s1, 0);
        r.connect(u, s2, 0);
        assert_eq!(r.set_status(u, s1, PresenceStatus::Away, 5), None);
        assert_eq!(
            r.set_status(u, s2, PresenceStatus::Away, 7),
            Some(PresenceUpdate {
                user: u,
                status: PresenceStatus::Away,
                away_since: Some(7),
            })
        );
        assert_eq!(r.status_and_away_since(u), (PresenceStatus::Away, Some(7)));
        assert_eq!(
            r.set_status(u, s1, PresenceStatus::Online, 9),
            Some(PresenceUpdate {
                user: u,
                status: PresenceStatus::Online,
                away_since: None,
            })
        );
        assert_eq!(r.status_and_away_since(u), (PresenceStatus::Online, None));
    }

    #[test]
    fn busy_wins_over_every_session_until_a_status_is_chosen_again() {
        let mut r = PresenceRegistry::default();
        let (u, s1, s2) = (UserId::new(), SessionId::new(), SessionId::new());
        r.connect(u, s1, 0);
        r.connect(u, s2, 0);
        let busy = Some(PresenceUpdate {
            user: u,
            status: PresenceStatus::Busy,
            away_since: None,
        });
        assert_eq!(r.set_status(u, s1, PresenceStatus::Busy, 3), busy);
        // Another tab going away, or a device connecting, does not end it.
        assert_eq!(r.set_status(u, s2, PresenceStatus::Away, 4), None);
        assert_eq!(r.connect(u, SessionId::new(), 5), None);
        assert_eq!(r.status_and_away_since(u), (PresenceStatus::Busy, None));
        // Reconnecting within the grace period keeps it.
        assert_eq!(r.disconnect(u, s1, 6), SessionEnd::Others(None));
        // Appearing offline replaces it; choosing online ends both.
        assert_eq!(
            r.set_status(u, s2, PresenceStatus::Offline, 7)
                .map(|c| c.status),
            Some(PresenceStatus::Offline)
        );
        assert_eq!(
            r.set_status(u, s2, PresenceStatus::Busy, 8)
                .map(|c| c.status),
            Some(PresenceStatus::Busy)
        );
        assert_eq!(
            r.set_status(u, s2, PresenceStatus::Online, 9)
                .map(|c| c.status),
            Some(PresenceStatus::Online)
        );
    }

    #[test]
    fn a_busy_user_leaving_is_announced_offline_after_the_grace() {
        let mut r = PresenceRegistry::default();
        let (u, s1) = (UserId::new(), SessionId::new());
        r.connect(u, s1, 0);
        r.set_status(u, s1, PresenceStatus::Busy, 0);
        assert_eq!(r.disconnect(u, s1, 0), SessionEnd::Last);
        assert_eq!(r.status(u), PresenceStatus::Busy);
        assert!(r.expire(u));
        assert_eq!(r.status(u), PresenceStatus::Offline);
    }
}
