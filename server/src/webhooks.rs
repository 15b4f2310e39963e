//! Webhook delivery: every instance runs [`dispatch`], and the one holding the lease (a row in
//! the database, renewed every few seconds, taken over when it expires) delivers what the
//! outbox holds. A queue is one endpoint's events of one conversation: delivered one at a time,
//! in order; a failure holds the rest of its queue back until a retry succeeds or the retry
//! window ends (the delivery is then `failed`, replayable, and the queue goes on).
//!
//! Delivery is at least once: an instance that dies after an endpoint took an event and before
//! recording it delivers it again (the same `webhook-id`; receivers deduplicate by it).

use crate::metrics::WebhookOutcome;
use crate::state::AppState;
use crate::store::{now_ms, DueDelivery};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use futures_util::StreamExt as _;
use protocol::webhooks::DeliveryStatus;
use rand::RngCore;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often every instance reads which event types endpoints want.
const INTEREST_REFRESH: Duration = Duration::from_secs(2);
/// How long a lease lasts; it is renewed three times as often.
const LEASE: Duration = Duration::from_secs(6);
/// How often the leader looks for due deliveries.
const POLL: Duration = Duration::from_millis(250);
/// Queues delivered at once.
const PARALLEL_QUEUES: usize = 8;
/// The longest wait between two retries.
const MAX_BACKOFF_MS: i64 = 3_600_000;
/// How long delivered events stay in the log.
const KEEP_DELIVERED_MS: i64 = 7 * 24 * 3_600_000;

/// A fresh endpoint secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("whsec_{}", BASE64.encode(bytes))
}

/// The `webhook-signature` header for a delivery (Standard Webhooks, `v1`): HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` keyed by the secret's base64 part. `None` for a malformed secret.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = BASE64.decode(secret.strip_prefix("whsec_")?).ok()?;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
    let tag = ring::hmac::sign(&key, format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!("v1,{}", BASE64.encode(tag.as_ref())))
}

/// The wait before retry number `attempt` (1 for the first retry).
fn backoff_ms(base_ms: i64, attempt: i64) -> i64 {
    let doublings = u32::try_from(attempt.clamp(1, 30) - 1).unwrap_or(0);
    base_ms
        .saturating_mul(1_i64 << doublings)
        .min(MAX_BACKOFF_MS)
}

/// Runs until aborted: holds or waits for the lease and delivers while holding it.
pub async fn dispatch(state: AppState) {
    let owner = uuid::Uuid::now_v7().to_string();
    let leader = Arc::new(AtomicBool::new(false));
    let lease = tokio::spawn(keep_lease(state.clone(), owner, leader.clone()));
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_millis(state.config.webhook_timeout_ms))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Confab-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "no HTTP client: webhooks are not delivered");
            lease.abort();
            return;
        }
    };
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_prune = 0;
    let mut last_interest = 0;
    loop {
        tick.tick().await;
        let now = now_ms();
        if now - last_interest >= INTEREST_REFRESH.as_millis() as i64 {
            last_interest = now;
            state.store.refresh_webhook_interest().await;
        }
        // No endpoint: nothing can be pending (removing one fails what it had), so the outbox
        // is not even read.
        if !leader.load(Ordering::Acquire) || !state.store.wants_any_webhook() {
            continue;
        }
        // Whatever is due now, until nothing is (a failing queue's head waits for its retry).
        loop {
            let queues = match state.store.due_webhook_queues(64).await {
                Ok(queues) => queues,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the webhook outbox");
                    break;
                }
            };
            if queues.is_empty() || !leader.load(Ordering::Acquire) {
                break;
            }
            let work = queues.into_iter().map(|(endpoint, key)| {
                deliver_queue(state.clone(), client.clone(), leader.clone(), endpoint, key)
            });
            futures_util::stream::iter(work)
                .buffer_unordered(PARALLEL_QUEUES)
                .for_each(|()| async {})
                .await;
        }
        let now = now_ms();
        if now - last_prune > 3_600_000 {
            last_prune = now;
            if let Err(e) = state
                .store
                .prune_webhook_deliveries(now - KEEP_DELIVERED_MS)
                .await
            {
                tracing::warn!(error = %e, "could not prune the webhook log");
            }
        }
    }
}

