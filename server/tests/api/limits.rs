//! Bad input and abuse: malformed JSON, unknown events, oversize frames, flooding, foreign
//! origins. Each gets its error code and the server keeps serving.

use crate::helpers::*;
use protocol::{ClientEvent, ErrorCode, ServerEvent};
use std::time::Duration;

#[tokio::test]
async fn malformed_and_unknown_events_get_invalid_payload_and_the_socket_survives() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut a = app.connect(&alice).await;

    a.send_text("{this is not json").await;
    a.expect_error(ErrorCode::InvalidPayload).await;
    a.send_text(r#"{"type":"self_destruct","id":"u1"}"#).await;
    let err = a.expect_error(ErrorCode::InvalidPayload).await;
    assert_eq!(
        err.id.as_deref(),
        Some("u1"),
        "the id is echoed even for unknown events"
    );
    a.send_text(r#"{"type":"mark_read","conversation_id":"nope","up_to_seq":"x","id":"u2"}"#)
        .await;
    assert_eq!(
        a.expect_error(ErrorCode::InvalidPayload)
            .await
            .id
            .as_deref(),
        Some("u2")
    );
    a.assert_alive().await;
}

#[tokio::test]
async fn oversize_frames_are_refused_without_dropping_the_connection() {
    let app = spawn_app_with(&["--max-frame-bytes", "2048"]).await;
    let alice = app.register("alice").await;
    let mut a = app.connect(&alice).await;
    let huge = format!(r#"{{"type":"ping","pad":"{}"}}"#, "x".repeat(10_000));
    a.send_text(&huge).await;
    a.expect_error(ErrorCode::PayloadTooLarge).await;
    a.assert_alive().await;
}

#[tokio::test]
async fn invalid_utf8_closes_with_1007() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut a = app.connect(&alice).await;
    a.send_invalid_utf8_text().await;
    a.expect_error(ErrorCode::InvalidPayload).await;
    let frame = a.expect_close().await.expect("a close frame with a code");
    assert_eq!(u16::from(frame.code), protocol::close::INVALID_DATA);
    assert!(!frame.reason.is_empty(), "the close frame says why");
}

#[tokio::test]
async fn frames_over_the_hard_cap_close_with_1009() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut a = app.connect(&alice).await;
    let huge = format!(r#"{{"type":"ping","pad":"{}"}}"#, "x".repeat((1 << 20) + 1));
    a.send_text(&huge).await;
    a.expect_error(ErrorCode::PayloadTooLarge).await;
    let frame = a.expect_close().await.expect("a close frame with a code");
    assert_eq!(u16::from(frame.code), protocol::close::MESSAGE_TOO_BIG);
}

#[tokio::test]
async fn rate_limit_errors_carry_the_request_id_and_are_sent_once_per_window() {
    // A small outbound queue: one error per refused frame would fill it and close the flooder.
    let app = spawn_app_with(&[
        "--events-per-second",
        "5",
        "--event-burst",
        "10",
        "--outbound-queue",
        "16",
    ])
    .await;
    let alice = app.register("alice").await;
    let mut a = app.connect(&alice).await;
    for i in 0..200 {
        a.send_with_id(&format!("p{i}"), ClientEvent::Ping).await;
    }
    let first = a.expect_error(ErrorCode::RateLimited).await;
    let id = first.id.expect("the refused request's id");
    assert!(id.starts_with('p'), "unexpected id {id}");
    // The rest of the flood within the window is refused without one error each.
    a.expect_silence(std::time::Duration::from_millis(300), |e| {
        matches!(
            e,
            protocol::ServerEvent::Error {
                code: ErrorCode::RateLimited,
                ..
            }
        )
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    a.assert_alive().await;
}

#[tokio::test]
async fn flooding_is_rate_limited_and_others_are_still_served() {
    let app = spawn_app_with(&["--events-per-second", "5", "--event-burst", "10"]).await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    for _ in 0..60 {
        a.send(ClientEvent::Ping).await;
    }
    a.expect_error(ErrorCode::RateLimited).await;
    b.assert_alive().await;
    // After a pause the flooder is served again.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    a.assert_alive().await;
}

#[tokio::test]
async fn foreign_origins_cannot_open_websockets() {
    let app = spawn_app_with(&["--allowed-origins", "https://chat.example"]).await;
    let alice = app.register("alice").await;
    let refused = app
        .connect_raw(Some(&alice.token), &[("origin", "https://evil.example")])
        .await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403);
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a foreign origin was let in"),
    }
    let host = format!("http://{}", app.addr);
    let mut same = app
        .connect_raw(Some(&alice.token), &[("origin", &host)])
        .await
        .unwrap();
    same.assert_alive().await;
    let mut listed = app
        .connect_raw(Some(&alice.token), &[("origin", "https://chat.example")])
        .await
        .unwrap();
    listed.assert_alive().await;
}

#[tokio::test]
async fn connections_beyond_the_limit_are_refused() {
    let app = spawn_app_with(&["--max-connections", "1"]).await;
    let alice = app.register("alice").await;
    let mut first = app.connect(&alice).await;
    let second = app.connect_raw(Some(&alice.token), &[]).await;
    assert!(
        matches!(second, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 503)
    );
    first.assert_alive().await;
}

#[tokio::test]
async fn silent_connections_are_closed_after_the_idle_timeout() {
    // No server pings within the window, so nothing keeps the socket alive but the client.
    let app = spawn_app_with(&["--idle-timeout-ms", "600", "--heartbeat-ms", "60000"]).await;
    let alice = app.register("alice").await;
    let mut chatty = app.connect(&alice).await;
    let mut silent = app.connect(&alice).await;
    for _ in 0..4 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        chatty.assert_alive().await;
    }
    silent.expect_error(ErrorCode::IdleTimeout).await;
    let frame = silent.expect_close().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), protocol::close::IDLE_TIMEOUT);
    chatty.assert_alive().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_and_memory_stays_bounded() {
    let app = spawn_app_with(FIREHOSE).await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let group = app.group(&alice, "Firehose", &[&bob]).await;
    let mut sender = app.connect(&alice).await;
    // Bob connects and then never reads: the kernel buffers fill, then his 8-frame queue.
    let mut stalled = app.connect(&bob).await;
    assert!(
        flood_until_dropped(&app, &mut sender, group).await,
        "the stalled client was never dropped"
    );
    // The reader comes back after longer than an ordinary close may take: what it reads is
    // whole frames (what was in flight when it was dropped), the SLOW_CONSUMER error, and the
    // 4008 close frame, never a frame cut short.
    sender.assert_alive().await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let (events, close) = stalled.read_to_close(Duration::from_secs(20)).await;
    assert_eq!(u16::from(close.code), protocol::close::SLOW_CONSUMER);
    assert!(
        matches!(
            events.last(),
            Some(ServerEvent::Error {
                code: ErrorCode::SlowConsumer,
                ..
            })
        ),
        "the error comes last: {:?}",
        events.last()
    );
    assert!(events.len() > 2, "frames in flight were delivered whole");
    // Operators see it in the metrics.
    app.wait_for_metric("confab_websocket_closed_total{code=\"4008\"}", 1.0)
        .await;
    assert_eq!(app.metric("confab_slow_consumer_closes_total").await, 1.0);
}

