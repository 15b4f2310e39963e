-- The sender of the system's messages (the server API's posts without a sender): the nil UUID.
-- Its username is not a valid one and it is banned, so no one can sign in as it or find it.
INSERT INTO users (id, username, display_name, password_hash, banned, created_at)
VALUES ('00000000-0000-0000-0000-000000000000', '~system', 'System', '!', 1, 0);
