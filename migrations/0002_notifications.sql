-- Notifications for the bell. Ids are UUIDv7 strings, so their order is their time order.
CREATE TABLE notifications (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id),
    kind            TEXT NOT NULL,
    actor_id        TEXT NOT NULL REFERENCES users (id),
    conversation_id TEXT,
    conversation_title TEXT,
    created_at      BIGINT NOT NULL,
    read_at         BIGINT
);
CREATE INDEX notifications_by_user ON notifications (user_id, id);
