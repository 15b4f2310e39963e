//! A client: reads frames until told to stop, counts deliveries and their latency, sends
//! benchmark messages at a steady rate if it is a sender ([`Sending`]), and, as [`App`],
//! behaves like Confab's web app: it opens its conversation, reports every
//! message it receives as read (it is viewing it: the app then sends `mark_read` alone, which
//! says delivered too), types now and then, and watches the presence of the members it shows.

use crate::client::{self, now_us, Frame, Sink, Stream};
use crate::report::Latencies;
use futures_util::{SinkExt, StreamExt};
use protocol::{ClientEvent, ClientFrame, ConversationId, ReceiptKind, UserId};
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

/// What one listener saw.
#[derive(Default)]
pub struct Seen {
    /// Benchmark messages received (sent after the measurement started).
    pub deliveries: u64,
    /// Their latency.
    pub latency: Latencies,
    /// Latency of the acks of this client's own sends.
    pub acks: Latencies,
    /// `error` events.
    pub errors: u64,
    /// Time from `join_conversation` to its reply.
    pub joins: Latencies,
    /// Bytes of the `join_conversation` replies.
    pub join_reply_bytes: u64,
    /// Frames received while measuring, by event type.
    pub kinds: HashMap<String, u64>,
    /// Bytes received while measuring.
    pub bytes: u64,
    /// Benchmark messages this client sent.
    pub sent: u64,
}

impl Seen {
    /// Adds what another listener saw.
    pub fn add(&mut self, other: Seen) {
        self.deliveries += other.deliveries;
        self.errors += other.errors;
        self.latency.extend(other.latency);
        self.acks.extend(other.acks);
        self.joins.extend(other.joins);
        self.join_reply_bytes += other.join_reply_bytes;
        for (kind, n) in other.kinds {
            *self.kinds.entry(kind).or_default() += n;
        }
        self.bytes += other.bytes;
        self.sent += other.sent;
    }
}

/// How a listener that behaves like the web app acts.
#[derive(Clone, Debug)]
pub struct App {
    /// The conversation it is in.
    pub conversation: ConversationId,
    /// Whether it has the conversation open (else it only confirms delivery, as the app does
    /// for a conversation in the background).
    pub viewing: bool,
    /// Members whose presence it watches (the app shows them).
    pub watch: Vec<UserId>,
    /// How often it types (its first time at a random point of the first period).
    pub typing_every: Option<Duration>,
    /// Counts the listeners whose `join_conversation` was answered.
    pub joined: Arc<AtomicUsize>,
}

/// What a sending client sends: benchmark messages to one conversation, `rate` a second for
/// `duration` from when it starts.
#[derive(Clone, Copy, Debug)]
pub struct Sending {
    /// The conversation.
    pub conversation: ConversationId,
    /// Messages per second.
    pub rate: u32,
    /// For how long.
    pub duration: Duration,
    /// Makes its temp ids unique among the senders.
    pub tag: usize,
}

/// A connection to read from.
pub struct Listener {
    /// The receiving half.
    pub stream: Stream,
    /// The sending half, when the listener answers (Socket.IO pings, receipts).
    pub sink: Option<Sink>,
    /// Whether it speaks Socket.IO (snake_case vocabulary) instead of the native protocol.
    pub socketio: bool,
    /// How it behaves like the web app, if it does.
    pub app: Option<App>,
    /// What it sends, if it is a sender (it needs `sink`).
    pub sending: Option<Sending>,
}

impl Listener {
    /// Sends one request in the listener's protocol.
    async fn request(&mut self, id: Option<&str>, event: ClientEvent) {
        let Some(sink) = self.sink.as_mut() else {
            return;
        };
        let text = if self.socketio {
            let Some((name, arg)) = snake(&event) else {
                return;
            };
            format!("42{}", json!([name, arg]))
        } else {
            let frame = ClientFrame {
                id: id.map(str::to_owned),
                event,
            };
            serde_json::to_string(&frame).unwrap_or_default()
        };
        let _ = sink.send(Message::text(text)).await;
    }

