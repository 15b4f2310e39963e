//! Reactions: members react to messages with emojis (one per emoji per person), everyone in the
//! conversation sees the counts live (coalesced, ending exact), history carries them with mine,
//! the author gets one grouped notification, and bad input gets a clear error.

use crate::helpers::*;
use futures_util::future::join_all;
use protocol::{
    ClientEvent, ErrorCode, Message, MessageId, MessageReactions, NotificationKind, ReactionCount,
    ServerEvent,
};
use reqwest::Method;
use std::time::Duration;

fn add(message_id: MessageId, emoji: &str) -> ClientEvent {
    ClientEvent::AddReaction {
        message_id,
        emoji: emoji.into(),
    }
}

fn remove(message_id: MessageId, emoji: &str) -> ClientEvent {
    ClientEvent::RemoveReaction {
        message_id,
        emoji: emoji.into(),
    }
}

fn counts(pairs: &[(&str, i64)]) -> Vec<ReactionCount> {
    pairs
        .iter()
        .map(|(emoji, count)| ReactionCount {
            emoji: (*emoji).into(),
            count: *count,
        })
        .collect()
}

/// The reply to this client's reaction: whether it is theirs now, and the counts.
async fn saved(client: &mut TestClient) -> (bool, MessageReactions) {
    match client
        .expect(|e| matches!(e, ServerEvent::ReactionSaved { .. }))
        .await
    {
        ServerEvent::ReactionSaved {
            reacted, reactions, ..
        } => (reacted, reactions),
        _ => unreachable!(),
    }
}

/// Reads reaction events until the newest counts seen equal `want`; returns their version.
async fn until_counts(client: &mut TestClient, want: &[ReactionCount]) -> i64 {
    let mut newest: Option<MessageReactions> = None;
    loop {
        let event = client
            .expect(|e| {
                matches!(
                    e,
                    ServerEvent::ReactionsChanged { .. } | ServerEvent::ReactionSaved { .. }
                )
            })
            .await;
        let r = match event {
            ServerEvent::ReactionsChanged { reactions }
            | ServerEvent::ReactionSaved { reactions, .. } => reactions,
            _ => unreachable!(),
        };
        if newest.as_ref().is_none_or(|n| r.version > n.version) {
            newest = Some(r);
        }
        let n = newest.as_ref().unwrap();
        if n.counts == want {
            return n.version;
        }
    }
}

/// Reads reaction events until none arrives for 300 ms; returns the newest counts
/// (by version) this client saw.
async fn settled(client: &mut TestClient) -> MessageReactions {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut newest: Option<MessageReactions> = None;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "reactions never settled"
        );
        let mut quiet = true;
        for event in client.collect_for(Duration::from_millis(300)).await {
            if let ServerEvent::ReactionsChanged { reactions }
            | ServerEvent::ReactionSaved { reactions, .. } = event
            {
                quiet = false;
                if newest
                    .as_ref()
                    .is_none_or(|n| reactions.version > n.version)
                {
                    newest = Some(reactions);
                }
            }
        }
        if quiet {
            if let Some(newest) = newest {
                return newest;
            }
        }
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
async fn reactions_are_live_counted_once_per_person_and_in_history_with_mine() {
    let app = spawn_app().await;
    let Pair {
        alice,
        bob,
        group,
        mut a,
        mut b,
    } = app.pair_in_group().await;
    let mut b2 = app.connect(&bob).await;
    let message = a.say(group, "Lunch at noon?", "Lunch at noon?").await;

    // Bob reacts: his reply says it is his; alice sees the counts live.
    b.send_with_id("r1", add(message.id, "👍")).await;
    let reply = b
        .expect_frame(|f| matches!(f.event, ServerEvent::ReactionSaved { .. }))
        .await;
    assert_eq!(reply.id.as_deref(), Some("r1"), "the reply echoes the id");
    let ServerEvent::ReactionSaved {
        emoji,
        reacted,
        reactions,
    } = reply.event
    else {
        unreachable!()
    };
    assert_eq!((emoji.as_str(), reacted), ("👍", true));
    assert_eq!(reactions.counts, counts(&[("👍", 1)]));
    assert_eq!(
        (reactions.message_id, reactions.conversation_id),
        (message.id, group)
    );
    let live = a
        .expect(|e| matches!(e, ServerEvent::ReactionsChanged { .. }))
        .await;
    assert!(
        matches!(&live, ServerEvent::ReactionsChanged { reactions: r } if r.counts == reactions.counts)
    );
    // Bob's other device learns the reaction is his.
    let (mine, _) = saved(&mut b2).await;
    assert!(mine);

    // Reacting again with the same emoji changes nothing; alice's and a second emoji count.
    b.send(add(message.id, "👍")).await;
    let (_, again) = saved(&mut b).await;
    assert_eq!(again.counts, counts(&[("👍", 1)]));
    a.send(add(message.id, "👍")).await;
    saved(&mut a).await;
    b.send(add(message.id, "🎉")).await;
    saved(&mut b).await;
    until_counts(&mut a, &counts(&[("👍", 2), ("🎉", 1)])).await;

    // History: the counts, most used first, and which are the reader's.
    let seen_by_bob = history(&app, &bob, group).await;
    assert_eq!(seen_by_bob[0].reactions, counts(&[("👍", 2), ("🎉", 1)]));
    assert_eq!(seen_by_bob[0].my_reactions, vec!["👍", "🎉"]);
    let seen_by_alice = history(&app, &alice, group).await;
    assert_eq!(seen_by_alice[0].my_reactions, vec!["👍"]);
    assert!(seen_by_alice[0].reactions_version >= 3);

    // Taking one back: the count drops, and the emoji goes when nobody has it.
    b.send(remove(message.id, "🎉")).await;
    let (reacted, after) = saved(&mut b).await;
    assert!(!reacted);
    assert_eq!(after.counts, counts(&[("👍", 2)]));
    until_counts(&mut a, &counts(&[("👍", 2)])).await;

    // Who reacted, over REST (members only).
    let (status, list) = app
        .get(
            &format!("/api/messages/{}/reactions", message.id),
            &alice.token,
        )
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["reactions"][0]["emoji"], "👍");
    assert_eq!(list["reactions"][0]["count"], 2);
    let names: Vec<&str> = list["reactions"][0]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["bob", "alice"], "earliest first");

    // REST reacts too (the emoji percent-encoded in the path), and the sockets hear it.
    let path = format!("/api/messages/{}/reactions/%E2%9D%A4%EF%B8%8F", message.id);
    let (status, state) = app
        .request(Method::PUT, &path, Some(&alice.token), None)
        .await;
    assert_eq!(status, 200, "{state}");
    assert_eq!(state["reacted"], true);
    until_counts(&mut b, &counts(&[("👍", 2), ("❤️", 1)])).await;
    let (status, state) = app
        .request(Method::DELETE, &path, Some(&alice.token), None)
        .await;
    assert_eq!(
        (status, &state["reacted"]),
        (200, &serde_json::json!(false))
    );
}

