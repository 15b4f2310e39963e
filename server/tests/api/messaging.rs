//! Sending, acking, fan-out, deduplication, edit and delete.

use crate::helpers::*;
use protocol::{ClientEvent, ConversationKind, ErrorCode, ServerEvent};
use std::time::Duration;

fn direct(to: &TestUser, temp: &str, body: &str) -> ClientEvent {
    ClientEvent::SendDirectMessage {
        recipient_id: to.id(),
        temp_id: temp.into(),
        body: body.into(),
    }
}

#[tokio::test]
async fn two_users_chat_in_a_direct_conversation() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;

    a.send_with_id("r1", direct(&bob, "t1", "hi bob")).await;
    let ack = a
        .expect_frame(|f| matches!(f.event, ServerEvent::MessageAck { .. }))
        .await;
    assert_eq!(
        ack.id.as_deref(),
        Some("r1"),
        "the ack echoes the request id"
    );
    let ServerEvent::MessageAck { temp_id, message } = ack.event else {
        unreachable!()
    };
    assert_eq!(temp_id, "t1");
    assert_eq!(message.seq, 1);
    assert_eq!(message.sender_id, alice.id());

    // Bob learns about the new conversation, then gets the message.
    let update = b
        .expect(|e| matches!(e, ServerEvent::ConversationUpdated { .. }))
        .await;
    let ServerEvent::ConversationUpdated { conversation } = update else {
        unreachable!()
    };
    assert_eq!(conversation.kind, ConversationKind::Direct);
    assert_eq!(conversation.members.len(), 2);
    let new = b
        .expect(|e| matches!(e, ServerEvent::MessageNew { .. }))
        .await;
    assert_eq!(message_of(&new), &message);

    // Bob replies into the same conversation; the second direct message reuses it.
    b.send(ClientEvent::SendMessage {
        conversation_id: message.conversation_id,
        temp_id: "b1".into(),
        body: "hello alice".into(),
        reply_to: None,
        attachments: Vec::new(),
    })
    .await;
    let reply = a
        .expect(|e| matches!(e, ServerEvent::MessageNew { .. }))
        .await;
    assert_eq!(message_of(&reply).seq, 2);
    assert_eq!(message_of(&reply).body, "hello alice");

    a.send(direct(&bob, "t2", "again")).await;
    let again = a
        .expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
        .await;
    assert_eq!(message_of(&again).conversation_id, message.conversation_id);
    assert_eq!(message_of(&again).seq, 3);
}

#[tokio::test]
async fn group_messages_reach_every_session_of_every_member() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
    );
    let group = app.group(&alice, "Team", &[&bob, &carol]).await;
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    let mut c1 = app.connect(&carol).await;
    let mut c2 = app.connect(&carol).await;

    // Nobody joined the live view: members get messages anyway.
    c1.send(ClientEvent::SendMessage {
        conversation_id: group,
        temp_id: "c".into(),
        body: "hello team".into(),
        reply_to: None,
        attachments: Vec::new(),
    })
    .await;
    let ack = c1
        .expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
        .await;
    for client in [&mut a, &mut b, &mut c2] {
        let new = client
            .expect(|e| matches!(e, ServerEvent::MessageNew { .. }))
            .await;
        assert_eq!(message_of(&new), message_of(&ack));
    }
    // The sending session has the ack and no duplicate.
    c1.expect_silence(Duration::from_millis(300), |e| {
        matches!(e, ServerEvent::MessageNew { .. })
    })
    .await;
}

