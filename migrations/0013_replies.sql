-- The message a message answers (in the same conversation), if any.
ALTER TABLE messages ADD COLUMN reply_to TEXT;
