//! Posts, likes, comments and follows: exact counts under concurrency, live counters only for
//! the sessions showing a post (coalesced, ending on the exact value), and the notifications
//! they make.

use crate::helpers::*;
use protocol::{ClientEvent, NotificationKind, PostCounts, PostId, ServerEvent};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

/// Every test user signs up from 127.0.0.1: lift the per-address sign-up limit.
const MANY_SIGN_UPS: &[&str] = &["--auth-attempts-per-minute", "1000"];

async fn put(app: &TestApp, path: &str, token: &str) -> (u16, serde_json::Value) {
    app.request(Method::PUT, path, Some(token), None).await
}

async fn delete(app: &TestApp, path: &str, token: &str) -> (u16, serde_json::Value) {
    app.request(Method::DELETE, path, Some(token), None).await
}

async fn new_post(app: &TestApp, author: &TestUser, body: &str) -> PostId {
    let (status, post) = app
        .post("/api/posts", &author.token, json!({ "body": body }))
        .await;
    assert_eq!(status, 201, "{post}");
    post["id"].as_str().unwrap().parse().unwrap()
}

/// Subscribes a client to posts and returns the counts it was told.
async fn watch(client: &mut TestClient, posts: &[PostId]) -> Vec<PostCounts> {
    client
        .send_with_id(
            "w",
            ClientEvent::SubscribePosts {
                post_ids: posts.to_vec(),
            },
        )
        .await;
    match client
        .expect(|e| matches!(e, ServerEvent::PostsSubscribed { .. }))
        .await
    {
        ServerEvent::PostsSubscribed { posts } => posts,
        _ => unreachable!(),
    }
}

/// Reads counter updates until one reaches `likes` likes; returns the last one.
async fn until_likes(client: &mut TestClient, likes: i64) -> PostCounts {
    loop {
        if let ServerEvent::PostCountsChanged { counts } = client
            .expect(|e| matches!(e, ServerEvent::PostCountsChanged { .. }))
            .await
        {
            if counts.like_count == likes {
                return counts;
            }
        }
    }
}

#[tokio::test]
async fn fifty_people_liking_and_unliking_at_once_end_on_the_exact_count_everywhere() {
    let app = spawn_app_with(MANY_SIGN_UPS).await;
    let author = app.register("author").await;
    let post = new_post(&app, &author, "Big news").await;
    let mut watcher = app.connect(&author).await;
    let initial = watch(&mut watcher, &[post]).await;
    assert_eq!(initial[0].like_count, 0);

    let mut fans = Vec::new();
    for i in 0..50 {
        fans.push(app.register(&format!("fan{i}")).await);
    }
    // Everyone likes at once (twice each: idempotent); then the first 20 unlike at once.
    let likes = fans.iter().flat_map(|f| {
        let path = format!("/api/posts/{post}/like");
        [0, 1].map(|_| {
            let (app, path, token) = (&app, path.clone(), f.token.clone());
            async move { put(app, &path, &token).await }
        })
    });
    for (status, _) in futures_util::future::join_all(likes).await {
        assert_eq!(status, 200);
    }
    let unlikes = fans[..20].iter().map(|f| {
        let path = format!("/api/posts/{post}/like");
        let (app, token) = (&app, f.token.clone());
        async move { delete(app, &path, &token).await }
    });
    for (status, _) in futures_util::future::join_all(unlikes).await {
        assert_eq!(status, 200);
    }

    let (_, stored) = app
        .get(&format!("/api/posts/{post}"), &fans[30].token)
        .await;
    assert_eq!(stored["like_count"], 30, "{stored}");
    assert_eq!(stored["liked_by_me"], true);
    // The watcher ends on exactly that, and no update after it says otherwise.
    let last = until_likes(&mut watcher, 30).await;
    watcher
        .expect_silence(Duration::from_millis(400), |e| {
            matches!(e, ServerEvent::PostCountsChanged { counts } if counts.version > last.version)
        })
        .await;
}

