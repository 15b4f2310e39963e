//! The product's tokens signed with keys from its JWKS URL: a "product backend" in the test
//! serves the JWKS (an RSA key from `fixtures/product-rsa.pem`, a test-only key made with
//! `openssl genpkey`, and P-256 keys generated here); its RS256 and ES256 tokens work on REST,
//! `/ws` (and refresh in band) and `/socket.io/`; a rotated key (a new `kid`) is picked up
//! without a restart; unknown keys, other algorithms, issuers and expired tokens are refused.

use crate::helpers::*;
use axum::extract::State;
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use protocol::{ClientEvent, ServerEvent};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

const RSA_PEM: &str = include_str!("fixtures/product-rsa.pem");
const RSA_JWK: &str = include_str!("fixtures/product-rsa.jwk.json");

/// The product's JWKS endpoint: serves `keys`, counts fetches.
#[derive(Default)]
struct Product {
    keys: Mutex<Vec<Value>>,
    fetches: AtomicUsize,
}

async fn jwks(State(product): State<Arc<Product>>) -> Json<Value> {
    product.fetches.fetch_add(1, Ordering::SeqCst);
    Json(json!({ "keys": product.keys.lock().unwrap().clone() }))
}

impl Product {
    async fn start() -> (Arc<Product>, String) {
        let product = Arc::new(Product::default());
        let router = axum::Router::new()
            .route("/.well-known/jwks.json", axum::routing::get(jwks))
            .with_state(product.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (product, format!("http://{addr}/.well-known/jwks.json"))
    }
}

/// A fresh P-256 key: its signing key for tokens and its public JWK.
fn p256_key(kid: &str) -> (EncodingKey, Value) {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    // Uncompressed point: 0x04, x, y.
    let point = pair.public_key().as_ref();
    let jwk = json!({
        "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
        "x": B64URL.encode(&point[1..33]), "y": B64URL.encode(&point[33..65]),
    });
    (EncodingKey::from_ec_der(pkcs8.as_ref()), jwk)
}

fn token(key: &EncodingKey, alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, key).unwrap()
}

#[tokio::test]
async fn tokens_signed_with_the_products_jwks_keys_work_everywhere_and_rotate_without_a_restart() {
    let (product, url) = Product::start().await;
    let rsa_jwk: Value = serde_json::from_str(RSA_JWK).unwrap();
    *product.keys.lock().unwrap() = vec![rsa_jwk.clone()];
    let app = spawn_app_with(&[
        "--external-jwks-url",
        &url,
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
    let claims = |sub: &str, exp: u64| json!({ "sub": sub, "username": "omar", "name": "Omar", "iss": "https://shop.example", "aud": "confab", "exp": exp });
    let rsa = EncodingKey::from_rsa_pem(RSA_PEM.as_bytes()).unwrap();
    let rs256 = token(
        &rsa,
        Algorithm::RS256,
        Some("rsa-1"),
        &claims("c-1", now + 600),
    );

    // REST, provisioning the user from the claims.
    let (status, me) = app.get("/api/me", &rs256).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["username"], "omar");
    // The WebSocket, with an in-band refresh by another of the product's tokens.
    let user = TestUser {
        user: serde_json::from_value(me.clone()).unwrap(),
        token: rs256.clone(),
    };
    let mut ws = app.connect(&user).await;
    let fresh = token(
        &rsa,
        Algorithm::RS256,
        Some("rsa-1"),
        &claims("c-1", now + 900),
    );
    ws.send_with_id("r", ClientEvent::RefreshToken { token: fresh })
        .await;
    let reply = ws.expect_frame(|f| f.id.as_deref() == Some("r")).await;
    assert!(
        matches!(reply.event, ServerEvent::TokenRefreshed { .. }),
        "{reply:?}"
    );
    // The Socket.IO gateway.
    let (_, connected) = socketio(&app, &json!({ "token": rs256, "vocabulary": "snake" })).await;
    assert_eq!(connected[1]["user_id"], me["id"]);
    let fetches = product.fetches.load(Ordering::SeqCst);
    assert_eq!(fetches, 1, "kept, not fetched per token");

    // The product rotates: a new P-256 key, a new kid. Picked up at its first token (fetches
    // are a second apart at least).
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let (ec, ec_jwk) = p256_key("ec-2");
    product.keys.lock().unwrap().push(ec_jwk);
    let es256 = token(
        &ec,
        Algorithm::ES256,
        Some("ec-2"),
        &claims("c-1", now + 600),
    );
    let (status, again) = app.get("/api/me", &es256).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["id"], me["id"]);
    assert_eq!(product.fetches.load(Ordering::SeqCst), 2);

    // Refused: a kid the JWKS does not have (fetched again at most once a second), no kid,
    // the RSA key's kid on an ES256 token, HS256 keyed with the public key (algorithm
    // confusion), another issuer, expired.
    let (stranger, _) = p256_key("ec-3");
    let public_as_secret = EncodingKey::from_secret(rsa_jwk["n"].as_str().unwrap().as_bytes());
    let mut other_issuer = claims("c-1", now + 600);
    other_issuer["iss"] = json!("https://evil.example");
    for bad in [
        token(
            &stranger,
            Algorithm::ES256,
            Some("ec-3"),
            &claims("c-1", now + 600),
        ),
        token(&ec, Algorithm::ES256, None, &claims("c-1", now + 600)),
        token(
            &ec,
            Algorithm::ES256,
            Some("rsa-1"),
            &claims("c-1", now + 600),
        ),
        token(
            &public_as_secret,
            Algorithm::HS256,
            Some("rsa-1"),
            &claims("c-1", now + 600),
        ),
        token(&rsa, Algorithm::RS256, Some("rsa-1"), &other_issuer),
        token(
            &rsa,
            Algorithm::RS256,
            Some("rsa-1"),
            &claims("c-1", now - 600),
        ),
    ] {
        let (status, body) = app.get("/api/me", &bad).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (401, Some("AUTH_FAILED")),
            "{body}"
        );
    }
    let (status, _) = app
        .get(
            "/api/me",
            &token(
                &stranger,
                Algorithm::ES256,
                Some("ec-3"),
                &claims("c-1", now + 600),
            ),
        )
        .await;
    assert_eq!(status, 401);
    assert!(
        product.fetches.load(Ordering::SeqCst) <= 3,
        "unknown kids do not make a fetch each"
    );

    // The product retires the RSA key: once fetched again, its tokens are refused.
    product.keys.lock().unwrap().remove(0);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let (status, _) = app
        .get(
            "/api/me",
            &token(
                &stranger,
                Algorithm::ES256,
                Some("ec-3"),
                &claims("c-1", now + 600),
            ),
        )
        .await;
    assert_eq!(status, 401, "a refetch happens");
    let (status, _) = app.get("/api/me", &rs256).await;
    assert_eq!(status, 401, "the retired key is gone");
    assert_eq!(app.get("/api/me", &es256).await.0, 200);
}

#[tokio::test]
async fn an_unreachable_jwks_is_said_to_be_unreachable_not_blamed_on_the_token() {
    // Nothing listens on port 1: the keys cannot be fetched.
    let app = spawn_app_with(&["--external-jwks-url", "http://127.0.0.1:1/jwks.json"]).await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let rsa = EncodingKey::from_rsa_pem(RSA_PEM.as_bytes()).unwrap();
    let claims = json!({ "sub": "c-1", "exp": now + 600 });
    let (status, body) = app
        .get(
            "/api/me",
            &token(&rsa, Algorithm::RS256, Some("rsa-1"), &claims),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("UNAVAILABLE")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("signing keys could not be fetched"),
        "{body}"
    );
}
