//! Blocking: no direct messages either way (`BLOCKED`), the blocked person's presence hidden
//! from the blocker (at once, and on later subscriptions), mentions by them ring nobody who
//! blocked them, every session of the blocker told; unblocking restores all of it.

use crate::helpers::*;
use protocol::{ClientEvent, ErrorCode, PresenceStatus, ServerEvent};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

async fn set_block(app: &TestApp, who: &TestUser, whom: &TestUser, block: bool) -> Value {
    let method = if block { Method::PUT } else { Method::DELETE };
    let path = format!("/api/users/{}/block", whom.id());
    let (status, body) = app.request(method, &path, Some(&who.token), None).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn dm(recipient: &TestUser, temp: &str) -> ClientEvent {
    ClientEvent::SendDirectMessage {
        recipient_id: recipient.id(),
        temp_id: temp.into(),
        body: format!("hello {temp}"),
    }
}

#[tokio::test]
async fn a_blocked_pair_cannot_exchange_direct_messages_until_unblocked() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    // A conversation before the block.
    a.send(dm(&bob, "t1")).await;
    let first = a.acked().await;
    b.expect(|e| matches!(e, ServerEvent::MessageNew { .. }))
        .await;

    let mut a2 = app.connect(&alice).await;
    let profile = set_block(&app, &alice, &bob, true).await;
    assert_eq!(profile["blocked_by_me"], true);
    // Every session of Alice is told; Bob is not.
    for session in [&mut a, &mut a2] {
        let told = session
            .expect(|e| matches!(e, ServerEvent::BlocksChanged { .. }))
            .await;
        assert_eq!(
            told,
            ServerEvent::BlocksChanged {
                user_id: bob.id(),
                blocked: true
            }
        );
    }
    b.expect_silence(Duration::from_millis(200), |e| {
        matches!(e, ServerEvent::BlocksChanged { .. })
    })
    .await;
    // Blocking twice changes nothing and says nothing.
    set_block(&app, &alice, &bob, true).await;
    a.expect_silence(Duration::from_millis(200), |e| {
        matches!(e, ServerEvent::BlocksChanged { .. })
    })
    .await;
    let (_, list) = app.get("/api/blocks", &alice.token).await;
    assert_eq!(list["users"][0]["id"], json!(bob.id()));
    assert_eq!(list["users"].as_array().unwrap().len(), 1);

    // Neither way, by either event, nor a new direct conversation; the reason says which way.
    b.send_with_id("b1", dm(&alice, "t2")).await;
    let refused = b.expect_error(ErrorCode::Blocked).await;
    assert_eq!(refused.id.as_deref(), Some("b1"));
    match refused.event {
        ServerEvent::Error { message, .. } => {
            assert!(message.contains("not accepting"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    a.send(ClientEvent::SendMessage {
        conversation_id: first.conversation_id,
        temp_id: "t3".into(),
        body: "still there?".into(),
        reply_to: None,
        attachments: Vec::new(),
    })
    .await;
    match a.expect_error(ErrorCode::Blocked).await.event {
        ServerEvent::Error { message, .. } => assert!(message.contains("unblock"), "{message}"),
        other => panic!("{other:?}"),
    }
    // Their existing conversation still opens (its history is theirs), but a new one with
    // someone who blocked you cannot be started.
    let (status, body) = app
        .post(
            "/api/conversations",
            &bob.token,
            json!({"kind": "direct", "user_id": alice.id()}),
        )
        .await;
    assert_eq!((status, &body["id"]), (200, &json!(first.conversation_id)));
    let carol = app.register("carol").await;
    set_block(&app, &carol, &bob, true).await;
    let (status, body) = app
        .post(
            "/api/conversations",
            &bob.token,
            json!({"kind": "direct", "user_id": carol.id()}),
        )
        .await;
    assert_eq!((status, &body["error"]["code"]), (403, &json!("BLOCKED")));
    b.send_with_id("b2", dm(&carol, "t7")).await;
    assert_eq!(
        b.expect_error(ErrorCode::Blocked).await.id.as_deref(),
        Some("b2")
    );
    // Nothing was stored: the history still has the one message.
    let path = format!("/api/conversations/{}/messages", first.conversation_id);
    let (_, page) = app.get(&path, &alice.token).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);

    // Unblocking restores it.
    let profile = set_block(&app, &alice, &bob, false).await;
    assert_eq!(profile["blocked_by_me"], false);
    a.expect(|e| {
        matches!(e, ServerEvent::BlocksChanged { blocked: false, user_id } if *user_id == bob.id())
    })
    .await;
    b.send(dm(&alice, "t5")).await;
    b.acked().await;
    let (_, list) = app.get("/api/blocks", &alice.token).await;
    assert_eq!(list["users"], json!([]));
}

#[tokio::test]
async fn the_blocked_persons_presence_is_hidden_from_the_blocker() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
    );
    app.group(&alice, "Club", &[&bob, &carol]).await;
    let mut a = app.connect(&alice).await;
    let mut c = app.connect(&carol).await;
    let mut b = app.connect(&bob).await;
    assert_eq!(a.watch(&[&bob]).await.len(), 1);
    c.watch(&[&bob]).await;

    set_block(&app, &alice, &bob, true).await;
    a.expect(|e| matches!(e, ServerEvent::BlocksChanged { .. }))
        .await;
    // Bob goes away: Carol sees it, Alice (who blocked him) does not.
    b.send(ClientEvent::SetPresence {
        status: PresenceStatus::Away,
    })
    .await;
    let bob_changed = |e: &ServerEvent| match e {
        ServerEvent::PresenceChanged { users } => users.iter().any(|p| p.user_id == bob.id()),
        _ => false,
    };
    c.expect(bob_changed).await;
    a.expect_silence(Duration::from_millis(400), bob_changed)
        .await;
    // Nor can she watch him again, on any session.
    assert!(a.watch(&[&bob]).await.is_empty());
    let mut a2 = app.connect(&alice).await;
    assert!(a2
        .watch(&[&bob, &carol])
        .await
        .iter()
        .all(|p| p.user_id != bob.id()));
    // Bob still sees Alice: the block hides him from her, not her from him.
    assert_eq!(b.watch(&[&alice]).await.len(), 1);

    // Unblocked: she may watch him again.
    set_block(&app, &alice, &bob, false).await;
    let again = a.watch(&[&bob]).await;
    assert_eq!((again.len(), again[0].status), (1, PresenceStatus::Away));
}

#[tokio::test]
async fn a_mention_by_a_blocked_person_rings_nobody_who_blocked_them() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
    );
    let group = app.group(&alice, "Club", &[&bob, &carol]).await;
    set_block(&app, &alice, &bob, true).await;
    let mut b = app.connect(&bob).await;
    let mut a = app.connect(&alice).await;
    let mut c = app.connect(&carol).await;
    // In a shared group the message is delivered (Alice's app collapses it), but only Carol's
    // bell rings.
    b.say(group, "m1", "@alice @carol look").await;
    a.expect(|e| matches!(e, ServerEvent::MessageNew { .. }))
        .await;
    c.expect(|e| matches!(e, ServerEvent::NotificationNew { .. }))
        .await;
    a.expect_silence(Duration::from_millis(500), |e| {
        matches!(e, ServerEvent::NotificationNew { .. })
    })
    .await;
}

#[tokio::test]
async fn blocking_is_checked() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let path = format!("/api/users/{}/block", alice.id());
    let (status, body) = app
        .request(Method::PUT, &path, Some(&alice.token), None)
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (422, &json!("VALIDATION_FAILED"))
    );
    let path = format!("/api/users/{}/block", protocol::UserId::new());
    let (status, body) = app
        .request(Method::PUT, &path, Some(&alice.token), None)
        .await;
    assert_eq!((status, &body["error"]["code"]), (404, &json!("NOT_FOUND")));
    let (status, _) = app.request(Method::GET, "/api/blocks", None, None).await;
    assert_eq!(status, 401);
}
