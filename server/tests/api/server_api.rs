//! The server API: a product's backend with an API key provisions users, gives them tokens,
//! asks who is online, disconnects, bans and deletes them; keys are scoped, revocable and
//! rate limited, and made by operators over REST or with `confab api-key`.

use crate::helpers::*;
use protocol::{close, ServerEvent, UserId};
use reqwest::Method;
use serde_json::{json, Value};
use std::process::Command;

/// An API key with `scopes`, made by the operator `root` over REST.
pub async fn key(app: &TestApp, scopes: &[&str]) -> String {
    let root = match app.login("root").await {
        (200, body) => body["token"].as_str().unwrap().to_owned(),
        _ => app.register("root").await.token,
    };
    let body = json!({ "name": "backend", "scopes": scopes });
    let (status, created) = app
        .request(Method::POST, "/api/admin/api-keys", Some(&root), Some(body))
        .await;
    assert_eq!(status, 201, "{created}");
    created["key"].as_str().unwrap().to_owned()
}

pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (u16, Value) {
    app.request(method, &format!("/api/server/v1{path}"), Some(key), body)
        .await
}

#[tokio::test]
async fn operators_make_keys_shown_once_scoped_and_revocable() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    // Only operators make keys.
    let body = json!({ "name": "mine", "scopes": ["users"] });
    let (status, _) = app
        .request(
            Method::POST,
            "/api/admin/api-keys",
            Some(&alice.token),
            Some(body),
        )
        .await;
    assert_eq!(status, 403);
    let users_key = key(&app, &["users"]).await;
    assert!(users_key.starts_with("cfk_"), "{users_key}");
    let presence_key = key(&app, &["presence"]).await;
    // Listed without secrets.
    let root = app.login("root").await.1["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, list) = app.get("/api/admin/api-keys", &root).await;
    assert_eq!(list["keys"].as_array().unwrap().len(), 2);
    assert!(
        !list.to_string().contains(&users_key[20..]),
        "a secret was listed"
    );

    let profile =
        json!({ "username": "dana", "display_name": "Dana", "email": "dana@example.com" });
    let (status, user) = call(
        &app,
        Method::PUT,
        "/users/ext-1",
        &users_key,
        Some(profile.clone()),
    )
    .await;
    assert_eq!(
        (status, user["external_id"].as_str()),
        (201, Some("ext-1")),
        "{user}"
    );
    // A key without the scope: 403; a user token or garbage: 401.
    let (status, body) = call(&app, Method::GET, "/users/ext-1", &presence_key, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("FORBIDDEN"))
    );
    let (status, _) = call(&app, Method::GET, "/users/ext-1", &alice.token, None).await;
    assert_eq!(status, 401);
    let (status, _) = call(&app, Method::GET, "/users/ext-1", "cfk_nope_nope", None).await;
    assert_eq!(status, 401);
    // Revoked: 401 from then on.
    let id = users_key
        .trim_start_matches("cfk_")
        .split('_')
        .next()
        .unwrap();
    let (status, _) = app
        .request(
            Method::DELETE,
            &format!("/api/admin/api-keys/{id}"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = call(&app, Method::GET, "/users/ext-1", &users_key, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("AUTH_FAILED"))
    );
}

