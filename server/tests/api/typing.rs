//! Typing indicators: fan-out to the other members, throttling, auto-expiry, disconnect.

use crate::helpers::*;
use protocol::{ClientEvent, ServerEvent};
use std::time::{Duration, Instant};

#[tokio::test]
async fn typing_reaches_others_is_throttled_and_expires() {
    let app = spawn_app_with(&["--typing-timeout-ms", "700"]).await;
    let Pair {
        alice,
        group,
        mut a,
        mut b,
        ..
    } = app.pair_in_group().await;

    a.send(ClientEvent::TypingStart {
        conversation_id: group,
    })
    .await;
    let started = b
        .expect(|e| matches!(e, ServerEvent::TypingStarted { .. }))
        .await;
    assert_eq!(
        started,
        ServerEvent::TypingStarted {
            conversation_id: group,
            user_id: alice.id(),
            display_name: "ALICE".into(),
        }
    );
    let since = Instant::now();
    // A quick refresh extends typing without a second broadcast.
    a.send(ClientEvent::TypingStart {
        conversation_id: group,
    })
    .await;
    b.expect_silence(Duration::from_millis(300), |e| {
        matches!(e, ServerEvent::TypingStarted { .. })
    })
    .await;
    // Without further refresh, the server stops it by itself.
    let stopped = b
        .expect(|e| matches!(e, ServerEvent::TypingStopped { .. }))
        .await;
    assert_eq!(
        stopped,
        ServerEvent::TypingStopped {
            conversation_id: group,
            user_id: alice.id()
        }
    );
    assert!(
        since.elapsed() >= Duration::from_millis(600),
        "stopped too early"
    );
    // The typist does not get their own indicator.
    a.expect_silence(Duration::from_millis(100), |e| {
        matches!(e, ServerEvent::TypingStarted { .. })
    })
    .await;
}

#[tokio::test]
async fn typing_stops_on_explicit_stop_send_and_disconnect() {
    let app = spawn_app().await;
    let Pair {
        alice,
        group,
        mut a,
        mut b,
        ..
    } = app.pair_in_group().await;

    a.send(ClientEvent::TypingStart {
        conversation_id: group,
    })
    .await;
    b.expect(|e| matches!(e, ServerEvent::TypingStarted { .. }))
        .await;
    a.send(ClientEvent::TypingStop {
        conversation_id: group,
    })
    .await;
    b.expect(|e| matches!(e, ServerEvent::TypingStopped { .. }))
        .await;

    // Sending a message ends typing.
    tokio::time::sleep(Duration::from_millis(50)).await;
    a.send(ClientEvent::TypingStart {
        conversation_id: group,
    })
    .await;
    b.expect(|e| matches!(e, ServerEvent::TypingStarted { .. }))
        .await;
    a.send(ClientEvent::SendMessage {
        conversation_id: group,
        temp_id: "m".into(),
        body: "done".into(),
        reply_to: None,
        attachments: Vec::new(),
    })
    .await;
    b.expect(|e| matches!(e, ServerEvent::TypingStopped { .. }))
        .await;

    // Closing the connection ends typing.
    a.send(ClientEvent::TypingStart {
        conversation_id: group,
    })
    .await;
    b.expect(|e| matches!(e, ServerEvent::TypingStarted { .. }))
        .await;
    a.close().await;
    b.expect(|e| matches!(e, ServerEvent::TypingStopped { user_id, .. } if *user_id == alice.id()))
        .await;
}

#[tokio::test]
async fn a_conversation_announces_a_bounded_number_of_typists_at_a_time() {
    let app = spawn_app().await;
    let (users, group) = app.seed_group(9).await;
    let mut watcher = app.connect(&users[0]).await;
    let mut typists = Vec::new();
    for u in &users[1..] {
        typists.push(app.connect(u).await);
    }
    for t in typists.iter_mut() {
        t.send(ClientEvent::TypingStart {
            conversation_id: group,
        })
        .await;
    }
    let seen = watcher.collect_for(Duration::from_millis(700)).await;
    let started = typists_started(&seen);
    let limit = confab_server::typing::MAX_ANNOUNCED_TYPISTS;
    assert_eq!(started.len(), limit, "{seen:?}");
    // One announced typist stops: announced, and their slot goes to a waiting typist at its
    // next refresh (refreshes are re-broadcast after 3 s).
    let first = users[1..]
        .iter()
        .position(|u| u.id() == started[0])
        .unwrap();
    typists[first]
        .send(ClientEvent::TypingStop {
            conversation_id: group,
        })
        .await;
    watcher
        .expect(
            |e| matches!(e, ServerEvent::TypingStopped { user_id, .. } if *user_id == started[0]),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let waiting: Vec<usize> = (0..typists.len())
        .filter(|&i| !started.contains(&users[i + 1].id()))
        .collect();
    for &i in &waiting {
        typists[i]
            .send(ClientEvent::TypingStart {
                conversation_id: group,
            })
            .await;
    }
    let later = watcher.collect_for(Duration::from_millis(700)).await;
    let newly: Vec<_> = typists_started(&later)
        .into_iter()
        .filter(|u| !started.contains(u))
        .collect();
    assert_eq!(
        newly.len(),
        1,
        "one freed slot, one newly announced typist: {later:?}"
    );
}

/// Who a list of events announces as starting to type, in order.
fn typists_started(events: &[ServerEvent]) -> Vec<protocol::UserId> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::TypingStarted { user_id, .. } => Some(*user_id),
            _ => None,
        })
        .collect()
}
