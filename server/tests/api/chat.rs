//! The FastAPI chat service's API, as its own client uses it: REST under `/api/chat/` and the
//! per-conversation WebSocket at `/api/chat/ws/{id}?token=` with its `message`, `typing`,
//! `system` and `error` frames.

use crate::helpers::*;
use futures_util::{SinkExt, StreamExt};
use protocol::ClientEvent;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Opens the conversation's socket as the document's client does (token in the query).
async fn chat_socket(app: &TestApp, conversation: &Value, token: &str) -> Result<Stream, u16> {
    let host = app.url("").trim_start_matches("http://").to_owned();
    let id = conversation.as_str().unwrap();
    let url = format!("ws://{host}/api/chat/ws/{id}?token={token}");
    match tokio_tungstenite::connect_async(url).await {
        Ok((stream, _)) => Ok(stream),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(e) => panic!("connecting: {e}"),
    }
}

/// The next JSON frame (pings are answered by the library).
async fn frame(stream: &mut Stream) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("a frame within 10 s")
            .expect("open")
            .expect("a message");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

async fn say(stream: &mut Stream, value: Value) {
    stream.send(Message::text(value.to_string())).await.unwrap();
}

#[tokio::test]
async fn the_chat_rest_api_creates_lists_and_pages_conversations() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
    );
    let team = json!({
        "name": "Team Discussion",
        "description": "Discuss project plans",
        "is_group": true,
        "participant_ids": [bob.id(), carol.id()],
    });
    let (status, group) = app
        .post("/api/chat/conversations", &alice.token, team)
        .await;
    assert_eq!(status, 201, "{group}");
    assert_eq!(
        (&group["name"], &group["description"], &group["is_group"]),
        (
            &json!("Team Discussion"),
            &json!("Discuss project plans"),
            &json!(true)
        )
    );
    assert_eq!(group["participant_ids"].as_array().unwrap().len(), 3);
    let pair = json!({ "is_group": false, "participant_ids": [bob.id()] });
    let (status, direct) = app
        .post("/api/chat/conversations", &alice.token, pair.clone())
        .await;
    assert_eq!(
        (status, &direct["is_group"], &direct["name"]),
        (201, &json!(false), &Value::Null)
    );
    let (status, again) = app
        .post("/api/chat/conversations", &alice.token, pair)
        .await;
    assert_eq!((status, &again["id"]), (200, &direct["id"]));
    let three = json!({ "is_group": false, "participant_ids": [bob.id(), carol.id()] });
    let (status, body) = app
        .post("/api/chat/conversations", &alice.token, three)
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (422, &json!("VALIDATION_FAILED"))
    );

    let (_, all) = app.get("/api/chat/conversations", &alice.token).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let (_, one) = app
        .get("/api/chat/conversations?limit=1&offset=1", &alice.token)
        .await;
    assert_eq!(one.as_array().unwrap().len(), 1);
    let (status, _) = app
        .get("/api/chat/conversations?limit=0", &alice.token)
        .await;
    assert_eq!(status, 422);
    let detail = format!("/api/chat/conversations/{}", direct["id"].as_str().unwrap());
    let (status, shown) = app.get(&detail, &bob.token).await;
    assert_eq!((status, &shown["id"]), (200, &direct["id"]));
    let (status, _) = app.get(&detail, &carol.token).await;
    assert_eq!(status, 404, "not carol's");

    // Five messages; windows counted back from the newest, each oldest first.
    let group_id: protocol::ConversationId = serde_json::from_value(group["id"].clone()).unwrap();
    let mut client = app.connect(&alice).await;
    for i in 1..=5 {
        client
            .send(ClientEvent::SendMessage {
                conversation_id: group_id,
                temp_id: format!("t{i}"),
                body: format!("message {i}"),
                reply_to: None,
                attachments: Vec::new(),
            })
            .await;
        client
            .expect(|e| matches!(e, protocol::ServerEvent::MessageAck { .. }))
            .await;
    }
    let page = |offset: i64| {
        format!("/api/chat/conversations/{group_id}/messages?limit=2&offset={offset}")
    };
    let (_, newest) = app.get(&page(0), &bob.token).await;
    let contents: Vec<_> = newest
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].clone())
        .collect();
    assert_eq!(contents, [json!("message 4"), json!("message 5")]);
    assert_eq!(newest[0]["sender_username"], "alice");
    assert_eq!(newest[0]["is_edited"], false);
    let (_, older) = app.get(&page(2), &bob.token).await;
    assert_eq!(older[0]["content"], "message 2");
    let (_, past) = app.get(&page(10), &bob.token).await;
    assert_eq!(past, json!([]));
    let direct_messages = format!("{detail}/messages");
    let (status, body) = app.get(&direct_messages, &carol.token).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (403, &json!("NOT_A_MEMBER"))
    );
}