#[tokio::test]
async fn a_product_provisions_users_connects_them_and_manages_their_sessions() {
    let app = spawn_app().await;
    let key = key(&app, &["users", "presence"]).await;
    let profile = json!({ "username": "erin", "display_name": "Erin", "avatar_url": "https://img.example/erin.png" });
    let (status, erin) = call(&app, Method::PUT, "/users/u-42", &key, Some(profile)).await;
    assert_eq!(status, 201, "{erin}");
    // Updating is the same call; a taken username is a conflict.
    let renamed = json!({ "username": "erin", "display_name": "Erin E." });
    let (status, updated) = call(&app, Method::PUT, "/users/u-42", &key, Some(renamed)).await;
    assert_eq!(
        (status, updated["display_name"].as_str()),
        (200, Some("Erin E."))
    );
    assert_eq!(updated["id"], erin["id"]);
    app.register("frank").await;
    let taken = json!({ "username": "frank" });
    let (status, _) = call(&app, Method::PUT, "/users/u-43", &key, Some(taken)).await;
    assert_eq!(status, 409);
    // No password: signing in as her fails like a wrong password.
    let (status, _) = app.login("erin").await;
    assert_eq!(status, 401);

    // The product hands her a token; she connects with it and shows online.
    let (status, auth) = call(&app, Method::POST, "/users/u-42/token", &key, None).await;
    assert_eq!(status, 200, "{auth}");
    let erin_user = TestUser {
        user: serde_json::from_value(auth["user"].clone()).unwrap(),
        token: auth["token"].as_str().unwrap().to_owned(),
    };
    let mut socket = app.connect(&erin_user).await;
    let query = json!({ "external_ids": ["u-42", "nobody"] });
    let (status, presence) = call(&app, Method::POST, "/presence", &key, Some(query)).await;
    assert_eq!(status, 200, "{presence}");
    assert_eq!(
        presence["users"],
        json!([{ "external_id": "u-42", "user_id": erin["id"], "status": "online", "last_seen_at": null }])
    );
    let (_, stats) = call(&app, Method::GET, "/stats", &key, None).await;
    assert_eq!(
        (stats["connections"].as_u64(), stats["users"].as_u64()),
        (Some(1), Some(1))
    );

    // Disconnected: the socket ends (kicked); her token still works.
    let (status, _) = call(&app, Method::POST, "/users/u-42/disconnect", &key, None).await;
    assert_eq!(status, 200);
    let frame = socket.expect_close().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), close::KICKED);
    let mut socket = app.connect(&erin_user).await;
    socket.assert_alive().await;

    // Banned: the socket ends and the token is revoked.
    let (status, banned) = call(&app, Method::POST, "/users/u-42/ban", &key, None).await;
    assert_eq!((status, banned["banned"].as_bool()), (200, Some(true)));
    socket
        .expect(|e| matches!(e, ServerEvent::Error { .. }))
        .await;
    let (status, _) = app.get("/api/me", &erin_user.token).await;
    assert_eq!(status, 401);
    let (status, _) = call(&app, Method::POST, "/users/u-42/token", &key, None).await;
    assert_eq!(status, 403);

    // Deleted: gone by her external id, her name free again.
    let (status, _) = call(&app, Method::DELETE, "/users/u-42", &key, None).await;
    assert_eq!(status, 204);
    let (status, _) = call(&app, Method::GET, "/users/u-42", &key, None).await;
    assert_eq!(status, 404);
    let again = json!({ "username": "erin" });
    let (status, _) = call(&app, Method::PUT, "/users/u-99", &key, Some(again)).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn keys_are_rate_limited_each_on_its_own() {
    let app = spawn_app_with(&["--server-api-requests-per-second", "1"]).await;
    let (first, second) = (
        key(&app, &["presence"]).await,
        key(&app, &["presence"]).await,
    );
    let mut codes = Vec::new();
    for _ in 0..6 {
        codes.push(call(&app, Method::GET, "/stats", &first, None).await.0);
    }
    assert_eq!(&codes[..4], [200, 200, 200, 200], "a burst of four");
    assert_eq!(codes[5], 429);
    assert_eq!(
        call(&app, Method::GET, "/stats", &second, None).await.0,
        200
    );
}

#[tokio::test]
async fn the_command_line_makes_lists_and_revokes_keys() {
    let app = spawn_app().await;
    let data = tempfile::tempdir().unwrap();
    let confab = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_confab"))
            .args(["--database-url", &app.database_url(), "--data-dir"])
            .arg(data.path())
            .args(args)
            .output()
            .expect("run confab");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        (
            output.status.success(),
            text,
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, out, err) = confab(&[
        "api-key",
        "create",
        "--name",
        "cli",
        "--scopes",
        "users,presence",
    ]);
    assert!(ok, "{err}");
    let created: Value = serde_json::from_str(&out).unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    let (status, _) = call(&app, Method::GET, "/stats", &key, None).await;
    assert_eq!(status, 200);
    let (ok, out, _) = confab(&["api-key", "list"]);
    assert!(
        ok && out.contains("\"cli\"") && !out.contains(&key[20..]),
        "{out}"
    );
    let (ok, _, err) = confab(&["api-key", "create", "--name", "x", "--scopes", "everything"]);
    assert!(!ok && err.contains("unknown scope"), "{err}");
    let id = created["info"]["id"].as_str().unwrap();
    let (ok, _, err) = confab(&["api-key", "revoke", id]);
    assert!(ok, "{err}");
    assert_eq!(call(&app, Method::GET, "/stats", &key, None).await.0, 401);
}

