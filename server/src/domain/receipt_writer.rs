//! The write path of receipts. Every member's client reports what it received and read
//! (`mark_delivered`, `mark_read`), so in a group of N a message causes up to 2N receipts: each
//! must cost constant work, and they must not turn into N frames each.
//!
//! - **Batched writes.** Receipts from every session go through one queue; the writer takes
//!   what has arrived, keeps each member's furthest positions, and moves them all with a
//!   constant number of statements ([`Store::advance_positions`]). During a burst a batch waits
//!   a little to grow; a lone receipt is never held back.
//! - **Bounded frames.** What a sender's ticks show is whether *anyone other than them* has
//!   received or read a message: the furthest position of the others. That is known to every
//!   member from the two furthest positions of the conversation (the furthest, and the furthest
//!   of someone else), so a `receipt` is published only when a member's position becomes one of
//!   those two ([`Leaders`]): at most two frames per kind per message, whatever the group size.
//!   In a direct conversation the two are both members, so every receipt is published.
//! - **Exact unread.** A read answers its reader's sessions with `unread_changed` carrying the
//!   count of that conversation alone, computed in the batch.

use super::writer::gather_more;
use crate::broker::Broker;
use crate::codec::encode_event;
use crate::error::AppError;
use crate::store::{MovedPosition, PositionMark, Store, MAX_POSITION_BATCH};
use crate::topic::{Except, Topic};
use protocol::{ConversationId, ReceiptKind, Seq, ServerEvent, UserId};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long a batch waits for more receipts during a burst. Receipts are not
/// latency-critical (a tick a few milliseconds later is invisible) and fewer, larger batches
/// cost fewer statements.
const GATHER: Duration = Duration::from_millis(10);

/// How long to wait before trying a failed batch once more.
const RETRY_AFTER: Duration = Duration::from_millis(100);

/// A receipt arriving within this long of the previous batch's end means a burst.
const BURST_GAP: Duration = Duration::from_millis(50);

/// Conversations whose leaders are remembered; past it they are forgotten (which costs at most
/// a few extra frames, never a missed one).
const MAX_TRACKED: usize = 100_000;

/// The handle to submit receipts to the writer task.
#[derive(Clone, Debug)]
pub struct ReceiptWriter {
    marks: mpsc::Sender<PositionMark>,
}

impl ReceiptWriter {
    /// Starts the writer task; `queue` bounds the receipts waiting for it (beyond that,
    /// sessions wait their turn).
    pub fn start(store: Store, broker: Broker, queue: usize) -> Self {
        let (marks, rx) = mpsc::channel(queue.max(1));
        tokio::spawn(run(store, broker, rx));
        Self { marks }
    }

    /// Queues a receipt (already validated and checked for membership); it is written and
    /// published with the next batch.
    pub async fn submit(&self, mark: PositionMark) -> Result<(), AppError> {
        self.marks
            .send(mark)
            .await
            .map_err(|_| AppError::Unavailable("the server is shutting down".into()))
    }
}

async fn run(store: Store, broker: Broker, mut rx: mpsc::Receiver<PositionMark>) {
    let mut marks: Vec<PositionMark> = Vec::with_capacity(MAX_POSITION_BATCH);
    let mut leaders = Leaders::default();
    let mut last_end: Option<Instant> = None;
    while rx.recv_many(&mut marks, MAX_POSITION_BATCH).await > 0 {
        if last_end.is_some_and(|end| end.elapsed() < BURST_GAP) {
            gather_more(&mut rx, &mut marks, MAX_POSITION_BATCH, GATHER).await;
        }
        let batch = coalesce(&mut marks);
        let mut stored = store.advance_positions(&batch).await;
        if stored.is_err() {
            // Once more after a pause: a busy pool or a lock timeout usually passes.
            tokio::time::sleep(RETRY_AFTER).await;
            stored = store.advance_positions(&batch).await;
        }
        match stored {
            Ok(moved) => publish(&broker, &mut leaders, moved).await,
            Err(e) => {
                // Receipts are reports, not content: positions only move forward, so the
                // client's next receipt in the conversation covers these.
                tracing::error!(error = %e, size = batch.len(), "could not store a batch of receipts");
            }
        }
        last_end = Some(Instant::now());
    }
}

