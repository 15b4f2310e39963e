-- The members a message mentions (`@username`), space-separated ids, read with the message.
ALTER TABLE messages ADD COLUMN mentions TEXT;

-- The same, one row per mention, to count a member's unread mentions per conversation without
-- reading the messages.
CREATE TABLE message_mentions (
    user_id         TEXT NOT NULL REFERENCES users (id),
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    seq             BIGINT NOT NULL,
    message_id      TEXT NOT NULL REFERENCES messages (id),
    PRIMARY KEY (user_id, conversation_id, seq)
);
CREATE INDEX message_mentions_by_message ON message_mentions (message_id);
