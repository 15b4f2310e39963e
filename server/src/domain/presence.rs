//! Presence: announcing changes to the users who watch them (and to the user's own sessions),
//! watching, appearing offline and "busy / do not disturb". Nothing is announced to every
//! contact: a client subscribes to the people it shows.

use super::Actor;
use crate::error::AppError;
use crate::presence::SessionEnd;
use crate::state::AppState;
use crate::store::{now_ms, OutboxEvent};
use crate::topic::Topic;
use protocol::webhooks::{PresenceChange, WebhookChange};
use protocol::{ConversationId, Presence, PresenceStatus, SessionId, UserId};

/// Most users one request may (un)subscribe.
pub const MAX_PER_REQUEST: usize = 1000;

/// Queues a presence change for the user's watchers, in the next batch, and for the webhook
/// endpoints that want `user.online` / `user.offline`. (Each change is decided once, by one
/// instance, so it is announced and queued once.)
pub async fn announce(state: &AppState, presence: Presence) {
    let change = PresenceChange {
        user_id: presence.user_id,
        last_seen_at: presence.last_seen_at,
    };
    let change = match presence.status {
        PresenceStatus::Online => Some(WebhookChange::UserOnline(change)),
        PresenceStatus::Offline => Some(WebhookChange::UserOffline(change)),
        PresenceStatus::Away | PresenceStatus::Busy => None,
    };
    state.broker.presence_changed(presence).await;
    if let Some(change) = change.filter(|c| state.store.wants_webhook(c.event_type())) {
        let event = OutboxEvent::new(change, now_ms());
        if let Err(e) = state.store.enqueue_webhook_event(&event).await {
            tracing::warn!(error = %e, "could not queue a presence webhook");
        }
    }
}

/// A session opened: the user may have come online. Returns the user's status as others see
/// it now (one status read, only when the session changed nothing: another session is open, or
/// the user is back within the grace period).
pub async fn session_started(state: &AppState, user: UserId, session: SessionId) -> PresenceStatus {
    match state.broker.session_started(user, session).await {
        Some(update) => {
            announce(
                state,
                Presence {
                    user_id: update.user,
                    status: update.status,
                    last_seen_at: None,
                },
            )
            .await;
            update.status
        }
        None => state.broker.statuses(&[user]).await[0].0,
    }
}

/// A session chose a status. `away` is announced with last-seen set to when the user went away;
/// `offline` makes the user appear offline: watchers see offline with last-seen set to now, and
/// it stays frozen while the user remains hidden.
pub async fn set_status(
    state: &AppState,
    user: UserId,
    session: SessionId,
    status: PresenceStatus,
) -> Result<(), AppError> {
    let Some(update) = state.broker.set_status(user, session, status).await else {
        return Ok(());
    };
    let last_seen_at = if update.status == PresenceStatus::Offline {
        let at = now_ms();
        state.store.set_last_seen(user, at).await?;
        Some(at)
    } else {
        update.away_since
    };
    announce(
        state,
        Presence {
            user_id: user,
            status: update.status,
            last_seen_at,
        },
    )
    .await;
    Ok(())
}

/// A session closed: if it was the user's last, after the grace period (unless they came back)
/// last-seen is stored and they are announced offline.
pub async fn session_closed(state: &AppState, user: UserId, session: SessionId) {
    match state.broker.session_ended(user, session).await {
        SessionEnd::Others(None) => {}
        SessionEnd::Others(Some(update)) => {
            let presence = Presence {
                user_id: update.user,
                status: update.status,
                last_seen_at: update.away_since,
            };
            announce(state, presence).await;
        }
        SessionEnd::Last => {
            let state = state.clone();
            let grace = state.config.presence_grace();
            // One short-lived task per departing user: it only sleeps, then does one write.
            tokio::spawn(async move {
                tokio::time::sleep(grace).await;
                if !state.broker.expire(user).await {
                    return;
                }
                let at = now_ms();
                if let Err(e) = state.store.set_last_seen(user, at).await {
                    tracing::warn!(%user, error = %e, "could not store last-seen");
                }
                let presence = Presence {
                    user_id: user,
                    status: PresenceStatus::Offline,
                    last_seen_at: Some(at),
                };
                announce(&state, presence).await;
            });
        }
    }
}

/// Announces what instances that died left behind (their lease ran out): their users with no
/// session elsewhere go offline, with last-seen stored. Runs for the server's lifetime; does
/// nothing without Redis.
pub async fn reap_dead_instances(state: AppState) {
    if matches!(state.broker, crate::broker::Broker::Local(_)) {
        return;
    }
    let mut tick = tokio::time::interval(crate::broker::redis::TICK);
    loop {
        tick.tick().await;
        let departures = state.broker.reap_dead().await;
        announce_departures(&state, departures).await;
    }
}

