//! Shutting down under traffic: the real binary, sent SIGTERM, closes every socket with its
//! close frame (`UNAVAILABLE`, 1001), authenticated or still authenticating, before it exits.

use crate::helpers::*;
use protocol::{ClientEvent, ErrorCode, ServerEvent};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn sigterm_under_traffic_gives_every_socket_its_close_frame() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let database = match fresh_database().await {
        Some(url) => url,
        None => format!("sqlite://{}/confab.db?mode=rwc", dir.path().display()),
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_confab"))
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .args(["--database-url", &database])
        .args(["--jwt-secret", SECRET, "--auth-attempts-per-minute", "1000"])
        .args(["--events-per-second", "10000", "--event-burst", "10000"])
        .arg("--data-dir")
        .arg(dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start confab");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let app = TestApp::attach(addr, &database);
    wait_for_port(port).await;
    let mut users = Vec::new();
    for i in 0..10 {
        users.push(app.register(&format!("user{i}")).await);
    }
    let others: Vec<&TestUser> = users[1..].iter().collect();
    let group = app.group(&users[0], "Everyone", &others).await;
    // 40 sessions (four per user) and 10 sockets still authenticating.
    let mut sessions = Vec::new();
    for user in &users {
        for _ in 0..4 {
            sessions.push(app.connect(user).await);
        }
    }
    let mut waiting = Vec::new();
    for _ in 0..10 {
        waiting.push(app.connect_raw(None, &[]).await.expect("upgrade"));
    }
    // Traffic: a burst of sends, each delivered to every session, still going out at SIGTERM.
    for i in 0..200 {
        sessions[0]
            .send(ClientEvent::SendMessage {
                conversation_id: group,
                temp_id: format!("t{i}"),
                body: format!("message {i}"),
                reply_to: None,
                attachments: Vec::new(),
            })
            .await;
    }
    sessions[5]
        .expect(|e| matches!(e, ServerEvent::MessageNew { message } if message.seq >= 20))
        .await;
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());

    let mut codes = Vec::new();
    for client in sessions.iter_mut().chain(waiting.iter_mut()) {
        let (events, close) = client.read_to_close(Duration::from_secs(10)).await;
        assert!(
            matches!(
                events.last(),
                Some(ServerEvent::Error {
                    code: ErrorCode::Unavailable,
                    ..
                })
            ),
            "the error says why: {:?}",
            events.last()
        );
        codes.push(u16::from(close.code));
    }
    assert_eq!(codes, vec![protocol::close::GOING_AWAY; 50]);
    let exited = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap();
    assert!(exited.unwrap().success(), "a clean exit");
}
