use super::*;
use protocol::{MemberPosition, SessionId};

fn user(name: &str) -> User {
    User {
        id: UserId::new(),
        username: name.into(),
        display_name: name.to_uppercase(),
    }
}

fn conversation(me: &User, other: &User) -> Conversation {
    Conversation {
        id: ConversationId::new(),
        kind: ConversationKind::Direct,
        title: None,
        members: vec![me.clone(), other.clone()],
        last_seq: 0,
        last_message: None,
        unread: 0,
        positions: vec![
            MemberPosition {
                user_id: me.id,
                delivered_seq: 0,
                read_seq: 0,
            },
            MemberPosition {
                user_id: other.id,
                delivered_seq: 0,
                read_seq: 0,
            },
        ],
        created_at: 1,
    }
}

fn message(conv: ConversationId, sender: UserId, seq: Seq) -> Message {
    Message {
        id: MessageId::new(),
        conversation_id: conv,
        seq,
        sender_id: sender,
        body: format!("m{seq}"),
        created_at: seq * 1000,
        edited_at: None,
        deleted: false,
    }
}

fn ev(event: ServerEvent) -> ServerFrame {
    ServerFrame::new(event)
}

/// A connected state with one direct conversation, opened and loaded.
fn setup() -> (ChatState, User, ConversationId) {
    let (me, bob) = (user("me"), user("bob"));
    let mut s = ChatState::new(me.clone());
    let conv = conversation(&me, &bob);
    let id = conv.id;
    s.apply(ev(ServerEvent::Authenticated {
        user: me,
        session_id: SessionId::new(),
        server_time: 0,
        protocol_version: 1,
    }));
    s.set_conversations(vec![conv]);
    s.open(id);
    s.merge_page(id, vec![], PageKind::Latest, false);
    (s, bob, id)
}

fn sends(actions: &[Action]) -> Vec<&ClientEvent> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(f) => Some(&f.event),
            _ => None,
        })
        .collect()
}

#[test]
fn optimistic_send_becomes_sent_then_delivered_then_seen() {
    let (mut s, bob, id) = setup();
    let actions = s.send_text(id, "  hello ".into());
    let Action::Send(frame) = &actions[0] else {
        panic!()
    };
    let ClientEvent::SendMessage { temp_id, body, .. } = &frame.event else {
        panic!()
    };
    assert_eq!(body, "hello");
    assert_eq!(
        frame.id.as_ref(),
        Some(temp_id),
        "the temp id doubles as request id"
    );
    assert_eq!(s.conversations[&id].pending.len(), 1);

    let mut m = message(id, s.me.id, 1);
    m.body = "hello".into();
    s.apply(ev(ServerEvent::MessageAck {
        temp_id: temp_id.clone(),
        message: m.clone(),
    }));
    assert!(s.conversations[&id].pending.is_empty());
    assert_eq!(s.delivery(&m), Delivery::Sent);
    s.apply(ev(ServerEvent::Receipt {
        conversation_id: id,
        user_id: bob.id,
        kind: ReceiptKind::Delivered,
        up_to_seq: 1,
    }));
    assert_eq!(s.delivery(&m), Delivery::Delivered);
    s.apply(ev(ServerEvent::Receipt {
        conversation_id: id,
        user_id: bob.id,
        kind: ReceiptKind::Seen,
        up_to_seq: 1,
    }));
    assert_eq!(s.delivery(&m), Delivery::Seen);
}

#[test]
fn incoming_messages_are_confirmed_and_read_when_on_screen() {
    let (mut s, bob, id) = setup();
    let actions = s.apply(ev(ServerEvent::MessageNew {
        message: message(id, bob.id, 1),
    }));
    assert_eq!(
        sends(&actions),
        vec![
            &ClientEvent::MarkDelivered {
                conversation_id: id,
                up_to_seq: 1
            },
            &ClientEvent::MarkRead {
                conversation_id: id,
                up_to_seq: 1
            }
        ]
    );
    assert_eq!((s.conversations[&id].info.unread, s.total_unread), (0, 0));

    // Hidden page: the client counts the message itself, once, until the page is visible.
    s.set_visible(false);
    for _ in 0..2 {
        let actions = s.apply(ev(ServerEvent::MessageNew {
            message: message(id, bob.id, 2),
        }));
        assert!(!sends(&actions)
            .iter()
            .any(|e| matches!(e, ClientEvent::MarkRead { .. })));
    }
    assert_eq!((s.conversations[&id].info.unread, s.total_unread), (1, 1));
    let actions = s.set_visible(true);
    assert_eq!(
        sends(&actions),
        vec![&ClientEvent::MarkRead {
            conversation_id: id,
            up_to_seq: 2
        }]
    );
}