/// On shutdown: this instance's users who have no session elsewhere go offline now.
pub async fn leave(state: &AppState) {
    let departures = state.broker.leave().await;
    announce_departures(state, departures).await;
}

async fn announce_departures(state: &AppState, departures: crate::broker::Departures) {
    for update in departures.presence {
        announce_update(state, update).await;
    }
    for (conversation, user) in departures.views {
        super::views::left(state, user, conversation).await;
    }
    for (conversation, user) in departures.typing {
        super::typing::stopped_elsewhere(state, user, conversation).await;
    }
}

/// Announces a change decided elsewhere: offline stores last-seen first.
async fn announce_update(state: &AppState, update: crate::presence::PresenceUpdate) {
    let last_seen_at = if update.status == PresenceStatus::Offline {
        let at = now_ms();
        if let Err(e) = state.store.set_last_seen(update.user, at).await {
            tracing::warn!(user = %update.user, error = %e, "could not store last-seen");
        }
        Some(at)
    } else {
        update.away_since
    };
    let presence = Presence {
        user_id: update.user,
        status: update.status,
        last_seen_at,
    };
    announce(state, presence).await;
}

/// A session starts watching users; returns their current presence. Users who share no
/// conversation with the watcher are left out. `VALIDATION_FAILED` past the per-connection
/// bound, with nothing subscribed.
pub async fn subscribe(
    state: &AppState,
    watcher: UserId,
    session: SessionId,
    users: &[UserId],
) -> Result<Vec<Presence>, AppError> {
    let limit = state.config.max_presence_subscriptions;
    if users.len() > MAX_PER_REQUEST {
        return Err(AppError::validation(format!(
            "at most {MAX_PER_REQUEST} users per subscribe_presence"
        )));
    }
    let mut requested: Vec<UserId> = users.to_vec();
    requested.sort();
    requested.dedup();
    let new = requested
        .iter()
        .filter(|u| !state.hub.is_subscribed(session, Topic::Presence(**u)))
        .count();
    let held = state
        .hub
        .count_topics(session, |t| matches!(t, Topic::Presence(_)));
    if held + new > limit {
        return Err(AppError::validation(format!(
            "a connection may watch at most {limit} users (it watches {held})"
        )));
    }
    let allowed = state.store.watchable(watcher, &requested).await?;
    // Subscribe before reading statuses, so no change falls between the two.
    for (user, _) in &allowed {
        state.hub.subscribe(session, Topic::Presence(*user));
    }
    Ok(statuses(state, &allowed).await)
}

/// The presence of `users` (each with the last-seen time stored for it), as watchers see it:
/// one status read on any instance.
pub async fn statuses(state: &AppState, users: &[(UserId, Option<i64>)]) -> Vec<Presence> {
    let ids: Vec<UserId> = users.iter().map(|(id, _)| *id).collect();
    let statuses = state.broker.statuses(&ids).await;
    statuses
        .into_iter()
        .zip(users)
        .map(|((status, away_since), (user_id, stored))| Presence {
            user_id: *user_id,
            status,
            last_seen_at: match status {
                PresenceStatus::Online | PresenceStatus::Busy => None,
                PresenceStatus::Away => away_since,
                PresenceStatus::Offline => *stored,
            },
        })
        .collect()
}

/// The members of a conversation who are online now, on any instance (`NOT_A_MEMBER` unless
/// the actor is one). Costs the member list and one status read for it: for an on-demand
/// question, not for fan-out.
pub async fn online_members(
    state: &AppState,
    actor: Actor<'_>,
    conversation: ConversationId,
) -> Result<Vec<UserId>, AppError> {
    super::require_member(state, actor, conversation).await?;
    let members = state.store.member_ids(conversation).await?;
    let statuses = state.broker.statuses(&members).await;
    Ok(members
        .into_iter()
        .zip(statuses)
        .filter(|(_, (status, _))| *status == PresenceStatus::Online)
        .map(|(user, _)| user)
        .collect())
}

/// A session stops watching users.
pub fn unsubscribe(state: &AppState, session: SessionId, users: &[UserId]) -> Result<(), AppError> {
    if users.len() > MAX_PER_REQUEST {
        return Err(AppError::validation(format!(
            "at most {MAX_PER_REQUEST} users per unsubscribe_presence"
        )));
    }
    for user in users {
        state.hub.unsubscribe(session, Topic::Presence(*user));
    }
    Ok(())
}
