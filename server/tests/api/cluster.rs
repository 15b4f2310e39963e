//! Several instances acting as one: three `confab` processes sharing one database (PostgreSQL
//! when `CONFAB_TEST_POSTGRES_URL` is set, else one SQLite file) and a Redis server each test
//! starts on a free port (so that it may stop it). Clients are spread across the instances.

use crate::helpers::*;
use protocol::{ClientEvent, NotificationKind, PresenceStatus, ReceiptKind, ServerEvent};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// A child process killed (SIGKILL) when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A Redis server of the test's own, keeping its data across a restart (an append-only file),
/// like a production Redis would.
struct Redis {
    port: u16,
    process: Option<Process>,
    dir: tempfile::TempDir,
}

impl Redis {
    async fn start() -> Redis {
        let mut redis = Redis {
            port: free_port(),
            process: None,
            dir: tempfile::tempdir().unwrap(),
        };
        redis.resume().await;
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it (again) on its port.
    async fn resume(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "yes"])
            .args(["--appendfsync", "always", "--dir"])
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/setup.sh redis)");
        self.process = Some(Process(child));
        wait_for_port(self.port).await;
    }

    /// Kills it.
    fn stop(&mut self) {
        self.process = None;
    }
}

/// A TCP proxy in front of Redis for one instance, which the test can cut (every connection
/// dropped, new ones closed at once) and restore: that instance alone loses Redis, as in a
/// network partition, while the others keep it.
struct Proxy {
    port: u16,
    open: Arc<AtomicBool>,
    cuts: watch::Sender<u64>,
}

