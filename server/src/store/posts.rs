//! Posts, likes and comments. A post's counts are columns changed in the same transaction as the
//! like or comment that changes them (so they stay exact under concurrency), with a `version`
//! that orders those changes; feeds and pages are keyset-paginated by id.

use super::notifications::adjust_unread;
use super::rows::{UserRow, USER_COLUMNS};
use super::webhooks::{enqueue_webhook, OutboxEvent};
use super::{now_ms, parse_id, placeholders, Store};
use crate::error::AppError;
use protocol::webhooks::{PostCommented, WebhookChange};
use protocol::{Comment, CommentId, NotificationId, Post, PostCounts, PostId, User, UserId};
use std::collections::BTreeMap;

/// Columns selected for a post (with its author as `u`); `$1` is the viewer, for `liked_by_me`.
const POST_COLUMNS: &str = "p.id AS p_id, p.body, p.created_at, p.like_count, p.comment_count, \
     (SELECT COUNT(*) FROM post_likes l WHERE l.post_id = p.id AND l.user_id = $1) AS liked";

#[derive(sqlx::FromRow)]
struct PostRow {
    p_id: String,
    body: String,
    created_at: i64,
    like_count: i64,
    comment_count: i64,
    liked: i64,
    #[sqlx(flatten)]
    author: UserRow,
}