/// Provisions `external_id` as `username` and connects them with a token from the product.
pub async fn provisioned(app: &TestApp, key: &str, external_id: &str, username: &str) -> TestUser {
    let profile = json!({ "username": username });
    let path = format!("/users/{external_id}");
    let (status, _) = call(app, Method::PUT, &path, key, Some(profile)).await;
    assert_eq!(status, 201);
    let (status, auth) = call(app, Method::POST, &format!("{path}/token"), key, None).await;
    assert_eq!(status, 200, "{auth}");
    TestUser {
        user: serde_json::from_value(auth["user"].clone()).unwrap(),
        token: auth["token"].as_str().unwrap().to_owned(),
    }
}

#[tokio::test]
async fn a_product_makes_conversations_and_posts_messages_its_users_get_live() {
    let app = spawn_app().await;
    let key = key(&app, &["users", "conversations", "messages"]).await;
    let alice = provisioned(&app, &key, "u-1", "alice").await;
    let bob = provisioned(&app, &key, "u-2", "bob").await;
    let carol = provisioned(&app, &key, "u-3", "carol").await;
    let mut bob_ws = app.connect(&bob).await;
    let mut carol_ws = app.connect(&carol).await;

    // A group owned by alice with bob: bob is told at once.
    let group = json!({ "kind": "group", "member_external_ids": ["u-1", "u-2"], "title": "Launch", "platform": "whatsapp" });
    let (status, created) = call(&app, Method::POST, "/conversations", &key, Some(group)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        (created["title"].as_str(), created["platform"].as_str()),
        (Some("Launch"), Some("whatsapp"))
    );
    let id = created["id"].as_str().unwrap().to_owned();
    bob_ws
        .expect(|e| matches!(e, ServerEvent::ConversationUpdated { .. }))
        .await;
    // Carol added: her session joins it without reconnecting.
    let (status, _) = call(
        &app,
        Method::POST,
        &format!("/conversations/{id}/members"),
        &key,
        Some(json!({ "external_id": "u-3" })),
    )
    .await;
    assert_eq!(status, 204);
    carol_ws
        .expect(|e| matches!(e, ServerEvent::ConversationUpdated { .. }))
        .await;

    // A message as alice: stored with its seq, live to bob and carol; a retry stores nothing.
    let post =
        json!({ "sender_external_id": "u-1", "body": "Launch at noon", "idempotency_key": "k1" });
    let path = format!("/conversations/{id}/messages");
    let (status, message) = call(&app, Method::POST, &path, &key, Some(post.clone())).await;
    assert_eq!(
        (status, message["seq"].as_i64()),
        (201, Some(1)),
        "{message}"
    );
    for ws in [&mut bob_ws, &mut carol_ws] {
        let new = ws
            .expect(|e| matches!(e, ServerEvent::MessageNew { .. }))
            .await;
        assert_eq!(message_of(&new).body, "Launch at noon");
        assert_eq!(message_of(&new).sender_id, alice.id());
    }
    let (status, again) = call(&app, Method::POST, &path, &key, Some(post)).await;
    assert_eq!((status, &again["id"]), (200, &message["id"]));

    // As the system (no sender): the nil sender, live to every member, unread for all of them.
    let announce = json!({ "body": "Maintenance tonight", "idempotency_key": "sys-1" });
    let (status, system) = call(&app, Method::POST, &path, &key, Some(announce.clone())).await;
    assert_eq!((status, system["seq"].as_i64()), (201, Some(2)), "{system}");
    assert_eq!(system["sender_id"], UserId::SYSTEM.to_string());
    for ws in [&mut bob_ws, &mut carol_ws] {
        // (After alice's, published again by its retry.)
        let new = ws
            .expect(|e| matches!(e, ServerEvent::MessageNew { message } if message.seq == 2))
            .await;
        assert_eq!(message_of(&new).sender_id, UserId::SYSTEM);
    }
    let (status, again) = call(&app, Method::POST, &path, &key, Some(announce)).await;
    assert_eq!((status, &again["id"]), (200, &system["id"]));
    let (_, list) = app.get("/api/conversations", &alice.token).await;
    let listed = list["conversations"].as_array().unwrap();
    let unread = listed.iter().find(|c| c["id"] == id.as_str());
    assert_eq!(
        unread.unwrap()["unread"],
        1,
        "alice read hers, not the system's"
    );
    let nowhere = format!("/conversations/{}/messages", uuid::Uuid::now_v7());
    let lost = json!({ "body": "x", "idempotency_key": "sys-2" });
    let (status, body) = call(&app, Method::POST, &nowhere, &key, Some(lost)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("NOT_FOUND"))
    );
    let (_, page) = app
        .get(&format!("/api/conversations/{id}/messages"), &bob.token)
        .await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 2);
    // Nobody signs in as the system.
    let login = json!({ "username": "~system", "password": "whatever-it-is" });
    let (status, _) = app
        .request(Method::POST, "/api/auth/login", None, Some(login))
        .await;
    assert_eq!(status, 401);

    // Not a member, not a key with the scope: refused.
    let outsider = json!({ "sender_external_id": "u-4", "body": "hi", "idempotency_key": "k2" });
    app.register("dave").await;
    let (status, _) = call(
        &app,
        Method::PUT,
        "/users/u-4",
        &key,
        Some(json!({ "username": "dan" })),
    )
    .await;
    assert_eq!(status, 201);
    let (status, body) = call(&app, Method::POST, &path, &key, Some(outsider)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("NOT_A_MEMBER"))
    );
    let users_only = self::key(&app, &["users"]).await;
    let post = json!({ "sender_external_id": "u-1", "body": "x", "idempotency_key": "k3" });
    let (status, _) = call(&app, Method::POST, &path, &users_only, Some(post)).await;
    assert_eq!(status, 403);

    // Carol removed: her session leaves it at once.
    let (status, _) = call(
        &app,
        Method::DELETE,
        &format!("/conversations/{id}/members/u-3"),
        &key,
        None,
    )
    .await;
    assert_eq!(status, 204);
    carol_ws
        .expect(|e| matches!(e, ServerEvent::ConversationRemoved { .. }))
        .await;

    // Unknown members are named.
    let ghosts =
        json!({ "kind": "group", "member_external_ids": ["u-1", "ghost-9"], "title": "Nope" });
    let (status, body) = call(&app, Method::POST, "/conversations", &key, Some(ghosts)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("NOT_FOUND")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ghost-9"),
        "{body}"
    );

    // A direct conversation: created once, the same one after.
    let direct = json!({ "kind": "direct", "member_external_ids": ["u-1", "u-3"] });
    let (status, first) = call(
        &app,
        Method::POST,
        "/conversations",
        &key,
        Some(direct.clone()),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    let (status, second) = call(&app, Method::POST, "/conversations", &key, Some(direct)).await;
    assert_eq!((status, &second["id"]), (200, &first["id"]));
}

