-- Posts, likes, comments and follows. Counts are columns, updated in the same transaction as the
-- like, comment or follow that changes them: reading a count never recounts.

CREATE TABLE posts (
    id            TEXT PRIMARY KEY,
    author_id     TEXT NOT NULL REFERENCES users (id),
    body          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    like_count    BIGINT NOT NULL DEFAULT 0,
    comment_count BIGINT NOT NULL DEFAULT 0,
    -- Grows with every change of either count: the order of updates, for coalescing.
    version       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX posts_by_author ON posts (author_id, id);

CREATE TABLE post_likes (
    post_id    TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX post_likes_latest ON post_likes (post_id, created_at);

CREATE TABLE comments (
    id         TEXT PRIMARY KEY,
    post_id    TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id  TEXT NOT NULL REFERENCES users (id),
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX comments_by_post ON comments (post_id, id);

CREATE TABLE follows (
    follower_id TEXT NOT NULL REFERENCES users (id),
    followee_id TEXT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
);
CREATE INDEX follows_by_followee ON follows (followee_id);

ALTER TABLE users ADD COLUMN follower_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN following_count BIGINT NOT NULL DEFAULT 0;

-- Notifications about posts, grouped likes and excerpts.
ALTER TABLE notifications ADD COLUMN post_id TEXT;
ALTER TABLE notifications ADD COLUMN others BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN text TEXT;
-- One grouped "liked your post" entry per post.
-- Counting a user's unread notifications costs the unread ones, not their history.
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
CREATE UNIQUE INDEX notifications_one_like_entry ON notifications (user_id, post_id) WHERE kind = 'post_liked';
