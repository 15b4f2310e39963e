use super::*;
use protocol::close;

fn connect(
    hub: &Hub,
    user: UserId,
    capacity: usize,
) -> (
    SessionId,
    mpsc::Receiver<Utf8Bytes>,
    watch::Receiver<Option<CloseReason>>,
) {
    let session = SessionId::new();
    let (outbox, rx, close_rx) = Outbox::new(capacity);
    hub.register(session, user, outbox);
    (session, rx, close_rx)
}

#[test]
fn users_audience_reaches_every_session_but_the_excluded_one() {
    let hub = Hub::new();
    let alice = UserId::new();
    let (s1, mut rx1, _c1) = connect(&hub, alice, 4);
    let (_s2, mut rx2, _c2) = connect(&hub, alice, 4);
    hub.deliver(&Envelope {
        audience: Audience::Users {
            users: vec![alice],
            except: Some(s1),
        },
        frame: "x".into(),
    });
    assert!(rx1.try_recv().is_err());
    assert_eq!(rx2.try_recv().unwrap().as_str(), "x");
}

#[test]
fn a_full_queue_closes_the_slow_consumer() {
    let hub = Hub::new();
    let bob = UserId::new();
    let (_s, _rx, close_rx) = connect(&hub, bob, 1);
    let env = Envelope {
        audience: Audience::user(bob),
        frame: "x".into(),
    };
    hub.deliver(&env);
    assert!(close_rx.borrow().is_none());
    hub.deliver(&env);
    assert_eq!(
        close_rx.borrow().as_ref().unwrap().close_code,
        close::SLOW_CONSUMER
    );
}

#[test]
fn views_track_distinct_users() {
    let hub = Hub::new();
    let (alice, bob) = (UserId::new(), UserId::new());
    let conv = ConversationId::new();
    let (a1, _r1, _c1) = connect(&hub, alice, 4);
    let (a2, _r2, _c2) = connect(&hub, alice, 4);
    let (b1, _r3, _c3) = connect(&hub, bob, 4);
    assert!(hub.join(conv, a1).unwrap().user_changed);
    assert!(!hub.join(conv, a2).unwrap().user_changed);
    let change = hub.join(conv, b1).unwrap();
    assert_eq!(change.viewers.len(), 2);
    assert_eq!(hub.stats().rooms, 1);
    // Alice still views it from her second session.
    assert!(!hub.leave(conv, a1).unwrap().user_changed);
    let changes = hub.unregister(a2);
    assert_eq!(changes.len(), 1);
    assert!(changes[0].user_changed);
    assert_eq!(changes[0].viewers, vec![bob]);
    assert_eq!(
        hub.stats(),
        HubStats {
            connections: 2,
            users: 2,
            rooms: 1
        }
    );
}

#[test]
fn close_user_closes_all_their_sessions() {
    let hub = Hub::new();
    let carol = UserId::new();
    let (_s1, _r1, c1) = connect(&hub, carol, 4);
    let (_s2, _r2, c2) = connect(&hub, carol, 4);
    let reason = CloseReason::new(close::KICKED, ErrorCode::Kicked, "bye");
    assert_eq!(hub.close_user(carol, &reason), 2);
    assert_eq!(c1.borrow().as_ref(), Some(&reason));
    assert_eq!(c2.borrow().as_ref(), Some(&reason));
}