/// Each member's furthest positions in the batch, one mark per (conversation, member).
fn coalesce(marks: &mut Vec<PositionMark>) -> Vec<PositionMark> {
    let mut furthest: HashMap<(ConversationId, UserId), PositionMark> = HashMap::new();
    for m in marks.drain(..) {
        furthest
            .entry((m.conversation, m.user))
            .and_modify(|f| {
                f.delivered = f.delivered.max(m.delivered);
                f.read = f.read.max(m.read);
            })
            .or_insert(m);
    }
    let mut batch: Vec<PositionMark> = furthest.into_values().collect();
    // A stable order, so that concurrent writers (other instances) lock rows alike.
    batch.sort_by_key(|m| (m.conversation, m.user));
    batch
}

/// Publishes the receipts that change what members can see, and each reader's unread count.
async fn publish(broker: &Broker, leaders: &mut Leaders, mut moved: Vec<MovedPosition>) {
    // Furthest first: within a batch, a member behind another's new position changes nothing.
    moved.sort_by_key(|m| {
        std::cmp::Reverse(m.delivered.unwrap_or(0).max(m.read.map_or(0, |r| r.0)))
    });
    for m in &moved {
        let conversation = m.conversation;
        let topic = Topic::Conversation(conversation);
        let except = Except::User(m.user);
        let mut seen_published = None;
        if let Some((read, unread)) = m.read {
            if leaders.advance(conversation, ReceiptKind::Seen, m.user, read) {
                seen_published = Some(read);
                let event = receipt(conversation, m.user, ReceiptKind::Seen, read);
                broker.publish(topic, except, encode_event(event)).await;
            }
            let event = ServerEvent::UnreadChanged {
                conversation_id: conversation,
                unread,
                read_seq: read,
            };
            broker
                .publish(Topic::User(m.user), Except::Nobody, encode_event(event))
                .await;
        }
        if let Some(delivered) = m.delivered {
            // A published read receipt says delivered as well: only a delivered position beyond
            // it is news.
            let covered = seen_published.is_some_and(|read| read >= delivered);
            if leaders.advance(conversation, ReceiptKind::Delivered, m.user, delivered) && !covered
            {
                let event = receipt(conversation, m.user, ReceiptKind::Delivered, delivered);
                broker.publish(topic, except, encode_event(event)).await;
            }
        }
    }
}

fn receipt(conversation: ConversationId, user: UserId, kind: ReceiptKind, seq: Seq) -> ServerEvent {
    ServerEvent::Receipt {
        conversation_id: conversation,
        user_id: user,
        kind,
        up_to_seq: seq,
    }
}

/// The two furthest positions of each kind in each conversation (the furthest, and the furthest
/// of a different member), as far as this instance has seen receipts.
#[derive(Debug, Default)]
pub struct Leaders {
    conversations: HashMap<ConversationId, [Top2; 2]>,
}

/// The furthest position and the furthest of a different member.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Top2 {
    first: Option<(UserId, Seq)>,
    second: Option<(UserId, Seq)>,
}

impl Top2 {
    /// Records that `user` is at `seq`; whether the two furthest changed.
    fn advance(&mut self, user: UserId, seq: Seq) -> bool {
        let beats = |slot: Option<(UserId, Seq)>| slot.is_none_or(|(_, s)| seq > s);
        match (self.first, self.second) {
            (Some((u, s)), _) if u == user && seq > s => {
                self.first = Some((user, seq));
                true
            }
            (Some((u, _)), _) if u == user => false,
            (_, Some((u, _))) if u == user => {
                if !beats(self.second) {
                    return false;
                }
                if beats(self.first) {
                    self.second = self.first;
                    self.first = Some((user, seq));
                } else {
                    self.second = Some((user, seq));
                }
                true
            }
            _ if beats(self.first) => {
                self.second = self.first;
                self.first = Some((user, seq));
                true
            }
            _ if beats(self.second) => {
                self.second = Some((user, seq));
                true
            }
            _ => false,
        }
    }
}