    /// Reads until `stop`; counts `message_new` sent after `since` and their latency, and acks.
    pub fn spawn(
        mut self,
        mut stop: watch::Receiver<bool>,
        since: Arc<AtomicU64>,
    ) -> tokio::task::JoinHandle<Seen> {
        tokio::spawn(async move {
            let mut seen = Seen::default();
            let mut joined_at = None;
            let mut typing = None;
            if let Some(app) = self.app.clone() {
                let conversation_id = app.conversation;
                if app.viewing {
                    joined_at = Some(now_us());
                    let join = ClientEvent::JoinConversation { conversation_id };
                    self.request(Some("join"), join).await;
                }
                if !app.watch.is_empty() && !self.socketio {
                    let user_ids = app.watch.clone();
                    self.request(None, ClientEvent::SubscribePresence { user_ids })
                        .await;
                }
                if let Some(every) = app.typing_every {
                    // A random phase so that the typists spread over the period.
                    let phase = every.mul_f64(f64::from(now_us() as u32 % 1000) / 1000.0);
                    let mut tick =
                        tokio::time::interval_at(tokio::time::Instant::now() + phase, every);
                    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    typing = Some(tick);
                }
            }
            let mut sends = self.sending.map(|plan| {
                let gap = Duration::from_secs_f64(1.0 / f64::from(plan.rate.max(1)));
                (
                    plan,
                    tokio::time::interval(gap),
                    tokio::time::Instant::now() + plan.duration,
                )
            });
            loop {
                let message = tokio::select! {
                    _ = stop.changed() => return seen,
                    m = stream_next(&mut self.stream) => m,
                    _ = next_send(&mut sends) => {
                        if self.send_message(sends.as_ref(), seen.sent).await {
                            seen.sent += 1;
                        } else {
                            sends = None;
                        }
                        continue;
                    }
                    _ = tick(&mut typing) => {
                        if let Some(app) = &self.app {
                            let conversation_id = app.conversation;
                            self.request(None, ClientEvent::TypingStart { conversation_id }).await;
                        }
                        continue;
                    }
                };
                let Some(Ok(Message::Text(text))) = message else {
                    if message.is_none() {
                        return seen;
                    }
                    continue;
                };
                let frame = if self.socketio {
                    if text.as_str() == "2" {
                        if let Some(sink) = self.sink.as_mut() {
                            let _ = sink.send(Message::text("3")).await;
                        }
                        continue;
                    }
                    Frame::parse_socketio(&text)
                } else {
                    Frame::parse(&text)
                };
                let Some(frame) = frame else {
                    continue;
                };
                let now = now_us();
                let measuring = now >= since.load(Ordering::Relaxed);
                if measuring {
                    *seen.kinds.entry(frame.kind.clone()).or_default() += 1;
                    seen.bytes += text.len() as u64;
                }
                match frame.kind.as_str() {
                    "message_new" => {
                        if let Some(at) = frame.sent_at() {
                            if at >= since.load(Ordering::Relaxed) {
                                seen.deliveries += 1;
                                seen.latency.0.push(now.saturating_sub(at));
                            }
                        }
                        let (Some(app), Some(m)) = (&self.app, &frame.message) else {
                            continue;
                        };
                        // What the web app does for a message from someone else: reads it
                        // when the conversation is open (which says delivered too), else
                        // confirms delivery.
                        let (conversation_id, up_to_seq) = (app.conversation, m.seq);
                        let kind = if app.viewing {
                            ReceiptKind::Seen
                        } else {
                            ReceiptKind::Delivered
                        };
                        let receipt = ClientEvent::receipt(kind, conversation_id, up_to_seq);
                        self.request(None, receipt).await;
                    }
                    "message_ack" => {
                        if let Some(at) = frame.sent_at() {
                            seen.acks.0.push(now.saturating_sub(at));
                        }
                    }
                    "conversation_joined" => {
                        if let (Some(at), Some(app)) = (joined_at.take(), &self.app) {
                            seen.joins.0.push(now.saturating_sub(at));
                            seen.join_reply_bytes += text.len() as u64;
                            app.joined.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    "error" => seen.errors += 1,
                    _ => {}
                }
            }
        })
    }
}

impl Listener {
    /// Sends the next benchmark message of `sends`; whether it went out.
    async fn send_message(&mut self, sends: Option<&SendTimer>, n: u64) -> bool {
        let (Some((plan, _, end)), Some(sink)) = (sends, self.sink.as_mut()) else {
            return false;
        };
        if tokio::time::Instant::now() >= *end {
            return false;
        }
        let temp = format!("{}-{n}", plan.tag);
        let sent = if self.socketio {
            client::send_message_socketio(sink, plan.conversation, temp).await
        } else {
            client::send_message(sink, plan.conversation, temp).await
        };
        sent.is_ok()
    }
}

/// A sender's plan, its timer and when it stops.
type SendTimer = (Sending, tokio::time::Interval, tokio::time::Instant);

/// Waits for the next send, or forever when not sending (or done).
async fn next_send(sends: &mut Option<SendTimer>) {
    match sends {
        Some((_, tick, end)) if tokio::time::Instant::now() < *end => {
            tick.tick().await;
        }
        _ => std::future::pending().await,
    }
}

async fn stream_next(
    stream: &mut Stream,
) -> Option<Result<Message, tokio_tungstenite::tungstenite::Error>> {
    stream.next().await
}

/// Waits for the typing timer, or forever without one.
async fn tick(timer: &mut Option<tokio::time::Interval>) {
    match timer {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// The snake_case Socket.IO event for a client event (the gateway's vocabulary of the
/// Flask-SocketIO systems); `None` for what that vocabulary has no word for.
fn snake(event: &ClientEvent) -> Option<(&'static str, serde_json::Value)> {
    Some(match event {
        ClientEvent::JoinConversation { conversation_id } => (
            "join_conversation",
            json!({ "conversation_id": conversation_id }),
        ),
        ClientEvent::MarkDelivered {
            conversation_id,
            up_to_seq,
        } => (
            "mark_delivered",
            json!({ "conversation_id": conversation_id, "up_to_seq": up_to_seq }),
        ),
        ClientEvent::MarkRead {
            conversation_id,
            up_to_seq,
        } => (
            "mark_read",
            json!({ "conversation_id": conversation_id, "up_to_seq": up_to_seq }),
        ),
        ClientEvent::TypingStart { conversation_id } => (
            "typing",
            json!({ "conversation_id": conversation_id, "is_typing": true }),
        ),
        _ => return None,
    })
}
