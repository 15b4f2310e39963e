//! Notifications: created when someone adds or removes you, pushed live with the bell count,
//! listed over REST, and read on every device at once.

use crate::helpers::*;
use protocol::{NotificationKind, ServerEvent};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn being_added_or_removed_notifies_and_reading_clears_every_session() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
    );
    let mut a = app.connect(&alice).await;
    let mut b1 = app.connect(&bob).await;
    let mut b2 = app.connect(&bob).await;

    let group = app.group(&alice, "Plans", &[&bob]).await;
    for b in [&mut b1, &mut b2] {
        let event = b
            .expect(|e| matches!(e, ServerEvent::NotificationNew { .. }))
            .await;
        let ServerEvent::NotificationNew {
            notification,
            unread_notifications,
        } = event
        else {
            unreachable!()
        };
        assert_eq!(unread_notifications, 1);
        assert_eq!(notification.kind, NotificationKind::AddedToConversation);
        assert_eq!(notification.actor.id, alice.id());
        assert_eq!(notification.conversation_id, Some(group));
        assert_eq!(notification.conversation_title.as_deref(), Some("Plans"));
    }
    // The creator is not notified of her own action.
    a.expect_silence(Duration::from_millis(300), |e| {
        matches!(e, ServerEvent::NotificationNew { .. })
    })
    .await;

    let (status, _) = app.add_member(&alice, group, carol.id()).await;
    assert_eq!(status, 200);
    let (status, _) = app.remove_member(&alice, group, bob.id()).await;
    assert_eq!(status, 204);
    b1.expect(|e| {
        matches!(
            e,
            ServerEvent::NotificationNew {
                unread_notifications: 2,
                ..
            }
        )
    })
    .await;

    let (status, list) = app.get("/api/notifications", &bob.token).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["unread"], 2);
    let kinds: Vec<_> = list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["removed_from_conversation", "added_to_conversation"],
        "newest first"
    );
    let (_, carols) = app.get("/api/notifications", &carol.token).await;
    assert_eq!(carols["unread"], 1, "each user sees only their own");

    // Reading up to the older one leaves the newer unread; then everything.
    let older = list["notifications"][1]["id"].clone();
    let newer = list["notifications"][0]["id"].clone();
    let (_, left) = app
        .post(
            "/api/notifications/read",
            &bob.token,
            json!({"up_to": older}),
        )
        .await;
    assert_eq!(left["unread"], 1);
    let (_, left) = app
        .post(
            "/api/notifications/read",
            &bob.token,
            json!({"up_to": newer}),
        )
        .await;
    assert_eq!(left["unread"], 0);
    for b in [&mut b1, &mut b2] {
        b.expect(|e| {
            matches!(
                e,
                ServerEvent::NotificationsRead {
                    unread_notifications: 0
                }
            )
        })
        .await;
    }
    // A new session starts with the bell count in its snapshot.
    let mut c = app.connect_raw(Some(&carol.token), &[]).await.unwrap();
    c.expect(|e| {
        matches!(
            e,
            ServerEvent::UnreadSnapshot {
                notifications: 1,
                ..
            }
        )
    })
    .await;

    let (status, body) = app
        .post(
            "/api/notifications/read",
            &bob.token,
            json!({"up_to": "nope"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("INVALID_PAYLOAD"))
    );
}

#[tokio::test]
async fn opening_the_conversation_reads_the_notifications_about_it() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let mut b1 = app.connect(&bob).await;
    let mut b2 = app.connect(&bob).await;
    let plans = app.group(&alice, "Plans", &[&bob]).await;
    app.group(&alice, "Games", &[&bob]).await;
    b1.expect(|e| {
        matches!(
            e,
            ServerEvent::NotificationNew {
                unread_notifications: 2,
                ..
            }
        )
    })
    .await;

    // Opening "Plans" reads its notification, not the one about "Games"; both sessions hear it.
    b1.send(protocol::ClientEvent::JoinConversation {
        conversation_id: plans,
    })
    .await;
    for b in [&mut b1, &mut b2] {
        b.expect(|e| {
            matches!(
                e,
                ServerEvent::NotificationsRead {
                    unread_notifications: 1
                }
            )
        })
        .await;
    }
    let (_, list) = app.get("/api/notifications", &bob.token).await;
    let read: Vec<_> = list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["conversation_title"].as_str().unwrap(),
                n["read"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(read, [("Games", false), ("Plans", true)]);

    // Opening it again has nothing left to read: no event.
    b1.send(protocol::ClientEvent::JoinConversation {
        conversation_id: plans,
    })
    .await;
    b1.expect(|e| matches!(e, ServerEvent::ConversationJoined { .. }))
        .await;
    b2.expect_silence(Duration::from_millis(300), |e| {
        matches!(e, ServerEvent::NotificationsRead { .. })
    })
    .await;
}

#[tokio::test]
async fn a_direct_message_rings_the_bell_once_unless_the_conversation_is_open() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    let dm = |temp: &str, body: &str| protocol::ClientEvent::SendDirectMessage {
        recipient_id: alice.id(),
        temp_id: temp.into(),
        body: body.into(),
    };

    b.send(dm("t1", "Are you free tonight?")).await;
    let conversation = match a
        .expect(|e| matches!(e, ServerEvent::NotificationNew { .. }))
        .await
    {
        ServerEvent::NotificationNew {
            notification,
            unread_notifications,
        } => {
            assert_eq!(notification.kind, NotificationKind::MessageReceived);
            assert_eq!(notification.actor.id, bob.id());
            assert_eq!(notification.text.as_deref(), Some("Are you free tonight?"));
            assert_eq!(unread_notifications, 1);
            notification.conversation_id.unwrap()
        }
        _ => unreachable!(),
    };
    // Until alice reads it, more messages do not ring again; the sender never hears a bell.
    b.send(dm("t2", "Dinner?")).await;
    a.expect(|e| matches!(e, ServerEvent::MessageNew { .. }))
        .await;
    a.expect_silence(Duration::from_millis(300), |e| {
        matches!(e, ServerEvent::NotificationNew { .. })
    })
    .await;
    b.expect_silence(Duration::from_millis(100), |e| {
        matches!(e, ServerEvent::NotificationNew { .. })
    })
    .await;

    // Opening the conversation reads it; while it is open, messages ring nothing.
    a.send(protocol::ClientEvent::JoinConversation {
        conversation_id: conversation,
    })
    .await;
    a.expect(|e| {
        matches!(
            e,
            ServerEvent::NotificationsRead {
                unread_notifications: 0
            }
        )
    })
    .await;
    b.send(dm("t3", "See you at 8")).await;
    a.expect(|e| matches!(e, ServerEvent::MessageNew { .. }))
        .await;
    a.expect_silence(Duration::from_millis(300), |e| {
        matches!(e, ServerEvent::NotificationNew { .. })
    })
    .await;
}