#[tokio::test]
async fn the_author_gets_one_grouped_notification_and_deleting_the_message_takes_it_back() {
    let app = spawn_app().await;
    let Pair {
        alice,
        group,
        mut a,
        mut b,
        ..
    } = app.pair_in_group().await;
    let carol = app.register("carol").await;
    let (status, _) = app.add_member(&alice, group, carol.id()).await;
    assert_eq!(status, 200);
    let mut c = app.connect(&carol).await;
    let message = a.say(group, "Shipped it", "Shipped it").await;

    // Her own reaction rings nothing.
    a.send(add(message.id, "🎉")).await;
    saved(&mut a).await;
    a.expect_silence(Duration::from_millis(300), |e| {
        matches!(e, ServerEvent::NotificationNew { .. })
    })
    .await;

    b.send(add(message.id, "🎉")).await;
    saved(&mut b).await;
    let first = a
        .expect(|e| matches!(e, ServerEvent::NotificationNew { .. }))
        .await;
    let ServerEvent::NotificationNew { notification, .. } = first else {
        unreachable!()
    };
    assert_eq!(notification.kind, NotificationKind::MessageReacted);
    assert_eq!(notification.message_id, Some(message.id));
    assert_eq!(notification.conversation_id, Some(group));
    assert_eq!(notification.text.as_deref(), Some("Shipped it"));
    assert_eq!(
        (notification.actor.username.as_str(), notification.others),
        ("bob", 0)
    );

    // Carol reacts twice: one entry, naming her, "and 1 other" (people, not reactions).
    c.send(add(message.id, "🎉")).await;
    saved(&mut c).await;
    c.send(add(message.id, "👍")).await;
    saved(&mut c).await;
    let mut newest = None;
    for _ in 0..2 {
        if let ServerEvent::NotificationNew { notification, .. } = a
            .expect(|e| matches!(e, ServerEvent::NotificationNew { .. }))
            .await
        {
            newest = Some(notification);
        }
    }
    let newest = newest.unwrap();
    assert_eq!(
        (newest.actor.username.as_str(), newest.others),
        ("carol", 1)
    );
    let (_, list) = app.get("/api/notifications", &alice.token).await;
    let entries = list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "message_reacted")
        .count();
    assert_eq!(entries, 1, "one grouped entry: {list}");

    // Deleting the message takes its reactions and the entry with it.
    a.send(ClientEvent::DeleteMessage {
        message_id: message.id,
    })
    .await;
    let removed = a
        .expect(|e| matches!(e, ServerEvent::NotificationRemoved { .. }))
        .await;
    assert!(matches!(
        removed,
        ServerEvent::NotificationRemoved { notification_id, unread_notifications: 0 }
            if notification_id == newest.id
    ));
    let page = history(&app, &alice, group).await;
    assert!(page[0].deleted && page[0].reactions.is_empty());
    // A deleted message takes no reactions.
    b.send(add(message.id, "👍")).await;
    b.expect_error(ErrorCode::ValidationFailed).await;
}

