//! The REST API: accounts, search, conversations, history pagination, health, error bodies.

use crate::helpers::*;
use protocol::rest::MessagePage;
use protocol::{ClientEvent, ServerEvent};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn register_login_and_me() {
    let app = spawn_app().await;
    let alice = app.register("Alice").await;
    assert_eq!(alice.user.username, "alice", "usernames are normalised");
    assert_eq!(alice.user.display_name, "ALICE");

    let (status, body) = app
        .request(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"username": "alice", "password": "whatever123"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("CONFLICT"))
    );

    let (status, body) = app
        .request(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"username": "x", "password": "short"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("VALIDATION_FAILED"))
    );

    let (status, body) = app
        .request(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "alice", "password": "wrong-password"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("AUTH_FAILED"))
    );

    let response = app
        .http
        .post(app.url("/api/auth/login"))
        .json(&json!({"username": "ALICE", "password": "password-Alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("confab_token=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["expires_at"].as_i64().unwrap() > 0);

    let (status, me) = app.get("/api/me", body["token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(me["id"], json!(alice.id()));
    // The cookie alone authenticates too (that is how the browser app works).
    let token_cookie = cookie.split(';').next().unwrap();
    let response = app
        .http
        .get(app.url("/api/me"))
        .header("cookie", token_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let (status, body) = app.request(Method::GET, "/api/me", None, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("NOT_AUTHENTICATED"))
    );
}

#[tokio::test]
async fn an_email_is_optional_unique_and_checked_and_a_group_may_name_its_platform() {
    let app = spawn_app().await;
    let register = |name: &str, email: serde_json::Value| {
        let body = json!({ "username": name, "password": "password-long", "email": email });
        app.request(Method::POST, "/api/auth/register", None, Some(body))
    };
    let (status, ann) = register("ann", json!("Ann@Example.com")).await;
    assert_eq!(status, 201, "{ann}");
    // The email is not part of the public user.
    assert!(ann["user"].get("email").is_none(), "{ann}");
    let (status, body) = register("ann2", json!("ann@example.COM")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("CONFLICT"))
    );
    assert!(body["error"]["message"].as_str().unwrap().contains("email"));
    let (status, body) = register("ann3", json!("not an email")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("VALIDATION_FAILED"))
    );
    // Without one, as before (any number of accounts).
    assert_eq!(register("bob", json!(null)).await.0, 201);
    assert_eq!(register("carol", json!(null)).await.0, 201);

    let token = ann["token"].as_str().unwrap();
    let group = |platform: serde_json::Value| {
        let body = json!({ "kind": "group", "title": "Imported", "platform": platform });
        app.post("/api/conversations", token, body)
    };
    let (status, conversation) = group(json!("WhatsApp")).await;
    assert_eq!(status, 201, "{conversation}");
    assert_eq!(conversation["platform"], "whatsapp");
    let (status, body) = group(json!("what's app")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("VALIDATION_FAILED"))
    );
    let (_, own) = group(json!(null)).await;
    assert_eq!(own["platform"], serde_json::Value::Null);
    let (_, listed) = app.get("/api/conversations", token).await;
    let platforms: Vec<_> = listed["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["platform"].clone())
        .collect();
    assert!(platforms.contains(&json!("whatsapp")), "{listed}");
}

#[tokio::test]
async fn bad_bodies_get_json_errors() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "INVALID_PAYLOAD");

    let big = json!({"username": "a".repeat(100_000), "password": "x"});
    let (status, body) = app
        .request(Method::POST, "/api/auth/login", None, Some(big))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("PAYLOAD_TOO_LARGE"))
    );
}

#[tokio::test]
async fn every_path_under_api_answers_errors_in_json() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    for (method, path, status, code) in [
        (Method::GET, "/api", 404, "NOT_FOUND"),
        (Method::GET, "/api/", 404, "NOT_FOUND"),
        (Method::POST, "/api/", 404, "NOT_FOUND"),
        (Method::GET, "/api/no/such/thing", 404, "NOT_FOUND"),
        (Method::DELETE, "/api/auth/login", 405, "NOT_FOUND"),
        (Method::PUT, "/api/conversations", 405, "NOT_FOUND"),
    ] {
        let (got, body) = app
            .request(method.clone(), path, Some(&alice.token), None)
            .await;
        assert_eq!(
            (got, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{method} {path}: {body}"
        );
    }
}

