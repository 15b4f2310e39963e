-- The bell's count is a column kept in the same transaction as every change to a notification's
-- read state, so reading it costs one row whatever the user's backlog (it was a COUNT(*) over
-- their unread notifications on every change).
ALTER TABLE users ADD COLUMN unread_notifications BIGINT NOT NULL DEFAULT 0;
UPDATE users SET unread_notifications =
    (SELECT COUNT(*) FROM notifications n WHERE n.user_id = users.id AND n.read_at IS NULL);
