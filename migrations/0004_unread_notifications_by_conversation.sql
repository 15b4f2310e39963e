-- Opening a conversation reads the notifications about it: this index makes finding them cost
-- the unread ones about that conversation, not the user's whole history.
CREATE INDEX notifications_unread_by_conversation
    ON notifications (user_id, conversation_id) WHERE read_at IS NULL;
