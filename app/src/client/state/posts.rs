//! Live state of the posts on screen: their counters (the highest version seen wins), the
//! comments loaded or received, and whether they were deleted. The server only pushes for posts
//! this connection watches (`subscribe_posts`), and forgets them on reconnect.

use super::{send, Action, ChatState, Slice};
use protocol::{ClientEvent, Comment, CommentId, Post, PostCounts, PostId};
use std::collections::HashMap;

/// What this client knows live about one post.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostLive {
    /// The newest counts.
    pub counts: Option<PostCounts>,
    /// Comments, oldest first (once loaded or received).
    pub comments: Vec<Comment>,
    /// Whether the comment list was loaded from the server.
    pub comments_loaded: bool,
    /// Whether I like it (from the page, then from my own likes).
    pub liked: bool,
    /// The author deleted it.
    pub deleted: bool,
}

/// Live post state, keyed by post.
pub type Posts = HashMap<PostId, PostLive>;

impl ChatState {
    /// Posts fetched for a page: remember what they say and watch them live.
    pub fn show_posts(&mut self, posts: &[Post]) -> Vec<Action> {
        let mut new = Vec::new();
        for post in posts {
            let live = self.posts.entry(post.id).or_default();
            live.liked = post.liked_by_me;
            merge_counts(
                live,
                PostCounts {
                    post_id: post.id,
                    like_count: post.like_count,
                    comment_count: post.comment_count,
                    // Older than any pushed version: a push always wins.
                    version: -1,
                },
            );
            if self.watched_posts.insert(post.id) {
                new.push(post.id);
            }
        }
        self.touch(Slice::Posts);
        if new.is_empty() {
            return Vec::new();
        }
        vec![send(ClientEvent::SubscribePosts { post_ids: new })]
    }

    /// After (re)connecting, the server watches nothing: ask again for every post shown.
    pub(super) fn rewatch_posts(&self) -> Vec<Action> {
        if self.watched_posts.is_empty() {
            return Vec::new();
        }
        let mut ids: Vec<PostId> = self.watched_posts.iter().copied().collect();
        ids.truncate(crate::client::state::MAX_WATCHED_POSTS);
        vec![send(ClientEvent::SubscribePosts { post_ids: ids })]
    }

    /// My like or unlike went through: the counts it returned.
    pub fn liked(&mut self, counts: PostCounts, liked: bool) {
        let live = self.posts.entry(counts.post_id).or_default();
        live.liked = liked;
        merge_counts(live, counts);
        self.touch(Slice::Posts);
    }

    /// A post's comments, loaded.
    pub fn set_comments(&mut self, post: PostId, comments: Vec<Comment>) {
        let live = self.posts.entry(post).or_default();
        for c in comments {
            add_comment(live, c);
        }
        live.comments_loaded = true;
        self.touch(Slice::Posts);
    }

    /// A comment I wrote went through (the live event may come first, or later: kept once).
    pub fn comment_added(&mut self, comment: Comment) {
        self.post_event(PostEvent::Comment(comment));
    }

    /// A live post event.
    pub(super) fn post_event(&mut self, event: PostEvent) {
        match event {
            PostEvent::Counts(counts) => {
                merge_counts(self.posts.entry(counts.post_id).or_default(), counts)
            }
            PostEvent::Comment(comment) => {
                add_comment(self.posts.entry(comment.post_id).or_default(), comment)
            }
            PostEvent::CommentGone(post, id) => {
                if let Some(live) = self.posts.get_mut(&post) {
                    live.comments.retain(|c| c.id != id);
                }
            }
            PostEvent::Deleted(post) => self.posts.entry(post).or_default().deleted = true,
        }
        self.touch(Slice::Posts);
    }
}

/// A live event about a post.
pub(super) enum PostEvent {
    /// New counts.
    Counts(PostCounts),
    /// A new comment.
    Comment(Comment),
    /// A comment was deleted.
    CommentGone(PostId, CommentId),
    /// The post was deleted.
    Deleted(PostId),
}

fn merge_counts(live: &mut PostLive, counts: PostCounts) {
    if live.counts.is_none_or(|c| counts.version > c.version) {
        live.counts = Some(counts);
    }
}

fn add_comment(live: &mut PostLive, comment: Comment) {
    if !live.comments.iter().any(|c| c.id == comment.id) {
        live.comments.push(comment);
        live.comments.sort_by_key(|c| c.id);
    }
}