/// The payload of the next Socket.IO event named `name`.
async fn socketio_event(stream: &mut Stream, name: &str) -> Value {
    loop {
        if let Some(body) = next_text(stream).await.strip_prefix("42") {
            let event: Value = serde_json::from_str(body).unwrap();
            if event[0] == name {
                return event[1].clone();
            }
        }
    }
}

#[tokio::test]
async fn product_events_reach_native_clients_and_socketio_clients_by_their_name() {
    let app = spawn_app().await;
    let key = key(&app, &["users", "conversations", "events"]).await;
    let alice = provisioned(&app, &key, "u-1", "alice").await;
    let bob = provisioned(&app, &key, "u-2", "bob").await;
    let mut bob_ws = app.connect(&bob).await;
    let (mut alice_io, _) = socketio(
        &app,
        &json!({ "token": alice.token, "vocabulary": "snake" }),
    )
    .await;

    // To users by the product's ids (unknown ones left out).
    let data = json!({ "application_id": 42, "status": "interview" });
    let event = json!({ "name": "job_application_update", "data": data, "user_external_ids": ["u-1", "u-2", "nobody"] });
    let (status, published) = call(&app, Method::POST, "/events", &key, Some(event)).await;
    assert_eq!(
        (status, published["recipients"].as_u64()),
        (202, Some(2)),
        "{published}"
    );
    let got = bob_ws
        .expect(|e| matches!(e, ServerEvent::CustomEvent { .. }))
        .await;
    assert_eq!(
        got,
        ServerEvent::CustomEvent {
            name: "job_application_update".into(),
            data: data.clone()
        }
    );
    assert_eq!(
        socketio_event(&mut alice_io, "job_application_update").await,
        data
    );

    // To a conversation's members.
    let group = json!({ "kind": "group", "member_external_ids": ["u-1", "u-2"], "title": "Poll" });
    let (_, created) = call(&app, Method::POST, "/conversations", &key, Some(group)).await;
    let closed = json!({ "name": "poll.closed", "data": { "winner": "pizza" }, "conversation_id": created["id"] });
    let (status, published) = call(&app, Method::POST, "/events", &key, Some(closed)).await;
    assert_eq!((status, published["recipients"].as_u64()), (202, Some(2)));
    bob_ws
        .expect(|e| matches!(e, ServerEvent::CustomEvent { name, .. } if name == "poll.closed"))
        .await;
    assert_eq!(
        socketio_event(&mut alice_io, "poll.closed").await["winner"],
        "pizza"
    );

    // To everyone connected: a user in no conversation with anyone gets it too.
    let carol = app.register("carol").await;
    let mut carol_ws = app.connect(&carol).await;
    let all = json!({ "name": "maintenance", "data": { "at": "22:00" }, "everyone": true });
    let (status, published) = call(&app, Method::POST, "/events", &key, Some(all)).await;
    assert_eq!((status, published["recipients"].as_u64()), (202, Some(0)));
    for ws in [&mut bob_ws, &mut carol_ws] {
        ws.expect(|e| matches!(e, ServerEvent::CustomEvent { name, .. } if name == "maintenance"))
            .await;
    }
    assert_eq!(
        socketio_event(&mut alice_io, "maintenance").await["at"],
        "22:00"
    );

    // Refused: Socket.IO's own names, no target or two, a key without the scope.
    for bad in [
        json!({ "name": "disconnect", "user_external_ids": ["u-1"] }),
        json!({ "name": "ok" }),
        json!({ "name": "ok", "user_external_ids": ["u-1"], "conversation_id": created["id"] }),
        json!({ "name": "ok", "user_external_ids": ["u-1"], "everyone": true }),
    ] {
        let (status, body) = call(&app, Method::POST, "/events", &key, Some(bad)).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (422, Some("VALIDATION_FAILED")),
            "{body}"
        );
    }
    let users_only = self::key(&app, &["users"]).await;
    let event = json!({ "name": "ok", "user_external_ids": ["u-1"] });
    assert_eq!(
        call(&app, Method::POST, "/events", &users_only, Some(event))
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn a_product_puts_its_own_notifications_in_bells() {
    let app = spawn_app().await;
    let key = key(&app, &["users", "notifications"]).await;
    provisioned(&app, &key, "shop", "acme").await;
    let bob = provisioned(&app, &key, "u-2", "bob").await;
    let mut bob_ws = app.connect(&bob).await;
    let note = json!({ "user_external_ids": ["u-2", "shop", "nobody"], "actor_external_id": "shop", "text": "Your order shipped", "link": "https://shop.example/orders/991" });
    let (status, created) = call(&app, Method::POST, "/notifications", &key, Some(note)).await;
    assert_eq!(
        (status, created["recipients"].as_u64()),
        (201, Some(1)),
        "{created}"
    );
    let ServerEvent::NotificationNew {
        notification,
        unread_notifications,
    } = bob_ws
        .expect(|e| matches!(e, ServerEvent::NotificationNew { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(notification.kind, protocol::NotificationKind::App);
    assert_eq!(notification.text.as_deref(), Some("Your order shipped"));
    assert_eq!(
        notification.link.as_deref(),
        Some("https://shop.example/orders/991")
    );
    assert_eq!(notification.actor.username, "acme");
    assert_eq!(unread_notifications, 1);
    let (_, list) = app.get("/api/notifications", &bob.token).await;
    assert_eq!(
        list["notifications"][0]["link"],
        "https://shop.example/orders/991"
    );
    for bad in [
        json!({ "user_external_ids": ["u-2"], "actor_external_id": "shop", "text": "  " }),
        json!({ "user_external_ids": ["u-2"], "actor_external_id": "shop", "text": "x", "link": "javascript:alert(1)" }),
    ] {
        let (status, _) = call(&app, Method::POST, "/notifications", &key, Some(bad)).await;
        assert_eq!(status, 422);
    }
}