#[tokio::test]
async fn the_per_conversation_socket_carries_messages_typing_and_who_is_here() {
    let app = spawn_app().await;
    let (alice, bob, carol, dave) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
        app.register("dave").await,
    );
    let team =
        json!({ "name": "Team", "is_group": true, "participant_ids": [bob.id(), carol.id()] });
    let (_, group) = app
        .post("/api/chat/conversations", &alice.token, team)
        .await;
    let id = group["id"].clone();

    // Refused before the connection: a bad token, someone who is not a member.
    assert_eq!(chat_socket(&app, &id, "not-a-token").await.err(), Some(401));
    assert_eq!(chat_socket(&app, &id, &dave.token).await.err(), Some(403));

    let mut a = chat_socket(&app, &id, &alice.token).await.unwrap();
    let hello = frame(&mut a).await;
    assert_eq!(hello["type"], "system");
    assert_eq!(hello["content"], "User alice joined the conversation");
    assert_eq!(hello["active_users"], json!([alice.id()]));
    let mut b = chat_socket(&app, &id, &bob.token).await.unwrap();
    let mut both = vec![alice.id(), bob.id()];
    both.sort();
    assert_eq!(frame(&mut b).await["active_users"], json!(both));
    let joined = frame(&mut a).await;
    assert_eq!(
        (
            &joined["content"],
            &joined["sender_id"],
            &joined["active_users"]
        ),
        (
            &json!("User bob joined the conversation"),
            &json!(bob.id()),
            &json!(both)
        )
    );

    // A message goes to everyone connected, its sender included.
    say(
        &mut a,
        json!({ "type": "message", "content": "Hello, world!" }),
    )
    .await;
    for socket in [&mut a, &mut b] {
        let message = frame(socket).await;
        assert_eq!(
            (
                &message["type"],
                &message["content"],
                &message["sender_username"]
            ),
            (&json!("message"), &json!("Hello, world!"), &json!("alice"))
        );
        assert!(message["message_id"].is_string() && message["timestamp"].is_string());
    }
    // Typing goes to the others.
    say(&mut b, json!({ "type": "typing" })).await;
    let typing = frame(&mut a).await;
    assert_eq!(
        (&typing["type"], &typing["sender_username"]),
        (&json!("typing"), &json!("bob"))
    );
    // Bad frames are answered with an error frame and the socket stays.
    say(&mut a, json!({ "type": "message", "content": "   " })).await;
    assert_eq!(frame(&mut a).await["code"], "VALIDATION_FAILED");
    a.send(Message::text("nonsense")).await.unwrap();
    let error = frame(&mut a).await;
    assert_eq!(
        (&error["type"], &error["code"]),
        (&json!("error"), &json!("INVALID_PAYLOAD"))
    );

    // A member on the native protocol writes: the sockets hear it by name.
    let group_id: protocol::ConversationId = serde_json::from_value(id.clone()).unwrap();
    let mut c = app.connect(&carol).await;
    c.send(ClientEvent::SendMessage {
        conversation_id: group_id,
        temp_id: "c1".into(),
        body: "from the app".into(),
        reply_to: None,
        attachments: Vec::new(),
    })
    .await;
    let mut heard = frame(&mut a).await;
    while heard["type"] != "message" {
        heard = frame(&mut a).await;
    }
    assert_eq!(
        (&heard["content"], &heard["sender_username"]),
        (&json!("from the app"), &json!("carol"))
    );

    // Bob leaves: Alice is told, with who is left.
    b.close(None).await.unwrap();
    let mut left = frame(&mut a).await;
    while left["type"] != "system" {
        left = frame(&mut a).await;
    }
    assert_eq!(left["content"], "User bob left the conversation");
    assert_eq!(left["active_users"], json!([alice.id()]));

    // Removed from the group, Carol's socket for it ends, saying why.
    let mut c_socket = chat_socket(&app, &id, &carol.token).await.unwrap();
    assert_eq!(frame(&mut c_socket).await["type"], "system");
    let (status, _) = app.remove_member(&alice, group_id, carol.id()).await;
    assert!(status < 300, "{status}");
    let mut error = frame(&mut c_socket).await;
    while error["type"] != "error" {
        error = frame(&mut c_socket).await;
    }
    assert_eq!(error["code"], "NOT_A_MEMBER");
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(10), c_socket.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => break frame,
            Ok(Some(Ok(_))) => continue,
            other => panic!("no close frame: {other:?}"),
        }
    };
    assert_eq!(
        u16::from(closed.expect("a close frame").code),
        protocol::close::KICKED
    );

    // What was said is stored.
    let history = format!("/api/chat/conversations/{group_id}/messages");
    let (_, messages) = app.get(&history, &alice.token).await;
    let said: Vec<_> = messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].clone())
        .collect();
    assert_eq!(said, [json!("Hello, world!"), json!("from the app")]);
}
