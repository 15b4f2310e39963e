//! Likes, written in batches: whatever likes and unlikes have arrived commit in one transaction
//! with a fixed number of statements for the likes themselves (one insert, one delete) and one
//! counts update per post, however many people liked it, plus the author's grouped "liked your
//! post" entry refreshed once per post.

use super::notifications::{refresh_grouped_entry, Grouped, GroupedNotification};
use super::posts::{counts_of, CountsChange, CountsRow};
use super::webhooks::{enqueue_webhooks, OutboxEvent};
use super::{now_ms, parse_id, value_rows, Backend, Store};
use crate::error::AppError;
use protocol::webhooks::{PostLiked, WebhookChange};
use protocol::{PostCounts, PostId, User, UserId};
use std::collections::{BTreeMap, HashMap};

/// Largest batch [`Store::apply_likes`] takes (3 bind parameters per like).
pub const MAX_LIKE_BATCH: usize = 256;

/// One like (`like: true`) or unlike.
#[derive(Clone, Debug)]
pub struct LikeRequest {
    /// The post.
    pub post: PostId,
    /// Who.
    pub user: User,
    /// Like or unlike.
    pub like: bool,
}

/// A post whose likes changed in a batch: its counts and the author's grouped entry.
#[derive(Clone, Debug)]
pub struct LikeChange {
    /// The counts after the batch.
    pub change: CountsChange,
    /// How the author's "liked your post" entry changed (nothing when only the author's own
    /// like changed).
    pub notification: GroupedNotification,
}

/// What a batch did.
#[derive(Debug, Default)]
pub struct LikeBatch {
    /// The counts after the batch of every post it named that exists.
    pub counts: HashMap<PostId, PostCounts>,
    /// The posts whose likes changed.
    pub changes: Vec<LikeChange>,
}

/// What the batch wants for one (post, person): the last request wins (likes are idempotent, so
/// only the final state matters), remembered with its position for "newest liker first".
struct Wanted {
    like: bool,
    order: usize,
}

impl Store {
    /// Applies a batch of likes and unlikes in one transaction. Requests for posts that do not
    /// exist change nothing (their posts are absent from [`LikeBatch::counts`]).
    pub async fn apply_likes(&self, batch: &[LikeRequest]) -> Result<LikeBatch, AppError> {
        if batch.is_empty() {
            return Ok(LikeBatch::default());
        }
        // Sorted by (post, person): concurrent batches on PostgreSQL take row locks in one order.
        let mut wanted: BTreeMap<(PostId, UserId), Wanted> = BTreeMap::new();
        let mut users: HashMap<UserId, &User> = HashMap::new();
        for (order, request) in batch.iter().enumerate() {
            let pair = (request.post, request.user.id);
            // A repeated wish keeps its first position (liking twice is liking once).
            if wanted.get(&pair).is_none_or(|w| w.like != request.like) {
                let wish = Wanted {
                    like: request.like,
                    order,
                };
                wanted.insert(pair, wish);
            }
            users.insert(request.user.id, &request.user);
        }
        let likes: Vec<(PostId, UserId)> = pairs(&wanted, true);
        let unlikes: Vec<(PostId, UserId)> = pairs(&wanted, false);

        let mut tx = self.pool.begin().await?;
        // Writes first: the transaction takes the write lock at once (SQLite).
        let added = insert_likes(&mut tx, self.backend, &likes).await?;
        let removed = delete_likes(&mut tx, &unlikes).await?;

        // Per post: the net change, and the newest liker who is not the author (by arrival).
        let mut delta: BTreeMap<PostId, i64> = BTreeMap::new();
        for (post, _) in wanted.keys() {
            delta.entry(*post).or_insert(0);
        }
        let mut changed: BTreeMap<PostId, Vec<UserId>> = BTreeMap::new();
        for (post, user) in &added {
            *delta.entry(*post).or_default() += 1;
            changed.entry(*post).or_default().push(*user);
        }
        for (post, user) in &removed {
            *delta.entry(*post).or_default() -= 1;
            changed.entry(*post).or_default().push(*user);
        }

        let mut result = LikeBatch::default();
        for (post, delta) in delta {
            let row: Option<CountsRow> = if changed.contains_key(&post) {
                sqlx::query_as(
                    "UPDATE posts SET like_count = like_count + $2, version = version + 1 \
                     WHERE id = $1 RETURNING like_count, comment_count, version, author_id",
                )
                .bind(post.to_string())
                .bind(delta)
                .fetch_optional(&mut *tx)
                .await?
            } else {
                sqlx::query_as(
                    "SELECT like_count, comment_count, version, author_id FROM posts WHERE id = $1",
                )
                .bind(post.to_string())
                .fetch_optional(&mut *tx)
                .await?
            };
            let Some(row) = row else { continue };
            let Some(who) = changed.get(&post) else {
                let change = counts_of(post, row, false)?;
                result.counts.insert(post, change.counts);
                continue;
            };
            let change = counts_of(post, row, true)?;
            result.counts.insert(post, change.counts);
            let notification = if who.iter().any(|u| *u != change.author) {
                let liker = added
                    .iter()
                    .filter(|(p, u)| *p == post && *u != change.author)
                    .max_by_key(|(p, u)| wanted.get(&(*p, *u)).map_or(0, |w| w.order))
                    .and_then(|(_, u)| users.get(u).copied());
                refresh_grouped_entry(
                    &mut tx,
                    self.wants_webhook("notification.created"),
                    change.author,
                    Grouped::PostLikes(post),
                    change.counts.like_count,
                    liker,
                )
                .await?
            } else {
                GroupedNotification::default()
            };
            result.changes.push(LikeChange {
                change,
                notification,
            });
        }
        let now = now_ms();
        let wanted_events = self.wants_webhook("post.liked");
        let events: Vec<OutboxEvent> = added
            .iter()
            .filter(|_| wanted_events)
            .filter_map(|(post, user)| {
                let like_count = result.counts.get(post)?.like_count;
                let liked = PostLiked {
                    post_id: *post,
                    user_id: *user,
                    like_count,
                };
                Some(OutboxEvent::new(WebhookChange::PostLiked(liked), now))
            })
            .collect();
        enqueue_webhooks(&mut tx, self.backend, &events).await?;
        tx.commit().await?;
        Ok(result)
    }
}