#[tokio::test]
async fn bad_reactions_get_clear_errors_and_outsiders_learn_nothing() {
    let app = spawn_app().await;
    let Pair {
        bob,
        group,
        mut a,
        mut b,
        ..
    } = app.pair_in_group().await;
    let eve = app.register("eve").await;
    let mut e = app.connect(&eve).await;
    let message = a.say(group, "Members only", "Members only").await;

    for bad in ["", "ok", "👍 👍", "a👍", &"😀".repeat(9)] {
        b.send(add(message.id, bad)).await;
        b.expect_error(ErrorCode::ValidationFailed).await;
    }
    // Not a member, or no such message: the same NOT_FOUND.
    e.send(add(message.id, "👍")).await;
    e.expect_error(ErrorCode::NotFound).await;
    e.send(add(MessageId::new(), "👍")).await;
    e.expect_error(ErrorCode::NotFound).await;
    let (status, body) = app
        .get(
            &format!("/api/messages/{}/reactions", message.id),
            &eve.token,
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let path = format!("/api/messages/{}/reactions/%F0%9F%91%8D", message.id);
    let (status, _) = app
        .request(Method::PUT, &path, Some(&eve.token), None)
        .await;
    assert_eq!(status, 404);
    let (status, body) = app.get("/api/messages/nope/reactions", &eve.token).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("NOT_FOUND"))
    );

    // At most 20 different emojis on a message; one already there still counts.
    let emojis: Vec<String> = (0..20u32)
        .map(|i| char::from_u32(0x1F600 + i).unwrap().to_string())
        .collect();
    for emoji in &emojis {
        b.send(add(message.id, emoji)).await;
        saved(&mut b).await;
    }
    a.send(add(message.id, "🦀")).await;
    let error = a.expect_error(ErrorCode::ValidationFailed).await;
    assert!(format!("{:?}", error.event).contains("20 different"));
    a.send(add(message.id, &emojis[3])).await;
    let (reacted, reactions) = saved(&mut a).await;
    assert!(reacted);
    assert_eq!(reactions.counts.len(), 20);
    assert_eq!(reactions.counts[0].count, 2, "most used first");
    // Nothing was stored for the refused ones.
    let page = history(&app, &bob, group).await;
    assert_eq!(page[0].reactions.len(), 20);
    assert!(!page[0].reactions.iter().any(|r| r.emoji == "🦀"));
    assert!(page[0].my_reactions.len() == 20 && !page[0].my_reactions.contains(&"🦀".into()));
}

#[tokio::test]
async fn fifty_concurrent_reactors_end_exact_for_every_watcher() {
    let app = spawn_app().await;
    let (users, group) = app.seed_group(53).await;
    let mut author = app.connect(&users[0]).await;
    let mut watchers = vec![app.connect(&users[1]).await, app.connect(&users[2]).await];
    let message = author.say(group, "Vote with 👍", "Vote with 👍").await;

    let mut reactors = Vec::new();
    for user in &users[3..] {
        reactors.push(app.connect(user).await);
    }
    // Everyone adds 👍 twice (idempotent) and ❤️ at once; then the first 20 take 👍 back.
    let bursts = reactors
        .iter_mut()
        .enumerate()
        .map(|(i, client)| async move {
            client.send(add(message.id, "👍")).await;
            client.send(add(message.id, "❤️")).await;
            client.send(add(message.id, "👍")).await;
            for _ in 0..3 {
                saved(client).await;
            }
            if i < 20 {
                client.send(remove(message.id, "👍")).await;
                let (reacted, _) = saved(client).await;
                assert!(!reacted);
            }
        });
    join_all(bursts).await;

    // Every reaction is committed by now (each was confirmed); the counts may pass through
    // the final values on the way, so read until the frames stop, then compare.
    let want = counts(&[("❤️", 50), ("👍", 30)]);
    let last = settled(&mut author).await;
    assert_eq!(last.counts, want);
    for w in &mut watchers {
        let seen = settled(w).await;
        assert_eq!(
            (seen.counts, seen.version),
            (want.clone(), last.version),
            "the same last frame"
        );
    }
    for seen in join_all(reactors.iter_mut().map(settled)).await {
        assert_eq!(seen.counts, want);
    }
    let page = history(&app, &users[10], group).await;
    assert_eq!(page[0].reactions, want);
    assert_eq!(page[0].my_reactions, vec!["❤️"], "reactor 7 took 👍 back");
    // One grouped entry for the author: the newest reactor and 49 others.
    let (_, list) = app.get("/api/notifications", &users[0].token).await;
    let grouped: Vec<&serde_json::Value> = list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "message_reacted")
        .collect();
    assert_eq!(grouped.len(), 1, "{list}");
    assert_eq!(grouped[0]["others"], 49);
}
