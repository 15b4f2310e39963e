//! What operators rely on: liveness and readiness, and the Prometheus metrics.

use crate::helpers::*;
use protocol::{ClientEvent, ServerEvent};
use reqwest::Method;

#[tokio::test]
async fn liveness_and_readiness_are_separate_endpoints() {
    let app = spawn_app().await;
    let (status, live) = app.request(Method::GET, "/health/live", None, None).await;
    assert_eq!((status, live["status"].as_str()), (200, Some("ok")));
    let (status, ready) = app.request(Method::GET, "/health/ready", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(ready["database"], "ok");
    assert_eq!(ready["broker"], "ok");
    assert_eq!(ready["broker_backend"], "local");
}

#[tokio::test]
async fn metrics_count_connections_events_deliveries_and_refusals() {
    let app = spawn_app_with(&["--events-per-second", "5", "--event-burst", "10"]).await;
    let mut pair = app.pair_in_group().await;
    for i in 0..3 {
        pair.a
            .send(ClientEvent::SendMessage {
                conversation_id: pair.group,
                temp_id: format!("t{i}"),
                body: format!("hello {i}"),
                reply_to: None,
                attachments: Vec::new(),
            })
            .await;
        pair.a
            .expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
            .await;
        pair.b
            .expect(|e| matches!(e, ServerEvent::MessageNew { .. }))
            .await;
    }
    pair.a.send_text("not json").await;
    pair.a
        .expect_error(protocol::ErrorCode::InvalidPayload)
        .await;
    // A flood past the burst: refused, and counted even where no error is sent back.
    for _ in 0..30 {
        pair.a.send(ClientEvent::Ping).await;
    }
    pair.a.expect_error(protocol::ErrorCode::RateLimited).await;

    let text = app.metrics_text().await;
    let m = |series: &str| metric_in(&text, series);
    assert_eq!(m("confab_websocket_connections"), 2.0, "{text}");
    assert_eq!(m("confab_websocket_opened_total"), 2.0);
    assert_eq!(m("confab_sessions_authenticated_total"), 2.0);
    assert_eq!(m("confab_sessions"), 2.0);
    assert_eq!(m("confab_users_connected"), 2.0);
    assert_eq!(
        m("confab_events_received_total{type=\"send_message\"}"),
        3.0
    );
    assert_eq!(m("confab_events_received_total{type=\"invalid\"}"), 1.0);
    assert!(m("confab_events_received_total{type=\"ping\"}") >= 1.0);
    assert!(
        m("confab_rate_limited_total{limit=\"events\"}") >= 20.0,
        "{text}"
    );
    assert_eq!(m("confab_message_ack_seconds_count"), 3.0);
    assert!(m("confab_message_ack_seconds_sum") > 0.0);
    assert_eq!(m("confab_message_ack_seconds_bucket{le=\"+Inf\"}"), 3.0);
    // Bob's three message_new at least went through fan-out and out of the socket.
    assert!(m("confab_fanout_deliveries_total") >= 3.0);
    assert!(m("confab_frames_sent_total") >= 6.0);
    assert!(m("confab_db_pool_connections{state=\"open\"}") >= 1.0);
    // No label names a user, a session or a conversation.
    let ids = [
        pair.alice.id().to_string(),
        pair.bob.id().to_string(),
        pair.group.to_string(),
    ];
    for id in &ids {
        assert!(!text.contains(id.as_str()), "an id in the metrics: {id}");
    }

    pair.b.close().await;
    app.wait_for_metric("confab_websocket_closed_total{code=\"client\"}", 1.0)
        .await;
    assert_eq!(app.metric("confab_websocket_connections").await, 1.0);
}

#[tokio::test]
async fn refused_sign_ins_and_requests_are_counted() {
    let app = spawn_app_with(&["--auth-attempts-per-minute", "1"]).await;
    for _ in 0..3 {
        app.login("nobody").await;
    }
    assert_eq!(
        app.metric("confab_rate_limited_total{limit=\"auth\"}")
            .await,
        2.0
    );
}