#[tokio::test]
async fn counts_and_comments_reach_the_posts_watchers_only_and_bursts_are_coalesced() {
    let app = spawn_app_with(MANY_SIGN_UPS).await;
    let (alice, bob, carol) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
    );
    let post = new_post(&app, &alice, "Hello world").await;
    let other = new_post(&app, &alice, "Another").await;
    let mut b = app.connect(&bob).await;
    let mut c = app.connect(&carol).await;
    watch(&mut b, &[post]).await;
    watch(&mut c, &[other]).await;

    let (status, comment) = app
        .post(
            &format!("/api/posts/{post}/comments"),
            &carol.token,
            json!({"body": "Nice!"}),
        )
        .await;
    assert_eq!(status, 201, "{comment}");
    // The comment carries the post's counts with it.
    b.expect(|e| {
        matches!(e, ServerEvent::CommentNew { comment, counts }
            if comment.body == "Nice!" && counts.comment_count == 1)
    })
    .await;
    b.expect(
        |e| matches!(e, ServerEvent::PostCountsChanged { counts } if counts.comment_count == 1),
    )
    .await;
    c.expect_silence(Duration::from_millis(300), |e| {
        matches!(
            e,
            ServerEvent::CommentNew { .. } | ServerEvent::PostCountsChanged { .. }
        )
    })
    .await;

    // A burst of 40 likes within well under a second: a few coalesced updates, the last exact.
    let mut likers = Vec::new();
    for i in 0..40 {
        likers.push(app.register(&format!("liker{i}")).await);
    }
    let started = std::time::Instant::now();
    let likes = likers.iter().map(|l| {
        let path = format!("/api/posts/{post}/like");
        let (app, token) = (&app, l.token.clone());
        async move { put(app, &path, &token).await }
    });
    futures_util::future::join_all(likes).await;
    let mut updates = 0;
    loop {
        if let ServerEvent::PostCountsChanged { counts } = b
            .expect(|e| matches!(e, ServerEvent::PostCountsChanged { .. }))
            .await
        {
            updates += 1;
            if counts.like_count == 40 {
                break;
            }
        }
    }
    let elapsed = started.elapsed().as_millis() as usize;
    assert!(
        updates <= elapsed / 100 + 2,
        "{updates} updates in {elapsed} ms: more than 10 a second"
    );

    // Unsubscribed, and on disconnect, nothing more arrives; /health counts subscriptions.
    let (_, health) = app.get("/health", &bob.token).await;
    assert_eq!(health["post_subscriptions"], 2);
    b.send(ClientEvent::UnsubscribePosts {
        post_ids: vec![post],
    })
    .await;
    c.close().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_, health) = app.get("/health", &bob.token).await;
    assert_eq!(health["post_subscriptions"], 0);
    put(&app, &format!("/api/posts/{post}/like"), &carol.token).await;
    b.expect_silence(Duration::from_millis(300), |e| {
        matches!(e, ServerEvent::PostCountsChanged { .. })
    })
    .await;
}

#[tokio::test]
async fn likes_are_one_grouped_notification_for_the_author_never_for_the_actor() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
    );
    let post = new_post(&app, &alice, "Look").await;
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    let like = format!("/api/posts/{post}/like");

    // Liking your own post tells nobody.
    put(&app, &like, &alice.token).await;
    a.expect_silence(Duration::from_millis(300), |e| {
        matches!(e, ServerEvent::NotificationNew { .. })
    })
    .await;

    put(&app, &like, &bob.token).await;
    a.expect(|e| {
        matches!(e, ServerEvent::NotificationNew { notification, unread_notifications: 1 }
        if notification.kind == NotificationKind::PostLiked && notification.others == 0
            && notification.actor.id == bob.id())
    })
    .await;
    put(&app, &like, &carol.token).await;
    // The entry is replaced (newest first again), still one, naming carol "and 1 other".
    a.expect(|e| matches!(e, ServerEvent::NotificationRemoved { .. }))
        .await;
    a.expect(|e| {
        matches!(e, ServerEvent::NotificationNew { notification, unread_notifications: 1 }
        if notification.actor.id == carol.id() && notification.others == 1)
    })
    .await;
    b.expect_silence(Duration::from_millis(200), |e| {
        matches!(e, ServerEvent::NotificationNew { .. })
    })
    .await;

    // Carol takes hers back: bob is named again; then bob too: the entry goes.
    delete(&app, &like, &carol.token).await;
    a.expect(|e| {
        matches!(e, ServerEvent::NotificationNew { notification, .. }
        if notification.actor.id == bob.id() && notification.others == 0)
    })
    .await;
    delete(&app, &like, &bob.token).await;
    a.expect(|e| {
        matches!(
            e,
            ServerEvent::NotificationRemoved {
                unread_notifications: 0,
                ..
            }
        )
    })
    .await;
    let (_, list) = app.get("/api/notifications", &alice.token).await;
    assert_eq!(list["notifications"].as_array().unwrap().len(), 0, "{list}");
}

