//! Presence by subscription: watchers get a snapshot on subscribe and changes after, nobody else
//! does; across devices, with the offline transition and its grace period, away, appearing
//! offline, batching, and the per-connection bound.

use crate::helpers::*;
use protocol::{ClientEvent, ErrorCode, Presence, PresenceStatus, ServerEvent, UserId};
use std::time::Duration;

/// The entry of `user` in a presence batch, if any.
fn entry_of(e: &ServerEvent, user: UserId) -> Option<&Presence> {
    match e {
        ServerEvent::PresenceChanged { users } => users.iter().find(|p| p.user_id == user),
        _ => None,
    }
}

/// Any presence change of `user` (a session also hears its own user's changes, so tests must
/// not count those).
fn any_presence_of(user: &TestUser) -> impl Fn(&ServerEvent) -> bool + '_ {
    move |e| entry_of(e, user.id()).is_some()
}

fn presence_of(user: &TestUser, status: PresenceStatus) -> impl Fn(&ServerEvent) -> bool + '_ {
    move |e| entry_of(e, user.id()).is_some_and(|p| p.status == status)
}

#[tokio::test]
async fn presence_goes_only_to_watchers_with_a_snapshot_on_subscribe() {
    let app = spawn_app().await;
    let (alice, bob, carol, dave) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
        app.register("dave").await,
    );
    app.group(&alice, "Trio", &[&bob, &carol]).await;
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    let mut c = app.connect(&carol).await;

    // Nothing is announced on connect: Bob watches nobody yet and hears of nobody else.
    b.expect_silence(Duration::from_millis(300), |e| match e {
        ServerEvent::PresenceSnapshot { .. } => true,
        ServerEvent::PresenceChanged { users } => users.iter().any(|p| p.user_id != bob.id()),
        _ => false,
    })
    .await;
    // The snapshot answers at once; Dave shares no conversation with Bob and is left out.
    let mut snapshot = b.watch(&[&alice, &carol, &dave]).await;
    snapshot.sort_by_key(|p| p.user_id != alice.id());
    assert_eq!(snapshot.len(), 2);
    assert_eq!(
        (snapshot[0].user_id, snapshot[0].status),
        (alice.id(), PresenceStatus::Online)
    );
    assert_eq!(
        (snapshot[1].user_id, snapshot[1].status),
        (carol.id(), PresenceStatus::Online)
    );

    // Dave connects and goes away: nobody may watch him, nobody hears.
    let mut d = app.connect(&dave).await;
    d.send(ClientEvent::SetPresence {
        status: PresenceStatus::Away,
    })
    .await;
    // Alice goes away: Bob (watching) hears it, Carol (not watching) does not.
    a.send(ClientEvent::SetPresence {
        status: PresenceStatus::Away,
    })
    .await;
    b.expect(presence_of(&alice, PresenceStatus::Away)).await;
    c.expect_silence(Duration::from_millis(300), any_presence_of(&alice))
        .await;
    b.expect_silence(Duration::from_millis(100), any_presence_of(&dave))
        .await;

    // After unsubscribing, Bob hears nothing more of Alice.
    b.send(ClientEvent::UnsubscribePresence {
        user_ids: vec![alice.id()],
    })
    .await;
    b.send_with_id("p", ClientEvent::Ping).await;
    b.expect_frame(|f| f.id.as_deref() == Some("p")).await;
    a.send(ClientEvent::SetPresence {
        status: PresenceStatus::Online,
    })
    .await;
    b.expect_silence(Duration::from_millis(300), any_presence_of(&alice))
        .await;
    let (_, health) = app.get("/health", &bob.token).await;
    assert_eq!(
        health["presence_subscriptions"], 1,
        "Bob still watches Carol"
    );
}

#[tokio::test]
async fn presence_follows_the_last_session_and_keeps_last_seen() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    app.group(&alice, "Pair", &[&bob]).await;
    let mut b = app.connect(&bob).await;
    assert_eq!(b.watch(&[&alice]).await[0].status, PresenceStatus::Offline);

    let a1 = app.connect(&alice).await;
    b.expect(presence_of(&alice, PresenceStatus::Online)).await;
    let a2 = app.connect(&alice).await;
    // A second device changes nothing for others.
    b.expect_silence(Duration::from_millis(300), any_presence_of(&alice))
        .await;
    a1.close().await;
    // Grace (300 ms in tests) passes, but one session remains: still online.
    b.expect_silence(Duration::from_millis(700), any_presence_of(&alice))
        .await;
    a2.close().await;
    let offline = b.expect(presence_of(&alice, PresenceStatus::Offline)).await;
    let last_seen = entry_of(&offline, alice.id()).unwrap().last_seen_at;
    assert!(last_seen.is_some());

    // A fresh session of Bob gets Alice's last-seen in its snapshot.
    let mut b2 = app.connect(&bob).await;
    let snapshot = b2.watch(&[&alice]).await;
    assert_eq!(snapshot.len(), 1);
    assert_eq!(snapshot[0].status, PresenceStatus::Offline);
    assert_eq!(snapshot[0].last_seen_at, last_seen);
}

