-- Unread counts are computed as (last_seq - last_read_seq - deleted messages from others after
-- the read position): sending advances the sender's own read position, so no own message is
-- ever after it. This index makes the deleted part cost the deletions, not the backlog.
CREATE INDEX messages_deleted ON messages (conversation_id, seq) WHERE deleted_at IS NOT NULL;
