//! Ringing the bell with the store and the broker alone: stored notifications pushed to their
//! recipients' sessions, for the writers' tasks, which hold no application state (and for
//! [`super::notifications`], which does).

use crate::broker::Broker;
use crate::codec::encode_event;
use crate::error::AppError;
use crate::store::{NotificationDraft, Store};
use crate::topic::{Except, Topic};
use protocol::{ServerEvent, UserId};

/// Characters of a message or comment quoted in its notification.
pub const EXCERPT_CHARS: usize = 100;

/// Stores a notification for each recipient (never the actor) and pushes it, with their new
/// unread count, to all of their sessions.
pub async fn notify_with(
    store: &Store,
    broker: &Broker,
    draft: &NotificationDraft<'_>,
    recipients: &[UserId],
) -> Result<(), AppError> {
    let recipients: Vec<UserId> = recipients
        .iter()
        .copied()
        .filter(|r| *r != draft.actor.id)
        .collect();
    if recipients.is_empty() {
        return Ok(());
    }
    let created = store.create_notifications(draft, &recipients).await?;
    let counts = store.unread_notifications(&recipients).await?;
    for (recipient, notification) in created {
        let event = ServerEvent::NotificationNew {
            notification,
            unread_notifications: counts.get(&recipient).copied().unwrap_or(0),
        };
        let frame = encode_event(event);
        broker
            .publish(Topic::User(recipient), Except::Nobody, frame)
            .await;
    }
    Ok(())
}
