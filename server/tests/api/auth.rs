//! WebSocket authentication: where tokens may come from, deadlines, forged/expired/`none` tokens,
//! revocation by logout and operator kicks.

use crate::helpers::*;
use base64_helpers::b64;
use jsonwebtoken::{encode, EncodingKey, Header};
use protocol::{close, ClientEvent, ErrorCode, ServerEvent};
use serde_json::json;
use std::time::{SystemTime, UNIX_EPOCH};

mod base64_helpers {
    /// Unpadded URL-safe base64, as JWTs use.
    pub fn b64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn token_with(secret: &str, user: &TestUser, exp: u64) -> String {
    let claims = json!({"sub": user.id().to_string(), "iat": now() - 10, "exp": exp, "gen": 0});
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn assert_refused(app: &TestApp, token: &str) {
    let mut client = app.connect_raw(Some(token), &[]).await.unwrap();
    client.expect_error(ErrorCode::AuthFailed).await;
    let frame = client.expect_close().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), close::AUTH_FAILED);
    // The same token is refused over REST too.
    let (status, body) = app.get("/api/me", token).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "AUTH_FAILED");
}

#[tokio::test]
async fn tokens_are_accepted_from_query_subprotocol_cookie_and_first_message() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let authenticated = |e: &ServerEvent| {
        matches!(e, ServerEvent::Authenticated { user, protocol_version, .. }
        if user.username == "alice" && *protocol_version == protocol::PROTOCOL_VERSION)
    };

    let mut by_query = app.connect_raw(Some(&alice.token), &[]).await.unwrap();
    by_query.expect(authenticated).await;

    let offer = format!("confab, {}", alice.token);
    let mut by_protocol = app
        .connect_raw(None, &[("sec-websocket-protocol", &offer)])
        .await
        .unwrap();
    by_protocol.expect(authenticated).await;

    let cookie = format!("confab_token={}", alice.token);
    let mut by_cookie = app.connect_raw(None, &[("cookie", &cookie)]).await.unwrap();
    by_cookie.expect(authenticated).await;

    let mut by_message = app.connect_raw(None, &[]).await.unwrap();
    by_message
        .send(ClientEvent::JoinConversation {
            conversation_id: protocol::ConversationId::new(),
        })
        .await;
    by_message.expect_error(ErrorCode::NotAuthenticated).await;
    by_message
        .send(ClientEvent::Authenticate {
            token: alice.token.clone(),
        })
        .await;
    by_message.expect(authenticated).await;
    by_message
        .send(ClientEvent::Authenticate {
            token: alice.token.clone(),
        })
        .await;
    by_message
        .expect_error(ErrorCode::AlreadyAuthenticated)
        .await;
}

#[tokio::test]
async fn unauthenticated_sockets_are_closed_after_the_deadline() {
    let app = spawn_app_with(&["--auth-timeout-ms", "500"]).await;
    let mut client = app.connect_raw(None, &[]).await.unwrap();
    client.expect_error(ErrorCode::AuthTimeout).await;
    let frame = client.expect_close().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), close::AUTH_TIMEOUT);
}

#[tokio::test]
async fn forged_expired_and_unsigned_tokens_are_refused() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    assert_refused(
        &app,
        &token_with("another-secret-another-secret-0000", &alice, now() + 600),
    )
    .await;
    assert_refused(&app, &token_with(SECRET, &alice, now() - 600)).await;
    assert_refused(&app, "not.a.token").await;

    let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    let claims = b64(
        json!({"sub": alice.id().to_string(), "iat": now(), "exp": now() + 600, "gen": 0})
            .to_string()
            .as_bytes(),
    );
    assert_refused(&app, &format!("{header}.{claims}.")).await;

    // A correctly signed HS512 token is still refused: the algorithm is pinned.
    let hs512 = encode(
        &Header::new(jsonwebtoken::Algorithm::HS512),
        &json!({"sub": alice.id().to_string(), "iat": now(), "exp": now() + 600, "gen": 0}),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    assert_refused(&app, &hs512).await;

    // The first-message path refuses the same way.
    let mut client = app.connect_raw(None, &[]).await.unwrap();
    client
        .send(ClientEvent::Authenticate {
            token: "garbage".into(),
        })
        .await;
    client.expect_error(ErrorCode::AuthFailed).await;
    assert_eq!(
        u16::from(client.expect_close().await.unwrap().code),
        close::AUTH_FAILED
    );
}

