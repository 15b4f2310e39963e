//! Replies: a message answers another of the same conversation and quotes it (author, first
//! line) as it reads now, live and in history, after an edit and after a deletion.

use crate::helpers::*;
use protocol::{ClientEvent, ErrorCode, Message, MessageId, ServerEvent};

fn send(
    conversation: protocol::ConversationId,
    temp: &str,
    body: &str,
    reply_to: Option<MessageId>,
) -> ClientEvent {
    ClientEvent::SendMessage {
        conversation_id: conversation,
        temp_id: temp.into(),
        body: body.into(),
        reply_to,
        attachments: Vec::new(),
    }
}

async fn history(app: &TestApp, user: &TestUser, group: protocol::ConversationId) -> Vec<Message> {
    let (status, page) = app
        .get(&format!("/api/conversations/{group}/messages"), &user.token)
        .await;
    assert_eq!(status, 200, "{page}");
    serde_json::from_value(page["messages"].clone()).unwrap()
}

#[tokio::test]
async fn a_reply_quotes_its_original_as_it_reads_now() {
    let app = spawn_app().await;
    let Pair {
        alice,
        bob,
        group,
        mut a,
        mut b,
    } = app.pair_in_group().await;
    a.send(send(
        group,
        "o",
        "  \nThe plan: ship on Friday\nthen rest",
        None,
    ))
    .await;
    let original = a.acked().await;
    assert!(original.reply_to.is_none());

    // Bob answers it: his ack and alice's message_new carry the quote.
    b.send(send(group, "r", "Friday works", Some(original.id)))
        .await;
    let reply = b.acked().await;
    let quote = reply.reply_to.clone().expect("a quote");
    assert_eq!(
        (quote.message_id, quote.seq, quote.sender_id),
        (original.id, original.seq, alice.id())
    );
    assert_eq!(quote.excerpt, "The plan: ship on Friday", "its first line");
    assert!(!quote.deleted);
    let live = a
        .expect(|e| matches!(e, ServerEvent::MessageNew { message } if message.id == reply.id))
        .await;
    assert_eq!(message_of(&live).reply_to, reply.reply_to);
    // A retry answers the same, quote included; history has it too.
    b.send(send(group, "r", "Friday works", Some(original.id)))
        .await;
    assert_eq!(b.acked().await, reply);
    let page = history(&app, &bob, group).await;
    assert_eq!(page.last().unwrap().reply_to, reply.reply_to);

    // The original edited: the quote reads the new text; deleted: it says so, quoting nothing.
    a.send(ClientEvent::EditMessage {
        message_id: original.id,
        body: "The plan: ship on Monday".into(),
    })
    .await;
    b.expect(|e| matches!(e, ServerEvent::MessageEdited { .. }))
        .await;
    let quote = history(&app, &bob, group).await[1]
        .reply_to
        .clone()
        .unwrap();
    assert_eq!(quote.excerpt, "The plan: ship on Monday");
    a.send(ClientEvent::DeleteMessage {
        message_id: original.id,
    })
    .await;
    b.expect(|e| matches!(e, ServerEvent::MessageDeleted { .. }))
        .await;
    let quote = history(&app, &bob, group).await[1]
        .reply_to
        .clone()
        .unwrap();
    assert!(quote.deleted);
    assert_eq!(quote.excerpt, "");

    // A long first line is cut with an ellipsis.
    a.send(send(group, "long", &"word ".repeat(60), None)).await;
    let long = a.acked().await;
    b.send(send(group, "r2", "ok", Some(long.id))).await;
    let excerpt = b.acked().await.reply_to.unwrap().excerpt;
    assert_eq!(excerpt.chars().count(), 100);
    assert!(excerpt.ends_with('…'), "{excerpt}");
}

#[tokio::test]
async fn a_reply_to_a_message_of_another_conversation_is_refused() {
    let app = spawn_app().await;
    let Pair {
        alice,
        bob,
        group,
        mut a,
        mut b,
    } = app.pair_in_group().await;
    let other = app.group(&alice, "Elsewhere", &[&bob]).await;
    a.send(send(other, "x", "elsewhere", None)).await;
    let elsewhere = a.acked().await;
    for target in [elsewhere.id, MessageId::new()] {
        b.send(send(group, "bad", "hm", Some(target))).await;
        let error = b.expect_error(ErrorCode::ValidationFailed).await;
        assert!(
            matches!(&error.event, ServerEvent::Error { message, .. } if message.contains("reply_to")),
            "{error:?}"
        );
    }
    // Nothing was stored.
    assert!(history(&app, &bob, group).await.is_empty());
}