#[tokio::test]
async fn sign_in_attempts_are_a_burst_then_a_steady_rate() {
    // Sixty a minute, as the README says: sixty at once, then one more each second (not
    // another sixty at the turn of a minute).
    let app = spawn_app_with(&["--auth-attempts-per-minute", "60"]).await;
    let wrong = json!({"username": "nobody", "password": "password-x"});
    let attempt = || async {
        app.request(Method::POST, "/api/auth/login", None, Some(wrong.clone()))
            .await
            .0
    };
    let mut codes = Vec::new();
    for _ in 0..61 {
        codes.push(attempt().await);
    }
    assert!(codes[..60].iter().all(|c| *c == 401), "{codes:?}");
    assert_eq!(codes[60], 429);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!([attempt().await, attempt().await], [401, 429]);
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited() {
    let app = spawn_app_with(&["--auth-attempts-per-minute", "3"]).await;
    let wrong = json!({"username": "nobody", "password": "password-x"});
    let mut codes = Vec::new();
    for _ in 0..5 {
        let (status, _) = app
            .request(Method::POST, "/api/auth/login", None, Some(wrong.clone()))
            .await;
        codes.push(status);
    }
    assert_eq!(codes, [401, 401, 401, 429, 429]);
}

#[tokio::test]
async fn user_search_finds_others_by_name() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    app.register("alfred").await;
    app.register("bob").await;
    let (status, body) = app.get("/api/users?q=AL", &alice.token).await;
    assert_eq!(status, 200);
    let names: Vec<_> = body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alfred"], "the caller is not listed");
    // LIKE wildcards are literal.
    let (_, body) = app.get("/api/users?q=%25", &alice.token).await;
    assert!(body["users"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn conversations_list_and_direct_reuse() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
    );
    let (status, first) = app
        .post(
            "/api/conversations",
            &alice.token,
            json!({"kind": "direct", "user_id": bob.id()}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, again) = app
        .post(
            "/api/conversations",
            &bob.token,
            json!({"kind": "direct", "user_id": alice.id()}),
        )
        .await;
    assert_eq!(status, 200, "the existing direct conversation is reused");
    assert_eq!(first["id"], again["id"]);
    let group = app.group(&alice, "Later", &[&carol]).await;

    let mut a = app.connect(&alice).await;
    a.send(ClientEvent::SendMessage {
        conversation_id: serde_json::from_value(first["id"].clone()).unwrap(),
        temp_id: "t".into(),
        body: "newest".into(),
        reply_to: None,
        attachments: Vec::new(),
    })
    .await;
    a.expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
        .await;

    let (status, list) = app.get("/api/conversations", &alice.token).await;
    assert_eq!(status, 200);
    let list = list["conversations"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], first["id"], "most recently active first");
    assert_eq!(list[0]["last_message"]["body"], "newest");
    assert_eq!(list[1]["id"], json!(group));
    assert_eq!(list[1]["title"], "Later");
    assert!(list[1]["last_message"].is_null());

    let (status, one) = app
        .get(&format!("/api/conversations/{group}"), &carol.token)
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["members"].as_array().unwrap().len(), 2);
    let (status, _) = app
        .get(&format!("/api/conversations/{group}"), &bob.token)
        .await;
    assert_eq!(status, 404, "non-members cannot see it");
    let (status, body) = app.get("/api/conversations/not-an-id", &bob.token).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("NOT_FOUND"))
    );
}

