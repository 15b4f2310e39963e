//! Criterion benches of the fan-out hot path: serializing an event once, and delivering the
//! shared frame to every session of a topic.

use axum::extract::ws::Utf8Bytes;
use confab_server::codec::encode_event;
use confab_server::hub::{Hub, Outbox};
use confab_server::topic::{Except, Topic};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use protocol::{ConversationId, Message, MessageId, ServerEvent, SessionId, UserId};

fn message() -> ServerEvent {
    ServerEvent::MessageNew {
        message: Message {
            id: MessageId::new(),
            conversation_id: ConversationId::new(),
            seq: 42,
            sender_id: UserId::new(),
            body: "hello there, this is a chat message of ordinary length".into(),
            created_at: 1_700_000_000_000,
            edited_at: None,
            deleted: false,
            reply_to: None,
            mentions: Vec::new(),
            reactions: Vec::new(),
            my_reactions: Vec::new(),
            reactions_version: 0,
            deleted_by: None,
            attachments: Vec::new(),
        },
    }
}

fn encoding(c: &mut Criterion) {
    let event = message();
    c.bench_function("encode message_new", |b| {
        b.iter(|| encode_event(std::hint::black_box(event.clone())))
    });
}

fn delivery(c: &mut Criterion) {
    let mut group = c.benchmark_group("hub deliver");
    for members in [100usize, 1000, 10_000] {
        let hub = Hub::new();
        let topic = Topic::Conversation(ConversationId::new());
        let mut receivers = Vec::new();
        for _ in 0..members {
            let session = SessionId::new();
            let (outbox, rx) = Outbox::new(1 << 16);
            hub.register(session, UserId::new(), outbox);
            hub.subscribe(session, topic);
            receivers.push(rx);
        }
        let frame: Utf8Bytes = encode_event(message());
        group.throughput(Throughput::Elements(members as u64));
        group.bench_with_input(BenchmarkId::from_parameter(members), &members, |b, _| {
            b.iter(|| {
                let n = hub.deliver(topic, Except::Nobody, &frame);
                // Empty the queues so they never fill (that would close the sessions).
                for rx in &receivers {
                    rx.try_recv_all();
                }
                n
            })
        });
    }
    group.finish();
}

criterion_group!(benches, encoding, delivery);
criterion_main!(benches);
