//! Notifications: created when someone adds or removes you, pushed live with the bell count,
//! listed over REST, and read on every device at once.

use crate::helpers::*;
use protocol::{NotificationId, NotificationKind, ReadNotifications, ServerEvent};
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
    let newer_id: NotificationId = serde_json::from_value(newer).unwrap();
    for b in [&mut b1, &mut b2] {
        b.expect(|e| {
            matches!(
                e,
                ServerEvent::NotificationsRead {
                    read: ReadNotifications::UpTo { notification_id },
                    unread_notifications: 0
                } if *notification_id == newer_id
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
                    read: ReadNotifications::Conversation { conversation_id },
                    unread_notifications: 1
                } if *conversation_id == plans
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
                read: ReadNotifications::Conversation { .. },
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

#[tokio::test]
async fn one_is_read_everywhere_older_ones_page_and_a_deleted_post_leaves_the_bell() {
    let app = spawn_app_with(&["--auth-attempts-per-minute", "1000"]).await;
    let alice = app.register("alice").await;
    let mut a1 = app.connect(&alice).await;
    let mut a2 = app.connect(&alice).await;
    let (_, post) = app
        .post(
            "/api/posts",
            &alice.token,
            json!({"body": "Ask me anything"}),
        )
        .await;
    let post = post["id"].as_str().unwrap().to_owned();
    for i in 0..5 {
        let commenter = app.register(&format!("fan{i}")).await;
        let path = format!("/api/posts/{post}/comments");
        let (status, body) = app
            .post(
                &path,
                &commenter.token,
                json!({"body": format!("question {i}")}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    a1.expect(|e| {
        matches!(
            e,
            ServerEvent::NotificationNew {
                unread_notifications: 5,
                ..
            }
        )
    })
    .await;

    // Pages of two, newest first, each older than the last one seen.
    let mut seen: Vec<String> = Vec::new();
    let mut before = String::new();
    loop {
        let path = match before.as_str() {
            "" => "/api/notifications?limit=2".to_owned(),
            id => format!("/api/notifications?limit=2&before={id}"),
        };
        let (status, page) = app.get(&path, &alice.token).await;
        assert_eq!(status, 200, "{page}");
        for n in page["notifications"].as_array().unwrap() {
            seen.push(n["text"].as_str().unwrap().to_owned());
            before = n["id"].as_str().unwrap().to_owned();
        }
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
    }
    let expected: Vec<String> = (0..5).rev().map(|i| format!("question {i}")).collect();
    assert_eq!(seen, expected, "every one once, newest first");

    // Reading one (the oldest) reads only it, on both sessions.
    let oldest: NotificationId = before.parse().unwrap();
    let (status, left) = app
        .post(
            &format!("/api/notifications/{before}/read"),
            &alice.token,
            json!({}),
        )
        .await;
    assert_eq!((status, &left["unread"]), (200, &json!(4)), "{left}");
    for a in [&mut a1, &mut a2] {
        a.expect(|e| {
            matches!(
                e,
                ServerEvent::NotificationsRead {
                    read: ReadNotifications::One { notification_id },
                    unread_notifications: 4,
                } if *notification_id == oldest
            )
        })
        .await;
    }
    // Reading it again changes nothing; someone else cannot read it; nonsense is not found.
    let (_, again) = app
        .post(
            &format!("/api/notifications/{before}/read"),
            &alice.token,
            json!({}),
        )
        .await;
    assert_eq!(again["unread"], 4);
    let mallory = app.register("mallory").await;
    for (path, token) in [
        (format!("/api/notifications/{before}/read"), &mallory.token),
        ("/api/notifications/nope/read".to_owned(), &alice.token),
    ] {
        let (status, body) = app.post(&path, token, json!({})).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("NOT_FOUND")),
            "{path}"
        );
    }

    // Deleting the post takes its notifications out of the bell, on every session.
    let (status, _) = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/posts/{post}"),
            Some(&alice.token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    a2.expect(|e| {
        matches!(
            e,
            ServerEvent::NotificationRemoved {
                unread_notifications: 0,
                ..
            }
        )
    })
    .await;
    let (_, list) = app.get("/api/notifications", &alice.token).await;
    assert_eq!(
        (list["unread"].clone(), list["notifications"].clone()),
        (json!(0), json!([]))
    );
}

#[tokio::test]
async fn a_burst_of_direct_messages_rings_the_bell_once() {
    let app = spawn_app().await;
    let (carol, dan) = (app.register("carol").await, app.register("dan").await);
    let mut c = app.connect(&carol).await;
    let mut d = app.connect(&dan).await;
    for i in 0..6 {
        d.send(protocol::ClientEvent::SendDirectMessage {
            recipient_id: carol.id(),
            temp_id: format!("burst-{i}"),
            body: format!("message {i}"),
        })
        .await;
    }
    let seen = c.collect_for(Duration::from_millis(1500)).await;
    let messages = seen
        .iter()
        .filter(|e| matches!(e, ServerEvent::MessageNew { .. }))
        .count();
    let rings = seen
        .iter()
        .filter(|e| matches!(e, ServerEvent::NotificationNew { .. }))
        .count();
    assert_eq!((messages, rings), (6, 1), "{seen:?}");
    let (_, list) = app.get("/api/notifications", &carol.token).await;
    assert_eq!(list["unread"], 1, "{list}");
}
