-- An account's email (optional, unique when given; stored lowercased), which clients written for
-- systems that identify users by email expect to be told on sign-in.
ALTER TABLE users ADD COLUMN email TEXT;
CREATE UNIQUE INDEX users_email ON users (email);
-- Where a conversation comes from when a product aggregates several (`whatsapp`, `telegram`…);
-- NULL for Confab's own. Unread counts are reported per platform to clients that ask so.
ALTER TABLE conversations ADD COLUMN platform TEXT;
