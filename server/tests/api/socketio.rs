//! The Socket.IO gateway at the Engine.IO level: a raw Engine.IO v4 WebSocket (the packets
//! `socket.io-client` would send), for what the npm client cannot do on purpose, such as
//! stopping reading. The vocabularies themselves are driven by the real `socket.io-client` in
//! `end2end/tests/socketio.spec.ts`.

use crate::helpers::*;
use futures_util::SinkExt;
use serde_json::Value;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_socketio_client_that_stops_reading_is_dropped_and_memory_stays_bounded() {
    let app = spawn_app_with(FIREHOSE).await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let group = app.group(&alice, "Firehose", &[&bob]).await;
    let mut sender = app.connect(&alice).await;
    // Bob connects over Socket.IO and then never reads: the kernel buffers fill, then
    // Socket.IO's 8-packet buffer, then his 8-frame queue.
    let (stalled, connected) = socketio(&app, &serde_json::json!({ "token": bob.token })).await;
    assert_eq!(connected[0], "connected");
    assert_eq!(connected[1]["user_id"], bob.id().to_string());
    assert!(
        flood_until_dropped(&app, &mut sender, group).await,
        "the stalled Socket.IO client was never dropped"
    );
    sender.assert_alive().await;
    // The close is counted with its code.
    app.wait_for_metric("confab_websocket_closed_total{code=\"4008\"}", 1.0)
        .await;
    drop(stalled);
}

#[tokio::test]
async fn the_engine_io_handshake_and_a_refusal_look_as_socket_io_clients_expect() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    // A kebab-case session: no token in the handshake, `auth` as the first event.
    let mut stream = connected_without_token(&app).await;
    let auth = serde_json::json!(["auth", alice.token]);
    stream
        .send(Message::text(format!("421{auth}")))
        .await
        .unwrap();
    // The acknowledgement (packet type 3, id 1) and `auth-success`, in either order.
    let mut ack = None;
    let mut success = None;
    while ack.is_none() || success.is_none() {
        let packet = next_text(&mut stream).await;
        if let Some(body) = packet.strip_prefix("431") {
            ack = Some(serde_json::from_str::<Value>(body).unwrap());
        } else if let Some(body) = packet.strip_prefix("42") {
            success = Some(serde_json::from_str::<Value>(body).unwrap());
        }
    }
    assert_eq!(ack.unwrap()[0]["ok"], true);
    assert_eq!(
        success.unwrap(),
        serde_json::json!(["auth-success", { "userId": alice.id() }])
    );

    // A bad handshake token: CONNECT_ERROR (packet type 4) with the code first.
    let (mut refused, _) = tokio_tungstenite::connect_async(&engine_io_url(&app))
        .await
        .unwrap();
    assert!(next_text(&mut refused).await.starts_with('0'));
    refused
        .send(Message::text(r#"40{"token":"nope"}"#))
        .await
        .unwrap();
    let packet = next_text(&mut refused).await;
    let error: Value = serde_json::from_str(packet.strip_prefix("44").expect("connect_error"))
        .expect("a JSON payload");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("AUTH_FAILED: "),
        "{error}"
    );
}

