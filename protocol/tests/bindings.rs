//! The wire contract in machine-readable form, checked in under `protocol/bindings/`: a JSON
//! Schema for every WebSocket frame and REST body (`schema/`) and TypeScript types for every
//! event and DTO (`ts/`, with an `index.ts`). This test generates them from the Rust types and
//! fails when they differ from the checked-in files, so they cannot drift; after changing a
//! type, `UPDATE_BINDINGS=1 cargo test -p protocol --test bindings` rewrites them.

use protocol::rest::*;
use protocol::webhooks::*;
use protocol::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One exported type: its name, its JSON Schema, and a way to write its TypeScript (with the
/// types it uses) into a folder.
struct Export {
    name: &'static str,
    schema: fn() -> serde_json::Value,
    typescript: fn(&ts_rs::Config),
}

macro_rules! exports {
    ($($t:ty),* $(,)?) => {
        vec![$(Export {
            name: stringify!($t),
            schema: || serde_json::to_value(schemars::schema_for!($t)).unwrap(),
            typescript: |cfg| <$t as ts_rs::TS>::export_all(cfg).unwrap(),
        }),*]
    };
}

/// Every frame and body that crosses the wire (the types they contain come along).
fn exports() -> Vec<Export> {
    exports![
        ClientFrame,
        ClientEvent,
        ServerFrame,
        ServerEvent,
        ErrorBody,
        RegisterRequest,
        LoginRequest,
        AuthResponse,
        SessionInfo,
        CreateConversationRequest,
        AddMemberRequest,
        MessagePage,
        ReactionList,
        SearchPage,
        ReactionState,
        MuteRequest,
        MuteState,
        UserList,
        ConversationList,
        Liveness,
        Health,
        KickRequest,
        KickResponse,
        NotificationList,
        MarkNotificationsRead,
        NotificationsUnread,
        CreatePostRequest,
        PostPage,
        CreateCommentRequest,
        CommentPage,
        TestNotificationRequest,
        TestNotificationSent,
        RealtimeStatus,
        LikeToggled,
        ChatConversationRequest,
        ChatConversation,
        ChatMessage,
        ApiScope,
        CreateApiKeyRequest,
        ApiKeyInfo,
        ApiKeyCreated,
        ApiKeyList,
        UpsertServerUser,
        ServerUser,
        PresenceQuery,
        ServerPresence,
        ServerPresenceList,
        ServerStats,
        Disconnected,
        CreateServerConversation,
        AddServerMember,
        PostServerMessage,
        PublishServerEvent,
        WebhookEvent,
        CreateWebhook,
        WebhookEndpoint,
        WebhookEndpointList,
        WebhookDeliveryList,
        EventPublished,
        CreateServerNotification,
        NotificationsCreated,
        User,
        Conversation,
        Message,
        Post,
        PostCounts,
        Comment,
        Profile,
    ]
}

/// Every file under `dir`, by path relative to it.
fn files(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), text);
            }
        }
    }
    out
}

/// Generates every binding into `dir`.
fn generate(dir: &Path) {
    let schema_dir = dir.join("schema");
    let ts_dir = dir.join("ts");
    std::fs::create_dir_all(&schema_dir).unwrap();
    std::fs::create_dir_all(&ts_dir).unwrap();
    // Every integer on the wire (timestamps in ms, sequence numbers, counts) is far below 2^53:
    // a JavaScript number holds it exactly, and JSON.parse gives a number, not a bigint.
    let cfg = ts_rs::Config::new()
        .with_large_int("number")
        .with_out_dir(&ts_dir);
    for export in exports() {
        let text = serde_json::to_string_pretty(&(export.schema)()).unwrap() + "\n";
        std::fs::write(
            schema_dir.join(format!("{}.schema.json", export.name)),
            text,
        )
        .unwrap();
        (export.typescript)(&cfg);
    }
    let mut modules: Vec<String> = files(&ts_dir)
        .keys()
        .filter_map(|p| p.to_str()?.strip_suffix(".ts").map(str::to_owned))
        .collect();
    modules.sort();
    let index: String = modules
        .iter()
        .map(|m| format!("export * from \"./{m}\";\n"))
        .collect();
    std::fs::write(ts_dir.join("index.ts"), index).unwrap();
}

#[test]
fn checked_in_bindings_match_the_rust_types() {
    let checked_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("bindings");
    let fresh = tempfile::tempdir().unwrap();
    generate(fresh.path());
    let generated = files(fresh.path());
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&checked_in);
        generate(&checked_in);
        return;
    }
    let stored = files(&checked_in);
    let names = |m: &BTreeMap<PathBuf, String>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&stored),
        names(&generated),
        "bindings added or removed: run UPDATE_BINDINGS=1 cargo test -p protocol --test bindings"
    );
    for (path, text) in &generated {
        assert_eq!(
            &stored[path],
            text,
            "protocol/bindings/{} is out of date: run UPDATE_BINDINGS=1 cargo test -p protocol --test bindings",
            path.display()
        );
    }
}

#[test]
fn every_golden_example_is_valid_under_its_schema() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    for (side, schema) in [
        (
            "client",
            serde_json::to_value(schemars::schema_for!(ClientFrame)).unwrap(),
        ),
        (
            "server",
            serde_json::to_value(schemars::schema_for!(ServerFrame)).unwrap(),
        ),
    ] {
        let validator = jsonschema::validator_for(&schema).unwrap();
        let examples = files(&golden.join(side));
        assert!(examples.len() > 10, "{side}: {} examples", examples.len());
        for (path, text) in examples {
            let example: serde_json::Value = serde_json::from_str(&text).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&example)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{side}/{}: {errors:?}", path.display());
        }
        // And the schema is not vacuous: a frame of an unknown type is refused.
        assert!(!validator.is_valid(&serde_json::json!({"type": "no_such_event"})));
    }
}
