//! The OpenAPI description: every route is described, every described route is served, and the
//! README's REST reference lists exactly the described operations.

use crate::helpers::*;
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeSet;

/// `(METHOD, path)` of every operation in the description.
fn described(document: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

/// `(METHOD, path)` of every row of the README's REST reference: rows start with
/// ``| `GET /api/…` |`` or ``| `PUT` / `DELETE /api/…` |``; a query string is not part of the path.
fn in_readme() -> BTreeSet<(String, String)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let mut out = BTreeSet::new();
    for line in readme.lines() {
        let Some(first) = line.strip_prefix("| `") else {
            continue;
        };
        let cell = first.split(" |").next().unwrap().replace('`', "");
        let Some((methods, path)) = cell.rsplit_once(' ') else {
            continue;
        };
        let methods: Vec<&str> = methods.split(" / ").map(str::trim).collect();
        if !path.starts_with('/')
            || !methods
                .iter()
                .all(|m| ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(m))
        {
            continue;
        }
        let path = path.split('?').next().unwrap();
        for method in methods {
            out.insert((method.to_owned(), path.to_owned()));
        }
    }
    out
}

#[tokio::test]
async fn every_route_is_described_served_and_in_the_readme() {
    let app = spawn_app().await;
    let (status, document) = app
        .request(Method::GET, "/api/openapi.json", None, None)
        .await;
    assert_eq!(status, 200);
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let operations = described(&document);
    assert!(operations.len() >= 35, "{operations:?}");

    // The README documents exactly what the description describes.
    let readme = in_readme();
    let missing: Vec<_> = operations.difference(&readme).collect();
    let extra: Vec<_> = readme.difference(&operations).collect();
    assert!(
        missing.is_empty(),
        "described but not in the README: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "in the README but not described: {extra:?}"
    );

    // Every operation is described properly: a summary, a success answer, a unique id.
    let mut ids = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            assert!(
                operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{at}"
            );
            let statuses: Vec<&String> =
                operation["responses"].as_object().unwrap().keys().collect();
            assert!(
                statuses.iter().any(|s| s.starts_with('2')),
                "{at}: {statuses:?}"
            );
            assert!(statuses.contains(&&"429".to_owned()), "{at}");
            let id = operation["operationId"].as_str().unwrap().to_owned();
            assert!(ids.insert(id), "{at}: duplicate operation id");
        }
    }
    // Every reference resolves.
    let text = document.to_string();
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "dangling $ref to {name}");
    }

    // Every described operation is served: with any id in the path it answers something other
    // than the API's "no such endpoint" 404 or a 405. Signing out goes last: it revokes the token.
    let user = app.register("describer").await;
    let mut ordered: Vec<_> = operations.iter().collect();
    ordered.sort_by_key(|(_, path)| path == "/api/auth/logout");
    for (method, path) in ordered {
        let concrete = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    uuid::Uuid::now_v7().to_string()
                } else {
                    seg.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let body = matches!(method, Method::POST | Method::PUT).then(|| serde_json::json!({}));
        let (status, answer) = app
            .request(method.clone(), &concrete, Some(&user.token), body)
            .await;
        let unknown = status == 404 && answer["error"]["message"] == "API endpoint not found";
        assert!(
            !unknown && status != 405,
            "{method} {concrete} is described but not served: {status} {answer}"
        );
    }
    // And an undescribed path is not served.
    let (status, answer) = app
        .request(Method::GET, "/api/nothing/here", Some(&user.token), None)
        .await;
    assert_eq!(
        (status, &answer["error"]["message"]),
        (404, &Value::from("API endpoint not found"))
    );
}

#[tokio::test]
async fn the_description_has_a_readable_page() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/api/docs")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = response.text().await.unwrap();
    for needle in [
        "<h1>Confab REST API</h1>",
        "<code>/api/conversations/{id}/messages</code>",
        "<code>/api/openapi.json</code>",
        "→ <code>MessagePage</code>",
        "<code>NOT_A_MEMBER</code>",
    ] {
        assert!(page.contains(needle), "the page lacks {needle}");
    }
}
