use super::*;
use protocol::{
    ErrorCode, MemberPosition, MessageId, MessageReactions, Muted, ReactionCount, ReplyPreview,
    SessionId,
};

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
        platform: None,
        description: None,
        members: vec![me.clone(), other.clone()],
        owner_id: None,
        admins: Vec::new(),
        last_seq: 0,
        last_message: None,
        unread: 0,
        unread_mentions: 0,
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
        muted: None,
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
        reply_to: None,
        mentions: Vec::new(),
        reactions: vec![],
        my_reactions: vec![],
        reactions_version: 0,
        deleted_by: None,
        attachments: Vec::new(),
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
        max_message_chars: 4000,
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
    assert_eq!(s.delivery(id, m.seq), Delivery::Sent);
    s.apply(ev(ServerEvent::Receipt {
        conversation_id: id,
        user_id: bob.id,
        kind: ReceiptKind::Delivered,
        up_to_seq: 1,
    }));
    assert_eq!(s.delivery(id, m.seq), Delivery::Delivered);
    s.apply(ev(ServerEvent::Receipt {
        conversation_id: id,
        user_id: bob.id,
        kind: ReceiptKind::Seen,
        up_to_seq: 1,
    }));
    assert_eq!(s.delivery(id, m.seq), Delivery::Seen);
}

#[test]
fn incoming_messages_are_confirmed_and_read_when_on_screen() {
    let (mut s, bob, id) = setup();
    let actions = s.apply(ev(ServerEvent::MessageNew {
        message: message(id, bob.id, 1),
    }));
    // On screen, reading says delivered too: one receipt.
    assert_eq!(
        sends(&actions),
        vec![&ClientEvent::MarkRead {
            conversation_id: id,
            up_to_seq: 1
        }]
    );
    assert_eq!((s.conversations[&id].info.unread, s.total_unread), (0, 0));

    // Hidden page: the client confirms delivery and counts the message itself, once, until
    // the page is visible.
    s.set_visible(false);
    for _ in 0..2 {
        let actions = s.apply(ev(ServerEvent::MessageNew {
            message: message(id, bob.id, 2),
        }));
        assert_eq!(
            sends(&actions),
            vec![&ClientEvent::MarkDelivered {
                conversation_id: id,
                up_to_seq: 2
            }]
        );
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
    s.apply(ev(ServerEvent::ConversationUpdated {
        conversation: Box::new(info),
    }));
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
        conversation: Box::new(group),
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
fn a_repeated_message_counts_once_and_a_gap_unopened_refreshes_the_counts() {
    let (me, bob) = (user("me"), user("bob"));
    let mut s = ChatState::new(me.clone());
    let conv = conversation(&me, &bob);
    let id = conv.id;
    s.set_conversations(vec![conv]);
    let m1 = message(id, bob.id, 1);
    let first = s.apply(ev(ServerEvent::MessageNew {
        message: m1.clone(),
    }));
    assert!(!first.contains(&Action::RefreshConversations));
    // Published again after a failover: the same message, counted once.
    s.apply(ev(ServerEvent::MessageNew { message: m1 }));
    assert_eq!(s.conversations[&id].info.unread, 1);
    assert_eq!(s.total_unread, 1);
    // Seq 2 never arrived: the unopened conversation's exact count is fetched again.
    let actions = s.apply(ev(ServerEvent::MessageNew {
        message: message(id, bob.id, 3),
    }));
    assert!(actions.contains(&Action::RefreshConversations));
}

#[test]
fn a_token_about_to_expire_refreshes_the_session() {
    let (mut s, _bob, _id) = setup();
    let actions = s.apply(ev(ServerEvent::TokenExpiring {
        expires_at: 1_700_000_300_000,
    }));
    assert_eq!(actions, vec![Action::RefreshSession]);
    // Refreshed: nothing else to do. Not refreshed in time: a notice that goes once the
    // connection is back.
    assert!(s
        .apply(ev(ServerEvent::TokenRefreshed {
            expires_at: 1_700_086_400_000,
        }))
        .is_empty());
    s.apply(ev(ServerEvent::Error {
        code: ErrorCode::TokenExpired,
        message: "expired".into(),
    }));
    assert!(!matches!(s.conn, ConnState::Ended(_)), "it reconnects");
    assert!(s.notice.is_some());
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
        max_message_chars: 4000,
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
        display_name: "BOB".into(),
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
    assert_eq!(s.viewers_line(id).as_deref(), Some("BOB is here"));
    assert!(
        s.conversations[&id].system.is_empty(),
        "opening a page is not a membership change: no line in the history"
    );
    s.apply(ev(ServerEvent::ViewerLeft {
        conversation_id: id,
        user_id: bob.id,
    }));
    assert_eq!(s.viewers_line(id), None);

    // A crowd is counted, not named; back within the limit, the names return.
    s.apply(ev(ServerEvent::ViewersChanged {
        conversation_id: id,
        count: 43,
        viewers: Vec::new(),
    }));
    assert_eq!(s.viewers_line(id).as_deref(), Some("42 others here"));
    s.apply(ev(ServerEvent::ViewersChanged {
        conversation_id: id,
        count: 2,
        viewers: vec![s.me.id, bob.id],
    }));
    assert_eq!(s.viewers_line(id).as_deref(), Some("BOB is here"));
    s.apply(ev(ServerEvent::ViewerLeft {
        conversation_id: id,
        user_id: bob.id,
    }));
    assert_eq!(s.viewers_line(id), None);

    assert_eq!(s.presence_of(bob.id), Some((PresenceStatus::Offline, None)));
    s.apply(ev(ServerEvent::PresenceChanged {
        users: vec![Presence {
            user_id: bob.id,
            status: PresenceStatus::Online,
            last_seen_at: None,
        }],
    }));
    assert_eq!(s.presence_of(bob.id), Some((PresenceStatus::Online, None)));
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
        conversation: Box::new(other),
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
        post_id: None,
        message_id: None,
        others: 0,
        text: None,
        link: None,
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
        read: ReadNotifications::UpTo {
            notification_id: n.id,
        },
        unread_notifications: 0,
    }));
    assert_eq!(s.unread_notifications, 0);
    assert!(s.notifications[0].read);
    assert_eq!(s.newest_unread_notification(), None);
    assert_eq!(
        crate::client::format::notification_text(&s.notifications[0]),
        "BOB added you to Team"
    );
}