#[tokio::test]
async fn acked_messages_survive_a_restart() {
    let mut app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let mut a = app.connect(&alice).await;
    a.send(direct(&bob, "t1", "remember me")).await;
    let ack = a
        .expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
        .await;
    let message = message_of(&ack).clone();

    app.restart().await;
    // Every connection was closed by the shutdown.
    assert!(a.expect_close().await.is_some());

    let (status, page) = app
        .get(
            &format!("/api/conversations/{}/messages", message.conversation_id),
            &bob.token,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let stored: protocol::rest::MessagePage = serde_json::from_value(page).unwrap();
    assert_eq!(stored.messages, vec![message]);
    // And the conversation keeps counting from where it was.
    let mut a = app.connect(&alice).await;
    a.send(direct(&bob, "t2", "still here")).await;
    let ack = a
        .expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
        .await;
    assert_eq!(message_of(&ack).seq, 2);
}

#[tokio::test]
async fn resending_a_temp_id_stores_once_and_publishes_the_original_again() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    a.send(direct(&bob, "same", "once")).await;
    let first = a
        .expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
        .await;
    b.expect(|e| matches!(e, ServerEvent::MessageNew { .. }))
        .await;

    a.send(direct(&bob, "same", "once")).await;
    let second = a
        .expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
        .await;
    assert_eq!(message_of(&first), message_of(&second));
    // Published again (the instance that stored it may have died before publishing it): the
    // same message, which the recipient keeps once.
    let again = b
        .expect(|e| matches!(e, ServerEvent::MessageNew { .. }))
        .await;
    assert_eq!(message_of(&again), message_of(&first));
    a.expect_silence(Duration::from_millis(300), |e| {
        matches!(e, ServerEvent::MessageNew { .. })
    })
    .await;

    let conv = message_of(&first).conversation_id;
    let (_, page) = app
        .get(&format!("/api/conversations/{conv}/messages"), &bob.token)
        .await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn only_the_sender_can_edit_or_delete() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    a.send(direct(&bob, "t", "original")).await;
    let ack = a
        .expect(|e| matches!(e, ServerEvent::MessageAck { .. }))
        .await;
    let message = message_of(&ack).clone();
    b.expect(|e| matches!(e, ServerEvent::MessageNew { .. }))
        .await;

    b.send_with_id(
        "e",
        ClientEvent::EditMessage {
            message_id: message.id,
            body: "hacked".into(),
        },
    )
    .await;
    let err = b.expect_error(ErrorCode::Forbidden).await;
    assert_eq!(err.id.as_deref(), Some("e"));
    b.send(ClientEvent::DeleteMessage {
        message_id: message.id,
    })
    .await;
    b.expect_error(ErrorCode::Forbidden).await;

    a.send(ClientEvent::EditMessage {
        message_id: message.id,
        body: "edited".into(),
    })
    .await;
    let edited = b
        .expect(|e| matches!(e, ServerEvent::MessageEdited { .. }))
        .await;
    assert_eq!(message_of(&edited).body, "edited");
    assert!(message_of(&edited).edited_at.is_some());

    a.send(ClientEvent::DeleteMessage {
        message_id: message.id,
    })
    .await;
    let deleted = b
        .expect(|e| matches!(e, ServerEvent::MessageDeleted { .. }))
        .await;
    let tomb = message_of(&deleted);
    assert!(tomb.deleted);
    assert_eq!(tomb.body, "");
    assert_eq!((tomb.id, tomb.seq), (message.id, message.seq));

    // The tombstone is what history shows, and it cannot be edited again.
    let (_, page) = app
        .get(
            &format!("/api/conversations/{}/messages", message.conversation_id),
            &bob.token,
        )
        .await;
    assert_eq!(page["messages"][0]["deleted"], true);
    assert_eq!(page["messages"][0]["body"], "");
    a.send(ClientEvent::EditMessage {
        message_id: message.id,
        body: "zombie".into(),
    })
    .await;
    a.expect_error(ErrorCode::NotFound).await;
}

#[tokio::test]
async fn non_members_cannot_join_send_type_or_read() {
    let app = spawn_app().await;
    let (alice, bob, mallory) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("mallory").await,
    );
    let group = app.group(&alice, "Private", &[&bob]).await;
    let mut m = app.connect(&mallory).await;

    m.send_with_id(
        "j",
        ClientEvent::JoinConversation {
            conversation_id: group,
        },
    )
    .await;
    assert_eq!(
        m.expect_error(ErrorCode::NotAMember).await.id.as_deref(),
        Some("j")
    );
    m.send(ClientEvent::SendMessage {
        conversation_id: group,
        temp_id: "x".into(),
        body: "let me in".into(),
        reply_to: None,
        attachments: Vec::new(),
    })
    .await;
    m.expect_error(ErrorCode::NotAMember).await;
    m.send(ClientEvent::TypingStart {
        conversation_id: group,
    })
    .await;
    m.expect_error(ErrorCode::NotAMember).await;
    m.send(ClientEvent::MarkRead {
        conversation_id: group,
        up_to_seq: 1,
    })
    .await;
    m.expect_error(ErrorCode::NotAMember).await;
    m.send(ClientEvent::JoinConversation {
        conversation_id: group,
    })
    .await;
    m.expect_error(ErrorCode::NotAMember).await;
    m.send(ClientEvent::TypingStop {
        conversation_id: group,
    })
    .await;
    m.expect_error(ErrorCode::NotAMember).await;
    // Leaving a conversation you are not in, or one that does not exist, is refused too.
    for conversation_id in [group, protocol::ConversationId::new()] {
        m.send_with_id("l", ClientEvent::LeaveConversation { conversation_id })
            .await;
        assert_eq!(
            m.expect_error(ErrorCode::NotAMember).await.id.as_deref(),
            Some("l")
        );
    }

    let (status, body) = app
        .get(
            &format!("/api/conversations/{group}/messages"),
            &mallory.token,
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "NOT_A_MEMBER");
    let (status, _) = app
        .get(&format!("/api/conversations/{group}"), &mallory.token)
        .await;
    assert_eq!(status, 404);
    // The connection is still fine.
    m.assert_alive().await;
}

#[tokio::test]
async fn invalid_messages_are_refused_with_validation_errors() {
    let app = spawn_app_with(&["--max-message-chars", "10"]).await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let mut a = app.connect(&alice).await;
    a.send(direct(&bob, "t", "   ")).await;
    a.expect_error(ErrorCode::ValidationFailed).await;
    a.send(direct(&bob, "t", "this is far too long")).await;
    a.expect_error(ErrorCode::ValidationFailed).await;
    a.send(direct(&alice, "t", "me")).await;
    a.expect_error(ErrorCode::ValidationFailed).await;
    a.send(ClientEvent::SendDirectMessage {
        recipient_id: protocol::UserId::new(),
        temp_id: "t".into(),
        body: "ghost".into(),
    })
    .await;
    a.expect_error(ErrorCode::NotFound).await;
}
