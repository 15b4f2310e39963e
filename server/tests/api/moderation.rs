//! Moderation: a group's owner names admins; the owner and admins delete anyone's message, and
//! the tombstone says who; nobody else can, and direct conversations have no moderators.

use crate::helpers::*;
use protocol::{ClientEvent, ErrorCode, ServerEvent};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

fn delete(message: protocol::MessageId) -> ClientEvent {
    ClientEvent::DeleteMessage {
        message_id: message,
    }
}

#[tokio::test]
async fn the_owner_and_admins_delete_anyones_message_with_a_tombstone_naming_them() {
    let app = spawn_app().await;
    let (alice, bob, carol, dave) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
        app.register("dave").await,
    );
    let group = app.group(&alice, "Club", &[&bob, &carol]).await;
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    let mut c = app.connect(&carol).await;
    let first = c.say(group, "c1", "spam one").await;
    let second = c.say(group, "c2", "spam two").await;

    // A member cannot.
    b.send(delete(first.id)).await;
    b.expect_error(ErrorCode::Forbidden).await;
    // Nor can an outsider tell the message exists.
    let mut d = app.connect(&dave).await;
    d.send(delete(first.id)).await;
    d.expect_error(ErrorCode::NotFound).await;

    // Only the owner names admins.
    let admin_path = format!("/api/conversations/{group}/admins/{}", bob.id());
    let (status, body) = app
        .request(Method::PUT, &admin_path, Some(&carol.token), None)
        .await;
    assert_eq!((status, &body["error"]["code"]), (403, &json!("FORBIDDEN")));
    let (status, body) = app
        .request(Method::PUT, &admin_path, Some(&alice.token), None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["owner_id"], json!(alice.id()));
    assert_eq!(body["admins"], json!([bob.id()]));
    // Every member sees the new roles.
    let updated = c
        .expect(|e| matches!(e, ServerEvent::ConversationUpdated { .. }))
        .await;
    match updated {
        ServerEvent::ConversationUpdated { conversation } => {
            assert_eq!(conversation.admins, vec![bob.id()]);
            assert_eq!(conversation.owner_id, Some(alice.id()));
        }
        other => panic!("{other:?}"),
    }

    // The admin deletes Carol's message; everyone sees who did.
    b.send(delete(first.id)).await;
    let gone = c
        .expect(|e| matches!(e, ServerEvent::MessageDeleted { .. }))
        .await;
    let gone = message_of(&gone);
    assert_eq!(
        (gone.id, gone.deleted, gone.deleted_by),
        (first.id, true, Some(bob.id()))
    );
    assert!(gone.body.is_empty());
    a.expect(|e| matches!(e, ServerEvent::MessageDeleted { .. }))
        .await;
    // The owner too.
    a.send(delete(second.id)).await;
    let gone = b
        .expect(|e| matches!(e, ServerEvent::MessageDeleted { message } if message.id == second.id))
        .await;
    assert_eq!(message_of(&gone).deleted_by, Some(alice.id()));
    // History keeps the tombstones with their moderator.
    let (_, page) = app
        .get(
            &format!("/api/conversations/{group}/messages"),
            &carol.token,
        )
        .await;
    let messages = page["messages"].as_array().unwrap();
    assert_eq!(messages[0]["deleted_by"], json!(bob.id()));
    assert_eq!(messages[1]["deleted_by"], json!(alice.id()));
    // One's own deletion names nobody.
    let own = c.say(group, "c3", "oops").await;
    c.send(delete(own.id)).await;
    let gone = a
        .expect(|e| matches!(e, ServerEvent::MessageDeleted { message } if message.id == own.id))
        .await;
    assert_eq!(message_of(&gone).deleted_by, None);
    let (_, page) = app
        .get(
            &format!("/api/conversations/{group}/messages"),
            &carol.token,
        )
        .await;
    assert!(page["messages"][2].get("deleted_by").is_none());

    // No longer an admin: no longer allowed.
    let (status, body) = app
        .request(Method::DELETE, &admin_path, Some(&alice.token), None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("admins").is_none(), "{body}");
    let third = c.say(group, "c4", "again").await;
    b.send(delete(third.id)).await;
    b.expect_error(ErrorCode::Forbidden).await;
}

#[tokio::test]
async fn roles_are_checked() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
    );
    let group = app.group(&alice, "Club", &[&bob]).await;
    let put = |user: protocol::UserId| format!("/api/conversations/{group}/admins/{user}");
    // The owner is not an admin; a non-member cannot become one.
    let (status, body) = app
        .request(Method::PUT, &put(alice.id()), Some(&alice.token), None)
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (422, &json!("VALIDATION_FAILED"))
    );
    let (status, body) = app
        .request(Method::PUT, &put(carol.id()), Some(&alice.token), None)
        .await;
    assert_eq!((status, &body["error"]["code"]), (404, &json!("NOT_FOUND")));
    let (status, body) = app
        .request(Method::PUT, &put(bob.id()), Some(&carol.token), None)
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (403, &json!("NOT_A_MEMBER"))
    );

    // A direct conversation has no owner, no admins: neither deletes the other's messages.
    let mut a = app.connect(&alice).await;
    let mut c = app.connect(&carol).await;
    a.send(ClientEvent::SendDirectMessage {
        recipient_id: carol.id(),
        temp_id: "d1".into(),
        body: "hi".into(),
    })
    .await;
    let message = a.acked().await;
    let (_, shown) = app
        .get(
            &format!("/api/conversations/{}", message.conversation_id),
            &alice.token,
        )
        .await;
    assert_eq!(shown["owner_id"], json!(null));
    c.send(delete(message.id)).await;
    c.expect_error(ErrorCode::Forbidden).await;
    a.expect_silence(Duration::from_millis(200), |e| {
        matches!(e, ServerEvent::MessageDeleted { .. })
    })
    .await;
    let dm_admin = format!(
        "/api/conversations/{}/admins/{}",
        message.conversation_id,
        carol.id()
    );
    let (status, _) = app
        .request(Method::PUT, &dm_admin, Some(&alice.token), None)
        .await;
    assert_eq!(status, 422);
}
