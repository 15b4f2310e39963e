//! Golden wire-format tests: one checked-in JSON example per event variant, so that clients in
//! other languages can rely on the exact shapes. Run with `UPDATE_GOLDEN=1` to rewrite the files
//! after an intentional (and version-bumped) change.

use protocol::*;
use std::collections::BTreeSet;
use std::path::PathBuf;
use uuid::Uuid;

fn uid(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n)
}
fn user_id() -> UserId {
    UserId(uid(1))
}
fn other_id() -> UserId {
    UserId(uid(2))
}
fn conv_id() -> ConversationId {
    ConversationId(uid(3))
}
fn msg_id() -> MessageId {
    MessageId(uid(4))
}
fn user() -> User {
    User {
        id: user_id(),
        username: "alice".into(),
        display_name: "Alice".into(),
    }
}
fn message() -> Message {
    Message {
        id: msg_id(),
        conversation_id: conv_id(),
        seq: 7,
        sender_id: user_id(),
        body: "hello".into(),
        created_at: 1_700_000_000_000,
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

fn reactions() -> MessageReactions {
    MessageReactions {
        conversation_id: conv_id(),
        message_id: msg_id(),
        counts: vec![
            ReactionCount {
                emoji: "👍".into(),
                count: 3,
            },
            ReactionCount {
                emoji: "🎉".into(),
                count: 1,
            },
        ],
        version: 5,
    }
}
fn post_id() -> PostId {
    PostId(uid(8))
}

fn counts() -> PostCounts {
    PostCounts {
        post_id: post_id(),
        like_count: 12,
        comment_count: 3,
        version: 15,
    }
}

fn presence() -> Presence {
    Presence {
        user_id: other_id(),
        status: PresenceStatus::Away,
        last_seen_at: Some(1_700_000_000_000),
    }
}

/// Index of each client variant; the exhaustive match fails to compile when a variant is added
/// without deciding its golden example.
fn client_index(e: &ClientEvent) -> usize {
    use ClientEvent::*;
    match e {
        Authenticate { .. } => 0,
        Ping => 1,
        JoinConversation { .. } => 2,
        LeaveConversation { .. } => 3,
        SubscribePresence { .. } => 4,
        SendMessage { .. } => 5,
        SendDirectMessage { .. } => 6,
        EditMessage { .. } => 7,
        DeleteMessage { .. } => 8,
        MarkDelivered { .. } => 9,
        MarkRead { .. } => 10,
        TypingStart { .. } => 11,
        TypingStop { .. } => 12,
        SetPresence { .. } => 13,
        UnsubscribePresence { .. } => 14,
        SubscribePosts { .. } => 15,
        UnsubscribePosts { .. } => 16,
        RefreshToken { .. } => 17,
        AddReaction { .. } => 18,
        RemoveReaction { .. } => 19,
    }
}
const CLIENT_VARIANTS: usize = 20;

fn server_index(e: &ServerEvent) -> usize {
    use ServerEvent::*;
    match e {
        Authenticated { .. } => 0,
        PresenceSnapshot { .. } => 1,
        UnreadSnapshot { .. } => 2,
        Pong { .. } => 3,
        ConversationJoined { .. } => 4,
        ConversationLeft { .. } => 5,
        ViewerJoined { .. } => 6,
        ViewerLeft { .. } => 7,
        MessageAck { .. } => 8,
        MessageNew { .. } => 9,
        MessageEdited { .. } => 10,
        MessageDeleted { .. } => 11,
        Receipt { .. } => 12,
        UnreadChanged { .. } => 13,
        TypingStarted { .. } => 14,
        TypingStopped { .. } => 15,
        PresenceChanged { .. } => 16,
        ConversationUpdated { .. } => 17,
        ConversationRemoved { .. } => 18,
        Error { .. } => 19,
        NotificationNew { .. } => 20,
        NotificationsRead { .. } => 21,
        NotificationRemoved { .. } => 22,
        PostsSubscribed { .. } => 23,
        PostCountsChanged { .. } => 24,
        CommentNew { .. } => 25,
        CommentDeleted { .. } => 26,
        PostDeleted { .. } => 27,
        Resync => 28,
        ViewersChanged { .. } => 29,
        TokenExpiring { .. } => 30,
        TokenRefreshed { .. } => 31,
        CustomEvent { .. } => 32,
        ReactionsChanged { .. } => 33,
        ReactionSaved { .. } => 34,
        BlocksChanged { .. } => 35,
        MuteChanged { .. } => 36,
    }
}
const SERVER_VARIANTS: usize = 37;

fn client_examples() -> Vec<ClientFrame> {
    use ClientEvent::*;
    let c = conv_id();
    vec![
        ClientFrame::new(Authenticate {
            token: "eyJhbGciOiJIUzI1NiJ9.e30.sig".into(),
        }),
        ClientFrame::with_id("r1", Ping),
        ClientFrame::with_id("r2", JoinConversation { conversation_id: c }),
        ClientFrame::new(LeaveConversation { conversation_id: c }),
        ClientFrame::with_id(
            "r5",
            SubscribePresence {
                user_ids: vec![other_id()],
            },
        ),
        ClientFrame::new(UnsubscribePresence {
            user_ids: vec![other_id()],
        }),
        ClientFrame::with_id(
            "r6",
            SubscribePosts {
                post_ids: vec![post_id()],
            },
        ),
        ClientFrame::new(UnsubscribePosts {
            post_ids: vec![post_id()],
        }),
        ClientFrame::with_id(
            "r3",
            SendMessage {
                conversation_id: c,
                temp_id: "tmp-1".into(),
                body: "hello".into(),
                reply_to: Some(MessageId(uid(5))),
                attachments: vec![FileId(uid(20))],
            },
        ),
        ClientFrame::new(SendDirectMessage {
            recipient_id: other_id(),
            temp_id: "tmp-2".into(),
            body: "hi there".into(),
        }),
        ClientFrame::new(EditMessage {
            message_id: msg_id(),
            body: "hello (edited)".into(),
        }),
        ClientFrame::new(DeleteMessage {
            message_id: msg_id(),
        }),
        ClientFrame::with_id(
            "r8",
            AddReaction {
                message_id: msg_id(),
                emoji: "👍".into(),
            },
        ),
        ClientFrame::new(RemoveReaction {
            message_id: msg_id(),
            emoji: "👍".into(),
        }),
        ClientFrame::new(MarkDelivered {
            conversation_id: c,
            up_to_seq: 7,
        }),
        ClientFrame::new(MarkRead {
            conversation_id: c,
            up_to_seq: 7,
        }),
        ClientFrame::new(TypingStart { conversation_id: c }),
        ClientFrame::new(TypingStop { conversation_id: c }),
        ClientFrame::new(SetPresence {
            status: PresenceStatus::Away,
        }),
        ClientFrame::with_id(
            "r7",
            RefreshToken {
                token: "eyJhbGciOiJIUzI1NiJ9.e30.fresh".into(),
            },
        ),
    ]
}

fn server_examples() -> Vec<ServerFrame> {
    use ServerEvent::*;
    let c = conv_id();
    vec![
        ServerFrame::new(CustomEvent {
            name: "job_application_update".into(),
            data: serde_json::json!({ "application_id": 42, "status": "interview" }),
        }),
        ServerFrame::new(TokenExpiring {
            expires_at: 1_700_000_300_000,
        }),
        ServerFrame::reply(
            Some("r7".into()),
            TokenRefreshed {
                expires_at: 1_700_086_400_000,
            },
        ),
        ServerFrame::new(Authenticated {
            user: user(),
            session_id: SessionId(uid(5)),
            server_time: 1_700_000_000_000,
            protocol_version: PROTOCOL_VERSION,
            max_message_chars: 4000,
        }),
        ServerFrame::reply(
            Some("r5".into()),
            PresenceSnapshot {
                users: vec![presence()],
            },
        ),
        ServerFrame::new(UnreadSnapshot {
            conversations: vec![UnreadCount {
                conversation_id: c,
                unread: 2,
                last_seq: 9,
            }],
            total: 2,
            notifications: 1,
        }),
        ServerFrame::reply(
            Some("r1".into()),
            Pong {
                server_time: 1_700_000_000_000,
            },
        ),
        ServerFrame::reply(
            Some("r2".into()),
            ConversationJoined {
                conversation_id: c,
                viewers: vec![user_id()],
                viewer_count: 1,
            },
        ),
        ServerFrame::new(ConversationLeft { conversation_id: c }),
        ServerFrame::new(ViewerJoined {
            conversation_id: c,
            user_id: other_id(),
        }),
        ServerFrame::new(ViewerLeft {
            conversation_id: c,
            user_id: other_id(),
        }),
        ServerFrame::new(ViewersChanged {
            conversation_id: c,
            count: 2,
            viewers: vec![user_id(), other_id()],
        }),
        ServerFrame::reply(
            Some("r3".into()),
            MessageAck {
                temp_id: "tmp-1".into(),
                message: message(),
            },
        ),
        // A reply: it quotes the message it answers.
        ServerFrame::new(MessageNew {
            message: Message {
                id: MessageId(uid(10)),
                seq: 8,
                sender_id: other_id(),
                body: "@alice Friday works".into(),
                reply_to: Some(ReplyPreview::of(&message())),
                mentions: vec![user_id()],
                attachments: vec![Attachment {
                    id: FileId(uid(20)),
                    conversation_id: conv_id(),
                    name: "beach.jpg".into(),
                    content_type: "image/jpeg".into(),
                    size: 482_113,
                    width: Some(1600),
                    height: Some(1200),
                    thumbnail: true,
                }],
                ..message()
            },
        }),
        ServerFrame::new(MessageEdited {
            message: Message {
                body: "hello (edited)".into(),
                edited_at: Some(1_700_000_100_000),
                ..message()
            },
        }),
        ServerFrame::new(MessageDeleted {
            message: Message {
                body: String::new(),
                deleted: true,
                deleted_by: Some(other_id()),
                ..message()
            },
        }),
        ServerFrame::new(BlocksChanged {
            user_id: other_id(),
            blocked: true,
        }),
        ServerFrame::new(ReactionsChanged {
            reactions: reactions(),
        }),
        ServerFrame::reply(
            Some("r8".into()),
            ReactionSaved {
                emoji: "👍".into(),
                reacted: true,
                reactions: reactions(),
            },
        ),
        ServerFrame::new(Receipt {
            conversation_id: c,
            user_id: other_id(),
            kind: ReceiptKind::Seen,
            up_to_seq: 7,
        }),
        ServerFrame::new(UnreadChanged {
            conversation_id: c,
            unread: 3,
            read_seq: 4,
        }),
        ServerFrame::new(TypingStarted {
            conversation_id: c,
            user_id: other_id(),
            display_name: "Bob".into(),
        }),
        ServerFrame::new(TypingStopped {
            conversation_id: c,
            user_id: other_id(),
        }),
        ServerFrame::new(PresenceChanged {
            users: vec![
                presence(),
                Presence {
                    user_id: user_id(),
                    status: PresenceStatus::Online,
                    last_seen_at: None,
                },
                Presence {
                    user_id: UserId(uid(9)),
                    status: PresenceStatus::Busy,
                    last_seen_at: None,
                },
            ],
        }),
        ServerFrame::new(ConversationUpdated {
            conversation: Box::new(Conversation {
                id: c,
                kind: ConversationKind::Group,
                title: Some("Team".into()),
                platform: None,
                description: Some("Where the team talks".into()),
                members: vec![user()],
                owner_id: None,
                admins: Vec::new(),
                last_seq: 7,
                last_message: Some(message()),
                unread: 0,
                unread_mentions: 0,
                positions: vec![MemberPosition {
                    user_id: user_id(),
                    delivered_seq: 7,
                    read_seq: 7,
                }],
                created_at: 1_700_000_000_000,
                muted: None,
            }),
        }),
        ServerFrame::new(ConversationRemoved { conversation_id: c }),
        ServerFrame::new(MuteChanged {
            conversation_id: c,
            muted: Some(Muted {
                until: Some(1_700_003_600_000),
            }),
        }),
        ServerFrame::new(NotificationNew {
            notification: Notification {
                id: NotificationId(uid(6)),
                kind: NotificationKind::AddedToConversation,
                actor: user(),
                conversation_id: Some(c),
                conversation_title: Some("Team".into()),
                post_id: None,
                message_id: None,
                others: 0,
                text: None,
                link: None,
                created_at: 1_700_000_000_000,
                read: false,
            },
            unread_notifications: 1,
        }),
        ServerFrame::new(NotificationsRead {
            read: ReadNotifications::UpTo {
                notification_id: NotificationId(uid(6)),
            },
            unread_notifications: 0,
        }),
        ServerFrame::new(NotificationRemoved {
            notification_id: NotificationId(uid(6)),
            unread_notifications: 0,
        }),
        ServerFrame::new(Resync),
        ServerFrame::reply(
            Some("r6".into()),
            PostsSubscribed {
                posts: vec![counts()],
            },
        ),
        ServerFrame::new(PostCountsChanged { counts: counts() }),
        ServerFrame::new(CommentNew {
            comment: Comment {
                id: CommentId(uid(9)),
                post_id: post_id(),
                author: user(),
                body: "Nice one".into(),
                created_at: 1_700_000_000_000,
            },
            counts: counts(),
        }),
        ServerFrame::new(CommentDeleted {
            post_id: post_id(),
            comment_id: CommentId(uid(9)),
        }),
        ServerFrame::new(PostDeleted { post_id: post_id() }),
        ServerFrame::reply(
            Some("r4".into()),
            ServerEvent::error(
                ErrorCode::NotAMember,
                "you are not a member of this conversation",
            ),
        ),
    ]
}

fn golden_dir(side: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(side)
}

/// Compares `value` with the checked-in file `<side>/<name>.json` (or writes it when updating).
fn check_golden(side: &str, name: &str, json: &serde_json::Value) {
    let path = golden_dir(side).join(format!("{name}.json"));
    let pretty = serde_json::to_string_pretty(json).unwrap() + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &pretty).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("missing golden file {}: {e}", path.display()));
    let stored: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(&stored, json, "wire format of {name} changed");
}

