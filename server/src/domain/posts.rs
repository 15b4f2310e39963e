//! Posts, likes and comments, with live counters: each change commits (counts exact, in the same
//! transaction), then publishes to the post's topic, the sessions showing it, through the
//! [`crate::counters`] coalescer (at most 10 updates a second per post, ending on the exact
//! value). The author hears about likes (one grouped entry per post) and comments, never about
//! their own.

use super::bell::EXCERPT_CHARS;
use super::notifications::{changed, notify_all};
use super::publish;
use crate::counters::offer_and_deliver;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::{LikeChange, LikeRequest, NotificationDraft};
use crate::topic::{Except, Topic};
use crate::validate;
use protocol::{
    Comment, CommentId, NotificationKind, Post, PostCounts, PostId, ServerEvent, SessionId, User,
};

/// Most posts one request may (un)subscribe.
pub const MAX_PER_REQUEST: usize = 500;

/// Writes a post.
pub async fn create(state: &AppState, author: &User, body: &str) -> Result<Post, AppError> {
    validate::body(body, state.config.max_message_chars)?;
    state.store.create_post(author, body.trim()).await
}

/// Deletes one of my posts; the sessions showing it hear `post_deleted`, and the owners of
/// notifications about it `notification_removed`.
pub async fn delete(state: &AppState, user: &User, post: PostId) -> Result<(), AppError> {
    let removed = state.store.delete_post(post, user.id).await?;
    let event = ServerEvent::PostDeleted { post_id: post };
    publish(state, Topic::Post(post), Except::Nobody, event).await;
    // The notifications about it leave their owners' bells.
    for gone in removed {
        for notification_id in gone.ids {
            let event = ServerEvent::NotificationRemoved {
                notification_id,
                unread_notifications: gone.unread,
            };
            publish(state, Topic::User(gone.owner), Except::Nobody, event).await;
        }
    }
    Ok(())
}

/// Likes (`true`) or unlikes a post, idempotently; returns the counts. Likes commit in batches
/// ([`crate::domain::like_writer`]); each batch publishes a post's counts once, and the author's
/// sessions hear how their grouped "liked your post" entry changed.
pub async fn set_like(
    state: &AppState,
    user: &User,
    post: PostId,
    like: bool,
) -> Result<PostCounts, AppError> {
    let request = LikeRequest {
        post,
        user: user.clone(),
        like,
    };
    let (counts, change) = state.likes.submit(request).await?;
    let counts = counts.ok_or(AppError::NotFound("post"))?;
    if let Some(LikeChange {
        change,
        notification,
    }) = change
    {
        publish_counts(state, change.counts);
        if let Some(removed) = notification.removed {
            changed(state, change.author, Err(removed)).await?;
        }
        if let Some(current) = notification.current {
            changed(state, change.author, Ok(current)).await?;
        }
    }
    Ok(counts)
}

/// Comments on a post; the sessions showing it get the comment and the new counts.
pub async fn comment(
    state: &AppState,
    user: &User,
    post: PostId,
    body: &str,
) -> Result<Comment, AppError> {
    validate::body(body, state.config.max_message_chars)?;
    let (comment, change) = state
        .store
        .create_comment(post, user, body.trim())
        .await?
        .ok_or(AppError::NotFound("post"))?;
    let event = ServerEvent::CommentNew {
        comment: comment.clone(),
        counts: change.counts,
    };
    publish(state, Topic::Post(post), Except::Nobody, event).await;
    publish_counts(state, change.counts);
    let draft = NotificationDraft {
        kind: NotificationKind::PostCommented,
        actor: user,
        conversation: None,
        post: Some(post),
        message: None,
        text: Some(comment.body.chars().take(EXCERPT_CHARS).collect()),
        link: None,
    };
    notify_all(state, &draft, &[change.author]).await?;
    Ok(comment)
}

/// Deletes one of my comments.
pub async fn delete_comment(
    state: &AppState,
    user: &User,
    comment: CommentId,
) -> Result<(), AppError> {
    let change = state
        .store
        .delete_comment(comment, user.id)
        .await?
        .ok_or(AppError::NotFound("comment"))?;
    let post = change.counts.post_id;
    let event = ServerEvent::CommentDeleted {
        post_id: post,
        comment_id: comment,
    };
    publish(state, Topic::Post(post), Except::Nobody, event).await;
    publish_counts(state, change.counts);
    Ok(())
}

/// New counts go to the post's watchers, coalesced: now, or when the interval ends (with the
/// newest counts by then).
fn publish_counts(state: &AppState, counts: PostCounts) {
    let broker = state.broker.clone();
    offer_and_deliver(&state.counters, counts, move |counts| {
        broker.counts_changed(counts)
    });
}

/// A session starts watching posts (bounded per connection); returns their current counts.
/// Unknown posts are left out (and not subscribed).
pub async fn subscribe(
    state: &AppState,
    session: SessionId,
    posts: &[PostId],
) -> Result<Vec<PostCounts>, AppError> {
    if posts.len() > MAX_PER_REQUEST {
        return Err(AppError::validation(format!(
            "at most {MAX_PER_REQUEST} posts per subscribe_posts"
        )));
    }
    let mut requested = posts.to_vec();
    requested.sort();
    requested.dedup();
    let limit = state.config.max_post_subscriptions;
    let new = requested
        .iter()
        .filter(|p| !state.hub.is_subscribed(session, Topic::Post(**p)))
        .count();
    let held = state
        .hub
        .count_topics(session, |t| matches!(t, Topic::Post(_)));
    if held + new > limit {
        return Err(AppError::validation(format!(
            "a connection may watch at most {limit} posts (it watches {held})"
        )));
    }
    // Subscribe first, then read: no change falls between the two (a client keeps the highest
    // version it sees).
    for post in &requested {
        state.hub.subscribe(session, Topic::Post(*post));
    }
    let counts = state.store.post_counts(&requested).await?;
    for post in &requested {
        if !counts.iter().any(|c| c.post_id == *post) {
            state.hub.unsubscribe(session, Topic::Post(*post));
        }
    }
    Ok(counts)
}

/// A session stops watching posts.
pub fn unsubscribe(state: &AppState, session: SessionId, posts: &[PostId]) {
    for post in posts {
        state.hub.unsubscribe(session, Topic::Post(*post));
    }
}
