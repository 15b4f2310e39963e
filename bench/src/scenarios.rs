//! The scenarios and their reports.

use crate::client::{self, now_us, Frame, Sink, Stream};
use crate::listener::{App, Listener, Seen, Sending};
use crate::proc;
use crate::{Args, GroupArgs, Scenario};
use futures_util::StreamExt;
use protocol::ConversationId;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

mod reactions;

/// The file `confab seed` writes.
#[derive(Debug, Deserialize)]
struct Seeded {
    users: Vec<SeededUser>,
    groups: Vec<SeededConversation>,
    directs: Vec<SeededConversation>,
}

#[derive(Debug, Deserialize)]
struct SeededUser {
    id: protocol::UserId,
    token: String,
}

#[derive(Debug, Deserialize)]
struct SeededConversation {
    id: ConversationId,
    members: Vec<usize>,
}

struct Ctx {
    /// The first instance's WebSocket URL.
    ws_url: String,
    /// Every instance's, for spreading clients.
    ws_urls: Vec<String>,
    http_url: String,
    pids: Vec<u32>,
    seed: Seeded,
    /// The vocabulary Socket.IO clients name in their handshake, if any.
    socketio_vocabulary: Option<String>,
}

impl Ctx {
    /// The instance connection `i` goes to (round-robin).
    fn ws_url_for(&self, i: usize) -> &str {
        &self.ws_urls[i % self.ws_urls.len()]
    }
}

/// Runs the chosen scenario and prints its report.
pub async fn run(args: Args) -> Result<(), String> {
    let text =
        std::fs::read(&args.seed).map_err(|e| format!("reading {}: {e}", args.seed.display()))?;
    let seed: Seeded = serde_json::from_slice(&text).map_err(|e| e.to_string())?;
    let bases: Vec<String> = args
        .url
        .iter()
        .map(|u| u.trim_end_matches('/').to_owned())
        .collect();
    let ws_urls: Vec<String> = bases
        .iter()
        .map(|b| format!("{}/ws", b.replacen("http", "ws", 1)))
        .collect();
    let cx = Ctx {
        ws_url: ws_urls.first().cloned().ok_or("no --url")?,
        ws_urls,
        http_url: bases[0].clone(),
        pids: args.server_pid,
        seed,
        socketio_vocabulary: args.socketio_vocabulary,
    };
    match args.scenario {
        Scenario::Idle { users, rate, hold } => idle(&cx, users, rate, hold).await,
        Scenario::Group(load) => group(&cx, &load).await,
        Scenario::Direct {
            rate,
            duration,
            connect_rate,
        } => direct(&cx, rate, duration, connect_rate).await,
        Scenario::Reconnect { users, missed } => reconnect(&cx, users, missed).await,
        Scenario::Likes {
            watchers,
            likers,
            rate,
            duration,
            connect_rate,
        } => likes(&cx, watchers, likers, rate, duration, connect_rate).await,
        Scenario::Reactions {
            watchers,
            reactors,
            rate,
            duration,
            connect_rate,
        } => {
            let shape = reactions::Storm {
                watchers,
                reactors,
                rate,
                duration,
                connect_rate,
            };
            reactions::storm(&cx, shape).await
        }
    }
}

type Conn = (Sink, Stream);

/// Connects `tokens` at `rate` per second; returns the connections (None for failures).
async fn connect_all(cx: &Ctx, tokens: Vec<String>, rate: u32) -> Vec<Option<Conn>> {
    let native = vec![false; tokens.len()];
    connect_all_with(cx, tokens, rate, native).await
}

