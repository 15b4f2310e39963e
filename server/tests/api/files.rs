//! Pictures and files: members upload and fetch them (a picture with a thumbnail made by the
//! server), nobody else can; the type is read from the bytes; size and type limits come from
//! the configuration; and the same works with the files in an S3-compatible store (moto).

use crate::helpers::*;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use protocol::{ClientEvent, ErrorCode, ServerEvent};
use reqwest::Method;
use serde_json::{json, Value};
use std::io::Cursor;
use std::process::{Child, Command, Stdio};

/// A 640×480 PNG.
fn photo() -> Vec<u8> {
    let pixels = RgbImage::from_fn(640, 480, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 120])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(pixels)
        .write_to(&mut out, ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

/// The start of a Linux program.
const PROGRAM: &[u8] = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00";

async fn upload(
    app: &TestApp,
    who: &TestUser,
    conversation: protocol::ConversationId,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let response = app
        .http
        .post(app.url(&format!("/api/conversations/{conversation}/files")))
        .query(&[("name", name)])
        .bearer_auth(&who.token)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `GET` a file path as `who`: status, content type and bytes.
async fn fetch(app: &TestApp, who: &TestUser, path: &str) -> (u16, String, Vec<u8>) {
    let response = app
        .http
        .get(app.url(path))
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, response.bytes().await.unwrap().to_vec())
}

/// Uploads a picture and a PDF as a member and checks who can fetch them.
async fn members_only(app: &TestApp) {
    let (alice, bob, eve) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("eve").await,
    );
    let group = app.group(&alice, "Photos", &[&bob]).await;
    let picture = photo();
    let (status, file) = upload(app, &alice, group, "../holiday.png", picture.clone()).await;
    assert_eq!(status, 201, "{file}");
    assert_eq!(file["name"], "holiday.png");
    assert_eq!(file["content_type"], "image/png");
    assert_eq!(file["size"], picture.len());
    assert_eq!(
        (file["width"].as_u64(), file["height"].as_u64()),
        (Some(640), Some(480))
    );
    assert_eq!(file["thumbnail"], true);
    let id = file["id"].as_str().unwrap();

    // A member gets the file as uploaded, and a small JPEG of it.
    let (status, kind, bytes) = fetch(app, &bob, &format!("/api/files/{id}")).await;
    assert_eq!((status, kind.as_str()), (200, "image/png"));
    assert_eq!(bytes, picture);
    let (status, kind, bytes) = fetch(app, &bob, &format!("/api/files/{id}/thumbnail")).await;
    assert_eq!((status, kind.as_str()), (200, "image/jpeg"));
    let small = image::load_from_memory(&bytes).unwrap();
    assert_eq!((small.width(), small.height()), (320, 240));

    // Anyone else: as if it did not exist, file and thumbnail alike; no session, no file.
    for path in [
        format!("/api/files/{id}"),
        format!("/api/files/{id}/thumbnail"),
    ] {
        let (status, _, body) = fetch(app, &eve, &path).await;
        assert_eq!(status, 404);
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "NOT_FOUND");
        let (status, _) = app.request(Method::GET, &path, None, None).await;
        assert_eq!(status, 401);
    }
    let (status, body) = upload(app, &eve, group, "x.png", photo()).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (403, &json!("NOT_A_MEMBER"))
    );

    // Another type: a PDF, no thumbnail, downloaded under its name.
    let (status, pdf) = upload(
        app,
        &bob,
        group,
        "notes.pdf",
        b"%PDF-1.7\n%\xe2\xe3\n".to_vec(),
    )
    .await;
    assert_eq!(status, 201, "{pdf}");
    assert_eq!(
        (pdf["content_type"].as_str(), &pdf["thumbnail"]),
        (Some("application/pdf"), &json!(false))
    );
    let id = pdf["id"].as_str().unwrap();
    let (status, _, _) = fetch(app, &alice, &format!("/api/files/{id}/thumbnail")).await;
    assert_eq!(status, 404);
}

