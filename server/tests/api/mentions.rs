//! Mentions: `@username` names a member; the message carries who it mentions, the mentioned
//! get a notification (not the sender, not outsiders, once per message), and the conversation
//! list counts unread mentions until they are read or the message is deleted.

use crate::helpers::*;
use protocol::{ClientEvent, NotificationKind, ServerEvent};
use std::time::Duration;

fn send(group: protocol::ConversationId, temp: &str, body: &str) -> ClientEvent {
    ClientEvent::SendMessage {
        conversation_id: group,
        temp_id: temp.into(),
        body: body.into(),
        reply_to: None,
        attachments: Vec::new(),
    }
}

/// `(unread, unread_mentions)` of a conversation in `user`'s list.
async fn counts(app: &TestApp, user: &TestUser, group: protocol::ConversationId) -> (i64, i64) {
    let (status, list) = app.get("/api/conversations", &user.token).await;
    assert_eq!(status, 200, "{list}");
    let c = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == group.to_string())
        .expect("the conversation is listed")
        .clone();
    (
        c["unread"].as_i64().unwrap(),
        c["unread_mentions"].as_i64().unwrap_or(0),
    )
}

#[tokio::test]
async fn mentions_name_members_only_ring_their_bells_and_count_until_read() {
    let app = spawn_app().await;
    let Pair {
        alice,
        bob,
        group,
        mut a,
        mut b,
    } = app.pair_in_group().await;
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    let (status, _) = app.add_member(&alice, group, carol.id()).await;
    assert_eq!(status, 200);
    let mut c = app.connect(&carol).await;

    let body = "@Bob and @carol, see @dave and @nobody. mail@bob.org";
    a.send(send(group, "m1", body)).await;
    let message = a.acked().await;
    assert_eq!(
        message.mentions,
        vec![bob.id(), carol.id()],
        "members only, in order"
    );
    let live = b
        .expect(|e| matches!(e, ServerEvent::MessageNew { .. }))
        .await;
    assert_eq!(message_of(&live).mentions, message.mentions);

    // Each mentioned member's bell rings, carol's too though she never opened the group.
    for client in [&mut b, &mut c] {
        let event = client
            .expect(|e| matches!(e, ServerEvent::NotificationNew { .. }))
            .await;
        let ServerEvent::NotificationNew { notification, .. } = event else {
            unreachable!()
        };
        assert_eq!(notification.kind, NotificationKind::Mentioned);
        assert_eq!(notification.actor.id, alice.id());
        assert_eq!(notification.message_id, Some(message.id));
        assert_eq!(notification.conversation_id, Some(group));
        assert_eq!(notification.conversation_title.as_deref(), Some("Room"));
        assert_eq!(notification.text.as_deref(), Some(body));
    }
    a.expect_silence(Duration::from_millis(300), |e| {
        matches!(e, ServerEvent::NotificationNew { .. })
    })
    .await;
    let (_, theirs) = app.get("/api/notifications", &dave.token).await;
    assert_eq!(
        theirs["notifications"].as_array().unwrap().len(),
        0,
        "{theirs}"
    );

    // A retry of the same send rings nobody again.
    a.send(send(group, "m1", body)).await;
    assert_eq!(a.acked().await.id, message.id);
    b.expect_silence(Duration::from_millis(400), |e| {
        matches!(e, ServerEvent::NotificationNew { .. })
    })
    .await;

    // The list counts unread mentions; a message without one adds to unread only.
    a.send(send(group, "m2", "lunch?")).await;
    a.acked().await;
    assert_eq!(counts(&app, &carol, group).await, (2, 1));
    assert_eq!(counts(&app, &alice, group).await, (0, 0));
    // History carries them.
    let (_, page) = app
        .get(
            &format!("/api/conversations/{group}/messages"),
            &carol.token,
        )
        .await;
    assert_eq!(page["messages"][0]["mentions"].as_array().unwrap().len(), 2);
    assert!(
        page["messages"][1].get("mentions").is_none(),
        "absent when none"
    );

    // Reading past it clears carol's; deleting the message clears bob's.
    c.send(ClientEvent::MarkRead {
        conversation_id: group,
        up_to_seq: message.seq,
    })
    .await;
    c.expect(|e| matches!(e, ServerEvent::UnreadChanged { .. }))
        .await;
    assert_eq!(counts(&app, &carol, group).await, (1, 0));
    assert_eq!(counts(&app, &bob, group).await, (2, 1));
    a.send(ClientEvent::DeleteMessage {
        message_id: message.id,
    })
    .await;
    let deleted = b
        .expect(|e| matches!(e, ServerEvent::MessageDeleted { .. }))
        .await;
    assert!(
        message_of(&deleted).mentions.is_empty(),
        "a tombstone mentions nobody"
    );
    assert_eq!(counts(&app, &bob, group).await.1, 0);
}

#[tokio::test]
async fn a_direct_message_mentions_its_partner() {
    let app = spawn_app().await;
    let (ann, ben) = (app.register("ann").await, app.register("ben").await);
    let mut a = app.connect(&ann).await;
    let mut b = app.connect(&ben).await;
    a.send(ClientEvent::SendDirectMessage {
        recipient_id: ben.id(),
        temp_id: "d1".into(),
        body: "hey @ben".into(),
    })
    .await;
    let message = a.acked().await;
    assert_eq!(message.mentions, vec![ben.id()]);
    b.expect(|e| {
        matches!(e, ServerEvent::NotificationNew { notification, .. }
            if notification.kind == NotificationKind::Mentioned)
    })
    .await;
}