/// Takes the lease when free and renews it while held; `leader` says whether this instance has it.
async fn keep_lease(state: AppState, owner: String, leader: Arc<AtomicBool>) {
    let mut tick = tokio::time::interval(LEASE / 3);
    loop {
        tick.tick().await;
        let until = now_ms() + LEASE.as_millis() as i64;
        let held = match state.store.take_webhook_lease(&owner, until).await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(error = %e, "could not renew the webhook lease");
                false
            }
        };
        if held != leader.swap(held, Ordering::AcqRel) {
            tracing::info!(held, "webhook dispatcher lease");
        }
    }
}

/// Delivers one queue in order, stopping at its first failure.
async fn deliver_queue(
    state: AppState,
    client: reqwest::Client,
    leader: Arc<AtomicBool>,
    endpoint: String,
    key: String,
) {
    let due = match state.store.webhook_queue(&endpoint, &key, 100).await {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, endpoint, "could not read a webhook queue");
            return;
        }
    };
    for delivery in due {
        if !leader.load(Ordering::Acquire) || !deliver(&state, &client, &delivery).await {
            return;
        }
    }
}

/// Makes one attempt and records it; true if the endpoint took the event.
async fn deliver(state: &AppState, client: &reqwest::Client, delivery: &DueDelivery) -> bool {
    let timestamp = now_ms() / 1000;
    let Some(signature) = signature(
        &delivery.secret,
        &delivery.event_id,
        timestamp,
        &delivery.payload,
    ) else {
        tracing::error!(endpoint = %delivery.endpoint_id, "malformed webhook secret");
        return false;
    };
    let sent = client
        .post(&delivery.url)
        .header("content-type", "application/json")
        .header("webhook-id", &delivery.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(delivery.payload.clone())
        .send()
        .await;
    let (http_status, error) = match sent {
        Ok(response) if response.status().is_success() => (Some(response.status().as_u16()), None),
        Ok(response) => {
            let status = response.status();
            (Some(status.as_u16()), Some(format!("HTTP {status}")))
        }
        Err(e) => (None, Some(without_url(&e))),
    };
    let now = now_ms();
    let (status, outcome, next) = if error.is_none() {
        (DeliveryStatus::Delivered, WebhookOutcome::Delivered, now)
    } else {
        let window = state.config.webhook_retry_window_secs as i64 * 1000;
        let until = delivery.retry_until.unwrap_or(delivery.created_at + window);
        let base = state.config.webhook_retry_base_ms as i64;
        let next = now + backoff_ms(base, delivery.attempts + 1);
        if next > until {
            (DeliveryStatus::Failed, WebhookOutcome::Failed, now)
        } else {
            (DeliveryStatus::Pending, WebhookOutcome::Retry, next)
        }
    };
    state.hub.metrics().webhook(outcome);
    let recorded = state
        .store
        .record_webhook_attempt(delivery, status, http_status, error.as_deref(), next)
        .await;
    if let Err(e) = recorded {
        tracing::warn!(error = %e, event = %delivery.event_id, "could not record a webhook attempt");
        return false;
    }
    // A failed delivery lets its queue go on; a pending one holds it back.
    status != DeliveryStatus::Pending
}

/// A transport error in words, without the URL (which may carry a token of the product's).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirected (not followed)"
    } else {
        "request failed"
    };
    kind.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        assert_eq!(
            signature(secret, id, 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(signature("whsec_!!", id, 1, body), None);
    }

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(backoff_ms(5_000, 1), 5_000);
        assert_eq!(backoff_ms(5_000, 2), 10_000);
        assert_eq!(backoff_ms(5_000, 5), 80_000);
        assert_eq!(backoff_ms(5_000, 40), MAX_BACKOFF_MS);
    }

    #[test]
    fn secrets_are_fresh_and_usable() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(signature(&a, "evt_1", 1, "{}").is_some());
    }
}
