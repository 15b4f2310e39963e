//! Presence across devices, the offline transition with its grace period, away, and snapshots.

use crate::helpers::*;
use protocol::{ClientEvent, PresenceStatus, ServerEvent};
use std::time::Duration;

/// Any presence change of `user` (a session also hears its own user's changes, so tests must
/// not count those).
fn any_presence_of(user: &TestUser) -> impl Fn(&ServerEvent) -> bool + '_ {
    move |e| matches!(e, ServerEvent::PresenceChanged { presence } if presence.user_id == user.id())
}

fn presence_of(user: &TestUser, status: PresenceStatus) -> impl Fn(&ServerEvent) -> bool + '_ {
    move |e| {
        matches!(e, ServerEvent::PresenceChanged { presence }
            if presence.user_id == user.id() && presence.status == status)
    }
}

#[tokio::test]
async fn presence_follows_the_last_session_and_keeps_last_seen() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    app.group(&alice, "Pair", &[&bob]).await;
    let mut b = app.connect(&bob).await;

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
    let ServerEvent::PresenceChanged { presence } = offline else {
        unreachable!()
    };
    assert!(presence.last_seen_at.is_some());

    // A fresh session of Bob gets Alice's last-seen in its snapshot.
    let mut b2 = app.connect_raw(Some(&bob.token), &[]).await.unwrap();
    let snapshot = b2
        .expect(|e| matches!(e, ServerEvent::PresenceSnapshot { .. }))
        .await;
    let ServerEvent::PresenceSnapshot { users } = snapshot else {
        unreachable!()
    };
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].user_id, alice.id());
    assert_eq!(users[0].status, PresenceStatus::Offline);
    assert_eq!(users[0].last_seen_at, presence.last_seen_at);
}

#[tokio::test]
async fn a_quick_reconnect_is_not_announced_as_offline() {
    let app = spawn_app_with(&["--presence-grace-ms", "1500"]).await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    app.group(&alice, "Pair", &[&bob]).await;
    let mut b = app.connect(&bob).await;
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
    let mut a1 = app.connect(&alice).await;
    let mut a2 = app.connect(&alice).await;
    b.expect(presence_of(&alice, PresenceStatus::Online)).await;

    a1.send(ClientEvent::SetPresence {
        status: PresenceStatus::Away,
    })
    .await;
    b.expect_silence(Duration::from_millis(300), any_presence_of(&alice))
        .await;
    a2.send(ClientEvent::SetPresence {
        status: PresenceStatus::Away,
    })
    .await;
    b.expect(presence_of(&alice, PresenceStatus::Away)).await;
    // Alice's own sessions hear it too, so every device shows the same status.
    a1.expect(presence_of(&alice, PresenceStatus::Away)).await;
    a2.send(ClientEvent::SetPresence {
        status: PresenceStatus::Online,
    })
    .await;
    b.expect(presence_of(&alice, PresenceStatus::Online)).await;

    a1.send(ClientEvent::SetPresence {
        status: PresenceStatus::Offline,
    })
    .await;
    a1.expect_error(protocol::ErrorCode::ValidationFailed).await;
}

#[tokio::test]
async fn the_snapshot_on_auth_shows_who_is_online() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
    );
    app.group(&alice, "Trio", &[&bob, &carol]).await;
    let _a = app.connect(&alice).await;
    let mut b = app.connect_raw(Some(&bob.token), &[]).await.unwrap();
    let ServerEvent::PresenceSnapshot { mut users } = b
        .expect(|e| matches!(e, ServerEvent::PresenceSnapshot { .. }))
        .await
    else {
        unreachable!()
    };
    users.sort_by_key(|p| p.user_id != alice.id());
    assert_eq!(users.len(), 2);
    assert_eq!(
        (users[0].user_id, users[0].status),
        (alice.id(), PresenceStatus::Online)
    );
    assert_eq!(
        (users[1].user_id, users[1].status),
        (carol.id(), PresenceStatus::Offline)
    );
}
