//! Fan-out by topics: exact unread counts without per-member work, batched sends with gapless
//! sequence numbers, and membership changes that move sessions in and out of fan-out at once.

use crate::helpers::*;
use protocol::{ClientEvent, ErrorCode, Seq, ServerEvent, UnreadCount};
use std::collections::BTreeSet;
use std::time::Duration;

async fn send(
    client: &mut TestClient,
    conversation: protocol::ConversationId,
    temp: &str,
) -> protocol::Message {
    client
        .send_with_id(
            temp,
            ClientEvent::SendMessage {
                conversation_id: conversation,
                temp_id: temp.into(),
                body: format!("body {temp}"),
                reply_to: None,
                attachments: Vec::new(),
            },
        )
        .await;
    match client
        .expect(|e| matches!(e, ServerEvent::MessageAck { temp_id, .. } if temp_id == temp))
        .await
    {
        ServerEvent::MessageAck { message, .. } => message,
        _ => unreachable!(),
    }
}

/// The unread count of one conversation in a fresh session's snapshot.
async fn snapshot_unread(app: &TestApp, user: &TestUser) -> (Vec<UnreadCount>, i64) {
    let mut client = app.connect_raw(Some(&user.token), &[]).await.unwrap();
    match client
        .expect(|e| matches!(e, ServerEvent::UnreadSnapshot { .. }))
        .await
    {
        ServerEvent::UnreadSnapshot {
            conversations,
            total,
            ..
        } => (conversations, total),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn unread_counts_stay_exact_across_sends_reads_and_deletes_in_a_200_member_group() {
    let app = spawn_app().await;
    let (users, group) = app.seed_group(200).await;
    let (sender, reader, absent) = (&users[0], &users[1], &users[150]);
    let mut s = app.connect(sender).await;
    let mut r = app.connect(reader).await;
    let mut messages = Vec::new();
    for i in 0..5 {
        messages.push(send(&mut s, group, &format!("t{i}")).await);
        // One shared `message_new`, no per-member `unread_changed`.
        r.expect(|e| matches!(e, ServerEvent::MessageNew { .. }))
            .await;
    }
    r.expect_silence(Duration::from_millis(200), |e| {
        matches!(e, ServerEvent::UnreadChanged { .. })
    })
    .await;
    let (counts, total) = snapshot_unread(&app, absent).await;
    assert_eq!((counts[0].unread, counts[0].last_seq, total), (5, 5, 5));
    // The sender's own messages never count for her.
    assert_eq!(snapshot_unread(&app, sender).await.1, 0);

    // Reading moves the reader's counts, exactly, on all their sessions.
    r.send(ClientEvent::MarkRead {
        conversation_id: group,
        up_to_seq: 2,
    })
    .await;
    let changed = r
        .expect(|e| matches!(e, ServerEvent::UnreadChanged { .. }))
        .await;
    assert_eq!(
        changed,
        ServerEvent::UnreadChanged {
            conversation_id: group,
            unread: 3,
            read_seq: 2
        }
    );

    // Deleting one read and one unread message: the snapshot counts only live unread ones.
    for m in [&messages[0], &messages[3]] {
        s.send(ClientEvent::DeleteMessage { message_id: m.id })
            .await;
        s.expect(|e| matches!(e, ServerEvent::MessageDeleted { .. }))
            .await;
        r.expect(|e| matches!(e, ServerEvent::MessageDeleted { message } if message.id == m.id))
            .await;
    }
    assert_eq!(snapshot_unread(&app, reader).await.1, 2);
    // The absent member had read nothing: both deletions count off.
    assert_eq!(snapshot_unread(&app, absent).await.1, 3);
    let (_, list) = app.get("/api/conversations", &absent.token).await;
    assert_eq!(list["conversations"][0]["unread"], 3);

    r.send(ClientEvent::MarkRead {
        conversation_id: group,
        up_to_seq: 5,
    })
    .await;
    r.expect(|e| matches!(e, ServerEvent::UnreadChanged { unread: 0, .. }))
        .await;
    assert_eq!(snapshot_unread(&app, reader).await.1, 0);
}

#[tokio::test]
async fn concurrent_sends_get_gapless_sequence_numbers_and_each_its_own_ack() {
    let app = spawn_app().await;
    let (users, group) = app.seed_group(21).await;
    let mut watcher = app.connect(&users[20]).await;
    let mut senders = Vec::new();
    for user in &users[..20] {
        senders.push(app.connect(user).await);
    }
    // Everyone sends five at once (and one retry of an already used temp id each).
    let acks = futures_util::future::join_all(senders.iter_mut().enumerate().map(
        |(i, client)| async move {
            for k in 0..5 {
                let temp = format!("u{i}-{k}");
                client
                    .send(ClientEvent::SendMessage {
                        conversation_id: group,
                        temp_id: temp,
                        body: format!("hello {i} {k}"),
                        reply_to: None,
                        attachments: Vec::new(),
                    })
                    .await;
            }
            client
                .send(ClientEvent::SendMessage {
                    conversation_id: group,
                    temp_id: format!("u{i}-0"),
                    body: "retry".into(),
                    reply_to: None,
                    attachments: Vec::new(),
                })
                .await;
            let mut mine = Vec::new();
            for _ in 0..6 {
                match client
                    .expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
                    .await
                {
                    ServerEvent::MessageAck { temp_id, message } => mine.push((temp_id, message)),
                    _ => unreachable!(),
                }
            }
            mine
        },
    ))
    .await;
    let mut seqs = BTreeSet::new();
    for (i, mine) in acks.iter().enumerate() {
        let (retry_temp, retry) = &mine[5];
        assert_eq!(retry_temp, &format!("u{i}-0"));
        assert_eq!(retry, &mine[0].1, "a retried temp id returns the original");
        let own: Vec<Seq> = mine[..5].iter().map(|(_, m)| m.seq).collect();
        assert!(
            own.windows(2).all(|w| w[0] < w[1]),
            "one sender's order is kept"
        );
        for (temp, m) in &mine[..5] {
            assert_eq!(
                m.body,
                format!("hello {}", temp.replace(['u', '-'], " ").trim())
            );
            assert!(seqs.insert(m.seq), "sequence number {} given twice", m.seq);
        }
    }
    assert_eq!(seqs, (1..=100).collect::<BTreeSet<Seq>>(), "no gaps");
    // Another member gets every message, in sequence order; a retry publishes its original
    // again (at least once: its instance might have died before publishing it), and that is
    // only ever a repeat of one it already has.
    let mut received = Vec::new();
    let mut repeats = 0;
    let mut note = |message: &protocol::Message, received: &mut Vec<Seq>| {
        if received.contains(&message.seq) {
            repeats += 1;
        } else {
            received.push(message.seq);
        }
    };
    while received.len() < 100 {
        if let ServerEvent::MessageNew { message } = watcher
            .expect(|e| matches!(e, ServerEvent::MessageNew { .. }))
            .await
        {
            note(&message, &mut received);
        }
    }
    for event in watcher.collect_for(Duration::from_millis(300)).await {
        if let ServerEvent::MessageNew { message } = event {
            note(&message, &mut received);
        }
    }
    assert_eq!(received, (1..=100).collect::<Vec<Seq>>());
    assert!(repeats <= 20, "only the 20 retries repeat: {repeats}");
}

#[tokio::test]
async fn membership_changes_take_effect_in_fan_out_at_once() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
    );
    let group = app.group(&alice, "Room", &[&bob]).await;
    let mut a = app.connect(&alice).await;
    // Carol is connected before she is a member: no reconnect is needed after the change.
    let mut c = app.connect(&carol).await;
    let (status, _) = app.add_member(&alice, group, carol.id()).await;
    assert_eq!(status, 200);
    send(&mut a, group, "after-add").await;
    c.expect(
        |e| matches!(e, ServerEvent::MessageNew { message } if message.conversation_id == group),
    )
    .await;
    send(&mut c, group, "carol-speaks").await;

    let (status, _) = app.remove_member(&alice, group, carol.id()).await;
    assert_eq!(status, 204);
    c.expect(|e| matches!(e, ServerEvent::ConversationRemoved { .. }))
        .await;
    send(&mut a, group, "after-remove").await;
    c.expect_silence(Duration::from_millis(300), |e| {
        matches!(
            e,
            ServerEvent::MessageNew { .. } | ServerEvent::TypingStarted { .. }
        )
    })
    .await;
    c.send(ClientEvent::SendMessage {
        conversation_id: group,
        temp_id: "sneak".into(),
        body: "still here?".into(),
        reply_to: None,
        attachments: Vec::new(),
    })
    .await;
    c.expect_error(ErrorCode::NotAMember).await;
    c.send(ClientEvent::TypingStart {
        conversation_id: group,
    })
    .await;
    c.expect_error(ErrorCode::NotAMember).await;
}