#[tokio::test]
async fn a_socketio_client_joins_a_2000_member_group_with_the_default_queue() {
    let app = spawn_app().await;
    let (users, big) = app.seed_group(2000).await;
    // Half the group is online: joining must not push their presence one by one.
    let mut online = Vec::new();
    for chunk in users[1..1000].chunks(50) {
        online.extend(futures_util::future::join_all(chunk.iter().map(|u| app.connect(u))).await);
    }
    let (mut stream, connected) =
        socketio(&app, &serde_json::json!({ "token": users[0].token })).await;
    assert_eq!(connected[0], "connected");
    let (ack, events) = join_and_listen(&mut stream, big).await;
    assert_eq!(ack[0]["ok"], true, "{ack}");
    assert_eq!(ack[0]["data"]["viewer_count"], 1, "{ack}");
    // (The user's own status may come: it is theirs, not the members'.)
    let me = users[0].id().to_string();
    let statuses = events
        .iter()
        .filter(|e| e[0] == "user_status" && e[1]["user_id"] != me.as_str())
        .count();
    assert_eq!(
        statuses, 0,
        "presence of a big group is asked for, not pushed: {events:?}"
    );
    // It is asked for in one event, however many are online.
    let ask = serde_json::json!(["get_online_users", { "conversation_id": big }]);
    stream
        .send(Message::text(format!("428{ask}")))
        .await
        .unwrap();
    let answer = loop {
        let packet = next_text(&mut stream).await;
        if let Some(body) = packet.strip_prefix("438") {
            break serde_json::from_str::<Value>(body).unwrap();
        }
    };
    assert_eq!(answer[0]["ok"], true, "{answer}");
    // The 999 members connected natively and the asker.
    assert_eq!(answer[0]["data"]["users"].as_array().unwrap().len(), 1000);

    // A message from a native member arrives rendered (shared by every gateway socket).
    online[0]
        .send(protocol::ClientEvent::SendMessage {
            conversation_id: big,
            temp_id: "t1".into(),
            body: "hello big room".into(),
            reply_to: None,
            attachments: Vec::new(),
        })
        .await;
    let message = loop {
        let packet = next_text(&mut stream).await;
        if let Some(body) = packet.strip_prefix("42") {
            let event: Value = serde_json::from_str(body).unwrap();
            if event[0] == "new_message" {
                break event;
            }
        }
    };
    assert_eq!(message[1]["content"], "hello big room");
    assert_eq!(message[1]["sender_id"], users[1].id().to_string());
    assert_eq!(message[1]["seq"], 1);

    // A small group's members' presence still comes on join.
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let small = app.group(&alice, "Small", &[&bob]).await;
    let _bob_online = app.connect(&bob).await;
    let (mut alice_io, _) = socketio(&app, &serde_json::json!({ "token": alice.token })).await;
    let (ack, events) = join_and_listen(&mut alice_io, small).await;
    assert_eq!(ack[0]["ok"], true, "{ack}");
    let bob_id = bob.id().to_string();
    assert!(
        events
            .iter()
            .any(|e| e[0] == "user_status" && e[1]["user_id"] == bob_id.as_str()),
        "{events:?}"
    );
    drop(online);
}

