-- Emoji reactions: one row per (message, emoji, person).
CREATE TABLE message_reactions (
    message_id TEXT NOT NULL REFERENCES messages (id),
    emoji      TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, emoji, user_id)
);
-- A reader's own reactions on a page of messages; the newest reactor for a grouped notification.
CREATE INDEX message_reactions_by_user ON message_reactions (message_id, user_id);
CREATE INDEX message_reactions_latest ON message_reactions (message_id, created_at);

-- The counts per emoji, kept with every change: reading them never recounts.
CREATE TABLE message_reaction_counts (
    message_id TEXT NOT NULL REFERENCES messages (id),
    emoji      TEXT NOT NULL,
    count      BIGINT NOT NULL,
    first_at   BIGINT NOT NULL,
    PRIMARY KEY (message_id, emoji)
);

-- How many people reacted (any emoji), and the version of the message's reactions (grows with
-- every change: the order of updates, for coalescing).
ALTER TABLE messages ADD COLUMN reactor_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN reactions_version BIGINT NOT NULL DEFAULT 0;

-- The message a notification is about (grouped "reacted to your message"), one entry per message.
ALTER TABLE notifications ADD COLUMN message_id TEXT;
CREATE UNIQUE INDEX notifications_one_reaction_entry ON notifications (user_id, message_id)
    WHERE kind = 'message_reacted';