#[tokio::test]
async fn the_largest_requests_the_protocol_allows_fit_the_default_frame_limit() {
    // 1,000 users to watch and 500 posts, the most one request may name: about 39 KB and 20 KB
    // of JSON, within the default --max-frame-bytes.
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut a = app.connect(&alice).await;
    let user_ids: Vec<protocol::UserId> = (0..1000).map(|_| protocol::UserId::new()).collect();
    a.send(ClientEvent::SubscribePresence { user_ids }).await;
    a.expect(|e| matches!(e, ServerEvent::PresenceSnapshot { .. }))
        .await;
    let post_ids: Vec<protocol::PostId> = (0..500).map(|_| protocol::PostId::new()).collect();
    a.send(ClientEvent::SubscribePosts { post_ids }).await;
    a.expect(|e| matches!(e, ServerEvent::PostsSubscribed { .. }))
        .await;
}

#[tokio::test]
async fn a_lagging_client_loses_presence_first_never_a_message_and_is_told_to_resync() {
    let app = spawn_app_with(&[
        "--outbound-queue",
        "64",
        "--events-per-second",
        "100000",
        "--event-burst",
        "100000",
        "--max-message-chars",
        "8000",
        "--max-frame-bytes",
        "65536",
        "--presence-batch-ms",
        "2",
        "--api-requests-per-second",
        "10000",
    ])
    .await;
    let (alice, bob, carol) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
    );
    let group = app.group(&alice, "Backlog", &[&bob, &carol]).await;
    let mut sender = app.connect(&alice).await;
    let mut carol_ws = app.connect(&carol).await;
    // Bob watches carol's presence, then stops reading.
    let mut lagging = app.connect(&bob).await;
    lagging.watch(&[&carol]).await;

    // Big messages fill bob's socket and then his queue; carol's presence keeps changing.
    let body = "x".repeat(8000);
    let mut sent = 0;
    let shed = "confab_frames_shed_total{kind=\"presence\"}";
    while sent % 10 != 0 || app.metric(shed).await < 1.0 {
        assert!(sent < 3000, "nothing was ever shed");
        sender
            .send(ClientEvent::SendMessage {
                conversation_id: group,
                temp_id: format!("t{sent}"),
                body: body.clone(),
                reply_to: None,
                attachments: Vec::new(),
            })
            .await;
        sender
            .expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
            .await;
        sent += 1;
        let status = match sent % 2 {
            0 => protocol::PresenceStatus::Online,
            _ => protocol::PresenceStatus::Away,
        };
        carol_ws.send(ClientEvent::SetPresence { status }).await;
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    assert_eq!(
        app.metric("confab_slow_consumer_closes_total").await,
        0.0,
        "presence was shed before anything else"
    );

    // Bob reads again: every message, in order, then `resync` for the presence he lost.
    let mut seqs = Vec::new();
    let mut resync = false;
    // Within seconds (not at the next heartbeat, 20 s away; 10 s leaves room for a busy box).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while (seqs.len() < sent || !resync) && tokio::time::Instant::now() < deadline {
        for event in lagging.collect_for(Duration::from_millis(200)).await {
            match event {
                ServerEvent::MessageNew { message } => seqs.push(message.seq),
                ServerEvent::Resync => resync = true,
                _ => {}
            }
        }
    }
    assert_eq!(seqs, (1..=sent as i64).collect::<Vec<_>>());
    assert!(resync, "told to fetch the presence it lost");
    lagging.assert_alive().await;
}