#[tokio::test]
async fn engine_io_timings_and_payload_limit_are_configurable() {
    let app = spawn_app_with(&[
        "--socketio-ping-interval-ms",
        "300",
        "--socketio-ping-timeout-ms",
        "200",
        "--socketio-max-payload",
        "100000",
    ])
    .await;
    // The open packet announces them, as the Engine.IO protocol's handshake does.
    let url = format!(
        "ws://{}/socket.io/?EIO=4&transport=websocket",
        app.url("").trim_start_matches("http://")
    );
    let (mut stream, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let open = next_text(&mut stream).await;
    let open: Value = serde_json::from_str(open.strip_prefix('0').expect("open")).unwrap();
    assert_eq!(open["pingInterval"], 300, "{open}");
    assert_eq!(open["pingTimeout"], 200, "{open}");
    assert_eq!(open["maxPayload"], 100000, "{open}");
    // A client that never answers pings is closed after about interval + timeout.
    let started = std::time::Instant::now();
    loop {
        match tokio::time::timeout(
            Duration::from_secs(5),
            futures_util::StreamExt::next(&mut stream),
        )
        .await
        .expect("closed within 5 s")
        {
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
            Some(Ok(_)) => {}
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn long_polling_pings_after_the_interval_and_refuses_a_duplicate_poll() {
    let app = spawn_app_with(&[
        "--socketio-ping-interval-ms",
        "300",
        "--socketio-ping-timeout-ms",
        "200",
        "--socketio-path",
        "/engine.io",
    ])
    .await;
    let base = app.url("/engine.io/?EIO=4&transport=polling");
    let open_session = || async {
        let open = app
            .http
            .get(&base)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let open: Value = serde_json::from_str(open.strip_prefix('0').expect("open")).unwrap();
        format!("{base}&sid={}", open["sid"].as_str().unwrap())
    };
    // The first ping comes one pingInterval after the open packet, not at once: the first
    // poll waits for it.
    let session = open_session().await;
    let started = std::time::Instant::now();
    let first = app
        .http
        .get(&session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(first, "2");
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "the first ping came after {:?}",
        started.elapsed()
    );
    // A second poll while one is pending closes the session: the pending one gets the close
    // packet, the duplicate and every later request are refused.
    let session = open_session().await;
    let (pending, duplicate) = tokio::join!(app.http.get(&session).send(), async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        app.http.get(format!("{session}&t=burst")).send().await
    });
    assert!([400, 500].contains(&duplicate.unwrap().status().as_u16()));
    assert_eq!(pending.unwrap().text().await.unwrap(), "1");
    let after = app.http.get(&session).send().await.unwrap();
    assert_eq!(after.status().as_u16(), 400);
}

/// Emits `[event, arg]` on a raw Engine.IO socket.
async fn emit(stream: &mut Stream, event: &str, arg: Value) {
    let packet = serde_json::json!([event, arg]);
    stream
        .send(Message::text(format!("42{packet}")))
        .await
        .unwrap();
}

/// The next event named `name` (`[name, payload]`), skipping others.
async fn expect_event(stream: &mut Stream, name: &str) -> Value {
    loop {
        let packet = next_text(stream).await;
        if let Some(body) = packet.strip_prefix("42") {
            let event: Value = serde_json::from_str(body).unwrap();
            if event[0] == name {
                return event[1].clone();
            }
        }
    }
}

#[tokio::test]
async fn a_messenger_client_messages_a_person_types_to_them_and_sees_them_come_and_go() {
    let app = spawn_app_with(&["--presence-grace-ms", "100"]).await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    // No contacts yet: an empty list, after the snake_case `connected` (the socket has not
    // said yet which Flask-SocketIO vocabulary it speaks).
    let (mut a, first) = socketio(&app, &serde_json::json!({ "token": alice.token })).await;
    assert_eq!(first[0], "connected");
    let online = expect_event(&mut a, "online_users").await;
    assert_eq!(online["users"], serde_json::json!([]));

    // Naming someone else as the sender is refused, and settles the socket as a messenger.
    let forged =
        serde_json::json!({ "sender_id": bob.id(), "recipient_id": bob.id(), "content": "x" });
    emit(&mut a, "private_message", forged).await;
    assert_eq!(expect_event(&mut a, "error").await["code"], "FORBIDDEN");
    // A first private message creates the conversation; the sender gets it back delivered and
    // now watches the recipient (offline).
    let hello = serde_json::json!({ "sender_id": alice.id(), "recipient_id": bob.id(), "content": "hi bob", "temp_id": "t1" });
    emit(&mut a, "private_message", hello).await;
    // (The two come in either order: the acknowledgement waits for the write batch.)
    let (mut delivered, mut offline) = (None, None);
    while delivered.is_none() || offline.is_none() {
        let event = next_event_of(&mut a).await;
        match event[0].as_str() {
            Some("message_delivered") => delivered = Some(event[1].clone()),
            Some("user_offline") => offline = Some(event[1].clone()),
            _ => {}
        }
    }
    let (delivered, offline) = (delivered.unwrap(), offline.unwrap());
    assert_eq!(
        (
            &delivered["content"],
            &delivered["temp_id"],
            &delivered["sender_id"]
        ),
        (
            &Value::from("hi bob"),
            &Value::from("t1"),
            &serde_json::json!(alice.id())
        )
    );
    let conversation = delivered["conversation_id"].clone();
    assert_eq!(offline["user_id"], serde_json::json!(bob.id()));

    // Bob connects: Alice is among his online contacts, and she sees him come.
    let (mut b, _) = socketio(&app, &serde_json::json!({ "token": bob.token })).await;
    let online = expect_event(&mut b, "online_users").await;
    assert_eq!(online["users"], serde_json::json!([alice.id()]));
    let came = expect_event(&mut a, "user_online").await;
    assert_eq!(came["user_id"], serde_json::json!(bob.id()));

    // Typing to a person is typing in the direct conversation; Alice's messenger socket gets
    // `user_typing` only (no snake_case `typing` any more).
    let typing =
        serde_json::json!({ "user_id": bob.id(), "recipient_id": alice.id(), "is_typing": true });
    emit(&mut b, "typing", typing).await;
    let typed = expect_event(&mut a, "user_typing").await;
    assert_eq!(
        (&typed["user_id"], &typed["is_typing"]),
        (&serde_json::json!(bob.id()), &Value::Bool(true))
    );
    // A conversation message reaches Alice, delivered, with no `new_message` beside it.
    let reply = serde_json::json!({ "sender_id": bob.id(), "conversation_id": conversation, "content": "hello alice" });
    emit(&mut b, "conversation_message", reply).await;
    let got = [next_event_of(&mut a).await, next_event_of(&mut a).await];
    let delivered = got.iter().find(|e| e[0] == "message_delivered");
    assert_eq!(delivered.expect("delivered")[1]["content"], "hello alice");
    let stopped = got.iter().find(|e| e[0] == "user_typing");
    assert_eq!(stopped.expect("sending ends typing")[1]["is_typing"], false);
    // Typing to someone Bob has no conversation with is NOT_FOUND.
    let carol = app.register("carol").await;
    let typing =
        serde_json::json!({ "user_id": bob.id(), "recipient_id": carol.id(), "is_typing": true });
    emit(&mut b, "typing", typing).await;
    assert_eq!(expect_event(&mut b, "error").await["code"], "NOT_FOUND");

    // Bob leaves: Alice sees him go.
    drop(b);
    let gone = expect_event(&mut a, "user_offline").await;
    assert_eq!(gone["user_id"], serde_json::json!(bob.id()));

    // Someone writes to a messenger first: it watches them from then on too.
    let (mut c, _) = socketio(&app, &serde_json::json!({ "token": carol.token })).await;
    let online = expect_event(&mut c, "online_users").await;
    assert_eq!(online["users"], serde_json::json!([]));
    let hello = serde_json::json!({ "recipient_id": carol.id(), "content": "hi carol" });
    emit(&mut a, "private_message", hello).await;
    let (mut delivered, mut came) = (false, false);
    while !(delivered && came) {
        let event = next_event_of(&mut c).await;
        match event[0].as_str() {
            Some("message_delivered") => delivered = event[1]["content"] == "hi carol",
            Some("user_online") => came = event[1]["user_id"] == serde_json::json!(alice.id()),
            _ => {}
        }
    }
}

/// The next event (`[name, payload]`).
async fn next_event_of(stream: &mut Stream) -> Value {
    loop {
        if let Some(body) = next_text(stream).await.strip_prefix("42") {
            return serde_json::from_str(body).unwrap();
        }
    }
}

/// An Engine.IO WebSocket connected to the `/` namespace without a token (the open and
/// CONNECT packets checked).
async fn connected_without_token(app: &TestApp) -> Stream {
    let (mut stream, _) = tokio_tungstenite::connect_async(&engine_io_url(app))
        .await
        .unwrap();
    assert!(next_text(&mut stream).await.starts_with('0'));
    stream.send(Message::text("40")).await.unwrap();
    assert!(next_text(&mut stream).await.starts_with("40"));
    stream
}

fn engine_io_url(app: &TestApp) -> String {
    format!(
        "ws://{}/socket.io/?EIO=4&transport=websocket",
        app.url("").trim_start_matches("http://")
    )
}

/// Opens a socket that authenticates after connecting, with `event` (`auth` for kebab-case,
/// `authenticate` for the hub); returns it after the acknowledgement.
async fn authenticated_after_connect(app: &TestApp, event: &str, arg: Value) -> Stream {
    let mut stream = connected_without_token(app).await;
    let packet = serde_json::json!([event, arg]);
    stream
        .send(Message::text(format!("421{packet}")))
        .await
        .unwrap();
    while !next_text(&mut stream).await.starts_with("431") {}
    stream
}

/// Emits `[event, arg]` asking for an acknowledgement `id`; returns the acknowledgement and
/// the events that came before it.
async fn emit_acked(stream: &mut Stream, id: u32, event: &str, arg: Value) -> (Value, Vec<Value>) {
    let packet = serde_json::json!([event, arg]);
    stream
        .send(Message::text(format!("42{id}{packet}")))
        .await
        .unwrap();
    let prefix = format!("43{id}");
    let mut events = Vec::new();
    loop {
        let packet = next_text(stream).await;
        if let Some(body) = packet.strip_prefix(prefix.as_str()) {
            return (
                serde_json::from_str::<Value>(body).unwrap()[0].clone(),
                events,
            );
        }
        if let Some(body) = packet.strip_prefix("42") {
            events.push(serde_json::from_str(body).unwrap());
        }
    }
}

/// Waits for the server's DISCONNECT packet, skipping events; returns the events seen.
async fn until_disconnected(stream: &mut Stream) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let packet = next_text(stream).await;
        if packet == "41" {
            return events;
        }
        if let Some(body) = packet.strip_prefix("42") {
            events.push(serde_json::from_str(body).unwrap());
        }
    }
}

#[tokio::test]
async fn gateway_sessions_refresh_their_token_in_band_or_end_with_it() {
    // Four-second tokens, warned two seconds ahead.
    let app = spawn_app_with(&["--token-ttl-secs", "4", "--token-warning-secs", "2"]).await;
    let alice = app.register("alice").await;
    let handshake = serde_json::json!({ "token": alice.token, "vocabulary": "snake" });
    let (mut snake, first) = socketio(&app, &handshake).await;
    assert_eq!(first[0], "connected");
    let mut kebab = authenticated_after_connect(&app, "auth", alice.token.clone().into()).await;
    let hub_auth = serde_json::json!({ "token": alice.token });
    let mut hub = authenticated_after_connect(&app, "authenticate", hub_auth).await;

    // Each is warned in its own words.
    let warned = expect_event(&mut snake, "token_expiring").await;
    assert!(warned["expires_at"].is_string(), "{warned}");
    let warned = expect_event(&mut kebab, "token-expiring").await;
    assert!(warned["expiresAt"].is_string(), "{warned}");
    expect_event(&mut hub, "token_expiring").await;

    // snake_case refreshes with `refresh_token`, the hub by authenticating again.
    let fresh = app.refreshed_token(&alice).await;
    let (ack, events) = emit_acked(
        &mut snake,
        5,
        "refresh_token",
        serde_json::json!({ "token": fresh }),
    )
    .await;
    assert_eq!(ack["ok"], true, "{ack}");
    assert!(ack["data"]["expires_at"].is_string(), "{ack}");
    assert_eq!(events[0][0], "token_refreshed", "{events:?}");
    let again = serde_json::json!({ "token": fresh });
    // Answered as the first time (`authenticated`, which the acknowledgement carries too).
    let (ack, events) = emit_acked(&mut hub, 6, "authenticate", again).await;
    assert_eq!(events[0][0], "authenticated", "{events:?}");
    assert_eq!(ack["ok"], true, "{ack}");
    assert_eq!(ack["data"]["userId"], serde_json::json!(alice.id()));

    // kebab-case did not: it ends with the first token, the others go on.
    let events = until_disconnected(&mut kebab).await;
    let error = events
        .iter()
        .find(|e| e[0] == "error")
        .expect("an error event");
    assert_eq!(error[1]["code"], "TOKEN_EXPIRED", "{events:?}");
    let (ack, mut events) = emit_acked(&mut snake, 7, "ping", Value::Null).await;
    assert_eq!(ack["ok"], true, "{ack}");
    // Unrefreshed again, snake_case is warned again and ends with the fresh token.
    events.extend(until_disconnected(&mut snake).await);
    let names: Vec<_> = events.iter().map(|e| e[0].as_str().unwrap()).collect();
    assert!(names.contains(&"token_expiring"), "{names:?}");
    let error = events
        .iter()
        .find(|e| e[0] == "error")
        .expect("an error event");
    assert_eq!(error[1]["code"], "TOKEN_EXPIRED", "{events:?}");
}
