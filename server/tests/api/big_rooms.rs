//! The scaling rules of big conversations, where a test can pin them: receipts from every member
//! cost a bounded number of frames per message, opening a conversation answers with a bounded
//! reply, and viewer changes in a crowd are coalesced into counts.

use crate::helpers::*;
use futures_util::future::join_all;
use protocol::{ClientEvent, ConversationId, ReceiptKind, ServerEvent, MAX_LISTED_VIEWERS};
use std::time::Duration;

/// Connects every user, 50 at a time.
async fn connect_all(app: &TestApp, users: &[TestUser]) -> Vec<TestClient> {
    let mut clients = Vec::with_capacity(users.len());
    for chunk in users.chunks(50) {
        clients.extend(join_all(chunk.iter().map(|u| app.connect(u))).await);
    }
    clients
}

fn receipts(events: &[ServerEvent], kind: ReceiptKind) -> Vec<(protocol::UserId, i64)> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Receipt {
                user_id,
                kind: k,
                up_to_seq,
                ..
            } if *k == kind => Some((*user_id, *up_to_seq)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn receipts_from_a_whole_500_member_group_cost_a_bounded_number_of_frames() {
    let app = spawn_app().await;
    let (users, group) = app.seed_group(500).await;
    let mut clients = connect_all(&app, &users).await;
    let (mut sender, members) = {
        let mut rest = clients.split_off(1);
        (clients.pop().unwrap(), std::mem::take(&mut rest))
    };
    let mut members = members;
    // One member only watches (reads nothing until the end), to count what a member gets.
    let mut lurker = members.pop().unwrap();
    let messages = 3;
    for seq in 1..=messages {
        sender
            .send(ClientEvent::SendMessage {
                conversation_id: group,
                temp_id: format!("t{seq}"),
                body: format!("message {seq}"),
                reply_to: None,
                attachments: Vec::new(),
            })
            .await;
        // Every member receives it and, as the web app does, reports it delivered and read.
        join_all(members.iter_mut().map(|m| async move {
            m.expect(|e| matches!(e, ServerEvent::MessageNew { message } if message.seq == seq))
                .await;
            m.send(ClientEvent::MarkDelivered {
                conversation_id: group,
                up_to_seq: seq,
            })
            .await;
            m.send(ClientEvent::MarkRead {
                conversation_id: group,
                up_to_seq: seq,
            })
            .await;
        }))
        .await;
    }
    // Each reader's own sessions get its exact count of this conversation.
    let unread = members[7]
        .expect(|e| matches!(e, ServerEvent::UnreadChanged { read_seq: 3, .. }))
        .await;
    assert_eq!(
        unread,
        ServerEvent::UnreadChanged {
            conversation_id: group,
            unread: 0,
            read_seq: 3
        }
    );

    // 998 receipts a message arrive; the sender and any member see at most two of each kind
    // per message, and that is enough for the sender's ticks: someone else read message 3.
    let at_sender = sender.collect_for(Duration::from_millis(1500)).await;
    let at_member = lurker.collect_for(Duration::from_millis(200)).await;
    let delivered = at_member
        .iter()
        .filter(|e| matches!(e, ServerEvent::MessageNew { .. }))
        .count();
    assert_eq!(
        delivered, messages as usize,
        "the lurker read everything it got"
    );
    for (who, events) in [("the sender", &at_sender), ("a member", &at_member)] {
        for kind in [ReceiptKind::Delivered, ReceiptKind::Seen] {
            let n = receipts(events, kind).len();
            assert!(
                n <= 2 * messages as usize,
                "{who} got {n} {kind:?} receipts for {messages} messages"
            );
        }
    }
    let seen = receipts(&at_sender, ReceiptKind::Seen);
    assert!(
        seen.iter()
            .any(|(u, s)| *u != users[0].id() && *s == messages),
        "the sender never learned that message {messages} was seen: {seen:?}"
    );
    // The positions are stored: the REST view has every member at 3.
    let (status, conversation) = app
        .get(&format!("/api/conversations/{group}"), &users[0].token)
        .await;
    assert_eq!(status, 200);
    let positions = conversation["positions"].as_array().unwrap();
    let read_all = positions
        .iter()
        .filter(|p| p["read_seq"] == messages && p["delivered_seq"] == messages)
        .count();
    // Everyone but the lurker (who reported nothing); the sender by sending.
    assert_eq!(read_all, 499, "every member's positions are stored");
}

fn viewers_of(e: &ServerEvent) -> Option<(u32, Vec<protocol::UserId>)> {
    match e {
        ServerEvent::ConversationJoined {
            viewer_count,
            viewers,
            ..
        } => Some((*viewer_count, viewers.clone())),
        ServerEvent::ViewersChanged { count, viewers, .. } => Some((*count, viewers.clone())),
        _ => None,
    }
}

async fn join(client: &mut TestClient, group: ConversationId) -> (u32, Vec<protocol::UserId>) {
    client
        .send(ClientEvent::JoinConversation {
            conversation_id: group,
        })
        .await;
    let joined = client
        .expect(|e| matches!(e, ServerEvent::ConversationJoined { .. }))
        .await;
    viewers_of(&joined).unwrap()
}

#[tokio::test]
async fn opening_a_2000_member_group_is_bounded_and_a_crowd_of_viewers_is_counted() {
    let app = spawn_app().await;
    let (users, group) = app.seed_group(2000).await;
    let crowd = MAX_LISTED_VIEWERS + 5;
    let mut clients = connect_all(&app, &users[..crowd]).await;

    // The first viewers are named, to a joiner and to the others one by one.
    let (count, named) = join(&mut clients[0], group).await;
    assert_eq!((count, named), (1, vec![users[0].id()]));
    for i in 1..MAX_LISTED_VIEWERS {
        let (count, named) = join(&mut clients[i], group).await;
        assert_eq!(count as usize, i + 1);
        assert_eq!(named.len(), i + 1);
        let joined = clients[0]
            .expect(|e| matches!(e, ServerEvent::ViewerJoined { .. }))
            .await;
        assert!(
            matches!(joined, ServerEvent::ViewerJoined { user_id, .. } if user_id == users[i].id())
        );
    }
    // Beyond the limit a joiner gets the count and no list, whatever the group's size…
    for (i, client) in clients.iter_mut().enumerate().skip(MAX_LISTED_VIEWERS) {
        let (count, named) = join(client, group).await;
        assert_eq!((count as usize, named.len()), (i + 1, 0));
    }
    // …and the viewers get no frame per joiner: one coalesced count (the interval is 1 s).
    let seen = clients[0].collect_for(Duration::from_millis(2500)).await;
    let named_after: Vec<_> = seen
        .iter()
        .filter(|e| matches!(e, ServerEvent::ViewerJoined { .. }))
        .collect();
    assert!(named_after.is_empty(), "{named_after:?}");
    let counts: Vec<_> = seen.iter().filter_map(viewers_of).collect();
    assert_eq!(counts.len(), 1, "{counts:?}");
    assert_eq!(counts[0], (crowd as u32, Vec::new()));

    // When the crowd thins back to the limit, the names come back with the count.
    for client in clients.iter_mut().skip(MAX_LISTED_VIEWERS) {
        client
            .send(ClientEvent::LeaveConversation {
                conversation_id: group,
            })
            .await;
    }
    let back = clients[0]
        .expect_within(Duration::from_secs(3), |e| {
            matches!(e, ServerEvent::ViewersChanged { count, .. } if *count as usize == MAX_LISTED_VIEWERS)
        })
        .await;
    let (count, mut named) = viewers_of(&back).unwrap();
    let mut expected: Vec<_> = users[..MAX_LISTED_VIEWERS].iter().map(|u| u.id()).collect();
    expected.sort();
    named.sort();
    assert_eq!((count as usize, named), (MAX_LISTED_VIEWERS, expected));
    // Below the limit, changes are by name again.
    clients[1]
        .send(ClientEvent::LeaveConversation {
            conversation_id: group,
        })
        .await;
    clients[0]
        .expect(
            |e| matches!(e, ServerEvent::ViewerLeft { user_id, .. } if *user_id == users[1].id()),
        )
        .await;
}
