-- Confab schema. Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- Ids are UUID strings, timestamps are Unix milliseconds, flags are 0/1 integers.

CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    username         TEXT NOT NULL UNIQUE,
    display_name     TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    token_generation BIGINT NOT NULL DEFAULT 0,
    banned           BIGINT NOT NULL DEFAULT 0,
    last_seen_at     BIGINT,
    created_at       BIGINT NOT NULL
);

CREATE TABLE conversations (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    title      TEXT,
    -- "<smaller user id>:<larger user id>" for direct conversations, so each pair has one.
    direct_key TEXT UNIQUE,
    created_by TEXT NOT NULL REFERENCES users (id),
    last_seq   BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE conversation_members (
    conversation_id    TEXT NOT NULL REFERENCES conversations (id),
    user_id            TEXT NOT NULL REFERENCES users (id),
    role               TEXT NOT NULL,
    last_read_seq      BIGINT NOT NULL DEFAULT 0,
    last_delivered_seq BIGINT NOT NULL DEFAULT 0,
    joined_at          BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_by_user ON conversation_members (user_id);

CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    seq             BIGINT NOT NULL,
    sender_id       TEXT NOT NULL REFERENCES users (id),
    temp_id         TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    edited_at       BIGINT,
    deleted_at      BIGINT,
    UNIQUE (conversation_id, seq),
    -- A retried send with the same temp id returns the original message.
    UNIQUE (conversation_id, sender_id, temp_id)
);
