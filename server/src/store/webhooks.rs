//! Webhooks: endpoints, the outbox of deliveries (written inside the transaction of the change
//! each describes, by [`enqueue_webhooks`]), the dispatcher's queue and lease, and the log.

use super::{now_ms, value_rows, Backend, Store};
use crate::error::AppError;
use protocol::webhooks::{
    DeliveryStatus, WebhookChange, WebhookDelivery, WebhookEndpoint, WebhookEvent,
};
use sqlx::AnyConnection;

/// The stored spelling of `event_types`: comma-framed, so that one `LIKE` finds a type.
fn framed(types: &[String]) -> String {
    format!(",{},", types.join(","))
}

fn unframed(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: String,
    url: String,
    event_types: String,
    description: Option<String>,
    created_at: i64,
    disabled_at: Option<i64>,
}

impl EndpointRow {
    fn into_endpoint(self) -> WebhookEndpoint {
        WebhookEndpoint {
            id: self.id,
            url: self.url,
            event_types: unframed(&self.event_types),
            description: self.description,
            created_at: self.created_at,
            disabled_at: self.disabled_at,
            secret: None,
        }
    }
}

const ENDPOINT_COLUMNS: &str = "id, url, event_types, description, created_at, disabled_at";

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    event_id: String,
    event_type: String,
    status: String,
    attempts: i64,
    last_status: Option<i64>,
    last_error: Option<String>,
    created_at: i64,
    next_attempt_at: i64,
    delivered_at: Option<i64>,
}

fn status_of(stored: &str) -> DeliveryStatus {
    match stored {
        "delivered" => DeliveryStatus::Delivered,
        "failed" => DeliveryStatus::Failed,
        _ => DeliveryStatus::Pending,
    }
}

fn status_text(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Pending => "pending",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Failed => "failed",
    }
}

impl DeliveryRow {
    fn into_delivery(self) -> WebhookDelivery {
        let status = status_of(&self.status);
        WebhookDelivery {
            event_id: self.event_id,
            event_type: self.event_type,
            status,
            attempts: self.attempts,
            last_status: self.last_status,
            last_error: self.last_error,
            created_at: self.created_at,
            next_attempt_at: (status == DeliveryStatus::Pending).then_some(self.next_attempt_at),
            delivered_at: self.delivered_at,
        }
    }
}

/// Which event types some live endpoint wants, as this instance last read them (by the
/// webhook dispatcher every 2 s on every instance, and at once after a registration or removal
/// here). Events of other types are not even built: without endpoints, changes write nothing
/// and serialize nothing for webhooks. An endpoint registered on another instance gets this
/// instance's events from its next read on.
#[derive(Debug, Default)]
pub(super) struct Interest(std::sync::RwLock<Vec<String>>);

/// A delivery the dispatcher is to make: the event, and where and how to send it.
#[derive(Debug, sqlx::FromRow)]
pub struct DueDelivery {
    /// The event's id (`webhook-id`).
    pub event_id: String,
    /// The endpoint's id.
    pub endpoint_id: String,
    /// The body to POST.
    pub payload: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// When the event happened (Unix ms).
    pub created_at: i64,
    /// Retried until then (`None`: the configured window after `created_at`).
    pub retry_until: Option<i64>,
    /// The endpoint's URL.
    pub url: String,
    /// The endpoint's `whsec_…` secret.
    pub secret: String,
}

/// A change to report, with the id it will be delivered under.
#[derive(Debug)]
pub struct OutboxEvent {
    /// `evt_` and a time-ordered UUID: the same id on every retry and every endpoint.
    pub id: String,
    /// The serialized [`WebhookEvent`].
    pub payload: String,
    /// Its type.
    pub event_type: &'static str,
    /// Events with the same key reach an endpoint in the order they were made.
    pub ordering_key: String,
    /// When it happened (Unix ms).
    pub at: i64,
}

impl OutboxEvent {
    /// The event for a change committed at `at`.
    pub fn new(change: WebhookChange, at: i64) -> Self {
        let event_type = change.event_type();
        let ordering_key = change.ordering_key();
        let timestamp = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
        let event = WebhookEvent { change, timestamp };
        Self {
            id: format!("evt_{}", uuid::Uuid::now_v7().simple()),
            payload: serde_json::to_string(&event).unwrap_or_default(),
            event_type,
            ordering_key,
            at,
        }
    }
}

