-- Uploaded files (pictures and others). The bytes are in the file store (the data dir, or S3);
-- a row says where they belong: the conversation they were uploaded to, who uploaded them, and
-- the message they were sent with (NULL until sent).
CREATE TABLE files (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    uploader_id     TEXT NOT NULL REFERENCES users (id),
    message_id      TEXT REFERENCES messages (id),
    name            TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            BIGINT NOT NULL,
    width           BIGINT,
    height          BIGINT,
    thumbnail       TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX files_by_message ON files (message_id);

-- The files a message carries, as sent (JSON), read with the message like its mentions.
ALTER TABLE messages ADD COLUMN attachments TEXT;