#[test]
fn unread_counts_follow_reads_elsewhere_and_deletions() {
    let (mut s, bob, id) = setup();
    s.set_visible(false);
    for seq in 1..=3 {
        s.apply(ev(ServerEvent::MessageNew {
            message: message(id, bob.id, seq),
        }));
    }
    assert_eq!(s.total_unread, 3);
    // Read up to 1 on another device: exact values and my read position.
    s.apply(ev(ServerEvent::UnreadChanged {
        conversation_id: id,
        unread: 2,
        total: 2,
        read_seq: 1,
    }));
    assert_eq!((s.conversations[&id].info.unread, s.total_unread), (2, 2));
    // Deleting a read message changes nothing; an unread one counts off once.
    let deleted = |seq| ServerEvent::MessageDeleted {
        message: Message {
            body: String::new(),
            deleted: true,
            ..message(id, bob.id, seq)
        },
    };
    s.apply(ev(deleted(1)));
    assert_eq!(s.total_unread, 2);
    s.apply(ev(deleted(3)));
    s.apply(ev(deleted(3)));
    assert_eq!((s.conversations[&id].info.unread, s.total_unread), (1, 1));
    // A shared conversation_updated does not carry my count: it is kept.
    let mut info = s.conversations[&id].info.clone();
    info.unread = 0;
    s.apply(ev(ServerEvent::ConversationUpdated { conversation: info }));
    assert_eq!(s.conversations[&id].info.unread, 1);
}

#[test]
fn presence_is_watched_for_direct_partners_and_open_group_members() {
    let (mut s, bob, _id) = setup();
    let carol = User {
        id: UserId::new(),
        username: "carol".into(),
        display_name: "Carol".into(),
    };
    let mut group = conversation(&s.me.clone(), &carol);
    group.kind = ConversationKind::Group;
    group.title = Some("Team".into());
    group.members.push(bob.clone());
    let gid = group.id;
    assert!(sends(&s.apply(ev(ServerEvent::ConversationUpdated {
        conversation: group
    })))
    .is_empty());
    let actions = s.open(gid);
    assert!(sends(&actions).contains(&&ClientEvent::SubscribePresence {
        user_ids: vec![carol.id]
    }));
    // Leaving the group stops watching its members, but not my direct partner Bob.
    let actions = s.close_active();
    assert!(
        sends(&actions).contains(&&ClientEvent::UnsubscribePresence {
            user_ids: vec![carol.id]
        })
    );
    assert!(s.watched.contains(&bob.id), "direct partners stay watched");
    // My own entry sets my status, including appearing offline.
    s.apply(ev(ServerEvent::PresenceChanged {
        users: vec![Presence {
            user_id: s.me.id,
            status: PresenceStatus::Offline,
            last_seen_at: Some(1),
        }],
    }));
    assert_eq!(s.my_status, PresenceStatus::Offline);
}

#[test]
fn duplicates_are_impossible_and_gaps_are_fetched() {
    let (mut s, bob, id) = setup();
    let m1 = message(id, bob.id, 1);
    s.apply(ev(ServerEvent::MessageNew {
        message: m1.clone(),
    }));
    s.merge_page(id, vec![m1.clone()], PageKind::After, false);
    assert_eq!(s.conversations[&id].messages.len(), 1);
    let actions = s.apply(ev(ServerEvent::MessageNew {
        message: message(id, bob.id, 4),
    }));
    assert!(actions.contains(&Action::FetchAfter {
        conversation: id,
        after: 1
    }));
}

#[test]
fn reconnecting_rejoins_refetches_and_resends_pending() {
    let (mut s, bob, id) = setup();
    s.apply(ev(ServerEvent::MessageNew {
        message: message(id, bob.id, 1),
    }));
    let queued = s.send_text(id, "while offline".into());
    s.conn = ConnState::Reconnecting { in_ms: 500 };
    let actions = s.apply(ev(ServerEvent::Authenticated {
        user: s.me.clone(),
        session_id: SessionId::new(),
        server_time: 0,
        protocol_version: 1,
    }));
    assert_eq!(s.conn, ConnState::Connected);
    assert!(actions.contains(&Action::RefreshConversations));
    assert!(actions.contains(&Action::FetchAfter {
        conversation: id,
        after: 1
    }));
    assert!(sends(&actions).contains(&&ClientEvent::JoinConversation {
        conversation_id: id
    }));
    // The same frame (same temp id) is sent again: the server deduplicates it.
    assert!(actions.contains(&queued[0]));
}

#[test]
fn failed_sends_are_marked_and_explained() {
    let (mut s, _bob, id) = setup();
    let actions = s.send_text(id, "hi".into());
    let Action::Send(frame) = &actions[0] else {
        panic!()
    };
    s.apply(ServerFrame::reply(
        frame.id.clone(),
        ServerEvent::error(ErrorCode::RateLimited, "too many requests"),
    ));
    let pending = &s.conversations[&id].pending[0];
    assert!(pending.failed.as_deref().unwrap().contains("too fast"));
    assert!(s.notice.is_some());
    s.discard(id, &pending.temp_id.clone());
    assert!(s.conversations[&id].pending.is_empty());
}

