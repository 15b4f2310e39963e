//! The write path of reactions: they go through a [`Batcher`]; each batch commits in one
//! transaction ([`crate::store::Store::apply_reactions`]). Under a storm on one message that is
//! one counts update and one notification refresh per batch instead of one per reaction.

use super::batcher::Batcher;
use crate::store::{ReactionOutcome, ReactionRequest, Store, MAX_REACTION_BATCH};

/// The handle to submit reactions to the writer task.
pub type ReactionWriter = Batcher<ReactionRequest, ReactionOutcome>;

/// Starts the reaction writer; `queue` bounds the reactions waiting for it.
pub fn start(store: Store, queue: usize) -> ReactionWriter {
    Batcher::start(queue, MAX_REACTION_BATCH, "reaction", move |batch| {
        let store = store.clone();
        async move { store.apply_reactions(&batch).await }
    })
}