/// Queues `events` for every live endpoint that wants them, on `conn` (the transaction of the
/// change they describe): one statement, whatever the number of events; nothing is written
/// when no endpoint wants them.
pub(super) async fn enqueue_webhooks(
    conn: &mut AnyConnection,
    backend: Backend,
    events: &[OutboxEvent],
) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO webhook_deliveries \
           (event_id, endpoint_id, event_type, ordering_key, payload, created_at, status, \
            attempts, next_attempt_at) \
         SELECT v.column1, e.id, v.column2, v.column3, v.column4, v.column5, 'pending', 0, \
            v.column5 \
         FROM (VALUES {}) AS v, webhook_endpoints e \
         WHERE e.disabled_at IS NULL \
           AND (e.event_types = ',*,' OR e.event_types LIKE '%,' || v.column2 || ',%')",
        value_rows(backend, events.len(), 5)
    );
    let mut query = sqlx::query(&sql);
    for e in events {
        query = query
            .bind(&e.id)
            .bind(e.event_type)
            .bind(&e.ordering_key)
            .bind(&e.payload)
            .bind(e.at);
    }
    query.execute(conn).await?;
    Ok(())
}

/// Queues one event on `conn` (a transaction's, or the pool's for a change with none): the
/// statement of [`enqueue_webhooks`] for one row, whose numbered placeholders read the same on
/// SQLite and PostgreSQL.
pub(super) async fn enqueue_webhook(
    conn: &mut AnyConnection,
    event: &OutboxEvent,
) -> Result<(), sqlx::Error> {
    enqueue_webhooks(conn, Backend::Postgres, std::slice::from_ref(event)).await
}

impl Store {
    /// Whether any live endpoint wants anything (as last read): without one there is nothing
    /// to deliver.
    pub fn wants_any_webhook(&self) -> bool {
        let types = self
            .webhook_interest
            .0
            .read()
            .unwrap_or_else(|p| p.into_inner());
        !types.is_empty()
    }

    /// Whether some endpoint wants events of `event_type` (as last read).
    pub fn wants_webhook(&self, event_type: &str) -> bool {
        let types = self
            .webhook_interest
            .0
            .read()
            .unwrap_or_else(|p| p.into_inner());
        types.iter().any(|t| t == "*" || t == event_type)
    }

    /// Reads again which event types endpoints want.
    pub async fn refresh_webhook_interest(&self) {
        match self.webhook_event_types().await {
            Ok(types) => {
                *self
                    .webhook_interest
                    .0
                    .write()
                    .unwrap_or_else(|p| p.into_inner()) = types
            }
            Err(e) => tracing::warn!(error = %e, "could not read the webhook endpoints"),
        }
    }

    /// Queues an event of a change that has no transaction of its own (presence).
    pub async fn enqueue_webhook_event(&self, event: &OutboxEvent) -> Result<(), AppError> {
        let mut conn = self.pool.acquire().await?;
        enqueue_webhook(&mut conn, event).await?;
        Ok(())
    }

