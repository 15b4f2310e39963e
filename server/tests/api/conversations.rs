//! Live views of conversations (who is watching) and membership changes.

use crate::helpers::*;
use protocol::{ClientEvent, ServerEvent};

#[tokio::test]
async fn joining_and_leaving_a_view_notifies_the_other_viewers() {
    let app = spawn_app().await;
    let Pair {
        alice,
        bob,
        group,
        mut a,
        mut b,
    } = app.pair_in_group().await;

    a.send_with_id(
        "j",
        ClientEvent::JoinConversation {
            conversation_id: group,
        },
    )
    .await;
    let joined = a
        .expect_frame(|f| matches!(f.event, ServerEvent::ConversationJoined { .. }))
        .await;
    assert_eq!(joined.id.as_deref(), Some("j"));
    assert_eq!(
        joined.event,
        ServerEvent::ConversationJoined {
            conversation_id: group,
            viewers: vec![alice.id()],
            viewer_count: 1,
        }
    );

    b.send(ClientEvent::JoinConversation {
        conversation_id: group,
    })
    .await;
    b.expect(|e| matches!(e, ServerEvent::ConversationJoined { .. }))
        .await;
    let notice = a
        .expect(|e| matches!(e, ServerEvent::ViewerJoined { .. }))
        .await;
    let ServerEvent::ViewerJoined { user_id, .. } = notice else {
        unreachable!()
    };
    assert_eq!(user_id, bob.id());

    b.send(ClientEvent::LeaveConversation {
        conversation_id: group,
    })
    .await;
    b.expect(|e| matches!(e, ServerEvent::ConversationLeft { .. }))
        .await;
    let left = a
        .expect(|e| matches!(e, ServerEvent::ViewerLeft { .. }))
        .await;
    assert_eq!(
        left,
        ServerEvent::ViewerLeft {
            conversation_id: group,
            user_id: bob.id(),
        }
    );

    // Closing the socket leaves every view too.
    b.send(ClientEvent::JoinConversation {
        conversation_id: group,
    })
    .await;
    a.expect(|e| matches!(e, ServerEvent::ViewerJoined { .. }))
        .await;
    b.close().await;
    a.expect(|e| matches!(e, ServerEvent::ViewerLeft { user_id, .. } if *user_id == bob.id()))
        .await;

    let (_, health) = app.get("/health", &alice.token).await;
    assert_eq!(health["rooms"], 1);
}

#[tokio::test]
async fn membership_changes_are_pushed_and_enforced() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
    );
    let group = app.group(&alice, "Room", &[&bob]).await;
    let mut b = app.connect(&bob).await;
    let mut c = app.connect(&carol).await;

    let (status, body) = app.add_member(&alice, group, carol.id()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["members"].as_array().unwrap().len(), 3);
    let update = c
        .expect(|e| matches!(e, ServerEvent::ConversationUpdated { .. }))
        .await;
    let ServerEvent::ConversationUpdated { conversation } = update else {
        unreachable!()
    };
    assert_eq!(conversation.id, group);
    b.expect(|e| matches!(e, ServerEvent::ConversationUpdated { .. }))
        .await;

    // Carol can now join; once removed she is evicted and told.
    c.send(ClientEvent::JoinConversation {
        conversation_id: group,
    })
    .await;
    c.expect(|e| matches!(e, ServerEvent::ConversationJoined { .. }))
        .await;
    // Bob is a plain member: he cannot remove Carol.
    let (status, body) = app.remove_member(&bob, group, carol.id()).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "FORBIDDEN");
    let (status, _) = app.remove_member(&alice, group, carol.id()).await;
    assert_eq!(status, 204);
    c.expect(|e| matches!(e, ServerEvent::ConversationRemoved { conversation_id } if *conversation_id == group))
        .await;
    c.send(ClientEvent::SendMessage {
        conversation_id: group,
        temp_id: "x".into(),
        body: "still here?".into(),
        reply_to: None,
        attachments: Vec::new(),
    })
    .await;
    c.expect_error(protocol::ErrorCode::NotAMember).await;
}
