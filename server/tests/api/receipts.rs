//! Delivered and seen receipts, and unread counts pushed to every session of the reader.

use crate::helpers::*;
use protocol::{ClientEvent, ReceiptKind, ServerEvent};
use std::time::Duration;

fn unread(e: &ServerEvent) -> Option<i64> {
    match e {
        ServerEvent::UnreadChanged { unread, .. } => Some(*unread),
        _ => None,
    }
}

#[tokio::test]
async fn receipts_and_unread_counts() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let group = app.group(&alice, "Pair", &[&bob]).await;
    let mut a = app.connect(&alice).await;
    let mut b1 = app.connect(&bob).await;
    let mut b2 = app.connect(&bob).await;

    for (i, text) in ["one", "two"].iter().enumerate() {
        a.send(ClientEvent::SendMessage {
            conversation_id: group,
            temp_id: format!("t{i}"),
            body: text.to_string(),
            reply_to: None,
            attachments: Vec::new(),
        })
        .await;
        a.expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
            .await;
        let seq = i as i64 + 1;
        for b in [&mut b1, &mut b2] {
            b.expect(|e| matches!(e, ServerEvent::MessageNew { message } if message.seq == seq))
                .await;
        }
    }
    // A send costs no per-member unread frame: clients count `message_new` themselves.
    b1.expect_silence(Duration::from_millis(200), |e| unread(e).is_some())
        .await;

    b1.send(ClientEvent::MarkDelivered {
        conversation_id: group,
        up_to_seq: 2,
    })
    .await;
    let delivered = a.expect(|e| matches!(e, ServerEvent::Receipt { .. })).await;
    assert_eq!(
        delivered,
        ServerEvent::Receipt {
            conversation_id: group,
            user_id: bob.id(),
            kind: ReceiptKind::Delivered,
            up_to_seq: 2
        }
    );

    b1.send(ClientEvent::MarkRead {
        conversation_id: group,
        up_to_seq: 1,
    })
    .await;
    a.expect(|e| {
        matches!(
            e,
            ServerEvent::Receipt {
                kind: ReceiptKind::Seen,
                up_to_seq: 1,
                ..
            }
        )
    })
    .await;
    b2.expect(|e| unread(e) == Some(1)).await;

    // Marking beyond the newest message clamps to it; both of Bob's sessions see zero.
    b2.send(ClientEvent::MarkRead {
        conversation_id: group,
        up_to_seq: 99,
    })
    .await;
    a.expect(|e| {
        matches!(
            e,
            ServerEvent::Receipt {
                kind: ReceiptKind::Seen,
                up_to_seq: 2,
                ..
            }
        )
    })
    .await;
    b1.expect(|e| unread(e) == Some(0)).await;
    b2.expect(|e| unread(e) == Some(0)).await;

    // Going backwards changes nothing and announces nothing.
    b1.send(ClientEvent::MarkRead {
        conversation_id: group,
        up_to_seq: 1,
    })
    .await;
    a.expect_silence(Duration::from_millis(300), |e| {
        matches!(e, ServerEvent::Receipt { .. })
    })
    .await;
}

#[tokio::test]
async fn unread_counts_arrive_on_connect_and_in_the_list() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let group = app.group(&alice, "Pair", &[&bob]).await;
    let mut a = app.connect(&alice).await;
    for i in 0..3 {
        a.send(ClientEvent::SendMessage {
            conversation_id: group,
            temp_id: format!("t{i}"),
            body: format!("m{i}"),
            reply_to: None,
            attachments: Vec::new(),
        })
        .await;
        a.expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
            .await;
    }
    // Delete one: it no longer counts.
    let (_, page) = app
        .get(
            &format!("/api/conversations/{group}/messages"),
            &alice.token,
        )
        .await;
    let first: protocol::MessageId =
        serde_json::from_value(page["messages"][0]["id"].clone()).unwrap();
    a.send(ClientEvent::DeleteMessage { message_id: first })
        .await;
    a.expect(|e| matches!(e, ServerEvent::MessageDeleted { .. }))
        .await;

    let mut b = app.connect_raw(Some(&bob.token), &[]).await.unwrap();
    let snapshot = b
        .expect(|e| matches!(e, ServerEvent::UnreadSnapshot { .. }))
        .await;
    let ServerEvent::UnreadSnapshot {
        conversations,
        total,
        ..
    } = snapshot
    else {
        unreachable!()
    };
    assert_eq!(total, 2);
    assert_eq!(conversations.len(), 1);
    assert_eq!(
        (conversations[0].conversation_id, conversations[0].unread),
        (group, 2)
    );

    let (_, list) = app.get("/api/conversations", &bob.token).await;
    assert_eq!(list["conversations"][0]["unread"], 2);
    assert_eq!(list["conversations"][0]["last_message"]["body"], "m2");
}
