//! Muting a conversation: its direct messages ring no bell while it holds (a mention still
//! rings), every session of the muter is told, the list says so, and the mute ends when
//! unmuted or at its time.

use crate::helpers::*;
use protocol::{ConversationId, Muted, NotificationKind, ServerEvent};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn mute(app: &TestApp, who: &TestUser, id: ConversationId, body: Value) -> (u16, Value) {
    let path = format!("/api/conversations/{id}/mute");
    app.request(Method::PUT, &path, Some(&who.token), Some(body))
        .await
}

async fn unmute(app: &TestApp, who: &TestUser, id: ConversationId) -> (u16, Value) {
    let path = format!("/api/conversations/{id}/mute");
    app.request(Method::DELETE, &path, Some(&who.token), None)
        .await
}

/// `muted` of conversation `id` in `who`'s list (`Null` when absent).
async fn listed_mute(app: &TestApp, who: &TestUser, id: ConversationId) -> Value {
    let (status, list) = app.get("/api/conversations", &who.token).await;
    assert_eq!(status, 200, "{list}");
    let entry = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == json!(id))
        .unwrap()
        .clone();
    entry.get("muted").cloned().unwrap_or(Value::Null)
}

/// Waits for a bell entry, or asserts none comes in `window`.
async fn rang(client: &mut TestClient) -> protocol::Notification {
    match client
        .expect(|e| matches!(e, ServerEvent::NotificationNew { .. }))
        .await
    {
        ServerEvent::NotificationNew { notification, .. } => notification,
        _ => unreachable!(),
    }
}

async fn no_ring(client: &mut TestClient) {
    client
        .expect_silence(Duration::from_millis(400), |e| {
            matches!(e, ServerEvent::NotificationNew { .. })
        })
        .await;
}

async fn read_all(app: &TestApp, who: &TestUser, newest: &protocol::Notification) {
    let (status, body) = app
        .post(
            "/api/notifications/read",
            &who.token,
            json!({"up_to": newest.id}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_muted_direct_conversation_rings_no_bell_until_unmuted_or_its_time_is_up() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let (status, body) = app
        .post(
            "/api/conversations",
            &alice.token,
            json!({"kind": "direct", "user_id": bob.id()}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let dm: ConversationId = serde_json::from_value(body["id"].clone()).unwrap();
    let mut a = app.connect(&alice).await;
    let mut a2 = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;

    // Muted until unmuted: every session of Alice is told, Bob is not; her list says so, his not.
    let (status, body) = mute(&app, &alice, dm, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"conversation_id": dm, "muted": {"until": null}})
    );
    for session in [&mut a, &mut a2] {
        let told = session
            .expect(|e| matches!(e, ServerEvent::MuteChanged { .. }))
            .await;
        assert_eq!(
            told,
            ServerEvent::MuteChanged {
                conversation_id: dm,
                muted: Some(Muted { until: None })
            }
        );
    }
    b.expect_silence(Duration::from_millis(200), |e| {
        matches!(e, ServerEvent::MuteChanged { .. })
    })
    .await;
    assert_eq!(listed_mute(&app, &alice, dm).await, json!({"until": null}));
    assert_eq!(listed_mute(&app, &bob, dm).await, Value::Null);

    // Bob's messages still arrive, but ring nothing, and the bell stays empty.
    b.say(dm, "t1", "Are you there?").await;
    a.expect(|e| matches!(e, ServerEvent::MessageNew { .. }))
        .await;
    no_ring(&mut a).await;
    let (_, bell) = app.get("/api/notifications", &alice.token).await;
    assert_eq!(bell["unread"], 0, "{bell}");
    // Her unread count still counts them.
    let (_, list) = app.get("/api/conversations", &alice.token).await;
    assert_eq!(list["conversations"][0]["unread"], 1, "{list}");

    // Unmuted (twice: idempotent): the next message rings.
    for _ in 0..2 {
        let (status, body) = unmute(&app, &alice, dm).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body, json!({"conversation_id": dm, "muted": null}));
    }
    let unmuted = a2
        .expect(|e| matches!(e, ServerEvent::MuteChanged { .. }))
        .await;
    assert_eq!(
        unmuted,
        ServerEvent::MuteChanged {
            conversation_id: dm,
            muted: None
        }
    );
    // Once: the second unmute changed nothing and says nothing.
    a2.expect_silence(Duration::from_millis(200), |e| {
        matches!(e, ServerEvent::MuteChanged { .. })
    })
    .await;
    assert_eq!(listed_mute(&app, &alice, dm).await, Value::Null);
    b.say(dm, "t2", "Hello?").await;
    let ring = rang(&mut a).await;
    assert_eq!(ring.kind, NotificationKind::MessageReceived);
    read_all(&app, &alice, &ring).await;

    // Muted for a moment: quiet while it holds, ringing again once it has ended by itself.
    let until = now_ms() + 1_500;
    let (status, body) = mute(&app, &alice, dm, json!({ "until": until })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["muted"], json!({ "until": until }));
    assert_eq!(
        listed_mute(&app, &alice, dm).await,
        json!({ "until": until })
    );
    b.say(dm, "t3", "Still there?").await;
    a.expect(|e| matches!(e, ServerEvent::MessageNew { .. }))
        .await;
    no_ring(&mut a).await;
    let left = until - now_ms() + 100;
    tokio::time::sleep(Duration::from_millis(left.max(0) as u64)).await;
    assert_eq!(listed_mute(&app, &alice, dm).await, Value::Null);
    b.say(dm, "t4", "Ping").await;
    assert_eq!(rang(&mut a).await.kind, NotificationKind::MessageReceived);
}

#[tokio::test]
async fn a_mention_in_a_muted_group_still_rings() {
    let app = spawn_app().await;
    let mut pair = app.pair_in_group().await;
    let (status, body) = mute(&app, &pair.alice, pair.group, json!({"until": null})).await;
    assert_eq!(status, 200, "{body}");
    pair.b.say(pair.group, "t1", "hey @alice, look").await;
    let ring = rang(&mut pair.a).await;
    assert_eq!(ring.kind, NotificationKind::Mentioned);
}

#[tokio::test]
async fn only_members_mute_and_only_for_a_while_ahead() {
    let app = spawn_app().await;
    let pair = app.pair_in_group().await;
    let carol = app.register("carol").await;
    let group = pair.group;

    // Not a member, no such conversation, not an id: nothing to mute.
    let (status, body) = mute(&app, &carol, group, json!({})).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("NOT_FOUND")),
        "{body}"
    );
    let (status, body) = unmute(&app, &carol, group).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = mute(&app, &pair.alice, ConversationId::new(), json!({})).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = app
        .request(
            Method::PUT,
            "/api/conversations/not-an-id/mute",
            Some(&pair.alice.token),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 404, "{body}");

    // The past, or more than a year ahead: refused, and nothing changed.
    for until in [now_ms() - 1_000, now_ms() + 400 * 24 * 3_600_000] {
        let (status, body) = mute(&app, &pair.alice, group, json!({ "until": until })).await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (422, &json!("VALIDATION_FAILED")),
            "{body}"
        );
    }
    let (status, body) = mute(&app, &pair.alice, group, json!({"until": "soon"})).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("INVALID_PAYLOAD")),
        "{body}"
    );
    assert_eq!(listed_mute(&app, &pair.alice, group).await, Value::Null);
    let (status, _) = app
        .request(
            Method::PUT,
            &format!("/api/conversations/{group}/mute"),
            None,
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 401);
}