/// The (post, person) pairs that want `like`.
fn pairs(wanted: &BTreeMap<(PostId, UserId), Wanted>, like: bool) -> Vec<(PostId, UserId)> {
    wanted
        .iter()
        .filter(|(_, w)| w.like == like)
        .map(|(pair, _)| *pair)
        .collect()
}

/// Inserts the likes that are not there yet, for posts that exist; returns those inserted.
async fn insert_likes(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    likes: &[(PostId, UserId)],
) -> Result<Vec<(PostId, UserId)>, AppError> {
    if likes.is_empty() {
        return Ok(Vec::new());
    }
    // `WHERE true` keeps SQLite from reading `ON CONFLICT` as the join's `ON`.
    let sql = format!(
        "INSERT INTO post_likes (post_id, user_id, created_at) \
         SELECT p.id, v.column2, v.column3 FROM (VALUES {}) AS v JOIN posts p ON p.id = v.column1 \
         WHERE true ON CONFLICT DO NOTHING RETURNING post_id, user_id",
        value_rows(backend, likes.len(), 3)
    );
    let now = now_ms();
    let mut query = sqlx::query_as::<_, (String, String)>(&sql);
    for (post, user) in likes {
        query = query
            .bind(post.to_string())
            .bind(user.to_string())
            .bind(now);
    }
    parse_pairs(query.fetch_all(&mut **tx).await?)
}

/// Deletes the likes that are there; returns those deleted.
async fn delete_likes(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    unlikes: &[(PostId, UserId)],
) -> Result<Vec<(PostId, UserId)>, AppError> {
    if unlikes.is_empty() {
        return Ok(Vec::new());
    }
    let wanted = (0..unlikes.len())
        .map(|i| format!("(post_id = ${} AND user_id = ${})", 2 * i + 1, 2 * i + 2))
        .collect::<Vec<_>>()
        .join(" OR ");
    let sql = format!("DELETE FROM post_likes WHERE {wanted} RETURNING post_id, user_id");
    let mut query = sqlx::query_as::<_, (String, String)>(&sql);
    for (post, user) in unlikes {
        query = query.bind(post.to_string()).bind(user.to_string());
    }
    parse_pairs(query.fetch_all(&mut **tx).await?)
}

fn parse_pairs(rows: Vec<(String, String)>) -> Result<Vec<(PostId, UserId)>, AppError> {
    rows.into_iter()
        .map(|(p, u)| Ok((parse_id(&p)?, parse_id(&u)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/likes.db?mode=rwc", dir.path().display());
        (Store::connect(&url, 2).await.expect("store"), dir)
    }

    fn like(post: PostId, user: &User, like: bool) -> LikeRequest {
        LikeRequest {
            post,
            user: user.clone(),
            like,
        }
    }

    #[tokio::test]
    async fn a_batch_keeps_each_persons_last_wish_and_names_the_newest_liker() {
        let (store, _dir) = store().await;
        let mut people = Vec::new();
        for name in ["author", "ann", "bob", "cid"] {
            people.push(
                store
                    .create_user(name, name, None, "x")
                    .await
                    .expect("user"),
            );
        }
        let [author, ann, bob, cid] = &people[..] else {
            unreachable!()
        };
        let post = store.create_post(author, "hello").await.expect("post").id;
        let missing = PostId::new();

        let batch = [
            like(post, ann, true),
            like(post, bob, true),
            like(post, bob, false), // bob changes his mind: only the last wish counts
            like(post, author, true),
            like(missing, cid, true),
            like(post, cid, true),
            like(post, ann, true), // twice is once
        ];
        let done = store.apply_likes(&batch).await.expect("batch");
        let counts = done.counts[&post];
        assert_eq!(counts.like_count, 3, "ann, the author and cid");
        assert!(!done.counts.contains_key(&missing), "no such post");
        assert_eq!(done.changes.len(), 1, "one change per post");
        let entry = done.changes[0]
            .notification
            .current
            .as_ref()
            .expect("entry");
        assert_eq!(
            entry.actor.id, cid.id,
            "the newest liker who is not the author"
        );
        assert_eq!(entry.others, 1, "ann; the author's own like is not counted");

        // Nothing new: counts come back unchanged, nothing to publish.
        let again = store
            .apply_likes(&[like(post, ann, true), like(post, bob, false)])
            .await
            .expect("batch");
        assert_eq!(again.counts[&post].like_count, 3);
        assert_eq!(again.counts[&post].version, counts.version);
        assert!(again.changes.is_empty());

        // Unlikes in one batch update the entry in place, then remove it.
        let fewer = store
            .apply_likes(&[like(post, cid, false)])
            .await
            .expect("batch");
        let entry = fewer.changes[0]
            .notification
            .current
            .as_ref()
            .expect("entry");
        assert_eq!((entry.actor.id, entry.others), (ann.id, 0));
        let none = store
            .apply_likes(&[like(post, ann, false), like(post, author, false)])
            .await
            .expect("batch");
        assert_eq!(none.counts[&post].like_count, 0);
        assert!(none.changes[0].notification.removed.is_some());
        assert!(none.changes[0].notification.current.is_none());
    }
}