#[test]
fn new_notifications_pop_up_except_while_busy_or_when_looking_at_them() {
    use protocol::{Notification, NotificationId, NotificationKind};
    let (mut s, bob, id) = setup();
    let note = |conversation| Notification {
        id: NotificationId::new(),
        kind: NotificationKind::Mentioned,
        actor: bob.clone(),
        conversation_id: Some(conversation),
        conversation_title: Some("Team".into()),
        post_id: None,
        message_id: None,
        others: 0,
        text: Some("hi".into()),
        link: None,
        created_at: 1,
        read: false,
    };
    let arrive = |s: &mut ChatState, n: &Notification| {
        s.apply(ev(ServerEvent::NotificationNew {
            notification: n.clone(),
            unread_notifications: 1,
        }));
    };
    let first = note(ConversationId::new());
    arrive(&mut s, &first);
    let (shown, seq) = s.toast.clone().expect("popped up");
    assert_eq!(shown.id, first.id);
    // An update of the same entry does not pop up again.
    s.dismiss_toast(seq);
    arrive(&mut s, &first);
    assert!(s.toast.is_none());
    // Busy: kept in the bell, not popped up.
    s.set_my_status(PresenceStatus::Busy);
    let quiet = note(ConversationId::new());
    arrive(&mut s, &quiet);
    assert!(s.toast.is_none());
    assert_eq!(s.notifications[0].id, quiet.id);
    // Online again, but looking at the conversation it is about.
    s.set_my_status(PresenceStatus::Online);
    s.active = Some(id);
    arrive(&mut s, &note(id));
    assert!(s.toast.is_none());
    // A stale timer does not close a newer toast.
    arrive(&mut s, &note(ConversationId::new()));
    let (_, newer) = s.toast.clone().expect("popped up");
    s.dismiss_toast(seq);
    assert!(s.toast.is_some());
    s.dismiss_toast(newer);
    assert!(s.toast.is_none());
    // Reading what a toast is about (opening its conversation, here or elsewhere) closes it;
    // reading something else does not.
    let about = ConversationId::new();
    arrive(&mut s, &note(about));
    s.apply(ev(ServerEvent::NotificationsRead {
        read: ReadNotifications::Conversation {
            conversation_id: ConversationId::new(),
        },
        unread_notifications: 1,
    }));
    assert!(s.toast.is_some());
    s.apply(ev(ServerEvent::NotificationsRead {
        read: ReadNotifications::Conversation {
            conversation_id: about,
        },
        unread_notifications: 0,
    }));
    assert!(s.toast.is_none());
}

