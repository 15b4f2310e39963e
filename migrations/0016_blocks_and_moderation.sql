-- Blocking: `blocker_id` blocked `blocked_id`. No direct messages between the two either way;
-- the blocker's clients hide the other's presence, typing and messages.
CREATE TABLE user_blocks (
    blocker_id TEXT NOT NULL REFERENCES users (id),
    blocked_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX user_blocks_by_blocked ON user_blocks (blocked_id);

-- Who deleted a message when it was not its sender (a group's owner or admin, moderating).
ALTER TABLE messages ADD COLUMN deleted_by TEXT;
