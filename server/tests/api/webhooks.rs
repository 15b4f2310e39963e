//! Webhooks: a product's backend (a real HTTP server in the test) registers an endpoint and gets
//! every change it asked for, signed (checked by the Standard Webhooks reference library), in
//! order per conversation, retried while it fails, logged and replayable, delivered by one
//! instance of several, and never lost by an instance killed between commit and delivery.

use crate::helpers::*;
use crate::server_api::{call, key, provisioned};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use reqwest::Method;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// The product's webhook endpoint: records every request; answers 503 while `down` or for the
/// next `fail_next` requests, else 204.
#[derive(Default)]
struct Receiver {
    got: Mutex<Vec<Received>>,
    down: AtomicBool,
    fail_next: AtomicUsize,
}

impl Receiver {
    async fn start() -> (Arc<Receiver>, String) {
        let receiver = Arc::new(Receiver::default());
        let router = axum::Router::new()
            .route("/hooks", axum::routing::post(take))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (receiver, format!("http://{addr}/hooks"))
    }

    fn all(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Each event once (the first copy), in arrival order: what a deduplicating receiver keeps.
    fn unique(&self) -> Vec<Received> {
        let mut seen = std::collections::HashSet::new();
        self.all()
            .into_iter()
            .filter(|r| seen.insert(r.id.clone()))
            .collect()
    }

    /// Waits until `n` distinct events have arrived; returns them.
    async fn wait_unique(&self, n: usize) -> Vec<Received> {
        for _ in 0..600 {
            let unique = self.unique();
            if unique.len() >= n {
                return unique;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{n} webhook events expected, got {:#?}", self.unique());
    }
}

async fn take(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    receiver.got.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body,
    });
    let failing = receiver.down.load(Ordering::SeqCst)
        || receiver
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
    if failing {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::NO_CONTENT
    }
}

/// Verifies a delivery with the Standard Webhooks reference library (Python); returns the
/// event type it read.
fn verify_with_reference_library(secret: &str, delivery: &Received) -> Result<String, String> {
    let python = python_env().join("bin/python");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../end2end/python/verify_webhook.py"
    );
    let mut child = Command::new(&python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{} ({e}): run scripts/setup.sh python", python.display()));
    let input = json!({
        "secret": secret,
        "body": delivery.body,
        "headers": {
            "webhook-id": delivery.id,
            "webhook-timestamp": delivery.timestamp,
            "webhook-signature": delivery.signature,
        },
    });
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if out.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

/// Registers an endpoint for `types`; returns its id and secret.
async fn register(app: &TestApp, key: &str, url: &str, types: &[&str]) -> (String, String) {
    let body = json!({ "url": url, "event_types": types, "description": "the product" });
    let (status, created) = call(app, Method::POST, "/webhooks", key, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    (
        created["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

async fn post(app: &TestApp, key: &str, conversation: &str, sender: &str, body: &str) -> Value {
    let message = json!({ "sender_external_id": sender, "body": body, "idempotency_key": body });
    let path = format!("/conversations/{conversation}/messages");
    let (status, stored) = call(app, Method::POST, &path, key, Some(message)).await;
    assert!(status == 201 || status == 200, "{status} {stored}");
    stored
}

async fn group(app: &TestApp, key: &str, members: &[&str]) -> String {
    let body = json!({ "kind": "group", "member_external_ids": members, "title": "Orders" });
    let (status, created) = call(app, Method::POST, "/conversations", key, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

async fn deliveries(app: &TestApp, key: &str, endpoint: &str, query: &str) -> Vec<Value> {
    let path = format!("/webhooks/{endpoint}/deliveries{query}");
    let (status, log) = call(app, Method::GET, &path, key, None).await;
    assert_eq!(status, 200, "{log}");
    log["deliveries"].as_array().unwrap().clone()
}

const SCOPES: &[&str] = &["users", "conversations", "messages", "webhooks"];

#[tokio::test]
async fn a_product_gets_every_change_signed_in_order_and_retried_until_it_takes_it() {
    let app = spawn_app_with(&["--webhook-retry-base-ms", "100"]).await;
    let key = key(&app, SCOPES).await;
    let (receiver, url) = Receiver::start().await;

    // Registration is checked and needs its scope.
    let no_scope = self::key(&app, &["messages"]).await;
    let body = json!({ "url": url, "event_types": ["*"] });
    let (status, _) = call(&app, Method::POST, "/webhooks", &no_scope, Some(body)).await;
    assert_eq!(status, 403);
    for (url, types) in [
        ("ftp://x/y", json!(["*"])),
        (url.as_str(), json!(["message.sent"])),
        (url.as_str(), json!([])),
    ] {
        let body = json!({ "url": url, "event_types": types });
        let (status, error) = call(&app, Method::POST, "/webhooks", &key, Some(body)).await;
        assert_eq!(
            (status, error["error"]["code"].as_str()),
            (422, Some("VALIDATION_FAILED")),
            "{error}"
        );
    }
    let types = [
        "conversation.created",
        "conversation.member_added",
        "message.created",
        "message.edited",
    ];
    let (endpoint, secret) = register(&app, &key, &url, &types).await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let (_, listed) = call(&app, Method::GET, "/webhooks", &key, None).await;
    assert_eq!(listed["endpoints"][0]["id"], endpoint.as_str());
    assert!(listed["endpoints"][0].get("secret").is_none(), "shown once");

    // Changes made through the server API and by a user over the WebSocket.
    let alice = provisioned(&app, &key, "u-1", "alice").await;
    provisioned(&app, &key, "u-2", "bob").await;
    let conversation = group(&app, &key, &["u-1", "u-2"]).await;
    post(&app, &key, &conversation, "u-1", "first").await;
    post(&app, &key, &conversation, "u-2", "second").await;
    post(&app, &key, &conversation, "u-1", "first").await; // a retry: no new event
    let mut ws = app.connect(&alice).await;
    ws.send(protocol::ClientEvent::SendMessage {
        conversation_id: conversation.parse().unwrap(),
        temp_id: "t-3".into(),
        body: "third".into(),
        reply_to: None,
        attachments: Vec::new(),
    })
    .await;
    let ack = ws
        .expect(|e| matches!(e, protocol::ServerEvent::MessageAck { .. }))
        .await;
    let protocol::ServerEvent::MessageAck { message, .. } = ack else {
        unreachable!()
    };
    ws.send(protocol::ClientEvent::DeleteMessage {
        message_id: message.id,
    })
    .await;

    let got = receiver.wait_unique(4).await;
    let kinds: Vec<_> = got.iter().map(|r| r.json()["type"].clone()).collect();
    assert_eq!(
        kinds,
        [
            "conversation.created",
            "message.created",
            "message.created",
            "message.created"
        ]
    );
    let bodies: Vec<_> = got[1..]
        .iter()
        .map(|r| r.json()["data"]["body"].clone())
        .collect();
    assert_eq!(
        bodies,
        ["first", "second", "third"],
        "in seq order, once each"
    );
    let created = got[0].json();
    assert_eq!(created["data"]["conversation_id"], conversation.as_str());
    assert_eq!(created["data"]["member_ids"].as_array().unwrap().len(), 2);
    assert!(created["timestamp"].as_str().unwrap().ends_with('Z'));
    // Signed as Standard Webhooks says: the reference library accepts every delivery, and
    // rejects one whose body was altered.
    for delivery in &got {
        let kind = verify_with_reference_library(&secret, delivery).expect("verified");
        assert_eq!(kind, delivery.json()["type"]);
    }
    let mut forged = got[1].clone();
    forged.body = forged.body.replace("first", "FIRST");
    assert!(verify_with_reference_library(&secret, &forged).is_err());
    // message.deleted was not asked for.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.unique().len(), 4);

    // The endpoint fails three times: the event is retried (the same id), and the events
    // behind it in its conversation wait for it.
    receiver.fail_next.store(3, Ordering::SeqCst);
    post(&app, &key, &conversation, "u-2", "fourth").await;
    post(&app, &key, &conversation, "u-2", "fifth").await;
    let got = receiver.wait_unique(6).await;
    let tail: Vec<_> = got[4..]
        .iter()
        .map(|r| r.json()["data"]["body"].clone())
        .collect();
    assert_eq!(tail, ["fourth", "fifth"]);
    let fourth = &got[4].id;
    let copies = receiver.all().iter().filter(|r| &r.id == fourth).count();
    assert_eq!(copies, 4, "three failures, then taken");
    // (The endpoint has the event before the outcome is written: wait for the log.)
    let mut log = Vec::new();
    for _ in 0..100 {
        log = deliveries(&app, &key, &endpoint, "?status=delivered").await;
        if log.len() == 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(log.len(), 6);
    let entry = log.iter().find(|d| &d["event_id"] == fourth).unwrap();
    assert_eq!(
        (entry["attempts"].as_i64(), entry["last_status"].as_i64()),
        (Some(4), Some(204))
    );

    // Replayed on demand: the same id again.
    let path = format!("/webhooks/{endpoint}/deliveries/{fourth}/replay");
    let (status, _) = call(&app, Method::POST, &path, &key, None).await;
    assert_eq!(status, 202);
    for _ in 0..100 {
        if receiver.all().iter().filter(|r| &r.id == fourth).count() == 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(receiver.all().iter().filter(|r| &r.id == fourth).count(), 5);
    let (status, _) = call(
        &app,
        Method::POST,
        &format!("/webhooks/{endpoint}/deliveries/evt_x/replay"),
        &key,
        None,
    )
    .await;
    assert_eq!(status, 404);

    // Removed: nothing more is sent.
    let (status, _) = call(
        &app,
        Method::DELETE,
        &format!("/webhooks/{endpoint}"),
        &key,
        None,
    )
    .await;
    assert_eq!(status, 204);
    post(&app, &key, &conversation, "u-2", "sixth").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(receiver.unique().len(), 6);
}

#[tokio::test]
async fn a_delivery_that_keeps_failing_is_marked_failed_and_replayable() {
    let app = spawn_app_with(&[
        "--webhook-retry-base-ms",
        "100",
        "--webhook-retry-window-secs",
        "1",
    ])
    .await;
    let key = key(&app, SCOPES).await;
    let (receiver, url) = Receiver::start().await;
    receiver.down.store(true, Ordering::SeqCst);
    let (endpoint, _) = register(&app, &key, &url, &["message.created"]).await;
    provisioned(&app, &key, "u-1", "alice").await;
    provisioned(&app, &key, "u-2", "bob").await;
    let conversation = group(&app, &key, &["u-1", "u-2"]).await;
    post(&app, &key, &conversation, "u-1", "lost-for-now").await;

    let mut failed = Vec::new();
    for _ in 0..100 {
        failed = deliveries(&app, &key, &endpoint, "?status=failed").await;
        if !failed.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(failed.len(), 1, "failed after its window");
    let attempts = failed[0]["attempts"].as_i64().unwrap();
    assert!(attempts >= 3, "retried with backoff: {attempts}");
    assert_eq!(failed[0]["last_error"], "HTTP 503 Service Unavailable");
    assert_eq!(receiver.all().len() as i64, attempts);

    receiver.down.store(false, Ordering::SeqCst);
    let id = failed[0]["event_id"].as_str().unwrap();
    let path = format!("/webhooks/{endpoint}/deliveries/{id}/replay");
    let (status, _) = call(&app, Method::POST, &path, &key, None).await;
    assert_eq!(status, 202);
    for _ in 0..100 {
        if !deliveries(&app, &key, &endpoint, "?status=delivered")
            .await
            .is_empty()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivered = deliveries(&app, &key, &endpoint, "?status=delivered").await;
    assert_eq!(delivered[0]["event_id"], id);
    assert_eq!(
        receiver.all().last().unwrap().json()["data"]["body"],
        "lost-for-now"
    );
}

/// A Confab process of the test's own, killed with SIGKILL when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_instance(port: u16, database: &str, dir: &std::path::Path) -> Process {
    let child = Command::new(env!("CARGO_BIN_EXE_confab"))
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .args(["--database-url", database])
        .args(["--jwt-secret", SECRET, "--admin-usernames", "root"])
        .args(["--webhook-retry-base-ms", "100"])
        .arg("--data-dir")
        .arg(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start confab");
    Process(child)
}

#[tokio::test]
async fn events_committed_before_a_kill_9_arrive_after_the_restart_once_per_id_from_one_instance() {
    let data = tempfile::tempdir().unwrap();
    let database = match fresh_database().await {
        Some(url) => url,
        None => format!("sqlite://{}/shared.db?mode=rwc", data.path().display()),
    };
    let (ports, dirs): (Vec<u16>, Vec<_>) = (0..2)
        .map(|i| {
            let dir = data.path().join(format!("instance-{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            (free_port(), dir)
        })
        .unzip();
    let mut first = Some(start_instance(ports[0], &database, &dirs[0]));
    let a = TestApp::attach(
        format!("127.0.0.1:{}", ports[0]).parse().unwrap(),
        &database,
    );
    wait_for_port(ports[0]).await;
    let _second = start_instance(ports[1], &database, &dirs[1]);
    let b = TestApp::attach(
        format!("127.0.0.1:{}", ports[1]).parse().unwrap(),
        &database,
    );
    wait_for_port(ports[1]).await;

    let key = key(&a, SCOPES).await;
    let (receiver, url) = Receiver::start().await;
    register(&a, &key, &url, &["conversation.created", "message.created"]).await;
    // B learns that an endpoint wants them at its next read (every 2 s).
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    provisioned(&a, &key, "u-1", "alice").await;
    provisioned(&a, &key, "u-2", "bob").await;
    let conversation = group(&a, &key, &["u-1", "u-2"]).await;
    // Both instances make changes; one of them delivers each event, once.
    for i in 0..10 {
        let app = if i % 2 == 0 { &a } else { &b };
        post(app, &key, &conversation, "u-1", &format!("m{i}")).await;
    }
    let got = receiver.wait_unique(11).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.all().len(),
        11,
        "no event sent twice while all is well"
    );
    let bodies: Vec<_> = got[1..]
        .iter()
        .map(|r| r.json()["data"]["body"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<_> = (0..10).map(|i| format!("m{i}")).collect();
    assert_eq!(bodies, expected, "in order");

    // The endpoint is down; both instances commit more; then every instance is killed (-9)
    // before any of it is delivered.
    receiver.down.store(true, Ordering::SeqCst);
    for i in 10..16 {
        let app = if i % 2 == 0 { &a } else { &b };
        post(app, &key, &conversation, "u-2", &format!("m{i}")).await;
    }
    for _ in 0..100 {
        if receiver.all().len() > 11 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        receiver.all().len() > 11,
        "a delivery was tried before the kill"
    );
    first.take();
    drop(_second);
    receiver.down.store(false, Ordering::SeqCst);

    // Back up (one instance is enough): everything committed arrives, in order, once per id.
    let _again = start_instance(ports[0], &database, &dirs[0]);
    wait_for_port(ports[0]).await;
    let got = receiver.wait_unique(17).await;
    let bodies: Vec<_> = got[11..]
        .iter()
        .map(|r| r.json()["data"]["body"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<_> = (10..16).map(|i| format!("m{i}")).collect();
    assert_eq!(bodies, expected);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.unique().len(),
        17,
        "no event that was not committed"
    );
}

/// Waits until an event of `kind` matching `pred` has arrived; returns its `data`.
async fn wait_for(receiver: &Receiver, kind: &str, pred: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let found = receiver
            .unique()
            .iter()
            .map(Received::json)
            .find(|e| e["type"] == kind && pred(&e["data"]));
        if let Some(event) = found {
            return event["data"].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {kind} among {:#?}", receiver.unique());
}

#[tokio::test]
async fn notifications_likes_comments_and_presence_reach_the_endpoints_that_want_them() {
    let app = spawn_app().await;
    let key = key(&app, SCOPES).await;
    let (receiver, url) = Receiver::start().await;
    let types = [
        "notification.created",
        "post.liked",
        "post.commented",
        "user.online",
        "user.offline",
    ];
    register(&app, &key, &url, &types).await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);

    // A post of alice's, liked and commented by bob: the like, the comment, and alice's two
    // notifications about them.
    let (status, post) = app
        .post("/api/posts", &alice.token, json!({ "body": "Hiring!" }))
        .await;
    assert_eq!(status, 201, "{post}");
    let post_id = post["id"].as_str().unwrap().to_owned();
    let (status, _) = app
        .post(&format!("/api/posts/{post_id}/like"), &bob.token, json!({}))
        .await;
    assert_eq!(status, 200);
    let liked = wait_for(&receiver, "post.liked", |_| true).await;
    assert_eq!(
        (&liked["post_id"], &liked["user_id"], &liked["like_count"]),
        (&json!(post_id), &json!(bob.id()), &json!(1))
    );
    let (status, _) = app
        .post(
            &format!("/api/posts/{post_id}/comments"),
            &bob.token,
            json!({ "body": "Interested" }),
        )
        .await;
    assert_eq!(status, 201);
    let commented = wait_for(&receiver, "post.commented", |_| true).await;
    assert_eq!(commented["comment"]["body"], "Interested");
    assert_eq!(commented["comment_count"], 1);
    for kind in ["post_liked", "post_commented"] {
        let note = wait_for(&receiver, "notification.created", |d| {
            d["notification"]["kind"] == kind
        })
        .await;
        assert_eq!(note["user_id"], json!(alice.id()));
    }

    // Presence: bob's first session makes him online; after his last one leaves and the grace
    // period passes, offline with his last-seen time.
    let ws = app.connect(&bob).await;
    let online = wait_for(&receiver, "user.online", |d| {
        d["user_id"] == json!(bob.id())
    })
    .await;
    assert!(online["last_seen_at"].is_null());
    ws.close().await;
    let offline = wait_for(&receiver, "user.offline", |d| {
        d["user_id"] == json!(bob.id())
    })
    .await;
    assert!(offline["last_seen_at"].as_i64().unwrap() > 0);
    // Nothing it did not ask for.
    assert!(receiver
        .unique()
        .iter()
        .all(|r| types.contains(&r.json()["type"].as_str().unwrap())));
}

#[tokio::test]
async fn reactions_reach_the_endpoints_that_want_them_with_the_count_after() {
    let app = spawn_app().await;
    let key = key(&app, SCOPES).await;
    let (receiver, url) = Receiver::start().await;
    let types = ["message.reaction_added", "message.reaction_removed"];
    register(&app, &key, &url, &types).await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let group = app.group(&alice, "Lunch", &[&bob]).await;
    let mut a = app.connect(&alice).await;
    let message = a.say(group, "t1", "Pizza?").await;
    let thumbs = format!("/api/messages/{}/reactions/%F0%9F%91%8D", message.id);
    for who in [&bob, &alice] {
        let (status, body) = app
            .request(reqwest::Method::PUT, &thumbs, Some(&who.token), None)
            .await;
        assert_eq!(status, 200, "{body}");
    }
    for (who, count) in [(&bob, 1), (&alice, 2)] {
        let added = wait_for(&receiver, "message.reaction_added", |d| {
            d["user_id"] == json!(who.id())
        })
        .await;
        assert_eq!(
            added,
            json!({
                "conversation_id": group,
                "message_id": message.id,
                "user_id": who.id(),
                "emoji": "👍",
                "count": count,
            })
        );
    }
    let (status, _) = app
        .request(reqwest::Method::DELETE, &thumbs, Some(&bob.token), None)
        .await;
    assert_eq!(status, 200);
    let removed = wait_for(&receiver, "message.reaction_removed", |_| true).await;
    assert_eq!(
        (&removed["user_id"], &removed["count"]),
        (&json!(bob.id()), &json!(1))
    );
    // Taking back a reaction one does not have changes nothing and reports nothing.
    let (status, _) = app
        .request(reqwest::Method::DELETE, &thumbs, Some(&bob.token), None)
        .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let kinds: Vec<String> = receiver
        .unique()
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "message.reaction_removed")
            .count(),
        1,
        "{kinds:?}"
    );
    assert!(
        kinds.iter().all(|k| types.contains(&k.as_str())),
        "{kinds:?}"
    );
}