impl PostRow {
    fn into_post(self) -> Result<Post, AppError> {
        Ok(Post {
            id: parse_id(&self.p_id)?,
            author: self.author.into_user()?,
            body: self.body,
            created_at: self.created_at,
            like_count: self.like_count,
            comment_count: self.comment_count,
            liked_by_me: self.liked > 0,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CommentRow {
    c_id: String,
    post_id: String,
    body: String,
    created_at: i64,
    #[sqlx(flatten)]
    author: UserRow,
}

impl CommentRow {
    fn into_comment(self) -> Result<Comment, AppError> {
        Ok(Comment {
            id: parse_id(&self.c_id)?,
            post_id: parse_id(&self.post_id)?,
            author: self.author.into_user()?,
            body: self.body,
            created_at: self.created_at,
        })
    }
}

/// Counts after a change, and whose post it is.
#[derive(Clone, Copy, Debug)]
pub struct CountsChange {
    /// The new counts.
    pub counts: PostCounts,
    /// The post's author.
    pub author: UserId,
    /// Whether anything changed (liking twice changes nothing).
    pub changed: bool,
}

pub(super) type CountsRow = (i64, i64, i64, String);

pub(super) fn counts_of(
    post: PostId,
    row: CountsRow,
    changed: bool,
) -> Result<CountsChange, AppError> {
    let (like_count, comment_count, version, author) = row;
    Ok(CountsChange {
        counts: PostCounts {
            post_id: post,
            like_count,
            comment_count,
            version,
        },
        author: parse_id(&author)?,
        changed,
    })
}

/// Notifications of one person that went with a deleted post.
#[derive(Clone, Debug)]
pub struct RemovedNotifications {
    /// Whose they were.
    pub owner: UserId,
    /// Which.
    pub ids: Vec<NotificationId>,
    /// The owner's unread count now.
    pub unread: i64,
}

/// Which posts a page lists.
pub enum PostSource {
    /// People the viewer follows, and the viewer.
    Feed,
    /// One author's posts.
    Author(UserId),
}

impl Store {
    /// Stores a new post.
    pub async fn create_post(&self, author: &User, body: &str) -> Result<Post, AppError> {
        let post = Post {
            id: PostId::new(),
            author: author.clone(),
            body: body.to_owned(),
            created_at: now_ms(),
            like_count: 0,
            comment_count: 0,
            liked_by_me: false,
        };
        sqlx::query("INSERT INTO posts (id, author_id, body, created_at) VALUES ($1, $2, $3, $4)")
            .bind(post.id.to_string())
            .bind(author.id.to_string())
            .bind(&post.body)
            .bind(post.created_at)
            .execute(&self.pool)
            .await?;
        Ok(post)
    }

    /// One post as `viewer` sees it.
    pub async fn post(&self, viewer: UserId, id: PostId) -> Result<Option<Post>, AppError> {
        let row: Option<PostRow> = sqlx::query_as(&format!(
            "SELECT {POST_COLUMNS}, {USER_COLUMNS} FROM posts p JOIN users u ON u.id = p.author_id \
             WHERE p.id = $2"
        ))
        .bind(viewer.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(PostRow::into_post).transpose()
    }

    /// A page of posts, newest first, older than `before`; `limit + 1` are read to tell whether
    /// more exist. One query, whatever the page holds.
    pub async fn posts(
        &self,
        viewer: UserId,
        source: PostSource,
        before: Option<PostId>,
        limit: i64,
    ) -> Result<(Vec<Post>, bool), AppError> {
        // One statement for both: `$2` is the author, or empty for the feed (people the viewer
        // follows, and the viewer).
        let sql = format!(
            "SELECT {POST_COLUMNS}, {USER_COLUMNS} FROM posts p JOIN users u ON u.id = p.author_id \
             WHERE (p.author_id = $2 OR ($2 = '' AND (p.author_id = $1 OR p.author_id IN \
               (SELECT followee_id FROM follows WHERE follower_id = $1)))) \
             AND ($3 = '' OR p.id < $3) ORDER BY p.id DESC LIMIT $4"
        );
        let author = match source {
            PostSource::Feed => String::new(),
            PostSource::Author(a) => a.to_string(),
        };
        let rows: Vec<PostRow> = sqlx::query_as(&sql)
            .bind(viewer.to_string())
            .bind(author)
            .bind(before.map(|b| b.to_string()).unwrap_or_default())
            .bind(limit + 1)
            .fetch_all(&self.pool)
            .await?;
        let more = rows.len() as i64 > limit;
        let posts = rows
            .into_iter()
            .take(limit as usize)
            .map(PostRow::into_post)
            .collect::<Result<_, _>>()?;
        Ok((posts, more))
    }

    /// Deletes one of `user`'s posts with its likes, comments and the notifications about it
    /// (`NOT_FOUND` if there is no such post, `FORBIDDEN` if it is someone else's); returns the
    /// notifications that went, per owner.
    pub async fn delete_post(
        &self,
        id: PostId,
        user: UserId,
    ) -> Result<Vec<RemovedNotifications>, AppError> {
        let mut tx = self.pool.begin().await?;
        let author: Option<(String,)> = sqlx::query_as("SELECT author_id FROM posts WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        let Some((author,)) = author else {
            return Err(AppError::NotFound("post"));
        };
        if author != user.to_string() {
            return Err(AppError::Forbidden(
                "you can only delete your own posts".into(),
            ));
        }
        // The notifications about it go; their owners' bells (usually only the author's) are
        // adjusted in one order so that concurrent deletions cannot deadlock.
        let gone: Vec<(String, String, Option<i64>)> = sqlx::query_as(
            "DELETE FROM notifications WHERE post_id = $1 RETURNING user_id, id, read_at",
        )
        .bind(id.to_string())
        .fetch_all(&mut *tx)
        .await?;
        let mut owners: BTreeMap<UserId, (Vec<NotificationId>, i64)> = BTreeMap::new();
        for (owner, notification, read_at) in gone {
            let entry = owners.entry(parse_id(&owner)?).or_default();
            entry.0.push(parse_id(&notification)?);
            entry.1 += i64::from(read_at.is_none());
        }
        let mut removed = Vec::with_capacity(owners.len());
        for (owner, (ids, unread)) in owners {
            let left = adjust_unread(&mut tx, owner, -unread).await?;
            removed.push(RemovedNotifications {
                owner,
                ids,
                unread: left,
            });
        }
        for sql in [
            "DELETE FROM post_likes WHERE post_id = $1",
            "DELETE FROM comments WHERE post_id = $1",
            "DELETE FROM posts WHERE id = $1",
        ] {
            sqlx::query(sql)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(removed)
    }

    /// Adds a comment. `None` if the post does not exist.
    pub async fn create_comment(
        &self,
        post: PostId,
        author: &User,
        body: &str,
    ) -> Result<Option<(Comment, CountsChange)>, AppError> {
        let comment = Comment {
            id: CommentId::new(),
            post_id: post,
            author: author.clone(),
            body: body.to_owned(),
            created_at: now_ms(),
        };
        let mut tx = self.pool.begin().await?;
        let row: Option<CountsRow> = sqlx::query_as(
            "UPDATE posts SET comment_count = comment_count + 1, version = version + 1 \
             WHERE id = $1 RETURNING like_count, comment_count, version, author_id",
        )
        .bind(post.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        sqlx::query(
            "INSERT INTO comments (id, post_id, author_id, body, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(comment.id.to_string())
        .bind(post.to_string())
        .bind(author.id.to_string())
        .bind(&comment.body)
        .bind(comment.created_at)
        .execute(&mut *tx)
        .await?;
        let change = counts_of(post, row, true)?;
        let commented = PostCommented {
            post_id: post,
            comment: comment.clone(),
            comment_count: change.counts.comment_count,
        };
        if self.wants_webhook("post.commented") {
            let event =
                OutboxEvent::new(WebhookChange::PostCommented(commented), comment.created_at);
            enqueue_webhook(&mut tx, &event).await?;
        }
        tx.commit().await?;
        Ok(Some((comment, change)))
    }

    /// Deletes a comment if `user` wrote it. `Ok(None)`: no such comment; `Err(Forbidden)`:
    /// someone else's.
    pub async fn delete_comment(
        &self,
        id: CommentId,
        user: UserId,
    ) -> Result<Option<CountsChange>, AppError> {
        let mut tx = self.pool.begin().await?;
        let found: Option<(String, String)> =
            sqlx::query_as("SELECT post_id, author_id FROM comments WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        let Some((post, author)) = found else {
            return Ok(None);
        };
        if author != user.to_string() {
            return Err(AppError::Forbidden(
                "you can only delete your own comments".into(),
            ));
        }
        sqlx::query("DELETE FROM comments WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let row: CountsRow = sqlx::query_as(
            "UPDATE posts SET comment_count = comment_count - 1, version = version + 1 \
             WHERE id = $1 RETURNING like_count, comment_count, version, author_id",
        )
        .bind(&post)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(counts_of(parse_id(&post)?, row, true)?))
    }

    /// A page of a post's comments, oldest first, newer than `after`.
    pub async fn comments(
        &self,
        post: PostId,
        after: Option<CommentId>,
        limit: i64,
    ) -> Result<(Vec<Comment>, bool), AppError> {
        let rows: Vec<CommentRow> = sqlx::query_as(&format!(
            "SELECT c.id AS c_id, c.post_id, c.body, c.created_at, {USER_COLUMNS} \
             FROM comments c JOIN users u ON u.id = c.author_id \
             WHERE c.post_id = $1 AND ($2 = '' OR c.id > $2) ORDER BY c.id LIMIT $3"
        ))
        .bind(post.to_string())
        .bind(after.map(|a| a.to_string()).unwrap_or_default())
        .bind(limit + 1)
        .fetch_all(&self.pool)
        .await?;
        let more = rows.len() as i64 > limit;
        let comments = rows
            .into_iter()
            .take(limit as usize)
            .map(CommentRow::into_comment)
            .collect::<Result<_, _>>()?;
        Ok((comments, more))
    }

    /// The current counts of several posts, in one query (unknown posts are left out).
    pub async fn post_counts(&self, posts: &[PostId]) -> Result<Vec<PostCounts>, AppError> {
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, like_count, comment_count, version FROM posts WHERE id IN ({})",
            placeholders(1, posts.len())
        );
        let mut query = sqlx::query_as::<_, (String, i64, i64, i64)>(&sql);
        for post in posts {
            query = query.bind(post.to_string());
        }
        query
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|(id, like_count, comment_count, version)| {
                Ok(PostCounts {
                    post_id: parse_id(&id)?,
                    like_count,
                    comment_count,
                    version,
                })
            })
            .collect()
    }
}