#[test]
fn kicks_end_the_connection() {
    let (mut s, _bob, _id) = setup();
    s.apply(ev(ServerEvent::error(ErrorCode::Kicked, "signed out")));
    assert!(matches!(s.conn, ConnState::Ended(_)));
}

#[test]
fn typing_viewers_and_presence() {
    let (mut s, bob, id) = setup();
    s.apply(ev(ServerEvent::TypingStarted {
        conversation_id: id,
        user_id: bob.id,
    }));
    assert_eq!(s.typing_line(id).unwrap(), "BOB is typing…");
    s.apply(ev(ServerEvent::MessageNew {
        message: message(id, bob.id, 1),
    }));
    assert_eq!(
        s.typing_line(id),
        None,
        "a message ends the typist's indicator"
    );

    s.apply(ev(ServerEvent::ViewerJoined {
        conversation_id: id,
        user_id: bob.id,
    }));
    assert_eq!(s.conversations[&id].viewers, vec![bob.id]);
    let line = s.conversations[&id].system.last().unwrap();
    assert_eq!((line.text.as_str(), line.after_seq), ("BOB joined", 1));

    assert_eq!(s.status_of(bob.id), PresenceStatus::Offline);
    s.apply(ev(ServerEvent::PresenceChanged {
        users: vec![Presence {
            user_id: bob.id,
            status: PresenceStatus::Online,
            last_seen_at: None,
        }],
    }));
    assert_eq!(s.status_of(bob.id), PresenceStatus::Online);
    let conv = s.conversations[&id].info.clone();
    assert_eq!(s.title(&conv), "BOB");
}

#[test]
fn opening_another_conversation_leaves_the_first() {
    let (mut s, bob, first) = setup();
    let mut other = conversation(&s.me.clone(), &bob);
    other.kind = ConversationKind::Group;
    other.title = Some("Team".into());
    let second = other.id;
    s.apply(ev(ServerEvent::ConversationUpdated {
        conversation: other,
    }));
    let actions = s.open(second);
    assert_eq!(
        sends(&actions)[..2],
        [
            &ClientEvent::LeaveConversation {
                conversation_id: first
            },
            &ClientEvent::JoinConversation {
                conversation_id: second
            }
        ]
    );
    assert!(actions.contains(&Action::FetchLatest(second)));
}

#[test]
fn backoff_grows_and_caps() {
    assert_eq!(backoff_ms(0), 500);
    assert_eq!(backoff_ms(1), 1000);
    assert_eq!(backoff_ms(9), 10_000);
}

#[test]
fn notifications_count_and_list() {
    use protocol::{Notification, NotificationId, NotificationKind};
    let (mut s, bob, id) = setup();
    let n = Notification {
        id: NotificationId::new(),
        kind: NotificationKind::AddedToConversation,
        actor: bob.clone(),
        conversation_id: Some(id),
        conversation_title: Some("Team".into()),
        created_at: 1,
        read: false,
    };
    s.apply(ev(ServerEvent::NotificationNew {
        notification: n.clone(),
        unread_notifications: 1,
    }));
    s.apply(ev(ServerEvent::NotificationNew {
        notification: n.clone(),
        unread_notifications: 1,
    }));
    assert_eq!(
        (s.notifications.len(), s.unread_notifications),
        (1, 1),
        "no duplicates"
    );
    assert_eq!(s.newest_unread_notification(), Some(n.id));
    s.apply(ev(ServerEvent::NotificationsRead {
        unread_notifications: 0,
    }));
    assert_eq!(s.unread_notifications, 0);
    assert!(s.notifications[0].read);
    assert_eq!(s.newest_unread_notification(), None);
    assert_eq!(
        crate::notifications::describe(&s.notifications[0]),
        "BOB added you to Team"
    );
}

fn reconnected(s: &mut ChatState) {
    s.apply(ev(ServerEvent::Authenticated {
        user: s.me.clone(),
        session_id: SessionId::new(),
        server_time: 0,
        protocol_version: 2,
    }));
}

#[test]
fn connection_notices_go_once_the_connection_is_back_and_others_stay() {
    let (mut s, _bob, _id) = setup();
    s.apply(ev(ServerEvent::error(ErrorCode::Unavailable, "restarting")));
    assert!(s.notice.as_deref().unwrap().contains("retrying"));
    reconnected(&mut s);
    assert_eq!(s.notice, None, "stale once connected again");

    s.apply(ev(ServerEvent::error(ErrorCode::NotAMember, "no")));
    reconnected(&mut s);
    assert!(
        s.notice.is_some(),
        "not about the connection: it stays until it times out"
    );
}

#[test]
fn a_timer_for_an_old_notice_does_not_close_a_newer_one() {
    let (mut s, _bob, _id) = setup();
    s.set_notice("first".into(), false);
    let first = s.notice_seq;
    s.set_notice("second".into(), false);
    s.dismiss_notice(first);
    assert_eq!(s.notice.as_deref(), Some("second"));
    s.dismiss_notice(s.notice_seq);
    assert_eq!(s.notice, None);
}
