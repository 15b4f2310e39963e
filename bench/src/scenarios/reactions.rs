//! A reaction storm: one message of a big group reacted to hundreds of times a second while
//! thousands of members have the conversation open, as the web app does (`join_conversation`,
//! then reading every frame). Reports the rate achieved, whether every watcher ended on the
//! exact counts, how many updates each got, and the server's CPU per reaction and per delivery.

use super::{connect_all, server_line, Ctx};
use crate::client::{Frame, FrameReaction, Sink, Stream};
use futures_util::{SinkExt, StreamExt};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

/// The emojis reactors cycle through.
const EMOJIS: [&str; 4] = ["👍", "❤️", "😂", "🎉"];

/// The storm's shape (the scenario's options).
pub struct Storm {
    pub watchers: usize,
    pub reactors: usize,
    pub rate: u32,
    pub duration: u64,
    pub connect_rate: u32,
}

/// What one connection saw.
#[derive(Default)]
struct Seen {
    updates: u64,
    version: i64,
    counts: Vec<FrameReaction>,
    saved: u64,
    errors: u64,
}

/// Reads a connection until stopped, keeping the newest counts of the message.
fn read(mut stream: Stream, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<Seen> {
    tokio::spawn(async move {
        let mut seen = Seen::default();
        loop {
            let message = tokio::select! {
                _ = stop.changed() => return seen,
                m = stream.next() => m,
            };
            let Some(Ok(Message::Text(text))) = message else {
                if message.is_none() {
                    return seen;
                }
                continue;
            };
            let Some(frame) = Frame::parse(&text) else {
                continue;
            };
            match (frame.kind.as_str(), frame.reactions) {
                ("reactions_changed", Some(r)) | ("reaction_saved", Some(r)) => {
                    if frame.kind == "reactions_changed" {
                        seen.updates += 1;
                    } else {
                        seen.saved += 1;
                    }
                    if r.version > seen.version {
                        seen.version = r.version;
                        seen.counts = r.counts;
                    }
                }
                ("error", _) => seen.errors += 1,
                _ => {}
            }
        }
    })
}

/// Sends one frame.
async fn send(sink: &mut Sink, frame: serde_json::Value) -> Result<(), String> {
    sink.send(Message::text(frame.to_string()))
        .await
        .map_err(|e| e.to_string())
}

/// Runs the storm and prints its report.
pub async fn storm(cx: &Ctx, shape: Storm) -> Result<(), String> {
    let Storm {
        watchers,
        reactors,
        rate,
        duration,
        connect_rate,
    } = shape;
    let group = cx.seed.groups.first().ok_or("the seed has no group")?;
    if group.members.len() < watchers + reactors {
        return Err(format!(
            "the first group has {} members; watchers + reactors need {}",
            group.members.len(),
            watchers + reactors
        ));
    }
    let conversation = group.id;
    let tokens: Vec<String> = group.members[..watchers + reactors]
        .iter()
        .map(|&i| cx.seed.users[i].token.clone())
        .collect();
    let author = tokens[0].clone();
    let mut conns = connect_all(cx, tokens, connect_rate).await;
    if conns.iter().any(Option::is_none) {
        return Err("some members could not connect".into());
    }
    let (mut sink, mut stream) = conns[0].take().expect("connected");
    // The author writes the message everyone reacts to (a new one every run).
    send(
        &mut sink,
        serde_json::json!({"type": "send_message", "conversation_id": conversation,
            "temp_id": format!("storm-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros())), "body": "React to this"}),
    )
    .await?;
    let message_id = loop {
        let Some(Ok(Message::Text(text))) = stream.next().await else {
            return Err("the author's connection closed".into());
        };
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        if value["type"] == "message_ack" {
            break value["message"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
        }
    };
    conns[0] = Some((sink, stream));

    // Everyone has the conversation open, as the app does when it shows it.
    let join = serde_json::json!({"type": "join_conversation", "conversation_id": conversation});
    let (stop_tx, stop) = watch::channel(false);
    let mut sinks = Vec::new();
    let mut readers = Vec::new();
    for (mut sink, stream) in conns.into_iter().flatten() {
        send(&mut sink, join.clone()).await?;
        sinks.push(sink);
        readers.push(read(stream, stop.clone()));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    let before = server_line(cx);
    let started = Instant::now();
    let mut wishes = vec![[false; EMOJIS.len()]; reactors];
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate.max(1))));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let total = u64::from(rate) * duration;
    for n in 0..total {
        tick.tick().await;
        let i = (n as usize) % reactors;
        let e = (n as usize / reactors) % EMOJIS.len();
        wishes[i][e] = !wishes[i][e];
        let kind = if wishes[i][e] {
            "add_reaction"
        } else {
            "remove_reaction"
        };
        let frame = serde_json::json!({"type": kind, "message_id": message_id, "emoji": EMOJIS[e]});
        send(&mut sinks[watchers + i], frame).await?;
    }
    let reacting = started.elapsed().as_secs_f64();
    // Replies trail the last send; the last coalesced update goes out 100 ms after the change.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = server_line(cx);

    let history: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/api/conversations/{conversation}/messages?limit=1",
            cx.http_url
        ))
        .bearer_auth(&author)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let stored: Vec<FrameReaction> =
        serde_json::from_value(history["messages"][0]["reactions"].clone()).unwrap_or_default();
    let _ = stop_tx.send(true);
    let mut seen = Vec::new();
    for r in readers {
        if let Ok(s) = r.await {
            seen.push(s);
        }
    }
    drop(sinks);

    let mut wished: BTreeMap<&str, i64> = BTreeMap::new();
    for w in &wishes {
        for (e, on) in w.iter().enumerate() {
            *wished.entry(EMOJIS[e]).or_default() += i64::from(*on);
        }
    }
    let stored_map: BTreeMap<&str, i64> =
        stored.iter().map(|r| (r.emoji.as_str(), r.count)).collect();
    wished.retain(|_, n| *n > 0);
    let (watching, reacting_seen) = seen.split_at(watchers.min(seen.len()));
    let on_exact = watching.iter().filter(|s| s.counts == stored).count();
    let saved: u64 = reacting_seen.iter().map(|s| s.saved).sum();
    let errors: u64 = seen.iter().map(|s| s.errors).sum();
    let updates: Vec<u64> = watching.iter().map(|s| s.updates).collect();
    let max = updates.iter().copied().max().unwrap_or(0);
    let mean = updates.iter().sum::<u64>() as f64 / updates.len().max(1) as f64;
    println!(
        "{total} reactions added/taken back in {reacting:.1} s ({:.0}/s); {saved} confirmed, \
         {errors} errors; stored {stored_map:?} (the reactors' last wishes: {wished:?})",
        total as f64 / reacting
    );
    println!(
        "{on_exact}/{} watchers ended on the exact counts; updates per watcher: mean {mean:.1}, \
         max {max} ({:.1}/s at most)",
        watching.len(),
        max as f64 / reacting
    );
    if let (Some((_, cpu0)), Some((_, cpu1))) = (before, after) {
        let cpu = cpu1 - cpu0;
        let deliveries: u64 = seen.iter().map(|s| s.updates + s.saved).sum();
        println!(
            "server CPU {cpu:.2} s: {:.0} µs per reaction, {:.2} µs per delivered frame",
            cpu * 1e6 / total as f64,
            cpu * 1e6 / deliveries.max(1) as f64
        );
    }
    Ok(())
}
