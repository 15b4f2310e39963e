//! One benchmark client: a WebSocket authenticated by token, and the few frames it reads.

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
/// The sending half.
pub type Sink = SplitSink<Ws, Message>;
/// The receiving half.
pub type Stream = SplitStream<Ws>;

/// Microseconds since the benchmark started (senders and receivers share this clock).
pub fn now_us() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// The parts of a server frame the benchmark looks at.
#[derive(Debug, Deserialize)]
pub struct Frame {
    /// The event type.
    #[serde(rename = "type")]
    pub kind: String,
    /// `message_new` / `message_ack`.
    pub message: Option<FrameMessage>,
    /// `error`.
    pub code: Option<String>,
    /// `post_counts_changed`.
    pub counts: Option<FrameCounts>,
    /// `reactions_changed` / `reaction_saved`.
    pub reactions: Option<FrameReactions>,
}

/// A message's reactions inside a frame.
#[derive(Debug, Deserialize)]
pub struct FrameReactions {
    /// `(emoji, count)`, most used first.
    pub counts: Vec<FrameReaction>,
    /// Order of changes.
    pub version: i64,
}

/// One emoji's count.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct FrameReaction {
    /// The emoji.
    pub emoji: String,
    /// How many reacted with it.
    pub count: i64,
}

/// A post's counters inside a frame.
#[derive(Debug, Deserialize)]
pub struct FrameCounts {
    /// Likes.
    pub like_count: i64,
    /// Order of changes.
    pub version: i64,
}

/// A message inside a frame.
#[derive(Debug, Deserialize)]
pub struct FrameMessage {
    /// Its sequence number.
    pub seq: i64,
    /// Its text: `b<send time in µs>` for benchmark messages.
    pub body: String,
}

impl Frame {
    /// Parses a text frame.
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }

    /// Parses a Socket.IO event packet of the snake_case vocabulary (`42["new_message", {…}]`)
    /// as the native frame it renders.
    pub fn parse_socketio(text: &str) -> Option<Self> {
        let (event, payload): (String, serde_json::Value) =
            serde_json::from_str(text.strip_prefix("42")?).ok()?;
        let frame = |kind: &str| Self {
            kind: kind.to_owned(),
            message: None,
            code: None,
            counts: None,
            reactions: None,
        };
        match event.as_str() {
            "new_message" => Some(Self {
                message: Some(FrameMessage {
                    seq: payload["seq"].as_i64()?,
                    body: payload["content"].as_str()?.to_owned(),
                }),
                ..frame("message_new")
            }),
            "message_sent" => Some(Self {
                message: Some(FrameMessage {
                    seq: payload["message"]["seq"].as_i64()?,
                    body: payload["message"]["content"].as_str()?.to_owned(),
                }),
                ..frame("message_ack")
            }),
            "error" => Some(Self {
                code: payload["code"].as_str().map(str::to_owned),
                ..frame("error")
            }),
            _ => Some(frame(&event)),
        }
    }

    /// When a benchmark message was sent (µs on [`now_us`]'s clock).
    pub fn sent_at(&self) -> Option<u64> {
        self.message.as_ref()?.body.strip_prefix('b')?.parse().ok()
    }
}

/// Opens a WebSocket within 10 s; returns the halves.
async fn open(url: String) -> Result<(Sink, Stream), String> {
    // Small buffers: thousands of clients live in this one process.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (ws, _) = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async_with_config(url, Some(config), true),
    )
    .await
    .map_err(|_| "connect timed out".to_owned())?
    .map_err(|e| e.to_string())?;
    Ok(ws.split())
}

/// Opens an authenticated connection and waits for `unread_snapshot`; returns the halves.
pub async fn connect(ws_url: &str, token: &str) -> Result<(Sink, Stream), String> {
    let (sink, mut stream) = open(format!("{ws_url}?token={token}")).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let next = tokio::time::timeout_at(deadline, stream.next())
            .await
            .map_err(|_| "no snapshot within 10 s".to_owned())?;
        match next {
            Some(Ok(Message::Text(text))) => {
                let frame = Frame::parse(&text).ok_or("unparsable frame")?;
                match frame.kind.as_str() {
                    "unread_snapshot" => return Ok((sink, stream)),
                    "error" => return Err(format!("error {:?}", frame.code)),
                    _ => {}
                }
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("closed during handshake".into()),
        }
    }
}

/// Opens a Socket.IO connection through the gateway (Engine.IO v4 over a WebSocket, the
/// snake_case vocabulary with the token in the handshake) and waits for `connected`; returns
/// the halves. `ws_url` is the native endpoint (`ws://host/ws`); `vocabulary`, if given, is
/// named in the handshake.
pub async fn connect_socketio(
    ws_url: &str,
    token: &str,
    vocabulary: Option<&str>,
) -> Result<(Sink, Stream), String> {
    let base = ws_url.strip_suffix("/ws").unwrap_or(ws_url);
    let (mut sink, mut stream) =
        open(format!("{base}/socket.io/?EIO=4&transport=websocket")).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let next = tokio::time::timeout_at(deadline, stream.next())
            .await
            .map_err(|_| "no `connected` within 10 s".to_owned())?;
        match next {
            Some(Ok(Message::Text(text))) => {
                if text.starts_with('0') {
                    let mut auth = serde_json::json!({ "token": token });
                    if let Some(vocabulary) = vocabulary {
                        auth["vocabulary"] = serde_json::json!(vocabulary);
                    }
                    sink.send(Message::text(format!("40{auth}")))
                        .await
                        .map_err(|e| e.to_string())?;
                } else if text.as_str() == "2" {
                    sink.send(Message::text("3"))
                        .await
                        .map_err(|e| e.to_string())?;
                } else if text.starts_with("44") {
                    return Err(format!("refused: {text}"));
                } else if text.starts_with(r#"42["connected""#) {
                    return Ok((sink, stream));
                }
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("closed during handshake".into()),
        }
    }
}

/// A prefix unique to this run: temp ids repeated across runs would be deduplicated by the
/// server (acked with the original message, and not delivered again).
fn run_id() -> u128 {
    static RUN: OnceLock<u128> = OnceLock::new();
    *RUN.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default()
    })
}

/// Sends one benchmark message over Socket.IO (`send_message` of the snake_case vocabulary).
pub async fn send_message_socketio(
    sink: &mut Sink,
    conversation: protocol::ConversationId,
    temp_id: String,
) -> Result<(), String> {
    let event = serde_json::json!(["send_message", {
        "conversation_id": conversation,
        "temp_id": format!("{}-{temp_id}", run_id()),
        "content": format!("b{}", now_us()),
    }]);
    sink.send(Message::text(format!("42{event}")))
        .await
        .map_err(|e| e.to_string())
}

/// Sends one benchmark message (its body carries the send time; its temp id is unique to the
/// run).
pub async fn send_message(
    sink: &mut Sink,
    conversation: protocol::ConversationId,
    temp_id: String,
) -> Result<(), String> {
    let frame = protocol::ClientFrame::new(protocol::ClientEvent::SendMessage {
        conversation_id: conversation,
        temp_id: format!("{}-{temp_id}", run_id()),
        body: format!("b{}", now_us()),
        reply_to: None,
        attachments: Vec::new(),
    });
    let text = serde_json::to_string(&frame).map_err(|e| e.to_string())?;
    sink.send(Message::text(text))
        .await
        .map_err(|e| e.to_string())
}
