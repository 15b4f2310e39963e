//! The write path of likes: likes and unlikes go through a [`Batcher`]; each batch commits in
//! one transaction ([`crate::store::Store::apply_likes`]). Under a burst on one post that is one
//! counts update and one notification refresh per batch instead of one per like.

use super::batcher::Batcher;
use crate::store::{LikeChange, LikeRequest, Store, MAX_LIKE_BATCH};
use protocol::PostCounts;

/// What a request gets back: the post's counts after its batch (`None`: no such post), and, for
/// the first request of each changed post in a batch, the change to publish (once per batch).
pub type LikeOutcome = (Option<PostCounts>, Option<LikeChange>);

/// The handle to submit likes to the writer task.
pub type LikeWriter = Batcher<LikeRequest, LikeOutcome>;

/// Starts the like writer; `queue` bounds the likes waiting for it.
pub fn start(store: Store, queue: usize) -> LikeWriter {
    Batcher::start(
        queue,
        MAX_LIKE_BATCH,
        "like",
        move |batch: Vec<LikeRequest>| {
            let store = store.clone();
            async move {
                let mut done = store.apply_likes(&batch).await?;
                let answers = batch
                    .iter()
                    .map(|request| {
                        let post = request.post;
                        let counts = done.counts.get(&post).copied();
                        let position = done
                            .changes
                            .iter()
                            .position(|c| c.change.counts.post_id == post);
                        let change = position.map(|i| done.changes.swap_remove(i));
                        Ok((counts, change))
                    })
                    .collect();
                Ok(answers)
            }
        },
    )
}