    /// The event types some live endpoint wants (`*` among them if one wants all).
    pub async fn webhook_event_types(&self) -> Result<Vec<String>, AppError> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT event_types FROM webhook_endpoints WHERE disabled_at IS NULL")
                .fetch_all(&self.pool)
                .await?;
        let mut types: Vec<String> = rows.iter().flat_map(|(t,)| unframed(t)).collect();
        types.sort();
        types.dedup();
        Ok(types)
    }

    /// Registers an endpoint.
    pub async fn create_webhook(
        &self,
        url: &str,
        event_types: &[String],
        description: Option<&str>,
        secret: &str,
    ) -> Result<WebhookEndpoint, AppError> {
        let id = format!("wh_{}", uuid::Uuid::now_v7().simple());
        let created_at = now_ms();
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, url, secret, event_types, description, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(url)
        .bind(secret)
        .bind(framed(event_types))
        .bind(description)
        .bind(created_at)
        .execute(&self.pool)
        .await?;
        Ok(WebhookEndpoint {
            id,
            url: url.to_owned(),
            event_types: event_types.to_vec(),
            description: description.map(str::to_owned),
            created_at,
            disabled_at: None,
            secret: Some(secret.to_owned()),
        })
    }

    /// Every endpoint, newest first.
    pub async fn webhooks(&self) -> Result<Vec<WebhookEndpoint>, AppError> {
        let rows: Vec<EndpointRow> = sqlx::query_as(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at DESC, id DESC"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(EndpointRow::into_endpoint).collect())
    }

    /// Removes an endpoint: nothing new is queued for it and what was pending fails (its log
    /// stays readable). False if there is no such endpoint.
    pub async fn disable_webhook(&self, id: &str) -> Result<bool, AppError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET disabled_at = COALESCE(disabled_at, $2) WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint removed' \
             WHERE endpoint_id = $1 AND status = 'pending'",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Whether an endpoint exists.
    pub async fn webhook_exists(&self, id: &str) -> Result<bool, AppError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT id FROM webhook_endpoints WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }

    /// An endpoint's deliveries, newest first, optionally of one status.
    pub async fn webhook_deliveries(
        &self,
        endpoint: &str,
        status: Option<DeliveryStatus>,
        limit: i64,
    ) -> Result<Vec<WebhookDelivery>, AppError> {
        let rows: Vec<DeliveryRow> = sqlx::query_as(
            "SELECT event_id, event_type, status, attempts, last_status, last_error, created_at, \
               next_attempt_at, delivered_at \
             FROM webhook_deliveries WHERE endpoint_id = $1 AND ($2 = '' OR status = $2) \
             ORDER BY created_at DESC, event_id DESC LIMIT $3",
        )
        .bind(endpoint)
        .bind(status.map_or("", status_text))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(DeliveryRow::into_delivery).collect())
    }

    /// Queues a delivery again, now, retried for `window_ms` more (delivered ones too: the
    /// receiver deduplicates by id). False if there is no such delivery.
    pub async fn replay_delivery(
        &self,
        endpoint: &str,
        event: &str,
        window_ms: i64,
    ) -> Result<bool, AppError> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, \
               retry_until = $4, delivered_at = NULL \
             WHERE endpoint_id = $1 AND event_id = $2 \
               AND EXISTS (SELECT 1 FROM webhook_endpoints e \
                 WHERE e.id = $1 AND e.disabled_at IS NULL)",
        )
        .bind(endpoint)
        .bind(event)
        .bind(now)
        .bind(now + window_ms)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Takes or renews the dispatcher's lease for `owner` until `until`; false while another
    /// instance holds an unexpired one.
    pub async fn take_webhook_lease(&self, owner: &str, until: i64) -> Result<bool, AppError> {
        let done = sqlx::query(
            "UPDATE webhook_lease SET owner = $1, until_ms = $2 \
             WHERE name = 'dispatcher' AND (owner = $1 OR until_ms < $3)",
        )
        .bind(owner)
        .bind(until)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Queues (endpoint, ordering key) whose first pending delivery is due, oldest first.
    pub async fn due_webhook_queues(&self, limit: i64) -> Result<Vec<(String, String)>, AppError> {
        let rows = sqlx::query_as(
            "SELECT d.endpoint_id, d.ordering_key FROM webhook_deliveries d \
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
               AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p \
                 WHERE p.endpoint_id = d.endpoint_id AND p.ordering_key = d.ordering_key \
                   AND p.status = 'pending' \
                   AND (p.created_at < d.created_at \
                     OR (p.created_at = d.created_at AND p.event_id < d.event_id))) \
             ORDER BY d.created_at LIMIT $2",
        )
        .bind(now_ms())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    /// The pending deliveries of one queue, in order.
    pub async fn webhook_queue(
        &self,
        endpoint: &str,
        ordering_key: &str,
        limit: i64,
    ) -> Result<Vec<DueDelivery>, AppError> {
        let rows = sqlx::query_as(
            "SELECT d.event_id, d.endpoint_id, d.payload, d.attempts, d.created_at, \
               d.retry_until, e.url, e.secret \
             FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.endpoint_id = $1 AND d.ordering_key = $2 AND d.status = 'pending' \
               AND e.disabled_at IS NULL \
             ORDER BY d.created_at, d.event_id LIMIT $3",
        )
        .bind(endpoint)
        .bind(ordering_key)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    /// Records an attempt: delivered (`next` unused), to retry at `next`, or failed for good.
    pub async fn record_webhook_attempt(
        &self,
        delivery: &DueDelivery,
        status: DeliveryStatus,
        http_status: Option<u16>,
        error: Option<&str>,
        next: i64,
    ) -> Result<(), AppError> {
        let now = now_ms();
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $3, attempts = attempts + 1, \
               last_status = $4, last_error = $5, next_attempt_at = $6, \
               delivered_at = CASE WHEN $3 = 'delivered' THEN $7 ELSE NULL END \
             WHERE event_id = $1 AND endpoint_id = $2",
        )
        .bind(&delivery.event_id)
        .bind(&delivery.endpoint_id)
        .bind(status_text(status))
        .bind(http_status.map(i64::from))
        .bind(error)
        .bind(next)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets deliveries made before `before` (the log keeps a week).
    pub async fn prune_webhook_deliveries(&self, before: i64) -> Result<u64, AppError> {
        let done = sqlx::query(
            "DELETE FROM webhook_deliveries WHERE status = 'delivered' AND delivered_at < $1",
        )
        .bind(before)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