#[tokio::test]
async fn logout_ends_every_session_and_revokes_the_token() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut s1 = app.connect(&alice).await;
    let mut s2 = app.connect(&alice).await;
    let (status, _) = app
        .request(
            reqwest::Method::POST,
            "/api/auth/logout",
            Some(&alice.token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    for s in [&mut s1, &mut s2] {
        s.expect_error(ErrorCode::Kicked).await;
        assert_eq!(
            u16::from(s.expect_close().await.unwrap().code),
            close::KICKED
        );
    }
    assert_refused(&app, &alice.token).await;
    // Signing in again gives a working token.
    let (status, body) = app.login("alice").await;
    assert_eq!(status, 200);
    let (status, _) = app.get("/api/me", body["token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn operators_can_kick_and_ban() {
    let app = spawn_app().await;
    let root = app.register("root").await;
    let alice = app.register("alice").await;
    let mut a = app.connect(&alice).await;

    let kick = format!("/api/admin/users/{}/kick", alice.id());
    let (status, body) = app.post(&kick, &alice.token, json!({})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("FORBIDDEN"))
    );

    let (status, body) = app.post(&kick, &root.token, json!({"ban": true})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["banned"], true);
    a.expect_error(ErrorCode::Kicked).await;
    let (status, body) = app.login("alice").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("AUTH_FAILED"))
    );
}

#[tokio::test]
async fn a_sign_in_storm_is_served_by_a_bounded_pool_and_the_rest_refused_at_once() {
    // One password worker and room for two waiting: of 24 sign-ins at once, the ones past the
    // queue are answered 503 UNAVAILABLE without waiting; the others succeed.
    let app = spawn_app_with(&[
        "--password-workers",
        "1",
        "--password-queue",
        "2",
        "--auth-attempts-per-minute",
        "1000",
    ])
    .await;
    app.register("storm").await;
    let attempts: Vec<_> = (0..24).map(|_| app.login("storm")).collect();
    let answers = futures_util::future::join_all(attempts).await;
    let ok = answers.iter().filter(|(status, _)| *status == 200).count();
    let refused: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status == 503)
        .collect();
    assert_eq!(ok + refused.len(), 24, "{answers:?}");
    assert!(
        ok >= 1 && !refused.is_empty(),
        "ok {ok}, refused {}",
        refused.len()
    );
    for (_, body) in &refused {
        assert_eq!(body["error"]["code"], "UNAVAILABLE");
    }
    // The pool is free again afterwards.
    let (status, _) = app.login("storm").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_open_session_is_warned_refreshed_in_band_and_otherwise_ends_with_its_token() {
    // Four-second tokens, warned two seconds ahead.
    let app = spawn_app_with(&["--token-ttl-secs", "4", "--token-warning-secs", "2"]).await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let mut a = app.connect(&alice).await;
    let ServerEvent::TokenExpiring { expires_at } = a
        .expect(|e| matches!(e, ServerEvent::TokenExpiring { .. }))
        .await
    else {
        unreachable!()
    };
    // Neither garbage nor another user's token refreshes it; the session goes on.
    a.send_with_id(
        "bad",
        ClientEvent::RefreshToken {
            token: "x.y.z".into(),
        },
    )
    .await;
    assert_eq!(
        a.expect_error(ErrorCode::AuthFailed).await.id.as_deref(),
        Some("bad")
    );
    a.send_with_id(
        "theirs",
        ClientEvent::RefreshToken {
            token: bob.token.clone(),
        },
    )
    .await;
    a.expect_error(ErrorCode::Forbidden).await;
    // A fresh token of alice's: the session outlives the first one.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let fresh = app.refreshed_token(&alice).await;
    a.send_with_id("fresh", ClientEvent::RefreshToken { token: fresh })
        .await;
    let reply = a.expect_frame(|f| f.id.as_deref() == Some("fresh")).await;
    let ServerEvent::TokenRefreshed {
        expires_at: renewed,
    } = reply.event
    else {
        panic!("{reply:?}")
    };
    assert!(renewed > expires_at, "{renewed} > {expires_at}");
    let now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    };
    let past_first = u64::try_from(expires_at - now() + 300).unwrap_or(0);
    tokio::time::sleep(std::time::Duration::from_millis(past_first)).await;
    a.assert_alive().await;
    // Not refreshed again: warned, then ended with its own code (not a revocation's).
    a.expect(|e| matches!(e, ServerEvent::TokenExpiring { .. }))
        .await;
    let (events, close) = a.read_to_close(std::time::Duration::from_secs(6)).await;
    assert!(
        matches!(
            events.last(),
            Some(ServerEvent::Error {
                code: ErrorCode::TokenExpired,
                ..
            })
        ),
        "{events:?}"
    );
    assert_eq!(u16::from(close.code), close::TOKEN_EXPIRED);
    assert!(
        now() >= renewed - 1000,
        "not before the fresh token expired"
    );
    app.wait_for_metric("confab_websocket_closed_total{code=\"4010\"}", 1.0)
        .await;
}

