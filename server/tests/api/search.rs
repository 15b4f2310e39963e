//! Search: words of messages in my conversations only, newest first, the last word as a
//! prefix, edits found and deletions not, one conversation or all, and pages that stay stable
//! while new messages arrive.

use crate::helpers::*;
use protocol::rest::SearchPage;
use protocol::{ClientEvent, ServerEvent};

async fn search(app: &TestApp, user: &TestUser, query: &str) -> (u16, SearchPage) {
    let (status, body) = app.get(&format!("/api/search?{query}"), &user.token).await;
    if status != 200 {
        return (
            status,
            SearchPage {
                messages: vec![],
                next: None,
            },
        );
    }
    (status, serde_json::from_value(body).unwrap())
}

fn bodies(page: &SearchPage) -> Vec<&str> {
    page.messages.iter().map(|m| m.body.as_str()).collect()
}

#[tokio::test]
async fn search_finds_words_in_my_conversations_only() {
    let app = spawn_app().await;
    let Pair {
        alice,
        bob,
        group,
        mut a,
        ..
    } = app.pair_in_group().await;
    let carol = app.register("carol").await;
    let eve = app.register("eve").await;
    a.say(group, "1", "The quarterly Report is ready").await;
    a.say(group, "2", "report draft attached").await;
    let lunch = a.say(group, "3", "lunch?").await;
    let gone = a.say(group, "4", "old report, ignore").await;
    a.send(ClientEvent::SendDirectMessage {
        recipient_id: carol.id(),
        temp_id: "d".into(),
        body: "a report only for carol".into(),
    })
    .await;
    let direct = match a
        .expect(|e| matches!(e, ServerEvent::MessageAck { message, .. } if message.body.contains("carol")))
        .await
    {
        ServerEvent::MessageAck { message, .. } => message.conversation_id,
        _ => unreachable!(),
    };
    a.send(ClientEvent::DeleteMessage {
        message_id: gone.id,
    })
    .await;
    a.expect(|e| matches!(e, ServerEvent::MessageDeleted { .. }))
        .await;
    a.send(ClientEvent::EditMessage {
        message_id: lunch.id,
        body: "lunch, then the report".into(),
    })
    .await;
    a.expect(|e| matches!(e, ServerEvent::MessageEdited { .. }))
        .await;

    // Bob: the group's, newest first, edits included, deletions and carol's excluded.
    let (_, page) = search(&app, &bob, "q=report").await;
    assert_eq!(
        bodies(&page),
        vec![
            "lunch, then the report",
            "report draft attached",
            "The quarterly Report is ready"
        ]
    );
    assert!(page.next.is_none());
    // Every word must occur; the last may be a prefix.
    let (_, page) = search(&app, &bob, "q=QUARTERLY%20rep").await;
    assert_eq!(bodies(&page), vec!["The quarterly Report is ready"]);
    // Carol sees her direct message only; eve nothing.
    let (_, page) = search(&app, &carol, "q=report").await;
    assert_eq!(bodies(&page), vec!["a report only for carol"]);
    let (_, page) = search(&app, &eve, "q=report").await;
    assert!(page.messages.is_empty());
    // One conversation: alice's direct one; someone else's conversation is not found.
    let (_, page) = search(&app, &alice, &format!("q=report&conversation_id={direct}")).await;
    assert_eq!(bodies(&page), vec!["a report only for carol"]);
    let (status, _) = search(&app, &bob, &format!("q=report&conversation_id={direct}")).await;
    assert_eq!(status, 404);
    // Bad input is refused clearly.
    for bad in ["q=", "q=%3F%21", "q=report&limit=0", "q=report&before=nope"] {
        let (status, body) = app.get(&format!("/api/search?{bad}"), &bob.token).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (422, Some("VALIDATION_FAILED")),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn pages_stay_stable_while_new_messages_arrive() {
    let app = spawn_app().await;
    let Pair {
        bob, group, mut a, ..
    } = app.pair_in_group().await;
    for i in 0..25 {
        a.say(group, &format!("o{i}"), &format!("status update {i}"))
            .await;
    }
    let (_, first) = search(&app, &bob, "q=status&limit=10").await;
    assert_eq!(first.messages.len(), 10);
    assert_eq!(first.messages[0].body, "status update 24");
    // New matches arrive while bob reads: the next pages continue where the first ended.
    for i in 0..5 {
        a.say(group, &format!("n{i}"), &format!("status news {i}"))
            .await;
    }
    let mut seen: Vec<String> = first.messages.iter().map(|m| m.body.clone()).collect();
    let mut next = first.next.clone();
    while let Some(cursor) = next {
        let (_, page) = search(&app, &bob, &format!("q=status&limit=10&before={cursor}")).await;
        seen.extend(page.messages.iter().map(|m| m.body.clone()));
        next = page.next;
    }
    let want: Vec<String> = (0..25)
        .rev()
        .map(|i| format!("status update {i}"))
        .collect();
    assert_eq!(
        seen, want,
        "every old match once, in order, none of the new ones"
    );
    let (_, fresh) = search(&app, &bob, "q=status&limit=10").await;
    assert_eq!(fresh.messages[0].body, "status news 4");
}
