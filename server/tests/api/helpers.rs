//! `spawn_app()` and `TestClient`: the harness every test uses.

use clap::Parser;
use confab_server::config::Config;
use confab_server::startup::Application;
use futures_util::{SinkExt, StreamExt};
use protocol::rest::AuthResponse;
use protocol::{ClientEvent, ClientFrame, ErrorCode, ServerEvent, ServerFrame, User};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The secret tests sign with (the server is configured with it).
pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// Seedings so far in this process, to name each one's users apart.
static SEEDS: AtomicUsize = AtomicUsize::new(0);

/// How long `expect` waits for a matching frame.
const EXPECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A running server with its own database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    args: Vec<String>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
    data_dir: tempfile::TempDir,
}

fn init_tracing() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            tracing_subscriber::fmt()
                .with_env_filter("info,confab_server=debug")
                .try_init()
                .ok();
        }
    });
}

/// A fresh PostgreSQL database when `CONFAB_TEST_POSTGRES_URL` is set.
pub async fn fresh_database() -> Option<String> {
    let base = std::env::var("CONFAB_TEST_POSTGRES_URL").ok()?;
    use sqlx::Connection;
    let name = format!("confab_test_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(&format!("{base}/postgres"))
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    Some(format!("{base}/{name}"))
}

/// Starts a server with test defaults plus `extra` flags.
pub async fn spawn_app_with(extra: &[&str]) -> TestApp {
    init_tracing();
    let data_dir = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = [
        "confab",
        "--bind",
        "127.0.0.1:0",
        "--jwt-secret",
        SECRET,
        "--presence-grace-ms",
        "300",
        "--admin-usernames",
        "root",
        "--data-dir",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(data_dir.path().display().to_string());
    match fresh_database().await {
        Some(url) => args.extend(["--database-url".into(), url]),
        None => args.extend([
            "--database-url".into(),
            format!("sqlite://{}/confab.db?mode=rwc", data_dir.path().display()),
        ]),
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let mut app = TestApp {
        addr: "127.0.0.1:0".parse().unwrap(),
        http: reqwest::Client::new(),
        args,
        shutdown: None,
        handle: None,
        data_dir,
    };
    app.start(None).await;
    app
}

/// Starts a server with test defaults.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

impl TestApp {
    /// A handle on a server running elsewhere (another process) at `addr`, on `database_url`.
    pub fn attach(addr: SocketAddr, database_url: &str) -> TestApp {
        TestApp {
            addr,
            http: reqwest::Client::new(),
            args: vec!["--database-url".into(), database_url.into()],
            shutdown: None,
            handle: None,
            data_dir: tempfile::tempdir().unwrap(),
        }
    }

    async fn start(&mut self, bind: Option<SocketAddr>) {
        let mut args = self.args.clone();
        if let Some(bind) = bind {
            args.extend(["--bind".into(), bind.to_string()]);
        }
        let config = Config::try_parse_from(&args).expect("valid test config");
        let app = Application::build(config).await.expect("server starts");
        self.addr = app.local_addr();
        let (tx, rx) = oneshot::channel();
        self.shutdown = Some(tx);
        self.handle = Some(tokio::spawn(async move {
            app.run_until(async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        }));
    }

    /// Stops the server (closing every connection) and starts it again on the same port and
    /// database.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start(Some(self.addr)).await;
    }

    async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            tokio::time::timeout(Duration::from_secs(10), handle)
                .await
                .expect("server stops in time")
                .expect("server task ends cleanly");
        }
    }

    /// The server's data directory (its SQLite file, uploaded files under `files/`).
    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Seeds `users` users straight into the database (no rate limits) with one group of all
    /// of them; returns the users (with tokens) and the group.
    pub async fn seed_group(&self, users: usize) -> (Vec<TestUser>, protocol::ConversationId) {
        let url = self.database_url();
        let store = confab_server::store::Store::connect(&url, 2).await.unwrap();
        let jwt = confab_server::auth::JwtKeys::new(SECRET.as_bytes(), Duration::from_secs(3600))
            .unwrap();
        let plan = confab_server::seed::SeedPlan {
            users,
            groups: 1,
            group_size: users,
            directs: 0,
            // Distinct per call: a test may seed several groups.
            prefix: format!(
                "s{}n{}x",
                self.addr.port(),
                SEEDS.fetch_add(1, Ordering::Relaxed)
            ),
            password: "password".into(),
            out: "unused".into(),
        };
        let seeded = confab_server::seed::seed(&store, &jwt, &plan)
            .await
            .unwrap();
        store.close().await;
        let users = seeded
            .users
            .into_iter()
            .map(|u| TestUser {
                user: User {
                    id: u.id,
                    display_name: u.username.clone(),
                    username: u.username,
                },
                token: u.token,
            })
            .collect();
        (users, seeded.groups[0].id)
    }

    /// The database this server uses.
    pub fn database_url(&self) -> String {
        let i = self
            .args
            .iter()
            .position(|a| a == "--database-url")
            .expect("tests always pass a database URL");
        self.args[i + 1].clone()
    }

    /// Registers a user; the password is `password-<name>`.
    pub async fn register(&self, name: &str) -> TestUser {
        let response = self
            .http
            .post(self.url("/api/auth/register"))
            .json(&json!({"username": name, "password": format!("password-{name}"), "display_name": name.to_uppercase()}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "register {name}");
        let auth: AuthResponse = response.json().await.unwrap();
        TestUser {
            user: auth.user,
            token: auth.token,
        }
    }

    /// Signs in with the password `register` chose; returns status and body.
    pub async fn login(&self, name: &str) -> (u16, Value) {
        let body = json!({"username": name, "password": format!("password-{name}")});
        self.request(reqwest::Method::POST, "/api/auth/login", None, Some(body))
            .await
    }

    /// Alice and Bob in a group "Room", both connected.
    pub async fn pair_in_group(&self) -> Pair {
        let (alice, bob) = (self.register("alice").await, self.register("bob").await);
        let group = self.group(&alice, "Room", &[&bob]).await;
        let a = self.connect(&alice).await;
        let b = self.connect(&bob).await;
        Pair {
            alice,
            bob,
            group,
            a,
            b,
        }
    }

    /// A JSON request with an optional bearer token; returns status and body.
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let response = req.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    /// A fresh token of the signed-in user, from `POST /api/auth/refresh`.
    pub async fn refreshed_token(&self, user: &TestUser) -> String {
        let (status, body) = self
            .request(
                reqwest::Method::POST,
                "/api/auth/refresh",
                Some(&user.token),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.request(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.request(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    /// Creates a group owned by `owner` with `members`; returns its id.
    pub async fn group(
        &self,
        owner: &TestUser,
        title: &str,
        members: &[&TestUser],
    ) -> protocol::ConversationId {
        let ids: Vec<_> = members.iter().map(|m| m.user.id).collect();
        let (status, body) = self
            .post(
                "/api/conversations",
                &owner.token,
                json!({"kind": "group", "title": title, "member_ids": ids}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        serde_json::from_value(body["id"].clone()).unwrap()
    }

    /// `POST /api/conversations/{group}/members` by `actor`; returns status and body.
    pub async fn add_member(
        &self,
        actor: &TestUser,
        group: protocol::ConversationId,
        user: protocol::UserId,
    ) -> (u16, Value) {
        let path = format!("/api/conversations/{group}/members");
        self.post(&path, &actor.token, json!({ "user_id": user }))
            .await
    }

    /// `DELETE /api/conversations/{group}/members/{user}` by `actor`; returns status and body.
    pub async fn remove_member(
        &self,
        actor: &TestUser,
        group: protocol::ConversationId,
        user: protocol::UserId,
    ) -> (u16, Value) {
        let path = format!("/api/conversations/{group}/members/{user}");
        self.request(reqwest::Method::DELETE, &path, Some(&actor.token), None)
            .await
    }

    /// An authenticated WebSocket (token in the query), past the initial snapshots.
    pub async fn connect(&self, user: &TestUser) -> TestClient {
        let mut client = self
            .connect_raw(Some(&user.token), &[])
            .await
            .expect("upgrade");
        client
            .expect(|e| matches!(e, ServerEvent::Authenticated { .. }))
            .await;
        client
            .expect(|e| matches!(e, ServerEvent::UnreadSnapshot { .. }))
            .await;
        client
    }

    /// A WebSocket with an optional query token and extra headers, not yet past anything.
    pub async fn connect_raw(
        &self,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Result<TestClient, tokio_tungstenite::tungstenite::Error> {
        let url = match token {
            Some(t) => format!("{}?token={t}", self.ws_url()),
            None => self.ws_url(),
        };
        let mut request = url.into_client_request().unwrap();
        for (name, value) in headers {
            let name =
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
                    .unwrap();
            request
                .headers_mut()
                .insert(name, HeaderValue::from_str(value).unwrap());
        }
        let (stream, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(TestClient { stream })
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Two connected members of one group.
pub struct Pair {
    pub alice: TestUser,
    pub bob: TestUser,
    pub group: protocol::ConversationId,
    pub a: TestClient,
    pub b: TestClient,
}

/// A registered user and their token.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub user: User,
    pub token: String,
}

impl TestUser {
    pub fn id(&self) -> protocol::UserId {
        self.user.id
    }
}

/// A WebSocket client speaking the protocol.
pub struct TestClient {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl TestClient {
    pub async fn send(&mut self, event: ClientEvent) {
        self.send_frame(&ClientFrame::new(event)).await;
    }

    pub async fn send_with_id(&mut self, id: &str, event: ClientEvent) {
        self.send_frame(&ClientFrame::with_id(id, event)).await;
    }

    async fn send_frame(&mut self, frame: &ClientFrame) {
        let text = serde_json::to_string(frame).unwrap();
        self.send_text(&text).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.stream.send(Message::text(text)).await.expect("send");
    }

    /// Sends a text frame whose payload is not valid UTF-8 (a protocol violation).
    pub async fn send_invalid_utf8_text(&mut self) {
        use tokio_tungstenite::tungstenite::protocol::frame::{
            coding::Data, coding::OpCode, Frame,
        };
        let frame = Frame::message(vec![b'{', 0xff, 0xfe, b'}'], OpCode::Data(Data::Text), true);
        self.stream.send(Message::Frame(frame)).await.expect("send");
    }

    /// The next server frame, or `None` when the connection closed; panics after the timeout.
    async fn next_frame(&mut self, within: Duration) -> Result<Option<ServerFrame>, ()> {
        loop {
            let message = tokio::time::timeout(within, self.stream.next())
                .await
                .map_err(|_| ())?;
            match message {
                Some(Ok(Message::Text(text))) => {
                    let frame: ServerFrame = serde_json::from_str(text.as_str())
                        .unwrap_or_else(|e| panic!("server sent an invalid frame {text}: {e}"));
                    return Ok(Some(frame));
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Ok(None),
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Waits for a frame whose event matches, skipping others; panics on timeout or close.
    pub async fn expect_frame(&mut self, pred: impl Fn(&ServerFrame) -> bool) -> ServerFrame {
        self.expect_frame_within(EXPECT_TIMEOUT, pred).await
    }

    /// Waits up to `window` for a matching event (for what takes longer than usual by design).
    pub async fn expect_within(
        &mut self,
        window: Duration,
        pred: impl Fn(&ServerEvent) -> bool,
    ) -> ServerEvent {
        self.expect_frame_within(window, |f| pred(&f.event))
            .await
            .event
    }

    async fn expect_frame_within(
        &mut self,
        window: Duration,
        pred: impl Fn(&ServerFrame) -> bool,
    ) -> ServerFrame {
        let deadline = tokio::time::Instant::now() + window;
        let mut skipped = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_frame(left).await {
                Ok(Some(frame)) if pred(&frame) => return frame,
                Ok(Some(frame)) => skipped.push(frame.event),
                Ok(None) => panic!("connection closed while waiting; skipped {skipped:?}"),
                Err(()) => panic!("timed out waiting for a frame; skipped {skipped:?}"),
            }
        }
    }

    /// Waits for a matching event.
    pub async fn expect(&mut self, pred: impl Fn(&ServerEvent) -> bool) -> ServerEvent {
        self.expect_frame(|f| pred(&f.event)).await.event
    }

    /// Waits for an error event with `code`; returns the frame (to check the echoed id).
    pub async fn expect_error(&mut self, code: ErrorCode) -> ServerFrame {
        self.expect_frame(|f| matches!(&f.event, ServerEvent::Error { code: c, .. } if *c == code))
            .await
    }

    /// Asserts that no matching event arrives within `window`.
    pub async fn expect_silence(&mut self, window: Duration, pred: impl Fn(&ServerEvent) -> bool) {
        let deadline = tokio::time::Instant::now() + window;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return;
            }
            match self.next_frame(left).await {
                Ok(Some(frame)) => assert!(!pred(&frame.event), "unexpected {:?}", frame.event),
                // A dead socket is silent too: that proves nothing.
                Ok(None) => panic!("the connection closed during a check for silence"),
                Err(()) => return,
            }
        }
    }

    /// Every event that arrives within `window`, in order.
    pub async fn collect_for(&mut self, window: Duration) -> Vec<ServerEvent> {
        let deadline = tokio::time::Instant::now() + window;
        let mut events = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return events;
            }
            match self.next_frame(left).await {
                Ok(Some(frame)) => events.push(frame.event),
                Ok(None) | Err(()) => return events,
            }
        }
    }

    /// Reads until the server closes; returns the close frame.
    pub async fn expect_close(&mut self) -> Option<CloseFrame> {
        let deadline = tokio::time::Instant::now() + EXPECT_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.stream.next()).await {
                Err(_) => panic!("the server did not close the connection"),
                Ok(Some(Ok(Message::Close(frame)))) => return frame,
                Ok(None) | Ok(Some(Err(_))) => return None,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Reads everything up to the server's close frame within `window`: every frame whole and
    /// valid, then the close frame (a cut frame, a read error or an end without a close frame
    /// fails the test). Returns the events and the close frame.
    pub async fn read_to_close(&mut self, window: Duration) -> (Vec<ServerEvent>, CloseFrame) {
        let deadline = tokio::time::Instant::now() + window;
        let mut events = Vec::new();
        loop {
            let next = tokio::time::timeout_at(deadline, self.stream.next()).await;
            match next.expect("the server closed in time") {
                Some(Ok(Message::Text(text))) => {
                    let frame: ServerFrame = serde_json::from_str(text.as_str())
                        .unwrap_or_else(|e| panic!("server sent an invalid frame {text}: {e}"));
                    events.push(frame.event);
                }
                Some(Ok(Message::Close(Some(frame)))) => {
                    // Reading on sends the close reply, as any client does, and sees the end.
                    let _ = tokio::time::timeout(Duration::from_secs(2), self.stream.next()).await;
                    return (events, frame);
                }
                Some(Ok(Message::Close(None))) => panic!("a close frame without a code"),
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("the connection failed after {} events: {e}", events.len()),
                None => panic!("the connection ended without a close frame"),
            }
        }
    }

    /// Subscribes to the presence of `users`; returns the snapshot.
    pub async fn watch(&mut self, users: &[&TestUser]) -> Vec<protocol::Presence> {
        let user_ids = users.iter().map(|u| u.id()).collect();
        self.send_with_id("w", ClientEvent::SubscribePresence { user_ids })
            .await;
        let frame = self.expect_frame(|f| f.id.as_deref() == Some("w")).await;
        match frame.event {
            ServerEvent::PresenceSnapshot { users } => users,
            other => panic!("expected a presence snapshot, got {other:?}"),
        }
    }

    /// A ping/pong round trip: proves the connection is alive and served.
    pub async fn assert_alive(&mut self) {
        self.send_with_id("alive", ClientEvent::Ping).await;
        self.expect_frame(|f| {
            f.id.as_deref() == Some("alive") && matches!(f.event, ServerEvent::Pong { .. })
        })
        .await;
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }

    /// The message of the next `message_ack` (a send of this client committed).
    pub async fn acked(&mut self) -> protocol::Message {
        let ack = self
            .expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
            .await;
        message_of(&ack).clone()
    }

    /// Sends `body` to a conversation under `temp_id` and returns the stored message.
    pub async fn say(
        &mut self,
        conversation: protocol::ConversationId,
        temp_id: &str,
        body: &str,
    ) -> protocol::Message {
        self.send(ClientEvent::SendMessage {
            conversation_id: conversation,
            temp_id: temp_id.into(),
            body: body.into(),
            reply_to: None,
            attachments: Vec::new(),
        })
        .await;
        self.acked().await
    }
}

/// The message of a `message_ack`, `message_new`, etc.
pub fn message_of(event: &ServerEvent) -> &protocol::Message {
    match event {
        ServerEvent::MessageAck { message, .. }
        | ServerEvent::MessageNew { message }
        | ServerEvent::MessageEdited { message }
        | ServerEvent::MessageDeleted { message } => message,
        other => panic!("not a message event: {other:?}"),
    }
}

impl TestApp {
    /// The Prometheus text of `GET /metrics`.
    pub async fn metrics_text(&self) -> String {
        let response = self.http.get(self.url("/metrics")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    }

    /// The value of one series (`name{labels}` exactly as exposed), 0 when it is not there.
    pub async fn metric(&self, series: &str) -> f64 {
        metric_in(&self.metrics_text().await, series)
    }

    /// Waits (up to 5 s) until a series reaches `at_least`; returns its value.
    pub async fn wait_for_metric(&self, series: &str, at_least: f64) -> f64 {
        for _ in 0..100 {
            let value = self.metric(series).await;
            if value >= at_least {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{series} never reached {at_least}");
    }
}

/// The value of one series in a Prometheus text exposition, 0 when it is not there.
pub fn metric_in(text: &str, series: &str) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            (name == series).then(|| value.parse().unwrap())
        })
        .unwrap_or(0.0)
}

/// Server flags for [`flood_until_dropped`]: an 8-frame queue, no practical event rate limit,
/// 8,000-character messages.
pub const FIREHOSE: &[&str] = &[
    "--outbound-queue",
    "8",
    "--events-per-second",
    "100000",
    "--event-burst",
    "100000",
    "--max-message-chars",
    "8000",
    "--max-frame-bytes",
    "65536",
];

/// Sends 8,000-character messages from `sender` into `group`, each acknowledged, until the
/// server has dropped a slow consumer (checked every 100); false if 3,000 were not enough.
pub async fn flood_until_dropped(
    app: &TestApp,
    sender: &mut TestClient,
    group: protocol::ConversationId,
) -> bool {
    let body = "x".repeat(8000);
    for i in 0..3000 {
        sender
            .send(ClientEvent::SendMessage {
                conversation_id: group,
                temp_id: format!("t{i}"),
                body: body.clone(),
                reply_to: None,
                attachments: Vec::new(),
            })
            .await;
        sender
            .expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
            .await;
        if i % 100 == 99 && app.metric("confab_slow_consumer_closes_total").await >= 1.0 {
            return true;
        }
    }
    false
}

/// A raw Engine.IO v4 WebSocket.
pub type Stream = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens an Engine.IO WebSocket and connects to the `/` namespace with `auth`; returns the
/// socket after the first event (`connected`, with a handshake token).
pub async fn socketio(app: &TestApp, auth: &Value) -> (Stream, Value) {
    let url = format!(
        "ws://{}/socket.io/?EIO=4&transport=websocket",
        app.url("").trim_start_matches("http://")
    );
    let (mut stream, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade");
    let open = next_text(&mut stream).await;
    assert!(open.starts_with('0'), "Engine.IO open packet, got {open}");
    stream
        .send(Message::text(format!("40{auth}")))
        .await
        .unwrap();
    let connect = next_text(&mut stream).await;
    assert!(
        connect.starts_with("40"),
        "namespace connect, got {connect}"
    );
    let first = next_text(&mut stream).await;
    let event: Value = serde_json::from_str(first.strip_prefix("42").expect("an event")).unwrap();
    (stream, event)
}

/// The next Engine.IO packet other than a ping (which is answered).
pub async fn next_text(stream: &mut Stream) -> String {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("a packet within 10 s")
            .expect("the stream is open")
            .expect("a message");
        let text = message.into_text().expect("text").to_string();
        if text == "2" {
            stream.send(Message::text("3")).await.unwrap();
            continue;
        }
        return text;
    }
}

/// Joins a conversation over a snake_case socket; returns the acknowledgement and every event
/// (`[name, payload]`) that arrived before it or within a moment after.
pub async fn join_and_listen(
    stream: &mut Stream,
    conversation: protocol::ConversationId,
) -> (Value, Vec<Value>) {
    let join = serde_json::json!(["join_conversation", { "conversation_id": conversation }]);
    stream
        .send(Message::text(format!("427{join}")))
        .await
        .unwrap();
    let mut events = Vec::new();
    let mut ack = None;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(800);
    while ack.is_none() || tokio::time::Instant::now() < deadline {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let packet = if ack.is_none() {
            next_text(stream).await
        } else {
            match tokio::time::timeout(left, next_text(stream)).await {
                Ok(p) => p,
                Err(_) => break,
            }
        };
        if let Some(body) = packet.strip_prefix("437") {
            ack = Some(serde_json::from_str::<Value>(body).unwrap());
        } else if let Some(body) = packet.strip_prefix("42") {
            events.push(serde_json::from_str(body).unwrap());
        }
    }
    (ack.unwrap(), events)
}

/// A port nothing listens on now (for a server process of the test's own).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something listens on `port` (at most 5 s).
pub async fn wait_for_port(port: u16) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing listens on port {port}");
}

/// The virtualenv `scripts/setup.sh python` made (`CONFAB_PYTHON_ENV`, else the cache dir):
/// python-socketio, the Standard Webhooks library, moto.
pub fn python_env() -> std::path::PathBuf {
    std::env::var("CONFAB_PYTHON_ENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            let home = std::env::var("HOME").unwrap_or_default();
            std::path::Path::new(&home).join(".cache/confab/python")
        })
}