impl Leaders {
    /// Records that `user`'s position of `kind` moved to `seq`; whether it is one of the two
    /// furthest now (so the members must hear of it).
    pub fn advance(
        &mut self,
        conversation: ConversationId,
        kind: ReceiptKind,
        user: UserId,
        seq: Seq,
    ) -> bool {
        if self.conversations.len() >= MAX_TRACKED
            && !self.conversations.contains_key(&conversation)
        {
            self.conversations.clear();
        }
        let slots = self.conversations.entry(conversation).or_default();
        let i = match kind {
            ReceiptKind::Delivered => 0,
            ReceiptKind::Seen => 1,
        };
        slots[i].advance(user, seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn others_furthest(published: &[(UserId, Seq)], me: UserId) -> Seq {
        published
            .iter()
            .filter(|(u, _)| *u != me)
            .map(|(_, s)| *s)
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_message_read_by_a_whole_group_publishes_at_most_two_receipts() {
        let mut leaders = Leaders::default();
        let c = ConversationId::new();
        let members: Vec<UserId> = (0..500).map(|_| UserId::new()).collect();
        for seq in 1..=20 {
            let published = members
                .iter()
                .filter(|u| leaders.advance(c, ReceiptKind::Seen, **u, seq))
                .count();
            assert!(published <= 2, "message {seq}: {published} receipts");
        }
    }

    #[test]
    fn every_member_can_tell_the_furthest_position_of_the_others() {
        // Positions move in a scrambled order; whatever is published lets each member compute
        // the furthest position of everyone else exactly.
        let mut leaders = Leaders::default();
        let c = ConversationId::new();
        let members: Vec<UserId> = (0..7).map(|_| UserId::new()).collect();
        let mut truth: HashMap<UserId, Seq> = HashMap::new();
        let mut published = Vec::new();
        let mut x: u64 = 12345;
        for _ in 0..400 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let user = members[(x >> 33) as usize % members.len()];
            let at = truth.entry(user).or_default();
            *at += ((x >> 20) % 3) as Seq;
            if leaders.advance(c, ReceiptKind::Delivered, user, *at) {
                published.push((user, *at));
            }
            for me in &members {
                let exact = truth
                    .iter()
                    .filter(|(u, _)| *u != me)
                    .map(|(_, s)| *s)
                    .max()
                    .unwrap_or(0);
                assert_eq!(others_furthest(&published, *me), exact);
            }
        }
    }

    #[test]
    fn in_a_direct_conversation_every_move_is_published() {
        let mut leaders = Leaders::default();
        let c = ConversationId::new();
        let (a, b) = (UserId::new(), UserId::new());
        assert!(leaders.advance(c, ReceiptKind::Delivered, a, 1));
        assert!(leaders.advance(c, ReceiptKind::Delivered, b, 1));
        assert!(leaders.advance(c, ReceiptKind::Delivered, b, 2));
        assert!(leaders.advance(c, ReceiptKind::Delivered, a, 3));
        assert!(!leaders.advance(c, ReceiptKind::Delivered, a, 3));
    }

    #[test]
    fn a_batch_keeps_each_members_furthest_positions() {
        let (c, u) = (ConversationId::new(), UserId::new());
        let mark = |delivered, read| PositionMark {
            conversation: c,
            user: u,
            delivered,
            read,
        };
        let mut marks = vec![mark(3, 0), mark(0, 2), mark(5, 0)];
        assert_eq!(coalesce(&mut marks), vec![mark(5, 2)]);
        assert!(marks.is_empty());
    }
}