fn reconnected(s: &mut ChatState) {
    s.apply(ev(ServerEvent::Authenticated {
        user: s.me.clone(),
        session_id: SessionId::new(),
        server_time: 0,
        protocol_version: 2,
        max_message_chars: 4000,
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

/// A second conversation with bob, added to the state.
fn second(s: &mut ChatState, bob: &User) -> ConversationId {
    let mut other = conversation(&s.me.clone(), bob);
    other.kind = ConversationKind::Group;
    other.title = Some("Team".into());
    let id = other.id;
    s.apply(ev(ServerEvent::ConversationUpdated {
        conversation: Box::new(other),
    }));
    id
}

fn changed(s: &mut ChatState) -> Vec<Slice> {
    s.take_changes().iter().collect()
}

#[test]
fn an_event_touches_only_the_slices_it_changes() {
    let (mut s, bob, id) = setup();
    let other = second(&mut s, &bob);
    s.take_changes();

    s.apply(ev(ServerEvent::Pong { server_time: 1 }));
    assert_eq!(changed(&mut s), vec![], "a keep-alive changes nothing");

    s.apply(ev(ServerEvent::MessageNew {
        message: message(other, bob.id, 1),
    }));
    assert_eq!(
        changed(&mut s),
        vec![Slice::List, Slice::Conversation(other)],
        "a message elsewhere leaves the open conversation alone"
    );

    s.apply(ev(ServerEvent::TypingStarted {
        conversation_id: id,
        user_id: bob.id,
        display_name: "BOB".into(),
    }));
    assert_eq!(changed(&mut s), vec![Slice::Activity]);

    s.apply(ev(ServerEvent::Receipt {
        conversation_id: id,
        user_id: bob.id,
        kind: ReceiptKind::Seen,
        up_to_seq: 0,
    }));
    assert_eq!(changed(&mut s), vec![Slice::Conversation(id)]);

    s.apply(ev(ServerEvent::PresenceChanged {
        users: vec![Presence {
            user_id: bob.id,
            status: PresenceStatus::Away,
            last_seen_at: Some(5),
        }],
    }));
    assert_eq!(changed(&mut s), vec![Slice::Presence]);

    s.apply(ev(ServerEvent::error(ErrorCode::NotFound, "gone")));
    assert_eq!(changed(&mut s), vec![Slice::Notice]);
}

#[test]
fn delivery_never_goes_backwards_when_a_stale_list_arrives_after_a_reconnect() {
    let (mut s, bob, id) = setup();
    let stale = s.conversations[&id].info.clone();
    let m = message(id, s.me.id, 1);
    s.apply(ev(ServerEvent::MessageNew { message: m.clone() }));
    s.apply(ev(ServerEvent::Receipt {
        conversation_id: id,
        user_id: bob.id,
        kind: ReceiptKind::Delivered,
        up_to_seq: 1,
    }));
    assert_eq!(s.delivery(id, 1), Delivery::Delivered);
    reconnected(&mut s);
    // The list was read before the receipt was stored.
    s.set_conversations(vec![stale]);
    assert_eq!(s.delivery(id, 1), Delivery::Delivered, "not back to sent");
    assert_eq!(s.conversations[&id].info.last_seq, 1, "nor the preview");
}

#[test]
fn membership_changes_are_lines_in_a_group() {
    let (mut s, bob, _id) = setup();
    let group = second(&mut s, &bob);
    let mut info = s.conversations[&group].info.clone();
    let dave = user("dave");
    info.members.push(dave.clone());
    s.apply(ev(ServerEvent::ConversationUpdated {
        conversation: Box::new(info.clone()),
    }));
    info.members.retain(|m| m.id != bob.id);
    s.apply(ev(ServerEvent::ConversationUpdated {
        conversation: Box::new(info),
    }));
    let lines: Vec<_> = s.conversations[&group]
        .system
        .iter()
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(lines, ["DAVE joined the group", "BOB left the group"]);
}

#[test]
fn a_failed_message_stays_where_it_was_written() {
    let (mut s, bob, id) = setup();
    s.apply(ev(ServerEvent::MessageNew {
        message: message(id, bob.id, 1),
    }));
    let actions = s.send_text(id, "mine".into());
    let Action::Send(frame) = &actions[0] else {
        panic!()
    };
    s.apply(ServerFrame::reply(
        frame.id.clone(),
        ServerEvent::error(ErrorCode::NotAMember, "no"),
    ));
    s.apply(ev(ServerEvent::MessageNew {
        message: message(id, bob.id, 2),
    }));
    let p = &s.conversations[&id].pending[0];
    assert!(p.failed.is_some());
    assert_eq!(p.after_seq, 1, "shown after message 1, before message 2");
}

#[test]
fn the_length_limit_comes_from_the_server_and_over_long_text_is_not_sent() {
    let (mut s, _bob, id) = setup();
    assert_eq!(s.max_message_chars, 4000);
    s.apply(ev(ServerEvent::Authenticated {
        user: s.me.clone(),
        session_id: SessionId::new(),
        server_time: 0,
        protocol_version: 2,
        max_message_chars: 10,
    }));
    assert!(s.send_text(id, "x".repeat(11)).is_empty());
    assert!(s.conversations[&id].pending.is_empty());
    // Ten emoji are ten characters (twenty UTF-16 units): within the limit.
    assert_eq!(s.send_text(id, "😀".repeat(10)).len(), 1);
}

#[test]
fn nobody_shows_online_while_disconnected() {
    let (mut s, bob, _id) = setup();
    s.apply(ev(ServerEvent::PresenceChanged {
        users: vec![Presence {
            user_id: bob.id,
            status: PresenceStatus::Online,
            last_seen_at: None,
        }],
    }));
    assert_eq!(s.presence_of(bob.id), Some((PresenceStatus::Online, None)));
    s.set_conn(ConnState::Reconnecting { in_ms: 500 });
    assert_eq!(s.presence_of(bob.id), None, "unknown, not online");
    assert!(s.take_changes().contains(Slice::Presence));
}

/// A fresh "`actor` added you to `conversation`" notification.
fn added_to(actor: &User, conversation: ConversationId) -> Notification {
    Notification {
        id: NotificationId::new(),
        kind: protocol::NotificationKind::AddedToConversation,
        actor: actor.clone(),
        conversation_id: Some(conversation),
        conversation_title: Some("Team".into()),
        post_id: None,
        message_id: None,
        others: 0,
        text: None,
        link: None,
        created_at: 1,
        read: false,
    }
}

#[test]
fn reading_notifications_reads_exactly_those_named() {
    let (mut s, bob, id) = setup();
    let group = second(&mut s, &bob);
    let about = |conversation| added_to(&bob, conversation);
    // Newest first, as the server lists them; ids grow with time.
    let (oldest, middle, newest) = (about(id), about(group), about(id));
    s.set_notifications(
        vec![newest.clone(), middle.clone(), oldest.clone()],
        3,
        true,
    );
    let read = |s: &ChatState| s.notifications.iter().map(|n| n.read).collect::<Vec<_>>();

    s.apply(ev(ServerEvent::NotificationsRead {
        read: ReadNotifications::One {
            notification_id: middle.id,
        },
        unread_notifications: 2,
    }));
    assert_eq!(read(&s), [false, true, false], "only that one");
    s.apply(ev(ServerEvent::NotificationsRead {
        read: ReadNotifications::UpTo {
            notification_id: oldest.id,
        },
        unread_notifications: 1,
    }));
    assert_eq!(read(&s), [false, true, true], "that one and older");
    s.apply(ev(ServerEvent::NotificationsRead {
        read: ReadNotifications::Conversation {
            conversation_id: id,
        },
        unread_notifications: 0,
    }));
    assert_eq!(read(&s), [true, true, true], "those about the conversation");
    assert_eq!(s.unread_notifications, 0);

    // An older page is appended once, and says whether there is more.
    let older = about(group);
    s.add_older_notifications(vec![oldest.clone(), older.clone()], false);
    let ids: Vec<_> = s.notifications.iter().map(|n| n.id).collect();
    assert_eq!(ids, [newest.id, middle.id, oldest.id, older.id]);
    assert!(!s.older_notifications);
}

#[test]
fn opening_a_conversation_reads_its_notifications() {
    let (mut s, bob, id) = setup();
    let group = second(&mut s, &bob);
    let about = |conversation| added_to(&bob, conversation);
    s.set_notifications(vec![about(group), about(id)], 2, false);
    s.take_changes();
    s.open(group);
    assert!(s.take_changes().contains(Slice::Notifications));
    let read: Vec<_> = s.notifications.iter().map(|n| n.read).collect();
    assert_eq!(read, [true, false], "only the opened conversation's");
}

#[test]
fn post_counters_keep_the_newest_version_and_are_watched_again_after_a_reconnect() {
    use protocol::{Comment, CommentId, Post, PostCounts, PostId};
    let (mut s, bob, _id) = setup();
    let post = Post {
        id: PostId::new(),
        author: bob.clone(),
        body: "hi".into(),
        created_at: 1,
        like_count: 3,
        comment_count: 0,
        liked_by_me: false,
    };
    let actions = s.show_posts(std::slice::from_ref(&post));
    assert_eq!(
        sends(&actions),
        [&ClientEvent::SubscribePosts {
            post_ids: vec![post.id]
        }]
    );
    assert!(
        s.show_posts(std::slice::from_ref(&post)).is_empty(),
        "watched once"
    );
    let counts = |likes, version| PostCounts {
        post_id: post.id,
        like_count: likes,
        comment_count: 0,
        version,
    };
    s.apply(ev(ServerEvent::PostCountsChanged {
        counts: counts(7, 9),
    }));
    s.apply(ev(ServerEvent::PostCountsChanged {
        counts: counts(6, 8),
    }));
    assert_eq!(
        s.posts[&post.id].counts.unwrap().like_count,
        7,
        "late update ignored"
    );
    assert!(s.take_changes().contains(Slice::Posts));

    let comment = Comment {
        id: CommentId::new(),
        post_id: post.id,
        author: bob,
        body: "c".into(),
        created_at: 2,
    };
    s.apply(ev(ServerEvent::CommentNew {
        comment: comment.clone(),
        counts: PostCounts {
            comment_count: 1,
            ..counts(7, 10)
        },
    }));
    s.comment_added(comment.clone());
    assert_eq!(s.posts[&post.id].comments.len(), 1, "kept once");
    let now = s.posts[&post.id].counts.unwrap();
    assert_eq!(
        (now.comment_count, now.version),
        (1, 10),
        "counts with the comment"
    );
    s.apply(ev(ServerEvent::CommentDeleted {
        post_id: post.id,
        comment_id: comment.id,
    }));
    assert!(s.posts[&post.id].comments.is_empty());

    let actions = s.apply(ev(ServerEvent::Authenticated {
        user: s.me.clone(),
        session_id: SessionId::new(),
        server_time: 0,
        protocol_version: 2,
        max_message_chars: 4000,
    }));
    assert!(sends(&actions).contains(&&ClientEvent::SubscribePosts {
        post_ids: vec![post.id]
    }));
}

#[test]
fn resync_fetches_what_was_missed_on_the_same_connection() {
    let (mut s, bob, id) = setup();
    s.apply(ev(ServerEvent::MessageNew {
        message: message(id, bob.id, 4),
    }));
    // A send in flight stays in flight: its ack still comes on this connection.
    s.send_text(id, "still going".into());
    let actions = s.apply(ev(ServerEvent::Resync));
    assert!(actions
        .iter()
        .any(|a| matches!(a, Action::RefreshConversations)));
    assert!(actions
        .iter()
        .any(|a| matches!(a, Action::OpenNotifications)));
    assert!(
        actions.iter().any(|a| matches!(
            a,
            Action::FetchAfter { conversation, after: 4 } if *conversation == id
        )),
        "messages after the last one known"
    );
    let sent = sends(&actions);
    assert!(sent.contains(&&ClientEvent::JoinConversation {
        conversation_id: id
    }));
    assert!(
        sent.iter()
            .any(|e| matches!(e, ClientEvent::SubscribePresence { user_ids } if user_ids.contains(&bob.id))),
        "presence watched again, for a fresh snapshot"
    );
    assert!(
        !sent
            .iter()
            .any(|e| matches!(e, ClientEvent::SendMessage { .. })),
        "nothing re-sent"
    );
}

#[test]
fn a_list_read_before_a_conversation_existed_does_not_drop_it() {
    let (mut s, bob, id) = setup();
    let stale = s.conversations[&id].info.clone();
    // The product opens a group while the list requested on connecting is in flight.
    let group = second(&mut s, &bob);
    s.set_conversations(vec![stale.clone()]);
    assert!(s.conversations.contains_key(&group), "kept: learned live");
    // A later list is the truth again: it is gone only if that list leaves it out too.
    s.set_conversations(vec![stale]);
    assert!(!s.conversations.contains_key(&group));
    assert!(s.conversations.contains_key(&id));
}

#[test]
fn a_reply_carries_what_it_answers_and_its_quotes_follow_the_original() {
    let (mut s, bob, id) = setup();
    let original = message(id, bob.id, 1);
    s.apply(ev(ServerEvent::MessageNew {
        message: original.clone(),
    }));
    s.start_reply(id, original.id);
    assert_eq!(
        s.conversations[&id]
            .replying_to
            .as_ref()
            .map(|q| q.message_id),
        Some(original.id)
    );
    let actions = s.send_text(id, "answer".into());
    let Action::Send(frame) = &actions[0] else {
        panic!()
    };
    assert!(
        matches!(&frame.event, ClientEvent::SendMessage { reply_to, .. } if *reply_to == Some(original.id))
    );
    assert!(
        s.conversations[&id].replying_to.is_none(),
        "one reply, then plain"
    );
    // The reply arrives; the original is edited, then deleted: its quote follows.
    let mut reply = message(id, s.me.id, 2);
    reply.reply_to = Some(ReplyPreview::of(&original));
    s.apply(ev(ServerEvent::MessageNew { message: reply }));
    let edited = Message {
        body: "new words".into(),
        edited_at: Some(5),
        ..original.clone()
    };
    s.apply(ev(ServerEvent::MessageEdited { message: edited }));
    let quote = |s: &ChatState| s.conversations[&id].messages[&2].reply_to.clone().unwrap();
    assert_eq!(quote(&s).excerpt, "new words");
    s.apply(ev(ServerEvent::MessageDeleted {
        message: Message {
            body: String::new(),
            deleted: true,
            ..original
        },
    }));
    assert!(quote(&s).deleted);
    assert_eq!(quote(&s).excerpt, "");
}

fn reactions(
    conv: ConversationId,
    m: &Message,
    version: i64,
    counts: &[(&str, i64)],
) -> MessageReactions {
    MessageReactions {
        conversation_id: conv,
        message_id: m.id,
        counts: counts
            .iter()
            .map(|(emoji, count)| ReactionCount {
                emoji: (*emoji).into(),
                count: *count,
            })
            .collect(),
        version,
    }
}

#[test]
fn reactions_keep_the_newest_version_mine_and_survive_edits() {
    let (mut s, bob, id) = setup();
    let m = message(id, bob.id, 1);
    s.merge_page(id, vec![m.clone()], PageKind::After, false);
    let shown = |s: &ChatState| s.conversations[&id].messages[&1].clone();

    // Mine, from my reply; then someone else's, live.
    s.apply(ev(ServerEvent::ReactionSaved {
        emoji: "👍".into(),
        reacted: true,
        reactions: reactions(id, &m, 2, &[("👍", 1)]),
    }));
    s.apply(ev(ServerEvent::ReactionsChanged {
        reactions: reactions(id, &m, 3, &[("👍", 2)]),
    }));
    assert_eq!(shown(&s).reactions[0].count, 2);
    assert_eq!(shown(&s).my_reactions, vec!["👍"]);
    // A late, older update changes nothing.
    s.apply(ev(ServerEvent::ReactionsChanged {
        reactions: reactions(id, &m, 2, &[("👍", 1)]),
    }));
    assert_eq!(shown(&s).reactions[0].count, 2);

    // An edit carries no reactions: the loaded ones stay.
    let edited = Message {
        body: "m1 (edited)".into(),
        edited_at: Some(5),
        ..m.clone()
    };
    s.apply(ev(ServerEvent::MessageEdited { message: edited }));
    assert_eq!(shown(&s).body, "m1 (edited)");
    assert_eq!(
        (shown(&s).reactions.len(), shown(&s).reactions_version),
        (1, 3)
    );

    // An older history page does not undo newer live counts; a newer one replaces them.
    let stale = Message {
        reactions: reactions(id, &m, 2, &[("👍", 1)]).counts,
        reactions_version: 2,
        deleted_by: None,
        attachments: Vec::new(),
        ..shown(&s)
    };
    s.merge_page(id, vec![stale], PageKind::After, false);
    assert_eq!(shown(&s).reactions[0].count, 2);
    let fresh = Message {
        reactions: reactions(id, &m, 4, &[("🎉", 1)]).counts,
        my_reactions: vec![],
        reactions_version: 4,
        deleted_by: None,
        attachments: Vec::new(),
        ..shown(&s)
    };
    s.merge_page(id, vec![fresh], PageKind::After, false);
    assert_eq!(shown(&s).reactions[0].emoji, "🎉");
    assert!(shown(&s).my_reactions.is_empty());

    // An emoji nobody has any more is not mine either; a deletion clears them all.
    s.apply(ev(ServerEvent::ReactionSaved {
        emoji: "🎉".into(),
        reacted: true,
        reactions: reactions(id, &m, 5, &[("🎉", 2)]),
    }));
    s.apply(ev(ServerEvent::ReactionsChanged {
        reactions: reactions(id, &m, 6, &[]),
    }));
    assert!(shown(&s).my_reactions.is_empty() && shown(&s).reactions.is_empty());
    s.apply(ev(ServerEvent::ReactionSaved {
        emoji: "👍".into(),
        reacted: true,
        reactions: reactions(id, &m, 7, &[("👍", 1)]),
    }));
    let deleted = Message {
        body: String::new(),
        deleted: true,
        ..m.clone()
    };
    s.apply(ev(ServerEvent::MessageDeleted { message: deleted }));
    assert!(shown(&s).reactions.is_empty() && shown(&s).my_reactions.is_empty());
}

#[test]
fn unread_mentions_count_live_and_clear_with_reading_and_deletion() {
    let (mut s, bob, id) = setup();
    s.close_active();
    let me = s.me.id;
    let mention = Message {
        mentions: vec![me],
        ..message(id, bob.id, 1)
    };
    s.apply(ev(ServerEvent::MessageNew {
        message: mention.clone(),
    }));
    s.apply(ev(ServerEvent::MessageNew {
        message: message(id, bob.id, 2),
    }));
    let info = |s: &ChatState| s.conversations[&id].info.clone();
    assert_eq!((info(&s).unread, info(&s).unread_mentions), (2, 1));
    // Reading part of it: never more mentions than unread messages.
    s.apply(ev(ServerEvent::UnreadChanged {
        conversation_id: id,
        unread: 0,
        read_seq: 2,
    }));
    assert_eq!(info(&s).unread_mentions, 0);
    // A mention deleted before it was read no longer counts.
    let again = Message {
        mentions: vec![me],
        ..message(id, bob.id, 3)
    };
    s.apply(ev(ServerEvent::MessageNew {
        message: again.clone(),
    }));
    assert_eq!(info(&s).unread_mentions, 1);
    s.apply(ev(ServerEvent::MessageDeleted {
        message: Message {
            body: String::new(),
            deleted: true,
            mentions: vec![],
            ..again
        },
    }));
    assert_eq!((info(&s).unread, info(&s).unread_mentions), (0, 0));
}

#[test]
fn blocking_hides_presence_and_typing_and_unblocking_watches_again() {
    let (mut s, bob, id) = setup();
    s.apply(ev(ServerEvent::PresenceChanged {
        users: vec![Presence {
            user_id: bob.id,
            status: PresenceStatus::Online,
            last_seen_at: None,
        }],
    }));
    assert!(s.watched.contains(&bob.id), "a direct partner is watched");
    s.apply(ev(ServerEvent::TypingStarted {
        conversation_id: id,
        user_id: bob.id,
        display_name: "BOB".into(),
    }));
    assert!(s.conversations[&id].typing.contains(&bob.id));

    let actions = s.apply(ev(ServerEvent::BlocksChanged {
        user_id: bob.id,
        blocked: true,
    }));
    assert_eq!(
        sends(&actions),
        vec![&ClientEvent::UnsubscribePresence {
            user_ids: vec![bob.id]
        }]
    );
    assert_eq!(s.presence_of(bob.id), None, "hidden");
    assert!(s.conversations[&id].typing.is_empty());
    s.apply(ev(ServerEvent::TypingStarted {
        conversation_id: id,
        user_id: bob.id,
        display_name: "BOB".into(),
    }));
    assert!(s.conversations[&id].typing.is_empty(), "never shown typing");

    // Unblocked (the list loaded on reconnect says so): watched again.
    let actions = s.set_blocked([]);
    assert_eq!(
        sends(&actions),
        vec![&ClientEvent::SubscribePresence {
            user_ids: vec![bob.id]
        }]
    );
    assert!(s.presence_of(bob.id).is_some());
}

#[test]
fn a_muted_conversation_leaves_the_total_until_unmuted_or_its_time_is_up() {
    let (mut s, bob, id) = setup();
    s.set_visible(false);
    for seq in 1..=2 {
        s.apply(ev(ServerEvent::MessageNew {
            message: message(id, bob.id, seq),
        }));
    }
    assert_eq!(s.loud_unread(1_000), 2);
    s.apply(ev(ServerEvent::MuteChanged {
        conversation_id: id,
        muted: Some(Muted { until: Some(5_000) }),
    }));
    // Still counted in the list, left out of the header's total while the mute holds.
    assert_eq!((s.conversations[&id].info.unread, s.total_unread), (2, 2));
    assert_eq!(s.loud_unread(1_000), 0);
    assert_eq!(s.mute_of(id, 1_000), Some(Muted { until: Some(5_000) }));
    assert_eq!((s.loud_unread(5_000), s.mute_of(id, 5_000)), (2, None));
    assert_eq!(
        (s.next_mute_end(1_000), s.next_mute_end(5_000)),
        (Some(5_000), None)
    );
    // A shared conversation_updated carries no mute: mine is kept.
    let mut info = s.conversations[&id].info.clone();
    info.muted = None;
    s.apply(ev(ServerEvent::ConversationUpdated {
        conversation: Box::new(info),
    }));
    assert!(s.mute_of(id, 1_000).is_some());
    // Its end, once due, is dropped (and only then).
    s.end_mutes(4_999);
    assert!(s.conversations[&id].info.muted.is_some());
    s.end_mutes(5_000);
    assert_eq!(s.conversations[&id].info.muted, None);
    s.apply(ev(ServerEvent::MuteChanged {
        conversation_id: id,
        muted: Some(Muted { until: Some(5_000) }),
    }));
    // A fresh list says how it is now (unmuted on another device meanwhile).
    let mut fresh = s.conversations[&id].info.clone();
    fresh.muted = None;
    s.set_conversations(vec![fresh]);
    assert_eq!((s.mute_of(id, 1_000), s.loud_unread(1_000)), (None, 2));
    // Muted until unmuted, then unmuted.
    s.apply(ev(ServerEvent::MuteChanged {
        conversation_id: id,
        muted: Some(Muted { until: None }),
    }));
    assert_eq!(s.loud_unread(i64::MAX), 0);
    s.apply(ev(ServerEvent::MuteChanged {
        conversation_id: id,
        muted: None,
    }));
    assert_eq!(s.loud_unread(1_000), 2);
}