impl Proxy {
    async fn start(upstream: u16) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let (cuts, _) = watch::channel(0);
        let (accepting, cut) = (open.clone(), cuts.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !accepting.load(Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let mut cut = cut.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) =
                        tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await
                    else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Proxy { port, open, cuts }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

/// Three instances behind no load balancer: each test picks the instance per client.
struct Cluster {
    redis: Redis,
    /// The first instance's way to Redis, when the test partitions it.
    proxy: Option<Proxy>,
    instances: Vec<Option<Process>>,
    apps: Vec<TestApp>,
    _data: tempfile::TempDir,
}

impl Cluster {
    async fn start() -> Cluster {
        Self::start_with(false, 1000).await
    }

    /// Three instances that exit right after committing a new message whose text holds
    /// `marker` (the fault point between commit and publish).
    async fn start_faulty(marker: &str) -> Cluster {
        Self::start_with_args(false, 1000, &["--fault-exit-after-commit", marker]).await
    }

    /// Three instances, the first reaching Redis through a [`Proxy`] the test can cut.
    async fn start_partitionable() -> Cluster {
        Self::start_with(true, 1000).await
    }

    async fn start_with(proxied: bool, auth_attempts_per_minute: u32) -> Cluster {
        Self::start_with_args(proxied, auth_attempts_per_minute, &[]).await
    }

    async fn start_with_args(
        proxied: bool,
        auth_attempts_per_minute: u32,
        extra: &[&str],
    ) -> Cluster {
        let redis = Redis::start().await;
        let proxy = match proxied {
            true => Some(Proxy::start(redis.port).await),
            false => None,
        };
        let data = tempfile::tempdir().unwrap();
        let database = match fresh_database().await {
            Some(url) => url,
            None => format!("sqlite://{}/shared.db?mode=rwc", data.path().display()),
        };
        let mut cluster = Cluster {
            redis,
            proxy,
            instances: Vec::new(),
            apps: Vec::new(),
            _data: data,
        };
        // One at a time: the first applies the migrations.
        for i in 0..3 {
            let port = free_port();
            let dir = cluster._data.path().join(format!("instance-{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            let redis_url = match (&cluster.proxy, i) {
                (Some(proxy), 0) => proxy.url(),
                _ => cluster.redis.url(),
            };
            let child = Command::new(env!("CARGO_BIN_EXE_confab"))
                .args(["--bind", &format!("127.0.0.1:{port}")])
                .args(["--database-url", &database])
                .args(["--redis-url", &redis_url])
                .args(["--jwt-secret", SECRET, "--presence-grace-ms", "300"])
                .args(["--typing-timeout-ms", "500"])
                .arg("--auth-attempts-per-minute")
                .arg(auth_attempts_per_minute.to_string())
                .args(["--admin-usernames", "root"])
                .args(extra)
                .arg("--data-dir")
                .arg(&dir)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .spawn()
                .expect("start confab");
            let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            let app = TestApp::attach(addr, &database);
            cluster.instances.push(Some(Process(child)));
            wait_healthy(&app).await;
            cluster.apps.push(app);
        }
        cluster
    }

    /// Kills an instance with SIGKILL: no goodbye to Redis or its clients.
    fn kill(&mut self, i: usize) {
        self.instances[i] = None;
    }
}

async fn health(app: &TestApp) -> Option<Value> {
    let response = app.http.get(app.url("/health")).send().await.ok()?;
    response.json().await.ok()
}

async fn wait_healthy(app: &TestApp) {
    for _ in 0..200 {
        if health(app).await.is_some_and(|h| h["status"] == "ok") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("instance at {} did not become healthy", app.addr);
}

/// Waits until `/health` says `status`; returns the body.
async fn wait_for_status(app: &TestApp, status: &str) -> Value {
    for _ in 0..100 {
        if let Some(h) = health(app).await.filter(|h| h["status"] == status) {
            return h;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/health never said {status}");
}

fn send(conversation: protocol::ConversationId, temp: &str, body: &str) -> ClientEvent {
    ClientEvent::SendMessage {
        conversation_id: conversation,
        temp_id: temp.into(),
        body: body.into(),
        reply_to: None,
        attachments: Vec::new(),
    }
}

fn is_message(body: &'static str) -> impl Fn(&ServerEvent) -> bool {
    move |e| matches!(e, ServerEvent::MessageNew { message } if message.body == body)
}

/// The bodies of a conversation's messages after `after`, over REST.
async fn bodies_after(
    app: &TestApp,
    user: &TestUser,
    group: protocol::ConversationId,
    after: i64,
) -> Vec<String> {
    let path = format!("/api/conversations/{group}/messages?after={after}&limit=200");
    let (status, page) = app.get(&path, &user.token).await;
    assert_eq!(status, 200, "{page}");
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_event_crosses_instances() {
    let cluster = Cluster::start().await;
    let [a, b, c] = &cluster.apps[..] else {
        unreachable!()
    };
    let (alice, bob, carol) = (
        a.register("alice").await,
        b.register("bob").await,
        c.register("carol").await,
    );
    let mut alice_a = a.connect(&alice).await;
    let mut bob_b = b.connect(&bob).await;
    let mut bob_c = c.connect(&bob).await;
    let mut carol_c = c.connect(&carol).await;

    // Membership made on A reaches the sessions on B and C: the new group's notification, then
    // its messages.
    let group = a.group(&alice, "Everywhere", &[&bob, &carol]).await;
    bob_b
        .expect(|e| {
            matches!(e, ServerEvent::NotificationNew { notification, .. }
                if notification.kind == NotificationKind::AddedToConversation)
        })
        .await;
    carol_c
        .expect(|e| matches!(e, ServerEvent::ConversationUpdated { .. }))
        .await;

    // Typing on C reaches A.
    carol_c
        .send(ClientEvent::TypingStart {
            conversation_id: group,
        })
        .await;
    alice_a
        .expect(
            |e| matches!(e, ServerEvent::TypingStarted { user_id, .. } if *user_id == carol.id()),
        )
        .await;
    // Without a refresh it stops by itself (on carol's instance), and A hears that too.
    alice_a
        .expect(
            |e| matches!(e, ServerEvent::TypingStopped { user_id, .. } if *user_id == carol.id()),
        )
        .await;

    // A message sent on A: acked there, delivered on B and C (both of bob's sessions).
    alice_a.send(send(group, "t1", "hello from A")).await;
    let ServerEvent::MessageAck { message, .. } = alice_a
        .expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
        .await
    else {
        unreachable!()
    };
    for client in [&mut bob_b, &mut bob_c, &mut carol_c] {
        client.expect(is_message("hello from A")).await;
    }

    // Edits and deletions too.
    alice_a
        .send(ClientEvent::EditMessage {
            message_id: message.id,
            body: "hello from A (edited)".into(),
        })
        .await;
    carol_c
        .expect(|e| matches!(e, ServerEvent::MessageEdited { message } if message.body == "hello from A (edited)"))
        .await;

    // Bob reads on B: alice hears the receipt on A, bob's session on C the new unread count.
    bob_b
        .send(ClientEvent::MarkRead {
            conversation_id: group,
            up_to_seq: message.seq,
        })
        .await;
    alice_a
        .expect(|e| matches!(e, ServerEvent::Receipt { kind: ReceiptKind::Seen, user_id, .. } if *user_id == bob.id()))
        .await;
    bob_c
        .expect(|e| matches!(e, ServerEvent::UnreadChanged { unread: 0, .. }))
        .await;

    // Presence: alice on A watches carol, who is online on C; carol going away is seen on A.
    assert_eq!(
        alice_a.watch(&[&carol]).await[0].status,
        PresenceStatus::Online
    );
    carol_c
        .send(ClientEvent::SetPresence {
            status: PresenceStatus::Away,
        })
        .await;
    alice_a
        .expect(|e| {
            matches!(e, ServerEvent::PresenceChanged { users }
            if users.iter().any(|p| p.user_id == carol.id() && p.status == PresenceStatus::Away))
        })
        .await;

    // Live counters: carol watches a post on C; bob likes it on B.
    let (_, post) = a
        .post("/api/posts", &alice.token, json!({"body": "Counting"}))
        .await;
    let post_id: protocol::PostId = serde_json::from_value(post["id"].clone()).unwrap();
    carol_c
        .send(ClientEvent::SubscribePosts {
            post_ids: vec![post_id],
        })
        .await;
    carol_c
        .expect(|e| matches!(e, ServerEvent::PostsSubscribed { .. }))
        .await;
    let (status, _) = b
        .request(
            reqwest::Method::PUT,
            &format!("/api/posts/{post_id}/like"),
            Some(&bob.token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    carol_c
        .expect(
            |e| matches!(e, ServerEvent::PostCountsChanged { counts } if counts.like_count == 1),
        )
        .await;
    // ...and alice, on A, hears about the like in her bell.
    alice_a
        .expect(|e| {
            matches!(e, ServerEvent::NotificationNew { notification, .. }
            if notification.kind == NotificationKind::PostLiked)
        })
        .await;

    // Removing carol on A takes her sessions on C out of the conversation at once.
    a.remove_member(&alice, group, carol.id()).await;
    carol_c
        .expect(|e| matches!(e, ServerEvent::ConversationRemoved { .. }))
        .await;
    alice_a.send(send(group, "t2", "after carol left")).await;
    bob_b.expect(is_message("after carol left")).await;
    carol_c
        .expect_silence(Duration::from_millis(300), is_message("after carol left"))
        .await;

    // A product's announcement to everyone, through A's server API, reaches every session on
    // every instance (carol's too, in no conversation now).
    let key = crate::server_api::key(a, &["events"]).await;
    let all = serde_json::json!({ "name": "maintenance", "everyone": true });
    let (status, _) =
        crate::server_api::call(a, reqwest::Method::POST, "/events", &key, Some(all)).await;
    assert_eq!(status, 202);
    for client in [&mut alice_a, &mut bob_b, &mut bob_c, &mut carol_c] {
        client
            .expect(|e| matches!(e, ServerEvent::CustomEvent { name, .. } if name == "maintenance"))
            .await;
    }

    // Signing out on B ends bob's session on C too.
    let (status, _) = b
        .request(
            reqwest::Method::POST,
            "/api/auth/logout",
            Some(&bob.token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    bob_c.expect_close().await;
}

#[tokio::test]
async fn a_killed_instance_leaves_no_ghosts_and_its_clients_resume_elsewhere() {
    let mut cluster = Cluster::start().await;
    let (alice, bob, dave) = {
        let [a, b, _] = &cluster.apps[..] else {
            unreachable!()
        };
        (
            a.register("alice").await,
            b.register("bob").await,
            b.register("dave").await,
        )
    };
    let a = &cluster.apps[0];
    let group = a.group(&alice, "Survivors", &[&bob, &dave]).await;
    let mut alice_a = a.connect(&alice).await;
    let mut bob_b = cluster.apps[1].connect(&bob).await;
    let _dave_b = cluster.apps[1].connect(&dave).await;
    // Dave also has a session on C: he survives the crash of B.
    let _dave_c = cluster.apps[2].connect(&dave).await;
    alice_a
        .send(ClientEvent::SubscribePresence {
            user_ids: vec![bob.id(), dave.id()],
        })
        .await;
    alice_a
        .expect(|e| {
            matches!(e, ServerEvent::PresenceSnapshot { users }
            if users.iter().all(|p| p.status == PresenceStatus::Online) && users.len() == 2)
        })
        .await;
    alice_a.send(send(group, "t1", "before the crash")).await;
    bob_b.expect(is_message("before the crash")).await;
    // Bob views the group on B (alice views it on A), and starts typing.
    for client in [&mut alice_a, &mut bob_b] {
        client
            .send(ClientEvent::JoinConversation {
                conversation_id: group,
            })
            .await;
        client
            .expect(|e| matches!(e, ServerEvent::ConversationJoined { .. }))
            .await;
    }
    let last_seen_by_bob = 1;

    bob_b
        .send(ClientEvent::TypingStart {
            conversation_id: group,
        })
        .await;
    alice_a
        .expect(|e| matches!(e, ServerEvent::TypingStarted { user_id, .. } if *user_id == bob.id()))
        .await;

    cluster.kill(1);
    let killed = tokio::time::Instant::now();
    // Messages go on while bob has no connection.
    let a = &cluster.apps[0];
    alice_a.send(send(group, "t2", "during the crash")).await;
    alice_a
        .expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
        .await;

    // Within 10 s bob is offline for alice, with last-seen set, no longer viewing the group and
    // no longer typing; dave, with a session on C, stays online.
    let deadline = killed + Duration::from_secs(10);
    let (mut gone, mut stopped_viewing, mut stopped_typing) = (None, false, false);
    while gone.is_none() || !stopped_viewing || !stopped_typing {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match alice_a
            .expect_within(left, |e| {
                matches!(
                    e,
                    ServerEvent::PresenceChanged { .. }
                        | ServerEvent::ViewerLeft { .. }
                        | ServerEvent::TypingStopped { .. }
                )
            })
            .await
        {
            ServerEvent::PresenceChanged { users } => {
                assert!(
                    !users
                        .iter()
                        .any(|p| p.user_id == dave.id() && p.status == PresenceStatus::Offline),
                    "dave still has a session on C"
                );
                if let Some(p) = users
                    .iter()
                    .find(|p| p.user_id == bob.id() && p.status == PresenceStatus::Offline)
                {
                    gone = Some(p.clone());
                }
            }
            ServerEvent::ViewerLeft { user_id, .. } => stopped_viewing |= user_id == bob.id(),
            ServerEvent::TypingStopped { user_id, .. } => stopped_typing |= user_id == bob.id(),
            _ => {}
        }
    }
    assert!(gone.unwrap().last_seen_at.is_some(), "last-seen is set");
    alice_a
        .send(ClientEvent::SubscribePresence {
            user_ids: vec![dave.id()],
        })
        .await;
    alice_a
        .expect(|e| {
            matches!(e, ServerEvent::PresenceSnapshot { users }
            if users.iter().any(|p| p.user_id == dave.id() && p.status == PresenceStatus::Online))
        })
        .await;

    // Bob reconnects to C and recovers what he missed by sequence number: no gap, no duplicate.
    let c = &cluster.apps[2];
    let mut bob_c = c.connect(&bob).await;
    let missed = bodies_after(c, &bob, group, last_seen_by_bob).await;
    assert_eq!(missed, ["during the crash"]);
    alice_a.send(send(group, "t3", "after the crash")).await;
    bob_c.expect(is_message("after the crash")).await;
    let all = bodies_after(a, &alice, group, 0).await;
    assert_eq!(
        all,
        ["before the crash", "during the crash", "after the crash"]
    );
}

#[tokio::test]
async fn a_redis_outage_keeps_local_delivery_and_recovers_without_loss() {
    let mut cluster = Cluster::start().await;
    let (a, b) = (&cluster.apps[0], &cluster.apps[1]);
    let (alice, erin, bob, frank) = (
        a.register("alice").await,
        a.register("erin").await,
        b.register("bob").await,
        b.register("frank").await,
    );
    let group = a.group(&alice, "Outage", &[&erin, &bob, &frank]).await;
    let mut alice_a = a.connect(&alice).await;
    let mut erin_a = a.connect(&erin).await;
    let mut bob_b = b.connect(&bob).await;
    let frank_b = b.connect(&frank).await;
    alice_a
        .send(ClientEvent::SubscribePresence {
            user_ids: vec![frank.id()],
        })
        .await;
    alice_a
        .expect(|e| {
            matches!(e, ServerEvent::PresenceSnapshot { users }
            if users.iter().any(|p| p.user_id == frank.id() && p.status == PresenceStatus::Online))
        })
        .await;
    alice_a.send(send(group, "t1", "all well")).await;
    bob_b.expect(is_message("all well")).await;

    cluster.redis.stop();
    let a = &cluster.apps[0];
    let degraded = wait_for_status(a, "degraded").await;
    assert_eq!(degraded["broker"], "unavailable");
    assert!(
        degraded["reason"].as_str().unwrap().contains("Redis"),
        "{degraded}"
    );
    // Alive, but not ready: a balancer's readiness check takes it out of rotation.
    let live = a.http.get(a.url("/health/live")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let ready = a.http.get(a.url("/health/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 503);

    // Local delivery, storage and acks go on without Redis.
    alice_a.send(send(group, "t2", "while Redis is down")).await;
    alice_a
        .expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
        .await;
    erin_a.expect(is_message("while Redis is down")).await;
    // Frank leaves while Redis cannot hear of it.
    frank_b.close().await;

    cluster.redis.resume().await;
    let (a, b) = (&cluster.apps[0], &cluster.apps[1]);
    wait_for_status(a, "ok").await;
    wait_for_status(b, "ok").await;
    // Bob's instance tells him to resync; he fetches after the last seq he has: exactly the
    // message he missed.
    bob_b
        .expect_within(Duration::from_secs(10), |e| {
            matches!(e, ServerEvent::Resync)
        })
        .await;
    assert_eq!(
        bodies_after(b, &bob, group, 1).await,
        ["while Redis is down"]
    );
    // Cross-instance delivery is back.
    alice_a.send(send(group, "t3", "Redis is back")).await;
    bob_b.expect(is_message("Redis is back")).await;
    // And frank, gone during the outage, is no ghost: his instance puts Redis right and alice
    // hears him go offline, with last-seen set.
    alice_a
        .expect_within(Duration::from_secs(10), |e| {
            matches!(e, ServerEvent::PresenceChanged { users } if users.iter().any(|p|
                p.user_id == frank.id()
                    && p.status == PresenceStatus::Offline
                    && p.last_seen_at.is_some()))
        })
        .await;
}

#[tokio::test]
async fn an_instance_cut_off_from_redis_has_the_others_resync_when_it_returns() {
    let cluster = Cluster::start_partitionable().await;
    let (a, b) = (&cluster.apps[0], &cluster.apps[1]);
    let (alice, bob) = (a.register("alice").await, b.register("bob").await);
    let group = a.group(&alice, "Partition", &[&bob]).await;
    let mut alice_a = a.connect(&alice).await;
    let mut bob_b = b.connect(&bob).await;
    alice_a.send(send(group, "t1", "before")).await;
    bob_b.expect(is_message("before")).await;

    // Only A loses Redis: B keeps it and says ok.
    cluster.proxy.as_ref().unwrap().cut();
    wait_for_status(a, "degraded").await;
    assert_eq!(health(b).await.unwrap()["status"], "ok");
    alice_a.send(send(group, "t2", "cut off")).await;
    alice_a
        .expect(|e| matches!(e, ServerEvent::MessageAck { temp_id, .. } if temp_id == "t2"))
        .await;

    // A's publish of it never reached Redis. When A is back it asks the others to have their
    // sessions resync: bob fetches exactly what he missed.
    cluster.proxy.as_ref().unwrap().restore();
    wait_for_status(a, "ok").await;
    let resynced = bob_b
        .expect_within(Duration::from_secs(10), |e| {
            matches!(e, ServerEvent::Resync) || is_message("cut off")(e)
        })
        .await;
    assert!(
        matches!(resynced, ServerEvent::Resync),
        "a message published while A was cut off cannot have crossed: {resynced:?}"
    );
    assert_eq!(bodies_after(b, &bob, group, 1).await, ["cut off"]);
    alice_a.send(send(group, "t3", "after")).await;
    bob_b.expect(is_message("after")).await;
}

#[tokio::test]
async fn sign_in_attempts_are_limited_across_instances() {
    let cluster = Cluster::start_with(false, 6).await;
    let attempt = |app: &TestApp| {
        app.http
            .post(app.url("/api/auth/login"))
            .json(&json!({"username": "mallory", "password": "guess-guess"}))
            .send()
    };
    // Six wrong guesses from one address, spread over the three instances, are answered...
    for i in 0..6 {
        let response = attempt(&cluster.apps[i % 3]).await.unwrap();
        assert_eq!(response.status(), 401, "attempt {i}");
    }
    // ...and the seventh is refused by every instance, though none has seen more than two.
    for app in &cluster.apps {
        let response = attempt(app).await.unwrap();
        assert_eq!(response.status(), 429);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "RATE_LIMITED", "{body}");
    }
}

#[tokio::test]
async fn viewers_are_counted_across_instances() {
    let cluster = Cluster::start().await;
    let [a, b, c] = &cluster.apps[..] else {
        unreachable!()
    };
    let (alice, bob) = (a.register("alice").await, b.register("bob").await);
    let group = a.group(&alice, "Watching", &[&bob]).await;
    let mut alice_a = a.connect(&alice).await;
    let mut bob_b = b.connect(&bob).await;
    let mut bob_c = c.connect(&bob).await;
    let join = ClientEvent::JoinConversation {
        conversation_id: group,
    };
    let leave = ClientEvent::LeaveConversation {
        conversation_id: group,
    };
    let joined = |e: &ServerEvent| matches!(e, ServerEvent::ViewerJoined { user_id, .. } if *user_id == bob.id());
    let left = |e: &ServerEvent| matches!(e, ServerEvent::ViewerLeft { user_id, .. } if *user_id == bob.id());

    alice_a.send(join.clone()).await;
    alice_a
        .expect(|e| matches!(e, ServerEvent::ConversationJoined { .. }))
        .await;
    // Bob opens it on B, then on C: alice hears of him once; C's answer lists both viewers.
    bob_b.send(join.clone()).await;
    alice_a.expect(joined).await;
    bob_c.send(join).await;
    let ServerEvent::ConversationJoined { viewers, .. } = bob_c
        .expect(|e| matches!(e, ServerEvent::ConversationJoined { .. }))
        .await
    else {
        unreachable!()
    };
    let mut expected = vec![alice.id(), bob.id()];
    expected.sort();
    assert_eq!(viewers, expected);
    alice_a
        .expect_silence(Duration::from_millis(300), joined)
        .await;

    // Leaving on B is not leaving: he still views on C.
    bob_b.send(leave.clone()).await;
    alice_a
        .expect_silence(Duration::from_millis(300), left)
        .await;
    bob_c.send(leave).await;
    alice_a.expect(left).await;

    // A direct message rings no bell while its recipient views it on another instance.
    let dm = |temp: &str, body: &str| ClientEvent::SendDirectMessage {
        recipient_id: bob.id(),
        temp_id: temp.into(),
        body: body.into(),
    };
    alice_a.send(dm("d1", "first")).await;
    let ServerEvent::NotificationNew { notification, .. } = bob_b
        .expect(|e| matches!(e, ServerEvent::NotificationNew { .. }))
        .await
    else {
        unreachable!()
    };
    let direct = notification.conversation_id.unwrap();
    bob_c
        .send(ClientEvent::JoinConversation {
            conversation_id: direct,
        })
        .await;
    bob_c
        .expect(|e| matches!(e, ServerEvent::ConversationJoined { .. }))
        .await;
    alice_a.send(dm("d2", "while you look")).await;
    bob_b.expect(is_message("while you look")).await;
    bob_b
        .expect_silence(Duration::from_millis(300), |e| {
            matches!(e, ServerEvent::NotificationNew { .. })
        })
        .await;
}

#[tokio::test]
async fn a_like_burst_on_two_instances_reaches_watchers_coalesced_and_exact() {
    let cluster = Cluster::start().await;
    let [a, b, c] = &cluster.apps[..] else {
        unreachable!()
    };
    let author = a.register("author").await;
    let (_, post) = a
        .post("/api/posts", &author.token, json!({"body": "Like me"}))
        .await;
    let post_id: protocol::PostId = serde_json::from_value(post["id"].clone()).unwrap();
    let watcher = c.register("watcher").await;
    let mut watching = c.connect(&watcher).await;
    watching
        .send(ClientEvent::SubscribePosts {
            post_ids: vec![post_id],
        })
        .await;
    watching
        .expect(|e| matches!(e, ServerEvent::PostsSubscribed { .. }))
        .await;
    let mut likers = Vec::new();
    for i in 0..40 {
        let app = if i % 2 == 0 { a } else { b };
        likers.push((app, app.register(&format!("fan{i}")).await));
    }

    // 40 likes at once, half on A and half on B.
    let started = tokio::time::Instant::now();
    let path = format!("/api/posts/{post_id}/like");
    let likes = likers
        .iter()
        .map(|(app, user)| app.request(reqwest::Method::PUT, &path, Some(&user.token), None));
    for (status, body) in futures_util::future::join_all(likes).await {
        assert_eq!(status, 200, "{body}");
    }
    // The watcher on C ends on the exact count, with at most one update per 100 ms (plus the
    // first) however the likes were spread.
    let mut updates = 0;
    loop {
        let ServerEvent::PostCountsChanged { counts } = watching
            .expect(|e| matches!(e, ServerEvent::PostCountsChanged { .. }))
            .await
        else {
            unreachable!()
        };
        updates += 1;
        if counts.like_count == 40 {
            break;
        }
    }
    let elapsed = started.elapsed();
    let allowed = elapsed.as_millis() / 100 + 2;
    assert!(
        updates as u128 <= allowed,
        "{updates} updates in {elapsed:?}: coalescing is per watcher, not per instance"
    );
    watching
        .expect_silence(Duration::from_millis(300), |e| {
            matches!(e, ServerEvent::PostCountsChanged { .. })
        })
        .await;
}

/// The `[name, payload]` events a Socket.IO socket gets within `window`.
async fn socketio_events(stream: &mut Stream, window: Duration) -> Vec<Value> {
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + window;
    while let Ok(packet) = tokio::time::timeout_at(deadline, next_text(stream)).await {
        if let Some(body) = packet.strip_prefix("42") {
            events.push(serde_json::from_str(body).unwrap());
        }
    }
    events
}

/// The `content` of the `new_message` events among `events`.
fn new_messages(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e[0] == "new_message")
        .map(|e| e[1]["content"].as_str().unwrap().to_owned())
        .collect()
}

/// An instance dies between committing a message and publishing it (the fault point). Nobody
/// gets it live then; it still reaches every member: a gateway socket fills the gap as soon as a
/// later message shows it, and the sender's retry (same `temp_id`, on another instance) publishes
/// the stored original, which a native client gets live (a repeat the gateway socket drops).
#[tokio::test]
async fn a_message_committed_by_an_instance_that_died_reaches_every_member() {
    let mut cluster = Cluster::start_faulty("DIE-HERE").await;
    let (alice, bob, carol) = {
        let [a, b, c] = &cluster.apps[..] else {
            unreachable!()
        };
        (
            a.register("alice").await,
            b.register("bob").await,
            c.register("carol").await,
        )
    };
    let a = &cluster.apps[0];
    let mut alice_a = a.connect(&alice).await;
    let group = a.group(&alice, "Failover", &[&bob, &carol]).await;
    let mut bob_b = cluster.apps[1].connect(&bob).await;
    let auth = json!({ "token": carol.token, "vocabulary": "snake" });
    let (mut carol_io, _) = socketio(&cluster.apps[2], &auth).await;

    alice_a.send(send(group, "t1", "before")).await;
    alice_a
        .expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
        .await;
    bob_b.expect(is_message("before")).await;
    let seen = socketio_events(&mut carol_io, Duration::from_millis(500)).await;
    assert_eq!(new_messages(&seen), ["before"]);

    // Committed on A, which exits before publishing or acknowledging it.
    alice_a.send(send(group, "t2", "lost DIE-HERE")).await;
    alice_a.expect_close().await;
    cluster.kill(0);
    bob_b
        .expect_silence(Duration::from_millis(500), is_message("lost DIE-HERE"))
        .await;
    assert_eq!(
        bodies_after(&cluster.apps[1], &bob, group, 0).await,
        ["before", "lost DIE-HERE"],
        "it was committed"
    );

    // A later message shows the gap: the gateway socket gets the missing one first.
    let mut alice_b = cluster.apps[1].connect(&alice).await;
    alice_b.send(send(group, "t3", "after")).await;
    alice_b
        .expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
        .await;
    let ServerEvent::MessageNew { message } = bob_b.expect(is_message("after")).await else {
        unreachable!()
    };
    assert_eq!(message.seq, 3, "a native client sees the gap in seq");
    let seen = socketio_events(&mut carol_io, Duration::from_millis(800)).await;
    assert_eq!(new_messages(&seen), ["lost DIE-HERE", "after"]);

    // The sender retries its unacknowledged send (as the web app does after a reconnect): the
    // original is acknowledged and published again, so native clients get it live.
    alice_b.send(send(group, "t2", "lost DIE-HERE")).await;
    let ServerEvent::MessageAck { message, .. } = alice_b
        .expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!((message.seq, message.body.as_str()), (2, "lost DIE-HERE"));
    let ServerEvent::MessageNew { message } = bob_b.expect(is_message("lost DIE-HERE")).await
    else {
        unreachable!()
    };
    assert_eq!(message.seq, 2);
    // The gateway socket has it already: the repeat is dropped.
    let seen = socketio_events(&mut carol_io, Duration::from_millis(800)).await;
    assert!(new_messages(&seen).is_empty(), "{seen:?}");
    let filled = cluster.apps[2]
        .metric("confab_gap_messages_filled_total")
        .await;
    assert_eq!(filled, 1.0);
}

fn sees(user: protocol::UserId, status: PresenceStatus) -> impl Fn(&ServerEvent) -> bool {
    move |e| {
        matches!(e, ServerEvent::PresenceChanged { users }
            if users.iter().any(|p| p.user_id == user && p.status == status))
    }
}

/// Appearing offline through Redis: set on one instance, it holds on every instance (for
/// watchers elsewhere, for the user's own sessions elsewhere, and for a session the user opens
/// on yet another instance) until a session anywhere sets online.
#[tokio::test]
async fn appearing_offline_holds_across_instances_until_a_session_comes_back_online() {
    let cluster = Cluster::start().await;
    let [a, b, c] = &cluster.apps[..] else {
        unreachable!()
    };
    let (alice, carol) = (a.register("alice").await, c.register("carol").await);
    a.group(&alice, "Watchers", &[&carol]).await;
    let mut alice_a = a.connect(&alice).await;
    let mut carol_b = b.connect(&carol).await;
    let mut carol_c = c.connect(&carol).await;
    assert_eq!(
        alice_a.watch(&[&carol]).await[0].status,
        PresenceStatus::Online
    );

    // Carol appears offline from C: alice on A sees her offline with a last-seen time, and
    // carol's session on B hears it too.
    carol_c
        .send(ClientEvent::SetPresence {
            status: PresenceStatus::Offline,
        })
        .await;
    let ServerEvent::PresenceChanged { users } = alice_a
        .expect(sees(carol.id(), PresenceStatus::Offline))
        .await
    else {
        unreachable!()
    };
    let seen = users.iter().find(|p| p.user_id == carol.id()).unwrap();
    assert!(seen.last_seen_at.is_some(), "{seen:?}");
    carol_b
        .expect(sees(carol.id(), PresenceStatus::Offline))
        .await;

    // A new session of hers on A, and her session on C leaving, change nothing for alice.
    let mut carol_a = a.connect(&carol).await;
    carol_c.close().await;
    alice_a
        .expect_silence(
            Duration::from_millis(800),
            sees(carol.id(), PresenceStatus::Online),
        )
        .await;

    // Online again from B: everyone sees it, on every instance.
    carol_b
        .send(ClientEvent::SetPresence {
            status: PresenceStatus::Online,
        })
        .await;
    alice_a
        .expect(sees(carol.id(), PresenceStatus::Online))
        .await;
    carol_a
        .expect(sees(carol.id(), PresenceStatus::Online))
        .await;
}

/// Do not disturb through Redis: set on one instance, every watcher and every session of the
/// user's sees it; a session opened on another instance is told at once; another session going
/// away does not end it; a block made on one instance ends watching on every instance.
#[tokio::test]
async fn busy_and_blocks_hold_across_instances() {
    let cluster = Cluster::start().await;
    let [a, b, c] = &cluster.apps[..] else {
        unreachable!()
    };
    let (alice, carol) = (a.register("alice").await, c.register("carol").await);
    a.group(&alice, "Watchers", &[&carol]).await;
    let mut alice_a = a.connect(&alice).await;
    let mut carol_b = b.connect(&carol).await;
    let mut carol_c = c.connect(&carol).await;
    alice_a.watch(&[&carol]).await;

    carol_c
        .send(ClientEvent::SetPresence {
            status: PresenceStatus::Busy,
        })
        .await;
    alice_a.expect(sees(carol.id(), PresenceStatus::Busy)).await;
    carol_b.expect(sees(carol.id(), PresenceStatus::Busy)).await;
    // Her session on B going away does not end it.
    carol_b
        .send(ClientEvent::SetPresence {
            status: PresenceStatus::Away,
        })
        .await;
    alice_a
        .expect_silence(Duration::from_millis(600), |e| {
            matches!(e, ServerEvent::PresenceChanged { users } if users.iter().any(|p| p.user_id == carol.id()))
        })
        .await;
    // A page she opens on A learns it is busy.
    let mut carol_a = a.connect(&carol).await;
    carol_a.expect(sees(carol.id(), PresenceStatus::Busy)).await;
    let mut alice_b = b.connect(&alice).await;
    assert_eq!(
        alice_b.watch(&[&carol]).await[0].status,
        PresenceStatus::Busy
    );

    // Alice blocks carol (through C): neither of alice's sessions hears of carol any more.
    let path = format!("/api/users/{}/block", carol.id());
    let (status, body) = c
        .request(reqwest::Method::PUT, &path, Some(&alice.token), None)
        .await;
    assert_eq!(status, 200, "{body}");
    for session in [&mut alice_a, &mut alice_b] {
        session
            .expect(|e| matches!(e, ServerEvent::BlocksChanged { blocked: true, .. }))
            .await;
    }
    carol_a
        .send(ClientEvent::SetPresence {
            status: PresenceStatus::Online,
        })
        .await;
    carol_c
        .expect(sees(carol.id(), PresenceStatus::Online))
        .await;
    for session in [&mut alice_a, &mut alice_b] {
        session
            .expect_silence(Duration::from_millis(600), |e| {
                matches!(e, ServerEvent::PresenceChanged { users } if users.iter().any(|p| p.user_id == carol.id()))
            })
            .await;
    }
}
