use super::*;
use protocol::{close, ErrorCode, Presence, PresenceStatus};

fn connect(hub: &Hub, user: UserId, capacity: usize) -> (SessionId, OutboxReceiver) {
    let session = SessionId::new();
    let (outbox, rx) = Outbox::new(capacity);
    hub.register(session, user, outbox);
    (session, rx)
}

fn drain(rx: &OutboxReceiver) -> Vec<String> {
    rx.try_recv_all()
        .iter()
        .map(|f| f.as_str().to_owned())
        .collect()
}

#[test]
fn a_topic_reaches_every_session_but_the_excluded_ones() {
    let hub = Hub::new();
    let (alice, bob) = (UserId::new(), UserId::new());
    let topic = Topic::Conversation(protocol::ConversationId::new());
    let (a1, rx1) = connect(&hub, alice, 4);
    let (a2, rx2) = connect(&hub, alice, 4);
    let (b1, rx3) = connect(&hub, bob, 4);
    for s in [a1, a2, b1] {
        hub.subscribe(s, topic);
    }
    assert_eq!(hub.deliver(topic, Except::Session(a1), &"x".into()), 2);
    assert_eq!(hub.deliver(topic, Except::User(alice), &"y".into()), 1);
    assert_eq!(drain(&rx1), Vec::<String>::new());
    assert_eq!(drain(&rx2), ["x"]);
    assert_eq!(drain(&rx3), ["x", "y"]);
}

#[test]
fn unregister_leaves_only_the_sessions_topics_and_reports_last_departures() {
    let hub = Hub::new();
    let alice = UserId::new();
    let c = protocol::ConversationId::new();
    let (a1, _rx1) = connect(&hub, alice, 4);
    let (a2, _rx2) = connect(&hub, alice, 4);
    assert_eq!(hub.subscribe(a1, Topic::Viewers(c)), Some(true));
    assert_eq!(hub.subscribe(a2, Topic::Viewers(c)), Some(false));
    assert_eq!(hub.users_upto(Topic::Viewers(c), 10), (1, vec![alice]));
    let watch = hub.watch_topics();
    let mut watch = watch.expect("first watcher");
    assert!(
        hub.unregister(a1).iter().all(|(_, last)| !last),
        "alice still views with a2"
    );
    assert!(watch.try_recv().is_err(), "no topic closed yet");
    let left = hub.unregister(a2);
    assert!(left.contains(&(Topic::Viewers(c), true)));
    assert!(left.contains(&(Topic::User(alice), true)));
    assert_eq!(hub.stats(), HubStats::default());
    let mut closed = Vec::new();
    while let Ok(change) = watch.try_recv() {
        closed.push(change);
    }
    closed.sort_by_key(|c| format!("{c:?}"));
    assert_eq!(
        closed,
        [
            TopicChange::Closed(Topic::User(alice)),
            TopicChange::Closed(Topic::Viewers(c)),
        ],
        "each topic reported closed once, when its last session left"
    );
    assert!(hub.watch_topics().is_none(), "one watcher per hub");
}

#[test]
fn subscribe_user_reaches_every_local_session() {
    let hub = Hub::new();
    let alice = UserId::new();
    let topic = Topic::Conversation(protocol::ConversationId::new());
    let (a1, _rx1) = connect(&hub, alice, 4);
    let (a2, _rx2) = connect(&hub, alice, 4);
    hub.subscribe_user(alice, topic);
    assert!(hub.is_subscribed(a1, topic) && hub.is_subscribed(a2, topic));
    assert!(hub.unsubscribe_user(alice, topic));
    assert!(!hub.is_subscribed(a1, topic) && !hub.is_subscribed(a2, topic));
    assert!(!hub.unsubscribe_user(alice, topic));
}

#[test]
fn a_full_queue_closes_the_connection_as_a_slow_consumer() {
    let hub = Hub::new();
    let alice = UserId::new();
    let (_s, rx) = connect(&hub, alice, 2);
    for _ in 0..3 {
        hub.deliver(Topic::User(alice), Except::Nobody, &"x".into());
    }
    let reason = rx.close_reason().expect("closed");
    assert_eq!(reason.close_code, close::SLOW_CONSUMER);
    assert_eq!(reason.error, ErrorCode::SlowConsumer);
}

#[test]
fn presence_changes_are_batched_per_watcher() {
    let hub = Hub::new();
    let (watcher, a, b, c) = (UserId::new(), UserId::new(), UserId::new(), UserId::new());
    let (w, rx) = connect(&hub, watcher, 8);
    hub.subscribe(w, Topic::Presence(a));
    hub.subscribe(w, Topic::Presence(b));
    let online = |user_id| Presence {
        user_id,
        status: PresenceStatus::Online,
        last_seen_at: None,
    };
    hub.queue_presence(online(a));
    hub.queue_presence(online(b));
    hub.queue_presence(online(c)); // nobody watches c
    hub.queue_presence(Presence {
        status: PresenceStatus::Away,
        ..online(a)
    });
    assert_eq!(hub.flush_presence(), 1);
    let frames = drain(&rx);
    assert_eq!(frames.len(), 1);
    let frame: protocol::ServerFrame = serde_json::from_str(&frames[0]).unwrap();
    let protocol::ServerEvent::PresenceChanged { users } = frame.event else {
        panic!("not a presence batch: {frame:?}")
    };
    assert_eq!(users.len(), 2);
    assert_eq!(
        users[0].status,
        PresenceStatus::Away,
        "the latest change wins"
    );
    assert_eq!(users[1].user_id, b);
    assert_eq!(hub.flush_presence(), 0);
}

#[test]
fn a_user_hears_their_own_presence_once() {
    let hub = Hub::new();
    let alice = UserId::new();
    let (s, rx) = connect(&hub, alice, 8);
    hub.subscribe(s, Topic::Presence(alice));
    hub.queue_presence(Presence {
        user_id: alice,
        status: PresenceStatus::Away,
        last_seen_at: None,
    });
    hub.flush_presence();
    let frames = drain(&rx);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].matches("user_id").count(), 1);
}