#[tokio::test]
async fn history_pages_with_before_and_after() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let group = app.group(&alice, "Log", &[&bob]).await;
    let mut a = app.connect(&alice).await;
    for i in 1..=7 {
        a.send(ClientEvent::SendMessage {
            conversation_id: group,
            temp_id: format!("t{i}"),
            body: format!("m{i}"),
            reply_to: None,
            attachments: Vec::new(),
        })
        .await;
        a.expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
            .await;
    }
    let page = |query: String| {
        let app = &app;
        let token = bob.token.clone();
        async move {
            let (status, body) = app
                .get(
                    &format!("/api/conversations/{group}/messages?{query}"),
                    &token,
                )
                .await;
            assert_eq!(status, 200, "{body}");
            serde_json::from_value::<MessagePage>(body).unwrap()
        }
    };
    let seqs = |p: &MessagePage| p.messages.iter().map(|m| m.seq).collect::<Vec<_>>();

    let latest = page("limit=3".into()).await;
    assert_eq!((seqs(&latest), latest.has_more), (vec![5, 6, 7], true));
    let older = page("limit=3&before=5".into()).await;
    assert_eq!((seqs(&older), older.has_more), (vec![2, 3, 4], true));
    let oldest = page("limit=3&before=2".into()).await;
    assert_eq!((seqs(&oldest), oldest.has_more), (vec![1], false));
    let newer = page("limit=4&after=4".into()).await;
    assert_eq!((seqs(&newer), newer.has_more), (vec![5, 6, 7], false));

    let (status, body) = app
        .get(
            &format!("/api/conversations/{group}/messages?limit=0"),
            &bob.token,
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("VALIDATION_FAILED"))
    );
    let (status, body) = app
        .get(
            &format!("/api/conversations/{group}/messages?limit=abc"),
            &bob.token,
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("INVALID_PAYLOAD"))
    );
}

#[tokio::test]
async fn health_reports_database_and_live_stats() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let _a1 = app.connect(&alice).await;
    let _a2 = app.connect(&alice).await;
    let _b = app.connect(&bob).await;
    let (status, health) = app.request(Method::GET, "/health", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"], "ok");
    assert_eq!(health["connections"], 3);
    assert_eq!(health["authenticated_users"], 2);
    assert_eq!(health["rooms"], 0);
    assert_eq!(health["protocol_version"], protocol::PROTOCOL_VERSION);
    // The messaging hub's shape of the same facts, for its monitoring.
    let services = &health["services"];
    assert_eq!(services["database"], "connected");
    assert_eq!(services["redis"], "not_configured");
    assert_eq!(services["websocket"]["status"], "active");
    assert_eq!(services["websocket"]["connections"], 3);
    assert_eq!(services["websocket"]["authenticatedUsers"], 2);
    let stamp = health["timestamp"].as_str().expect("timestamp");
    assert!(
        stamp.len() >= 20 && stamp.ends_with('Z') && stamp.contains('T'),
        "{stamp}"
    );
}

#[tokio::test]
async fn the_session_endpoint_never_fails_for_signed_out_browsers() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let (status, body) = app
        .request(Method::GET, "/api/auth/session", None, None)
        .await;
    assert_eq!((status, &body["user"]), (200, &serde_json::Value::Null));
    let (status, body) = app
        .request(
            Method::GET,
            "/api/auth/session",
            Some("stale.token.here"),
            None,
        )
        .await;
    assert_eq!((status, &body["user"]), (200, &serde_json::Value::Null));
    let (status, body) = app.get("/api/auth/session", &alice.token).await;
    assert_eq!((status, &body["user"]["username"]), (200, &json!("alice")));
}

#[tokio::test]
async fn groups_with_unknown_members_are_refused() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let ghost = protocol::UserId::new();
    let (status, body) = app
        .post(
            "/api/conversations",
            &alice.token,
            json!({"kind": "group", "title": "T", "member_ids": [bob.id(), ghost]}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("NOT_FOUND"))
    );
    // Duplicates and the creator herself in the list are fine.
    let (status, body) = app
        .post(
            "/api/conversations",
            &alice.token,
            json!({"kind": "group", "title": "T", "member_ids": [bob.id(), bob.id(), alice.id()]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["members"].as_array().unwrap().len(), 2);
    let (status, body) = app
        .post(
            "/api/conversations",
            &alice.token,
            json!({"kind": "group", "title": "  "}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("VALIDATION_FAILED"))
    );
}

#[tokio::test]
async fn rest_requests_are_rate_limited_per_address() {
    let app = spawn_app_with(&["--api-requests-per-second", "2"]).await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let (status, body) = app.request(Method::GET, "/health", None, None).await;
        if status == 429 {
            assert_eq!(body["error"]["code"], "RATE_LIMITED");
        }
        statuses.push(status);
    }
    assert_eq!(statuses[..8], [200; 8], "a burst of 4× the rate passes");
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[tokio::test]
async fn every_api_error_has_a_json_body() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let code = |body: &serde_json::Value| body["error"]["code"].as_str().map(str::to_owned);

    let (status, body) = app.get("/api/no/such/thing", &alice.token).await;
    assert_eq!(
        (status, code(&body)),
        (404, Some("NOT_FOUND".into())),
        "{body}"
    );

    // A known path with a method it does not take.
    let (status, body) = app
        .request(
            Method::DELETE,
            "/api/conversations",
            Some(&alice.token),
            None,
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (405, Some("NOT_FOUND".into())),
        "{body}"
    );
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("DELETE"));

    // A path segment that is not UTF-8.
    let (status, body) = app.get("/api/conversations/%ff", &alice.token).await;
    assert_eq!(
        (status, code(&body)),
        (400, Some("INVALID_PAYLOAD".into())),
        "{body}"
    );
    let (status, body) = app
        .get("/api/conversations/%ff/messages", &alice.token)
        .await;
    assert_eq!(
        (status, code(&body)),
        (400, Some("INVALID_PAYLOAD".into())),
        "{body}"
    );
}