fn type_of(json: &serde_json::Value) -> String {
    json["type"]
        .as_str()
        .expect("every frame has a type")
        .to_owned()
}

#[test]
fn every_client_variant_has_a_golden_example() {
    let examples = client_examples();
    let covered: BTreeSet<usize> = examples.iter().map(|f| client_index(&f.event)).collect();
    assert_eq!(covered, (0..CLIENT_VARIANTS).collect());
    for frame in examples {
        let json = serde_json::to_value(&frame).unwrap();
        check_golden("client", &type_of(&json), &json);
        assert_eq!(
            frame.event.name(),
            type_of(&json),
            "name() is the wire type"
        );
        // The checked-in text parses back to the same frame.
        let back: ClientFrame = serde_json::from_value(json).unwrap();
        assert_eq!(back, frame);
    }
    let files = std::fs::read_dir(golden_dir("client")).unwrap().count();
    assert_eq!(files, CLIENT_VARIANTS, "stale golden files in client/");
}

#[test]
fn every_server_variant_has_a_golden_example() {
    let examples = server_examples();
    let covered: BTreeSet<usize> = examples.iter().map(|f| server_index(&f.event)).collect();
    assert_eq!(covered, (0..SERVER_VARIANTS).collect());
    for frame in examples {
        let json = serde_json::to_value(&frame).unwrap();
        check_golden("server", &type_of(&json), &json);
        let back: ServerFrame = serde_json::from_value(json).unwrap();
        assert_eq!(back, frame);
    }
    let files = std::fs::read_dir(golden_dir("server")).unwrap().count();
    assert_eq!(files, SERVER_VARIANTS, "stale golden files in server/");
}