#[tokio::test]
async fn a_quick_reconnect_is_not_announced_as_offline() {
    let app = spawn_app_with(&["--presence-grace-ms", "1500"]).await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    app.group(&alice, "Pair", &[&bob]).await;
    let mut b = app.connect(&bob).await;
    b.watch(&[&alice]).await;
    let a = app.connect(&alice).await;
    b.expect(presence_of(&alice, PresenceStatus::Online)).await;
    a.close().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _a = app.connect(&alice).await;
    b.expect_silence(Duration::from_millis(2000), any_presence_of(&alice))
        .await;
}

#[tokio::test]
async fn away_is_announced_when_every_session_is_away() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    app.group(&alice, "Pair", &[&bob]).await;
    let mut b = app.connect(&bob).await;
    b.watch(&[&alice]).await;
    let mut a1 = app.connect(&alice).await;
    let mut a2 = app.connect(&alice).await;
    b.expect(presence_of(&alice, PresenceStatus::Online)).await;

    a1.send(ClientEvent::SetPresence {
        status: PresenceStatus::Away,
    })
    .await;
    b.expect_silence(Duration::from_millis(300), any_presence_of(&alice))
        .await;
    let before = protocol_now();
    a2.send(ClientEvent::SetPresence {
        status: PresenceStatus::Away,
    })
    .await;
    let away = b.expect(presence_of(&alice, PresenceStatus::Away)).await;
    // Away carries when the user went away, as their last-seen time.
    let since = entry_of(&away, alice.id())
        .and_then(|p| p.last_seen_at)
        .expect("away has a last-seen time");
    assert!(since >= before && since <= protocol_now(), "{since}");
    // Alice's own sessions hear it too, so every device shows the same status.
    a1.expect(presence_of(&alice, PresenceStatus::Away)).await;
    // A new watcher's snapshot says the same.
    let mut b2 = app.connect(&bob).await;
    let snapshot = b2.watch(&[&alice]).await;
    assert_eq!(
        (snapshot[0].status, snapshot[0].last_seen_at),
        (PresenceStatus::Away, Some(since))
    );
    a2.send(ClientEvent::SetPresence {
        status: PresenceStatus::Online,
    })
    .await;
    let online = b.expect(presence_of(&alice, PresenceStatus::Online)).await;
    assert_eq!(entry_of(&online, alice.id()).unwrap().last_seen_at, None);
}

/// Unix milliseconds now, as the server stamps them.
fn protocol_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test]
async fn appearing_offline_freezes_last_seen_until_a_status_is_chosen() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    app.group(&alice, "Pair", &[&bob]).await;
    let mut b = app.connect(&bob).await;
    b.watch(&[&alice]).await;
    let mut a1 = app.connect(&alice).await;
    b.expect(presence_of(&alice, PresenceStatus::Online)).await;

    a1.send(ClientEvent::SetPresence {
        status: PresenceStatus::Offline,
    })
    .await;
    let hidden = b.expect(presence_of(&alice, PresenceStatus::Offline)).await;
    let frozen = entry_of(&hidden, alice.id()).unwrap().last_seen_at;
    assert!(frozen.is_some());
    // Her own devices see the choice.
    a1.expect(presence_of(&alice, PresenceStatus::Offline))
        .await;

    // Another device connecting or leaving reveals nothing, and last-seen stays frozen.
    let a2 = app.connect(&alice).await;
    a2.close().await;
    b.expect_silence(Duration::from_millis(800), any_presence_of(&alice))
        .await;
    let mut b2 = app.connect(&bob).await;
    let snapshot = b2.watch(&[&alice]).await;
    assert_eq!(snapshot[0].status, PresenceStatus::Offline);
    assert_eq!(snapshot[0].last_seen_at, frozen);

    a1.send(ClientEvent::SetPresence {
        status: PresenceStatus::Online,
    })
    .await;
    b.expect(presence_of(&alice, PresenceStatus::Online)).await;
}