/// As [`connect_all`]; connection `i` goes through the Socket.IO gateway when `socketio[i]`.
async fn connect_all_with(
    cx: &Ctx,
    tokens: Vec<String>,
    rate: u32,
    socketio: Vec<bool>,
) -> Vec<Option<Conn>> {
    let started = Instant::now();
    let n = tokens.len();
    let mut handles = Vec::with_capacity(n);
    let gap = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let mut tick = tokio::time::interval(gap);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for (i, token) in tokens.into_iter().enumerate() {
        tick.tick().await;
        let url = cx.ws_url_for(i).to_owned();
        let gateway = socketio[i];
        let vocabulary = cx.socketio_vocabulary.clone();
        handles.push(tokio::spawn(async move {
            if gateway {
                client::connect_socketio(&url, &token, vocabulary.as_deref()).await
            } else {
                client::connect(&url, &token).await
            }
        }));
    }
    let mut out = Vec::with_capacity(n);
    let mut errors: HashMap<String, usize> = HashMap::new();
    for h in handles {
        match h.await {
            Ok(Ok(conn)) => out.push(Some(conn)),
            Ok(Err(e)) => {
                *errors.entry(e).or_default() += 1;
                out.push(None)
            }
            Err(e) => {
                *errors.entry(e.to_string()).or_default() += 1;
                out.push(None)
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let ok = out.iter().filter(|c| c.is_some()).count();
    println!(
        "connected {ok}/{n}, errors {}, {:.0} connects/s over {secs:.2} s",
        n - ok,
        ok as f64 / secs
    );
    for (e, count) in errors {
        println!("  error ×{count}: {e}");
    }
    out
}

/// The servers' RSS and CPU time, added up over every `--server-pid`.
fn server_line(cx: &Ctx) -> Option<(u64, f64)> {
    if cx.pids.is_empty() {
        return None;
    }
    let mut total = (0, 0.0);
    for pid in &cx.pids {
        total.0 += proc::rss_kib(*pid)?;
        total.1 += proc::cpu_seconds(*pid)?;
    }
    Some(total)
}

async fn idle(cx: &Ctx, users: usize, rate: u32, hold: u64) -> Result<(), String> {
    let tokens: Vec<String> = cx
        .seed
        .users
        .iter()
        .take(users)
        .map(|u| u.token.clone())
        .collect();
    let before = server_line(cx);
    let conns = connect_all(cx, tokens, rate).await;
    let ok = conns.iter().filter(|c| c.is_some()).count();
    // Keep reading (pings are answered while reading) during the hold.
    let (stop_tx, stop) = watch::channel(false);
    let mut readers = Vec::new();
    for (_sink, mut stream) in conns.into_iter().flatten() {
        let mut stop = stop.clone();
        readers.push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stop.changed() => return,
                    m = stream.next() => if m.is_none() { return },
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(hold)).await;
    if let (Some((rss0, _)), Some((rss1, _))) = (before, server_line(cx)) {
        println!(
            "server RSS {} KiB → {} KiB: {:.2} KiB per idle connection ({ok} connections)",
            rss0,
            rss1,
            (rss1.saturating_sub(rss0)) as f64 / ok.max(1) as f64
        );
    }
    let _ = stop_tx.send(true);
    for r in readers {
        let _ = r.await;
    }
    Ok(())
}

/// Reads until `stop`: counts `message_new` sent after `since` and their latency, and acks.
fn spawn_reader(
    stream: Stream,
    stop: watch::Receiver<bool>,
    since: Arc<AtomicU64>,
) -> tokio::task::JoinHandle<Seen> {
    let listener = Listener {
        stream,
        sink: None,
        socketio: false,
        app: None,
        sending: None,
    };
    listener.spawn(stop, since)
}

async fn collect(readers: Vec<tokio::task::JoinHandle<Seen>>) -> Seen {
    let mut seen = Seen::default();
    for r in readers {
        if let Ok(s) = r.await {
            seen.add(s);
        }
    }
    seen
}

fn print_delivery(cx: &Ctx, seen: &mut Seen, expected: u64, secs: f64, cpu0: Option<f64>) {
    let lost = expected.saturating_sub(seen.deliveries);
    println!(
        "delivered {}/{} ({:.0}/s), loss {} ({:.3} %), error events {}",
        seen.deliveries,
        expected,
        seen.deliveries as f64 / secs,
        lost,
        100.0 * lost as f64 / expected.max(1) as f64,
        seen.errors
    );
    println!("delivery latency: {}", seen.latency.summary());
    if !seen.acks.0.is_empty() {
        println!(
            "ack latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            seen.acks.percentile_ms(50.0),
            seen.acks.percentile_ms(99.0),
            seen.acks.percentile_ms(100.0)
        );
    }
    if let (Some(cpu0), Some((rss, cpu1))) = (cpu0, server_line(cx)) {
        let cpu = cpu1 - cpu0;
        println!(
            "server CPU {cpu:.2} s: {:.2} µs per delivered message; RSS {rss} KiB",
            cpu * 1e6 / seen.deliveries.max(1) as f64
        );
    }
}

async fn group(cx: &Ctx, load: &GroupArgs) -> Result<(), String> {
    let GroupArgs {
        rate,
        senders,
        msg_rate,
        duration,
        groups,
        socketio,
        all_socketio,
        ..
    } = *load;
    // How listeners behave like the web app (`--app`): every how many seconds they type, and
    // how many members' presence they watch.
    let app = load.app.then_some((load.typing_every, load.watch));
    let groups: Vec<&SeededConversation> = cx
        .seed
        .groups
        .iter()
        .take(groups.unwrap_or(usize::MAX))
        .collect();
    // One connection per distinct member, remembering each member's group.
    let mut order: Vec<usize> = Vec::new();
    let mut group_of: HashMap<usize, usize> = HashMap::new();
    for (g, group) in groups.iter().enumerate() {
        for &m in &group.members {
            if group_of.insert(m, g).is_none() {
                order.push(m);
            }
        }
    }
    let tokens = order
        .iter()
        .map(|&u| cx.seed.users[u].token.clone())
        .collect();
    // The first `senders` members of each group send (natively); with `socketio` the others
    // listen through the Socket.IO gateway.
    let mut listed = vec![0usize; groups.len()];
    let gateway: Vec<bool> = order
        .iter()
        .map(|u| {
            let g = group_of[u];
            listed[g] += 1;
            socketio && (all_socketio || listed[g] > senders)
        })
        .collect();
    let server0 = server_line(cx);
    let conns = connect_all_with(cx, tokens, rate, gateway.clone()).await;
    if let (Some((rss0, _)), Some((rss1, _))) = (server0, server_line(cx)) {
        println!("server RSS {rss0} KiB → {rss1} KiB after connecting");
    }
    let mut connected_in = vec![0u64; groups.len()];
    let (stop_tx, stop) = watch::channel(false);
    let since = Arc::new(AtomicU64::new(u64::MAX));
    let mut readers = Vec::new();
    // Senders' connections, with their group and whether they speak Socket.IO: their clients
    // start with the sending.
    let mut sender_conns: Vec<(Sink, Stream, usize, bool)> = Vec::new();
    let mut per_group_senders = vec![0usize; groups.len()];
    let joined = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut opening = 0usize;
    let join_cpu0 = server_line(cx).map(|l| l.1);
    let join_started = Instant::now();
    for ((conn, user), through_gateway) in conns.into_iter().zip(&order).zip(gateway) {
        let Some((sink, stream)) = conn else { continue };
        let g = group_of[user];
        connected_in[g] += 1;
        if per_group_senders[g] < senders {
            per_group_senders[g] += 1;
            sender_conns.push((sink, stream, g, through_gateway));
            continue;
        }
        let app = app.map(|(typing_every, watch)| {
            // One in four has the app in the background.
            let viewing = !connected_in[g].is_multiple_of(4);
            opening += usize::from(viewing);
            let members = &groups[g].members;
            App {
                conversation: groups[g].id,
                viewing,
                watch: members
                    .iter()
                    .filter(|&&m| m != *user)
                    .take(watch)
                    .map(|&m| cx.seed.users[m].id)
                    .collect(),
                typing_every: (typing_every > 0).then(|| Duration::from_secs(typing_every)),
                joined: joined.clone(),
            }
        });
        // A bare native listener never writes: its sending half is dropped.
        let sink = (through_gateway || app.is_some()).then_some(sink);
        let listener = Listener {
            stream,
            sink,
            socketio: through_gateway,
            app,
            sending: None,
        };
        readers.push(listener.spawn(stop.clone(), since.clone()));
    }
    if opening > 0 {
        // Everyone opens their conversation before the measurement starts.
        let deadline = Instant::now() + Duration::from_secs(60);
        while joined.load(Ordering::Relaxed) < opening && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let secs = join_started.elapsed().as_secs_f64();
        let done = joined.load(Ordering::Relaxed);
        print!("opened {done}/{opening} conversations in {secs:.2} s");
        if let (Some(cpu0), Some((rss, cpu1))) = (join_cpu0, server_line(cx)) {
            print!(
                "; server CPU {:.2} s ({:.0} µs per open), RSS {rss} KiB",
                cpu1 - cpu0,
                (cpu1 - cpu0) * 1e6 / done.max(1) as f64
            );
        }
        println!();
    }
    if senders == 0 {
        let _ = stop_tx.send(true);
        let mut totals = collect(readers).await;
        if !totals.joins.0.is_empty() {
            println!(
                "join reply: {}; {:.0} bytes per reply",
                totals.joins.summary(),
                totals.join_reply_bytes as f64 / totals.joins.0.len() as f64
            );
        }
        return Ok(());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu0 = server_line(cx).map(|l| l.1);
    since.store(now_us(), Ordering::Relaxed);
    let started = Instant::now();
    let mut sending = Vec::new();
    for (tag, (sink, stream, g, socketio)) in sender_conns.into_iter().enumerate() {
        // A sender reads its own connection too (acks; Engine.IO pings on Socket.IO).
        let sender = Listener {
            stream,
            sink: Some(sink),
            socketio,
            app: None,
            sending: Some(Sending {
                conversation: groups[g].id,
                rate: msg_rate,
                duration: Duration::from_secs(duration),
                tag,
            }),
        };
        sending.push((sender.spawn(stop.clone(), since.clone()), g));
    }
    tokio::time::sleep(Duration::from_secs(duration)).await;
    let secs = started.elapsed().as_secs_f64();
    // Let the last messages arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ = stop_tx.send(true);
    let mut totals = collect(readers).await;
    let (mut sent, mut expected) = (0u64, 0u64);
    for (task, g) in sending {
        let seen = task.await.map_err(|e| e.to_string())?;
        sent += seen.sent;
        expected += seen.sent * connected_in[g].saturating_sub(1);
        totals.add(seen);
    }
    println!("sent {sent} messages in {secs:.1} s");
    if !totals.joins.0.is_empty() {
        println!(
            "join reply: {}; {:.0} bytes per reply",
            totals.joins.summary(),
            totals.join_reply_bytes as f64 / totals.joins.0.len() as f64
        );
    }
    print_frames(&totals, sent);
    print_delivery(cx, &mut totals, expected, secs, cpu0);
    Ok(())
}

/// Frames received while sending, by type, per message sent: what a client's traffic is made
/// of (receipts and presence included), and bytes per delivered message.
fn print_frames(seen: &Seen, sent: u64) {
    let mut kinds: Vec<_> = seen.kinds.iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(a.1));
    let per: Vec<String> = kinds
        .iter()
        .map(|(k, n)| format!("{k} {:.1}", **n as f64 / sent.max(1) as f64))
        .collect();
    println!("frames received per message sent: {}", per.join(", "));
    println!(
        "bytes received: {:.1} MiB ({:.0} per delivered message)",
        seen.bytes as f64 / 1048576.0,
        seen.bytes as f64 / seen.deliveries.max(1) as f64
    );
}

async fn direct(cx: &Ctx, rate: u32, duration: u64, connect_rate: u32) -> Result<(), String> {
    let pairs = &cx.seed.directs;
    if pairs.is_empty() {
        return Err("the seed has no direct conversations (confab seed --directs N)".into());
    }
    let tokens: Vec<String> = pairs
        .iter()
        .flat_map(|p| p.members.iter().map(|&m| cx.seed.users[m].token.clone()))
        .collect();
    let conns = connect_all(cx, tokens, connect_rate).await;
    let (stop_tx, stop) = watch::channel(false);
    let since = Arc::new(AtomicU64::new(u64::MAX));
    let mut readers = Vec::new();
    let mut senders = Vec::new();
    let mut conns = conns.into_iter();
    for pair in pairs {
        let (a, b) = (conns.next().flatten(), conns.next().flatten());
        let (Some((sink, a_stream)), Some((b_sink, b_stream))) = (a, b) else {
            continue;
        };
        readers.push(spawn_reader(a_stream, stop.clone(), since.clone()));
        readers.push(spawn_reader(b_stream, stop.clone(), since.clone()));
        senders.push((sink, pair.id, b_sink));
    }
    let per_pair = (f64::from(rate) / senders.len().max(1) as f64).max(0.01);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu0 = server_line(cx).map(|l| l.1);
    since.store(now_us(), Ordering::Relaxed);
    let started = Instant::now();
    let mut tasks = Vec::new();
    let mut keep = Vec::new();
    for (i, (sink, id, other)) in senders.into_iter().enumerate() {
        keep.push(other);
        let gap = Duration::from_secs_f64(1.0 / per_pair);
        let end = Duration::from_secs(duration);
        tasks.push(tokio::spawn(async move {
            // Spread the pairs' first sends over one interval.
            tokio::time::sleep(gap.mul_f64((i % 1000) as f64 / 1000.0)).await;
            let mut sink = sink;
            let mut tick = tokio::time::interval(gap);
            let stop_at = tokio::time::Instant::now() + end;
            let mut sent = 0u64;
            while tokio::time::Instant::now() < stop_at {
                tick.tick().await;
                if client::send_message(&mut sink, id, format!("{i}-{sent}"))
                    .await
                    .is_err()
                {
                    break;
                }
                sent += 1;
            }
            (sent, sink)
        }));
    }
    let mut sent = 0;
    for t in tasks {
        let (n, sink) = t.await.map_err(|e| e.to_string())?;
        sent += n;
        keep.push(sink);
    }
    let secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let _ = stop_tx.send(true);
    let mut totals = collect(readers).await;
    println!(
        "sent {sent} persisted messages in {secs:.1} s ({:.0}/s), acked {}",
        sent as f64 / secs,
        totals.acks.0.len()
    );
    let late = totals.latency.0.iter().filter(|l| **l > 5_000_000).count() as u64;
    println!("delivered later than 5 s: {late}");
    print_delivery(cx, &mut totals, sent, secs, cpu0);
    drop(keep);
    Ok(())
}

#[derive(Deserialize)]
struct Page {
    messages: Vec<PageMessage>,
    has_more: bool,
}

#[derive(Deserialize)]
struct PageMessage {
    seq: i64,
}

/// Fetches every message after `after` by pages; returns their sequence numbers.
async fn resync(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    conversation: ConversationId,
    mut after: i64,
) -> Result<Vec<i64>, String> {
    let mut seqs = Vec::new();
    loop {
        let url =
            format!("{base}/api/conversations/{conversation}/messages?after={after}&limit=200");
        let response = http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("history: HTTP {}", response.status()));
        }
        let page: Page = response.json().await.map_err(|e| e.to_string())?;
        seqs.extend(page.messages.iter().map(|m| m.seq));
        match (page.has_more, page.messages.last()) {
            (true, Some(last)) => after = last.seq,
            _ => return Ok(seqs),
        }
    }
}

async fn reconnect(cx: &Ctx, users: usize, missed: usize) -> Result<(), String> {
    let group = cx.seed.groups.first().ok_or("the seed has no group")?;
    if group.members.len() < users + 1 {
        return Err(format!(
            "the first group has {} members; need {}",
            group.members.len(),
            users + 1
        ));
    }
    let sender_token = cx.seed.users[group.members[0]].token.clone();
    let tokens: Vec<String> = group.members[1..=users]
        .iter()
        .map(|&m| cx.seed.users[m].token.clone())
        .collect();
    let (mut sender, mut sender_stream) = client::connect(&cx.ws_url, &sender_token).await?;
    println!("phase 1: {users} clients connect");
    let conns = connect_all(cx, tokens.clone(), 2000).await;
    // Everyone receives one message, so each knows where it is.
    client::send_message(&mut sender, group.id, format!("r-{}", now_us())).await?;
    let mut base_seq = 0;
    while base_seq == 0 {
        match sender_stream.next().await {
            Some(Ok(Message::Text(t))) => {
                if let Some(f) = Frame::parse(&t) {
                    if f.kind == "message_ack" {
                        base_seq = f.message.map_or(0, |m| m.seq);
                    }
                }
            }
            Some(_) => {}
            None => return Err("sender disconnected".into()),
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!("phase 2: all drop at once; {missed} messages are sent meanwhile");
    drop(conns);
    let mut last = base_seq;
    for i in 0..missed {
        client::send_message(&mut sender, group.id, format!("m{i}-{}", now_us())).await?;
    }
    let mut acked = 0;
    while acked < missed {
        match sender_stream.next().await {
            Some(Ok(Message::Text(t))) => {
                if let Some(f) = Frame::parse(&t) {
                    if f.kind == "message_ack" {
                        acked += 1;
                        last = last.max(f.message.map_or(0, |m| m.seq));
                    }
                }
            }
            Some(_) => {}
            None => return Err("sender disconnected".into()),
        }
    }
    println!("phase 3: all reconnect at once and fetch what they missed after seq {base_seq}");
    let started = Instant::now();
    let http = reqwest::Client::new();
    let gaps = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for token in tokens {
        let (url, base, http, gaps) = (
            cx.ws_url.clone(),
            cx.http_url.clone(),
            http.clone(),
            gaps.clone(),
        );
        let conversation = group.id;
        handles.push(tokio::spawn(async move {
            let conn = client::connect(&url, &token).await?;
            let seqs = resync(&http, &base, &token, conversation, base_seq).await?;
            let expected: Vec<i64> = (base_seq + 1..=last).collect();
            if seqs != expected {
                gaps.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<_, String>(conn)
        }));
    }
    let mut ok = 0;
    let mut errors: HashMap<String, usize> = HashMap::new();
    let mut keep = Vec::new();
    for h in handles {
        match h.await {
            Ok(Ok(conn)) => {
                ok += 1;
                keep.push(conn)
            }
            Ok(Err(e)) => *errors.entry(e).or_default() += 1,
            Err(e) => *errors.entry(e.to_string()).or_default() += 1,
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "resynced {ok}/{users} in {secs:.2} s; clients with a gap or duplicate: {}",
        gaps.load(Ordering::Relaxed)
    );
    for (e, n) in errors {
        println!("  error ×{n}: {e}");
    }
    drop(keep);
    Ok(())
}

/// What one watcher of the liked post saw.
#[derive(Default)]
struct Watched {
    updates: u64,
    likes: i64,
    version: i64,
}

async fn likes(
    cx: &Ctx,
    watchers: usize,
    likers: usize,
    rate: u32,
    duration: u64,
    connect_rate: u32,
) -> Result<(), String> {
    use futures_util::SinkExt;
    if cx.seed.users.len() < watchers + likers {
        return Err(format!(
            "the seed has {} users; watchers + likers need {}",
            cx.seed.users.len(),
            watchers + likers
        ));
    }
    let http = reqwest::Client::new();
    let author = &cx.seed.users[0].token;
    let post: serde_json::Value = http
        .post(format!("{}/api/posts", cx.http_url))
        .bearer_auth(author)
        .json(&serde_json::json!({"body": "benchmark post"}))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let post_id = post["id"]
        .as_str()
        .ok_or_else(|| format!("no post created: {post}"))?
        .to_owned();

    let tokens: Vec<String> = cx.seed.users[..watchers]
        .iter()
        .map(|u| u.token.clone())
        .collect();
    let conns = connect_all(cx, tokens, connect_rate).await;
    let subscribe =
        serde_json::json!({"type": "subscribe_posts", "post_ids": [post_id]}).to_string();
    let (stop_tx, stop) = watch::channel(false);
    let mut readers = Vec::new();
    let mut sinks = Vec::new();
    for (mut sink, mut stream) in conns.into_iter().flatten() {
        sink.send(Message::text(subscribe.clone()))
            .await
            .map_err(|e| e.to_string())?;
        sinks.push(sink);
        let mut stop = stop.clone();
        readers.push(tokio::spawn(async move {
            let mut seen = Watched::default();
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
                if let (true, Some(c)) = (frame.kind == "post_counts_changed", frame.counts) {
                    seen.updates += 1;
                    if c.version > seen.version {
                        seen.version = c.version;
                        seen.likes = c.like_count;
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    let before = server_line(cx);
    let started = Instant::now();
    let liker_tokens: Vec<String> = cx.seed.users[watchers..watchers + likers]
        .iter()
        .map(|u| u.token.clone())
        .collect();
    let mut liked = vec![false; likers];
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate.max(1))));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut requests = Vec::new();
    let total = u64::from(rate) * duration;
    for n in 0..total {
        tick.tick().await;
        let i = (n as usize) % likers;
        liked[i] = !liked[i];
        let url = format!("{}/api/posts/{post_id}/like", cx.http_url);
        let request = if liked[i] {
            http.put(url)
        } else {
            http.delete(url)
        };
        let request = request.bearer_auth(liker_tokens[i].clone());
        requests.push(tokio::spawn(async move {
            matches!(request.send().await, Ok(r) if r.status().is_success())
        }));
    }
    let mut failed = 0;
    for r in requests {
        if !matches!(r.await, Ok(true)) {
            failed += 1;
        }
    }
    let liking = started.elapsed().as_secs_f64();
    // The last coalesced update goes out at most 100 ms after the last change.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = server_line(cx);
    let stored: serde_json::Value = http
        .get(format!("{}/api/posts/{post_id}", cx.http_url))
        .bearer_auth(author)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let exact = stored["like_count"].as_i64().unwrap_or(-1);
    let _ = stop_tx.send(true);
    let mut seen = Vec::new();
    for r in readers {
        if let Ok(w) = r.await {
            seen.push(w);
        }
    }
    drop(sinks);
    let on_exact = seen.iter().filter(|w| w.likes == exact).count();
    let updates: Vec<u64> = seen.iter().map(|w| w.updates).collect();
    let max = updates.iter().copied().max().unwrap_or(0);
    let mean = updates.iter().sum::<u64>() as f64 / updates.len().max(1) as f64;
    // With no failures the stored count is what the likers last asked for.
    let wished = liked.iter().filter(|l| **l).count();
    println!(
        "{total} likes/unlikes in {liking:.1} s ({:.0}/s), {failed} failed; final count {exact} \
         (the likers' last wishes: {wished})",
        total as f64 / liking
    );
    println!(
        "{on_exact}/{} watchers ended on the exact count; updates per watcher: mean {mean:.1}, \
         max {max} ({:.1}/s at most)",
        seen.len(),
        max as f64 / liking
    );
    if let (Some((_, cpu0)), Some((_, cpu1))) = (before, after) {
        let cpu = cpu1 - cpu0;
        println!(
            "server CPU {cpu:.2} s: {:.0} µs per like, {:.2} µs per delivered update",
            cpu * 1e6 / total as f64,
            cpu * 1e6 / updates.iter().sum::<u64>().max(1) as f64
        );
    }
    Ok(())
}