/// A token the product's backend signed.
fn product_token(secret: &str, claims: serde_json::Value) -> String {
    encode(
        &Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn the_products_own_tokens_work_everywhere_and_provision_their_user_once() {
    let secret = "the-product-signs-with-this-secret-0123";
    let app = spawn_app_with(&[
        "--external-jwt-secret",
        secret,
        "--external-jwt-issuer",
        "https://shop.example",
        "--external-jwt-audience",
        "confab",
    ])
    .await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = |sub: &str, iss: &str, aud: &str, exp: u64| json!({ "sub": sub, "username": "Nadia", "name": "Nadia N.", "iss": iss, "aud": aud, "exp": exp });
    let token = product_token(
        secret,
        claims("cust-7", "https://shop.example", "confab", now + 600),
    );

    // REST: the user is provisioned from the claims on first sight, and the same one after.
    let (status, me) = app.get("/api/me", &token).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(
        (me["username"].as_str(), me["display_name"].as_str()),
        (Some("nadia"), Some("Nadia N."))
    );
    let again = product_token(
        secret,
        claims("cust-7", "https://shop.example", "confab", now + 900),
    );
    let (_, me_again) = app.get("/api/me", &again).await;
    assert_eq!(me_again["id"], me["id"]);

    // The WebSocket and the Socket.IO gateway take it too; it refreshes in band.
    let user = TestUser {
        user: serde_json::from_value(me.clone()).unwrap(),
        token: token.clone(),
    };
    let mut ws = app.connect(&user).await;
    ws.send_with_id(
        "r",
        ClientEvent::RefreshToken {
            token: again.clone(),
        },
    )
    .await;
    let reply = ws.expect_frame(|f| f.id.as_deref() == Some("r")).await;
    assert!(
        matches!(reply.event, ServerEvent::TokenRefreshed { .. }),
        "{reply:?}"
    );
    let (_, connected) = socketio(&app, &json!({ "token": token, "vocabulary": "snake" })).await;
    assert_eq!(connected[1]["user_id"], me["id"]);

    // Another issuer, another audience, another key, or expired: refused.
    for bad in [
        product_token(
            secret,
            claims("cust-7", "https://evil.example", "confab", now + 600),
        ),
        product_token(
            secret,
            claims("cust-7", "https://shop.example", "other", now + 600),
        ),
        product_token(
            "not-the-product-secret-not-the-product",
            claims("cust-7", "https://shop.example", "confab", now + 600),
        ),
        product_token(
            secret,
            claims("cust-7", "https://shop.example", "confab", now - 600),
        ),
    ] {
        let (status, body) = app.get("/api/me", &bad).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (401, Some("AUTH_FAILED")),
            "{body}"
        );
    }
    // Two first requests of a new user at once: one account, not renamed by the second.
    let fresh = product_token(
        secret,
        claims("cust-8", "https://shop.example", "confab", now + 600),
    );
    let ((_, one), (_, two)) = tokio::join!(app.get("/api/me", &fresh), app.get("/api/me", &fresh));
    assert_eq!(one["id"], two["id"], "{one} {two}");
    let (_, settled) = app.get("/api/me", &fresh).await;
    assert_eq!(
        (&settled["id"], &settled["username"]),
        (&one["id"], &one["username"])
    );

    // Confab's own tokens still work beside them.
    let alice = app.register("alice").await;
    assert_eq!(app.get("/api/me", &alice.token).await.0, 200);
}
