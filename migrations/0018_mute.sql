-- A member muted the conversation until this time (ms since the epoch); NULL when not muted,
-- the largest BIGINT for "until I unmute". Read with the member's row: no extra query.
ALTER TABLE conversation_members ADD COLUMN muted_until BIGINT;