#[test]
fn request_id_is_optional_and_echoed_shape_is_flat() {
    let frame: ClientFrame = serde_json::from_str(r#"{"type":"ping"}"#).unwrap();
    assert_eq!(frame, ClientFrame::new(ClientEvent::Ping));
    let json = serde_json::to_value(ClientFrame::with_id("abc", ClientEvent::Ping)).unwrap();
    assert_eq!(json, serde_json::json!({"type": "ping", "id": "abc"}));
}

#[test]
fn unknown_type_is_rejected() {
    let err = serde_json::from_str::<ClientFrame>(r#"{"type":"launch_rockets"}"#).unwrap_err();
    assert!(err.to_string().contains("unknown variant"), "{err}");
}

#[test]
fn missing_type_is_rejected() {
    assert!(serde_json::from_str::<ClientFrame>(r#"{"token":"x"}"#).is_err());
}

#[test]
fn missing_field_is_rejected() {
    let err =
        serde_json::from_str::<ClientFrame>(r#"{"type":"send_message","temp_id":"t","body":"b"}"#)
            .unwrap_err();
    assert!(err.to_string().contains("conversation_id"), "{err}");
}

#[test]
fn wrong_field_type_is_rejected() {
    let c = conv_id();
    let bad_seq = format!(r#"{{"type":"mark_read","conversation_id":"{c}","up_to_seq":"seven"}}"#);
    assert!(serde_json::from_str::<ClientFrame>(&bad_seq).is_err());
    let bad_id = r#"{"type":"join_conversation","conversation_id":"nope"}"#;
    assert!(serde_json::from_str::<ClientFrame>(bad_id).is_err());
    let bad_status = r#"{"type":"set_presence","status":"sleeping"}"#;
    assert!(serde_json::from_str::<ClientFrame>(bad_status).is_err());
    let bad_ids = r#"{"type":"subscribe_presence","user_ids":"everyone"}"#;
    assert!(serde_json::from_str::<ClientFrame>(bad_ids).is_err());
    let bad_status = r#"{"type":"set_presence","status":"sleeping"}"#;
    assert!(serde_json::from_str::<ClientFrame>(bad_status).is_err());
}

#[test]
fn rest_bodies_round_trip() {
    let req: rest::CreateConversationRequest =
        serde_json::from_str(r#"{"kind":"group","title":"Team"}"#).unwrap();
    assert_eq!(
        req,
        rest::CreateConversationRequest::Group {
            title: "Team".into(),
            member_ids: vec![],
            platform: None,
            description: None,
        }
    );
    let body = ErrorBody {
        error: error::ErrorDetail {
            code: ErrorCode::RateLimited,
            message: "slow down".into(),
        },
    };
    let json = serde_json::to_value(&body).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"error": {"code": "RATE_LIMITED", "message": "slow down"}})
    );
}

/// One example of every webhook event (what a product's endpoint receives).
fn webhook_examples() -> Vec<protocol::webhooks::WebhookEvent> {
    use protocol::webhooks::*;
    let timestamp = "2023-11-14T22:13:20Z".to_owned();
    let membership = MembershipChange {
        conversation_id: conv_id(),
        user_id: other_id(),
    };
    let deleted = Message {
        body: String::new(),
        deleted: true,
        ..message()
    };
    let edited = Message {
        body: "hello again".into(),
        edited_at: Some(1_700_000_060_000),
        ..message()
    };
    [
        WebhookChange::MessageCreated(message()),
        WebhookChange::MessageEdited(edited),
        WebhookChange::MessageDeleted(deleted),
        WebhookChange::ReactionAdded(MessageReaction {
            conversation_id: conv_id(),
            message_id: msg_id(),
            user_id: other_id(),
            emoji: "👍".into(),
            count: 3,
        }),
        WebhookChange::ReactionRemoved(MessageReaction {
            conversation_id: conv_id(),
            message_id: msg_id(),
            user_id: other_id(),
            emoji: "👍".into(),
            count: 2,
        }),
        WebhookChange::ConversationCreated(ConversationCreated {
            conversation_id: conv_id(),
            kind: ConversationKind::Group,
            title: Some("Team".into()),
            platform: None,
            created_by: user_id(),
            member_ids: vec![user_id(), other_id()],
        }),
        WebhookChange::MemberAdded(membership.clone()),
        WebhookChange::MemberRemoved(membership),
        WebhookChange::NotificationCreated(NotificationCreated {
            user_id: other_id(),
            notification: Notification {
                id: NotificationId(uid(6)),
                kind: NotificationKind::PostCommented,
                actor: user(),
                conversation_id: None,
                conversation_title: None,
                post_id: Some(post_id()),
                message_id: None,
                others: 0,
                text: Some("Nice one".into()),
                link: None,
                created_at: 1_700_000_000_000,
                read: false,
            },
        }),
        WebhookChange::PostLiked(PostLiked {
            post_id: post_id(),
            user_id: other_id(),
            like_count: 12,
        }),
        WebhookChange::PostCommented(PostCommented {
            post_id: post_id(),
            comment: Comment {
                id: CommentId(uid(9)),
                post_id: post_id(),
                author: user(),
                body: "Nice one".into(),
                created_at: 1_700_000_000_000,
            },
            comment_count: 3,
        }),
        WebhookChange::UserOnline(PresenceChange {
            user_id: other_id(),
            last_seen_at: None,
        }),
        WebhookChange::UserOffline(PresenceChange {
            user_id: other_id(),
            last_seen_at: Some(1_700_000_000_000),
        }),
    ]
    .into_iter()
    .map(|change| WebhookEvent {
        change,
        timestamp: timestamp.clone(),
    })
    .collect()
}

#[test]
fn every_webhook_event_type_has_a_golden_example() {
    let examples = webhook_examples();
    let types: Vec<&str> = examples.iter().map(|e| e.change.event_type()).collect();
    assert_eq!(types, protocol::webhooks::WEBHOOK_EVENT_TYPES);
    for event in examples {
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], event.change.event_type());
        check_golden("webhook", event.change.event_type(), &json);
        let back: protocol::webhooks::WebhookEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }
    let files = std::fs::read_dir(golden_dir("webhook")).unwrap().count();
    assert_eq!(
        files,
        protocol::webhooks::WEBHOOK_EVENT_TYPES.len(),
        "stale golden files in webhook/"
    );
}