/// Sends `files` (and `body`) as `client`; the stored message or the error.
async fn send_files(
    client: &mut TestClient,
    conversation: protocol::ConversationId,
    temp_id: &str,
    body: &str,
    files: &[&Value],
) -> Result<protocol::Message, ErrorCode> {
    let attachments = files
        .iter()
        .map(|f| serde_json::from_value(f["id"].clone()).unwrap())
        .collect();
    client
        .send_with_id(
            temp_id,
            ClientEvent::SendMessage {
                conversation_id: conversation,
                temp_id: temp_id.into(),
                body: body.into(),
                reply_to: None,
                attachments,
            },
        )
        .await;
    let frame = client
        .expect_frame(|f| f.id.as_deref() == Some(temp_id))
        .await;
    match frame.event {
        ServerEvent::MessageAck { message, .. } => Ok(message),
        ServerEvent::Error { code, .. } => Err(code),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn files_go_with_a_message_once_and_go_away_with_it() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let group = app.group(&alice, "Photos", &[&bob]).await;
    let other = app.group(&alice, "Elsewhere", &[]).await;
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    let (_, picture) = upload(&app, &alice, group, "beach.png", photo()).await;
    let (_, notes) = upload(&app, &alice, group, "notes.txt", b"bring towels\n".to_vec()).await;
    let (_, bobs) = upload(&app, &bob, group, "bob.png", photo()).await;
    let (_, elsewhere) = upload(&app, &alice, other, "x.png", photo()).await;

    // Not someone else's upload, not one of another conversation; not nothing at all.
    assert_eq!(
        send_files(&mut a, group, "t1", "", &[&bobs]).await,
        Err(ErrorCode::ValidationFailed)
    );
    assert_eq!(
        send_files(&mut a, group, "t2", "", &[&elsewhere]).await,
        Err(ErrorCode::ValidationFailed)
    );
    assert_eq!(
        send_files(&mut a, group, "t3", " ", &[]).await,
        Err(ErrorCode::ValidationFailed)
    );
    assert_eq!(
        send_files(&mut a, group, "t4", "", &[&picture, &picture]).await,
        Err(ErrorCode::ValidationFailed)
    );

    // Files alone, or with text: the ack, the others' message_new and history all carry them.
    let sent = send_files(&mut a, group, "t5", "", &[&picture, &notes])
        .await
        .unwrap();
    let names: Vec<&str> = sent.attachments.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["beach.png", "notes.txt"]);
    assert_eq!(sent.body, "");
    let arrived = b
        .expect(|e| matches!(e, ServerEvent::MessageNew { .. }))
        .await;
    assert_eq!(message_of(&arrived).attachments, sent.attachments);
    let (_, page) = app
        .get(&format!("/api/conversations/{group}/messages"), &bob.token)
        .await;
    assert_eq!(page["messages"][0]["attachments"][0]["id"], picture["id"]);
    assert_eq!(
        page["messages"][0]["attachments"][1]["content_type"],
        "text/plain"
    );
    // The list's preview names them.
    let (_, list) = app.get("/api/conversations", &bob.token).await;
    let listed = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "Photos")
        .unwrap();
    assert_eq!(
        listed["last_message"]["attachments"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // A retry of the same send is the same message; a new send cannot take them again.
    assert_eq!(
        send_files(&mut a, group, "t5", "", &[&picture, &notes])
            .await
            .unwrap()
            .id,
        sent.id
    );
    assert_eq!(
        send_files(&mut a, group, "t6", "again", &[&picture]).await,
        Err(ErrorCode::ValidationFailed)
    );

    // A reply to it quotes what it carries, live and in history.
    b.send(ClientEvent::SendMessage {
        conversation_id: group,
        temp_id: "r1".into(),
        body: "nice!".into(),
        reply_to: Some(sent.id),
        attachments: Vec::new(),
    })
    .await;
    let reply = b.acked().await;
    assert_eq!(reply.reply_to.unwrap().excerpt, "📎 beach.png, notes.txt");
    let (_, page) = app
        .get(&format!("/api/conversations/{group}/messages"), &bob.token)
        .await;
    assert_eq!(
        page["messages"][1]["reply_to"]["excerpt"],
        "📎 beach.png, notes.txt"
    );

    // Deleting the message deletes its files: nobody fetches them any more.
    a.send(ClientEvent::DeleteMessage {
        message_id: sent.id,
    })
    .await;
    let gone = b
        .expect(|e| matches!(e, ServerEvent::MessageDeleted { .. }))
        .await;
    assert!(message_of(&gone).attachments.is_empty());
    for file in [&picture, &notes] {
        let id = file["id"].as_str().unwrap();
        let (status, _, _) = fetch(&app, &alice, &format!("/api/files/{id}")).await;
        assert_eq!(status, 404);
    }
    let (_, page) = app
        .get(&format!("/api/conversations/{group}/messages"), &bob.token)
        .await;
    assert!(page["messages"][0].get("attachments").is_none());
}

#[tokio::test]
async fn only_members_fetch_a_conversations_files_and_thumbnails() {
    let app = spawn_app().await;
    members_only(&app).await;
}

#[tokio::test]
async fn the_type_comes_from_the_bytes_and_the_limits_from_the_configuration() {
    let app = spawn_app_with(&["--max-upload-bytes", "100000", "--upload-types", "image/*"]).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.group(&alice, "Photos", &[&bob]).await;
    // A program named like a picture is refused.
    let (status, body) = upload(&app, &alice, group, "cute-cat.png", PROGRAM.to_vec()).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (422, &json!("VALIDATION_FAILED"))
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not allowed"),
        "{body}"
    );
    // PDFs are not in this server's list.
    let (status, _) = upload(&app, &alice, group, "a.pdf", b"%PDF-1.7\n".to_vec()).await;
    assert_eq!(status, 422);
    // "A picture" whose bytes do not decode.
    let mut broken = photo();
    broken.truncate(60);
    let (status, body) = upload(&app, &alice, group, "broken.png", broken).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (422, &json!("VALIDATION_FAILED"))
    );
    // Over the size limit, and empty.
    let (status, body) = upload(&app, &alice, group, "big.png", vec![0x89; 100_001]).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (413, &json!("PAYLOAD_TOO_LARGE"))
    );
    let (status, _) = upload(&app, &alice, group, "empty.png", Vec::new()).await;
    assert_eq!(status, 422);
    // Within both: stored.
    let (status, _) = upload(&app, &alice, group, "ok.png", photo()).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn uploads_never_sent_are_deleted_after_their_time_and_sent_ones_stay() {
    let app = spawn_app_with(&["--unsent-upload-ttl-secs", "2"]).await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let group = app.group(&alice, "Photos", &[&bob]).await;
    let mut a = app.connect(&alice).await;
    let (status, sent) = upload(&app, &alice, group, "sent.png", photo()).await;
    assert_eq!(status, 201, "{sent}");
    send_files(&mut a, group, "t1", "here", &[&sent])
        .await
        .unwrap();
    let (status, forgotten) = upload(&app, &alice, group, "forgotten.png", photo()).await;
    assert_eq!(status, 201, "{forgotten}");
    let stored = |name: &str| app.data_dir().join("files").join(name).exists();
    let (sent_id, forgotten_id) = (
        sent["id"].as_str().unwrap().to_owned(),
        forgotten["id"].as_str().unwrap().to_owned(),
    );
    assert!(stored(&forgotten_id) && stored(&format!("{forgotten_id}.thumb")));

    // Swept within a sweep or two of its time: record and bytes (picture and thumbnail) gone.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, _, _) = fetch(&app, &bob, &format!("/api/files/{forgotten_id}")).await;
        if status == 404 {
            break;
        }
        assert_eq!(status, 200);
        assert!(std::time::Instant::now() < deadline, "never swept");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(!stored(&forgotten_id) && !stored(&format!("{forgotten_id}.thumb")));
    assert_eq!(
        send_files(&mut a, group, "t2", "late", &[&forgotten]).await,
        Err(ErrorCode::ValidationFailed)
    );
    // The one sent with a message stays, bytes and all.
    let (status, kind, bytes) = fetch(&app, &bob, &format!("/api/files/{sent_id}")).await;
    assert_eq!((status, kind.as_str(), bytes), (200, "image/png", photo()));
    assert!(stored(&sent_id));
}