#[tokio::test]
async fn changes_that_happen_together_arrive_as_one_batch() {
    let app = spawn_app_with(&["--presence-batch-ms", "1000"]).await;
    let bob = app.register("bob").await;
    let mut others = Vec::new();
    for name in ["alice", "carol", "dave", "erin"] {
        others.push(app.register(name).await);
    }
    let refs: Vec<&TestUser> = others.iter().collect();
    app.group(&bob, "Five", &refs).await;
    let mut b = app.connect(&bob).await;
    b.watch(&refs).await;
    // Four people connect at once (well within one batching window).
    let sessions = futures_util::future::join_all(others.iter().map(|u| app.connect(u))).await;
    let mut seen = std::collections::HashSet::new();
    let mut frames = 0;
    while seen.len() < others.len() {
        let e = b
            .expect(|e| matches!(e, ServerEvent::PresenceChanged { users } if users.iter().any(|p| p.user_id != bob.id())))
            .await;
        let ServerEvent::PresenceChanged { users } = e else {
            unreachable!()
        };
        frames += 1;
        for p in users {
            assert_eq!(p.status, PresenceStatus::Online);
            seen.insert(p.user_id);
        }
    }
    // At most one window boundary can fall inside the connects: four changes, ≤ 2 frames.
    assert!(frames <= 2, "four arrivals took {frames} frames");
    drop(sessions);
}

#[tokio::test]
async fn watching_is_bounded_per_connection() {
    let app = spawn_app_with(&["--max-presence-subscriptions", "2"]).await;
    let (alice, bob, carol, dave) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
        app.register("dave").await,
    );
    app.group(&alice, "Four", &[&bob, &carol, &dave]).await;
    let mut a = app.connect(&alice).await;
    assert_eq!(a.watch(&[&bob, &carol]).await.len(), 2);
    // Re-watching the same users costs nothing; a third is refused, nothing subscribed.
    assert_eq!(a.watch(&[&bob]).await.len(), 1);
    a.send(ClientEvent::SubscribePresence {
        user_ids: vec![dave.id()],
    })
    .await;
    a.expect_error(ErrorCode::ValidationFailed).await;
    a.send(ClientEvent::UnsubscribePresence {
        user_ids: vec![bob.id()],
    })
    .await;
    assert_eq!(a.watch(&[&dave]).await.len(), 1);
}

#[tokio::test]
async fn busy_is_seen_by_watchers_on_every_device_until_a_status_is_chosen() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    app.group(&alice, "Pair", &[&bob]).await;
    let mut a1 = app.connect(&alice).await;
    let mut a2 = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    b.watch(&[&alice]).await;

    a1.send(ClientEvent::SetPresence {
        status: PresenceStatus::Busy,
    })
    .await;
    let busy = b.expect(presence_of(&alice, PresenceStatus::Busy)).await;
    assert_eq!(entry_of(&busy, alice.id()).unwrap().last_seen_at, None);
    // Her other device hears its own user's new status.
    a2.expect(presence_of(&alice, PresenceStatus::Busy)).await;
    // The other device going away, or a new one connecting, does not end it.
    a2.send(ClientEvent::SetPresence {
        status: PresenceStatus::Away,
    })
    .await;
    let a3 = app.connect(&alice).await;
    b.expect_silence(Duration::from_millis(400), any_presence_of(&alice))
        .await;
    // A late watcher's snapshot says busy.
    let mut b2 = app.connect(&bob).await;
    assert_eq!(b2.watch(&[&alice]).await[0].status, PresenceStatus::Busy);
    // Notifications are kept while busy (the bell still counts).
    let (status, _) = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/users/{}/follow", alice.id()),
            Some(&bob.token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    a1.expect(|e| matches!(e, ServerEvent::NotificationNew { .. }))
        .await;
    // Choosing online ends it for every device.
    a1.send(ClientEvent::SetPresence {
        status: PresenceStatus::Online,
    })
    .await;
    b.expect(presence_of(&alice, PresenceStatus::Online)).await;
    // Leaving while busy ends in offline after the grace period, as always.
    a1.send(ClientEvent::SetPresence {
        status: PresenceStatus::Busy,
    })
    .await;
    b.expect(presence_of(&alice, PresenceStatus::Busy)).await;
    a1.close().await;
    a2.close().await;
    a3.close().await;
    b.expect(presence_of(&alice, PresenceStatus::Offline)).await;
}
