-- A product's webhook endpoints. The secret signs deliveries, so it is kept as given out.
CREATE TABLE webhook_endpoints (
    id          TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    -- The event types wanted, comma-framed (',message.created,conversation.created,'; ',*,': all).
    event_types TEXT NOT NULL,
    description TEXT,
    created_at  BIGINT NOT NULL,
    disabled_at BIGINT
);

-- The outbox: one row per event and endpoint, written in the transaction of the change it
-- describes, delivered (at least once, in order per endpoint and conversation) by one instance.
CREATE TABLE webhook_deliveries (
    event_id        TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_type      TEXT NOT NULL,
    ordering_key    TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    -- 'pending', 'delivered' or 'failed'.
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    -- Retried until then (NULL: the configured window after created_at); a replay sets it.
    retry_until     BIGINT,
    last_status     BIGINT,
    last_error      TEXT,
    delivered_at    BIGINT,
    PRIMARY KEY (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_queue
    ON webhook_deliveries (endpoint_id, ordering_key, status, created_at, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, created_at);

-- Which instance delivers: the holder of an unexpired lease.
CREATE TABLE webhook_lease (
    name     TEXT PRIMARY KEY,
    owner    TEXT NOT NULL,
    until_ms BIGINT NOT NULL
);
INSERT INTO webhook_lease (name, owner, until_ms) VALUES ('dispatcher', '', 0);