#[tokio::test]
async fn comments_follows_and_test_notifications_reach_the_right_person() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    let post = new_post(&app, &alice, "Thoughts").await;

    app.post(
        &format!("/api/posts/{post}/comments"),
        &bob.token,
        json!({"body": "Agreed"}),
    )
    .await;
    a.expect(|e| {
        matches!(e, ServerEvent::NotificationNew { notification, .. }
        if notification.kind == NotificationKind::PostCommented
            && notification.text.as_deref() == Some("Agreed")
            && notification.post_id == Some(post))
    })
    .await;

    let (status, profile) = put(
        &app,
        &format!("/api/users/{}/follow", alice.id()),
        &bob.token,
    )
    .await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(
        (
            profile["follower_count"].as_i64(),
            profile["followed_by_me"].as_bool()
        ),
        (Some(1), Some(true))
    );
    a.expect(|e| {
        matches!(e, ServerEvent::NotificationNew { notification, .. }
        if notification.kind == NotificationKind::Followed && notification.actor.id == bob.id())
    })
    .await;
    // Following twice is one follow; yourself, never.
    let (_, again) = put(
        &app,
        &format!("/api/users/{}/follow", alice.id()),
        &bob.token,
    )
    .await;
    assert_eq!(again["follower_count"], 1);
    let (status, body) = put(&app, &format!("/api/users/{}/follow", bob.id()), &bob.token).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("VALIDATION_FAILED"))
    );
    let (_, bobs) = app
        .get(&format!("/api/users/{}", bob.id()), &alice.token)
        .await;
    assert_eq!(bobs["following_count"], 1);

    // Bob's feed has alice's post now; alice's own feed has it too.
    let (_, feed) = app.get("/api/feed", &bob.token).await;
    assert_eq!(feed["posts"][0]["id"], post.to_string());
    assert_eq!(feed["posts"][0]["comment_count"], 1);

    let (status, sent) = app
        .post(
            "/api/notifications/test",
            &bob.token,
            json!({"message": "ping"}),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    b.expect(|e| matches!(e, ServerEvent::NotificationNew { notification, .. }
        if notification.kind == NotificationKind::Test && notification.text.as_deref() == Some("ping")))
        .await;
    a.expect_silence(Duration::from_millis(200), |e| {
        matches!(e, ServerEvent::NotificationNew { notification, .. } if notification.kind == NotificationKind::Test)
    })
    .await;
    let mut limited = false;
    for _ in 0..10 {
        let (status, _) = app
            .post("/api/notifications/test", &bob.token, json!({}))
            .await;
        limited |= status == 429;
    }
    assert!(limited, "test notifications are rate limited");
}

#[tokio::test]
async fn feeds_page_by_id_and_only_authors_delete() {
    let app = spawn_app().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(new_post(&app, &alice, &format!("post {i}")).await);
    }
    let (_, first) = app
        .get(
            &format!("/api/users/{}/posts?limit=3", alice.id()),
            &bob.token,
        )
        .await;
    let bodies: Vec<_> = first["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["body"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(bodies, ["post 4", "post 3", "post 2"]);
    assert_eq!(first["has_more"], true);
    let last = first["posts"][2]["id"].as_str().unwrap();
    let (_, rest) = app
        .get(
            &format!("/api/users/{}/posts?limit=3&before={last}", alice.id()),
            &bob.token,
        )
        .await;
    assert_eq!(rest["posts"].as_array().unwrap().len(), 2);
    assert_eq!(rest["has_more"], false);

    let mut watcher = app.connect(&bob).await;
    watch(&mut watcher, &[ids[0]]).await;
    let (status, body) = delete(&app, &format!("/api/posts/{}", ids[0]), &bob.token).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("FORBIDDEN"))
    );
    let (status, _) = delete(&app, &format!("/api/posts/{}", ids[0]), &alice.token).await;
    assert_eq!(status, 204);
    watcher
        .expect(|e| matches!(e, ServerEvent::PostDeleted { post_id } if *post_id == ids[0]))
        .await;
    let (status, _) = app.get(&format!("/api/posts/{}", ids[0]), &bob.token).await;
    assert_eq!(status, 404);
    let (status, body) = app
        .post("/api/posts", &bob.token, json!({"body": "  "}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("VALIDATION_FAILED"))
    );
}