/// A wrong sign-in from `from` (as an `X-Forwarded-For` header says); its status.
async fn guess_from(app: &TestApp, from: &str) -> u16 {
    app.http
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", from)
        .json(&serde_json::json!({"username": "mallory", "password": "guess-guess"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_quota() {
    let app = spawn_app_with(&[
        "--auth-attempts-per-minute",
        "2",
        "--trusted-proxies",
        "10.0.0.0/8,127.0.0.1",
    ])
    .await;
    let one = [
        guess_from(&app, "203.0.113.1").await,
        guess_from(&app, "203.0.113.1").await,
        guess_from(&app, "203.0.113.1").await,
    ];
    assert_eq!(one, [401, 401, 429]);
    // Another client behind the same proxy is not punished for the first one's guesses, even
    // when it came through a second trusted proxy.
    assert_eq!(guess_from(&app, "203.0.113.2, 10.1.2.3").await, 401);
}

#[tokio::test]
async fn a_forwarded_for_header_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app_with(&["--auth-attempts-per-minute", "2"]).await;
    let statuses = [
        guess_from(&app, "203.0.113.1").await,
        guess_from(&app, "203.0.113.2").await,
        guess_from(&app, "203.0.113.3").await,
    ];
    assert_eq!(
        statuses,
        [401, 401, 429],
        "one address, whatever the header says"
    );
}

#[tokio::test]
async fn the_social_apps_like_button_toggles_and_its_realtime_routes_answer() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let (_, post) = app
        .post(
            "/api/posts",
            &alice.token,
            serde_json::json!({"body": "hi"}),
        )
        .await;
    let like = format!("/api/posts/{}/like", post["id"].as_str().unwrap());
    let (status, liked) = app.post(&like, &bob.token, serde_json::json!({})).await;
    assert_eq!(status, 200, "{liked}");
    assert_eq!(
        (
            &liked["success"],
            &liked["liked"],
            &liked["likes_count"],
            &liked["like_count"]
        ),
        (&json!(true), &json!(true), &json!(1), &json!(1))
    );
    let (_, unliked) = app.post(&like, &bob.token, serde_json::json!({})).await;
    assert_eq!(
        (&unliked["liked"], &unliked["likes_count"]),
        (&json!(false), &json!(0))
    );
    let missing = format!("/api/posts/{}/like", uuid::Uuid::now_v7());
    let (status, body) = app.post(&missing, &bob.token, serde_json::json!({})).await;
    assert_eq!((status, &body["error"]["code"]), (404, &json!("NOT_FOUND")));

    let _socket = app.connect(&bob).await;
    let (status, state) = app.request(Method::GET, "/api/ws/status", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        state,
        json!({ "success": true, "websocket_enabled": true, "active_connections": 1, "online_users": 1, "redis_enabled": false })
    );
    let body = serde_json::json!({ "message": "Test notification message" });
    let (status, sent) = app
        .post("/api/ws/test-notification", &bob.token, body)
        .await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["message"], "Test notification sent");
    assert_eq!(sent["user_id"], json!(bob.id()));
    assert_eq!(sent["notification"]["text"], "Test notification message");
    let (status, _) = app
        .request(
            Method::POST,
            "/api/ws/test-notification",
            None,
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 401);
}