/// A local S3-compatible server (moto, installed by `scripts/setup.sh python`), with a bucket.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn moto() -> Moto {
    let port = free_port();
    let child = Command::new(python_env().join("bin/moto_server"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("moto_server ({e}): run scripts/setup.sh python"));
    wait_for_port(port).await;
    let endpoint = format!("http://127.0.0.1:{port}");
    // moto takes unsigned requests: make the bucket.
    let made = reqwest::Client::new()
        .put(format!("{endpoint}/confab-files"))
        .send()
        .await
        .unwrap();
    assert!(made.status().is_success(), "{}", made.status());
    Moto { child, endpoint }
}

#[tokio::test]
async fn files_can_live_in_an_s3_compatible_store() {
    let s3 = moto().await;
    let app = spawn_app_with(&[
        "--s3-bucket",
        "confab-files",
        "--s3-endpoint",
        &s3.endpoint,
        "--s3-access-key-id",
        "testing",
        "--s3-secret-access-key",
        "testing",
    ])
    .await;
    members_only(&app).await;
    let listing = || async {
        reqwest::get(format!("{}/confab-files", s3.endpoint))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    // The bytes are in the bucket, not the data dir.
    assert!(listing().await.contains(".thumb"));

    // Sent with a message, then deleted with it: gone from the bucket too.
    let (carol, dave) = (app.register("carol").await, app.register("dave").await);
    let group = app.group(&carol, "Bucket", &[&dave]).await;
    let (_, file) = upload(&app, &carol, group, "gone.png", photo()).await;
    let id = file["id"].as_str().unwrap().to_owned();
    assert!(listing().await.contains(&format!("{id}.thumb")));
    let mut c = app.connect(&carol).await;
    let sent = send_files(&mut c, group, "s1", "", &[&file]).await.unwrap();
    c.send(ClientEvent::DeleteMessage {
        message_id: sent.id,
    })
    .await;
    c.expect(|e| matches!(e, ServerEvent::MessageDeleted { .. }))
        .await;
    let mut left = listing().await;
    for _ in 0..50 {
        if !left.contains(&id) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        left = listing().await;
    }
    assert!(!left.contains(&id), "{left}");
}
