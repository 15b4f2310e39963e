//! The REST API's OpenAPI 3.1 description, generated from the handlers' `#[utoipa::path]`
//! attributes and the protocol's DTOs (the same routers serve the requests, so a route cannot be
//! served without being described): JSON at `/api/openapi.json`, a page at `/api/docs`.
//!
//! The page is rendered here from the description, without scripts or assets from elsewhere, so
//! that it works offline and behind any content security policy.

use axum::http::header;
use axum::response::{Html, IntoResponse};
use std::fmt::Write;
use std::sync::LazyLock;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder};
use utoipa::openapi::security::{SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Ref, RefOr,
    ResponseBuilder, Tag,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// The description, rendered once per process: as JSON and as the page.
struct Rendered {
    json: String,
    html: String,
}

static RENDERED: LazyLock<Rendered> = LazyLock::new(|| {
    let document = super::description();
    Rendered {
        json: document
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")),
        html: page(&document),
    }
});

/// The two routes that serve the description itself.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(openapi_json))
        .routes(routes!(docs))
}

/// This description, as OpenAPI 3.1 JSON.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", security(()), responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        RENDERED.json.as_str(),
    )
}

/// This description, as a page to read.
#[utoipa::path(get, path = "/docs", tag = "operations", security(()), responses((status = 200, description = "An HTML page", content_type = "text/html")))]
async fn docs() -> Html<&'static str> {
    Html(RENDERED.html.as_str())
}

/// The document's frame: title, authentication schemes, tags. The paths come from the routers.
pub fn base() -> OpenApi {
    let bearer = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .bearer_format("JWT")
        .description(Some(
            "The token from `POST /api/auth/register` or `/api/auth/login`.",
        ))
        .build();
    let api_key = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .bearer_format("cfk_<id>_<secret>")
        .description(Some(
            "A server API key (`confab api-key create` or `POST /api/admin/api-keys`), for a \
             product's backend on `/api/server/v1/…`.",
        ))
        .build();
    let cookie = ApiKey::Cookie(ApiKeyValue::with_description(
        protocol::TOKEN_COOKIE,
        "The httpOnly cookie the same calls set, for browsers.",
    ));
    let tags = [
        ("auth", "Accounts, sign-in and sign-out"),
        ("users", "People: search, profiles, following"),
        (
            "conversations",
            "Conversations, members and message history",
        ),
        (
            "chat",
            "Conversations and history in the shape FastAPI chat services give them",
        ),
        (
            "files",
            "Pictures and files uploaded to a conversation, fetched by its members",
        ),
        ("notifications", "The bell"),
        ("posts", "Posts, likes, comments and feeds"),
        ("admin", "Operator actions and API keys"),
        (
            "server",
            "The server API: a product's backend, with an API key",
        ),
        ("operations", "Health, metrics and this description"),
    ]
    .map(|(name, about)| {
        let mut tag = Tag::new(name);
        tag.description = Some(about.into());
        tag
    });
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Confab REST API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "History, conversations, people, posts and notifications over HTTP. Live \
                     events travel over the WebSocket at `/ws` (see the README's protocol \
                     reference and `protocol/bindings/`). Every error is a JSON `ErrorBody` \
                     with a stable code.",
                ))
                .build(),
        )
        .components(Some(
            ComponentsBuilder::new()
                .security_scheme("bearer", SecurityScheme::Http(bearer))
                .security_scheme("cookie", SecurityScheme::ApiKey(cookie))
                .security_scheme("api_key", SecurityScheme::Http(api_key))
                .build(),
        ))
        .security(Some([
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("cookie", Vec::<String>::new()),
        ]))
        .tags(Some(tags))
        .build()
}

/// Adds the error answers every operation can give (rate limit, authentication, malformed
/// input) to each, so that clients see them without every handler repeating them, and makes
/// operation ids unique (`posts_create`: handlers are named for what they do in their module).
pub fn finish(mut document: OpenApi) -> OpenApi {
    for item in document.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            if let (Some(tag), Some(id)) = (
                operation.tags.as_ref().and_then(|t| t.first()),
                &operation.operation_id,
            ) {
                operation.operation_id = Some(format!("{tag}_{id}"));
            }
            let public = operation.security.as_ref().is_some_and(|requirements| {
                requirements
                    .iter()
                    .all(|r| r == &SecurityRequirement::default())
            });
            let takes_input = operation.request_body.is_some() || operation.parameters.is_some();
            let mut add = |status: &str, about: &str| {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error_response(about));
            };
            if takes_input {
                add(
                    "400",
                    "`INVALID_PAYLOAD`: the body, a parameter or a path segment does not parse",
                );
            }
            if operation.request_body.is_some() {
                add("413", "`PAYLOAD_TOO_LARGE`: the body exceeds 64 KiB");
            }
            if !public {
                add(
                    "401",
                    "`NOT_AUTHENTICATED` (no token) or `AUTH_FAILED` (expired or revoked)",
                );
            }
            add("429", "`RATE_LIMITED`: too many requests from this address");
        }
    }
    document
}

fn error_response(about: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(about)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

/// The operations of a path, by method.
fn operations(item: &PathItem) -> impl Iterator<Item = (&'static str, &Operation)> {
    [
        ("GET", &item.get),
        ("POST", &item.post),
        ("PUT", &item.put),
        ("PATCH", &item.patch),
        ("DELETE", &item.delete),
    ]
    .into_iter()
    .filter_map(|(method, op)| Some((method, op.as_ref()?)))
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.post,
        &mut item.put,
        &mut item.patch,
        &mut item.delete,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// The description as a page: each tag's operations with their parameters and answers.
fn page(document: &OpenApi) -> String {
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Confab REST API</title><style>\
         body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330}\
         code{font:13px ui-monospace,monospace;background:#f1f3f7;padding:.1em .3em;border-radius:3px}\
         section{border-top:1px solid #dde1e8;margin-top:1.5rem}\
         h3{font-size:1rem;margin:1.2rem 0 .2rem}.m{display:inline-block;min-width:4.2em;font-weight:700}\
         ul{margin:.2rem 0}td,th{text-align:left;padding:.1rem .6rem .1rem 0;vertical-align:top}\
         </style></head><body>",
    );
    let info = &document.info;
    let _ = write!(
        html,
        "<h1>{}</h1><p>{}</p><p>Version {}. Machine-readable: \
         <a href=\"/api/openapi.json\"><code>/api/openapi.json</code></a> (OpenAPI 3.1). \
         Authenticate with <code>Authorization: Bearer &lt;token&gt;</code> or the \
         <code>{}</code> cookie.</p>",
        escape(&info.title),
        escape(info.description.as_deref().unwrap_or_default()),
        escape(&info.version),
        protocol::TOKEN_COOKIE,
    );
    for tag in document.tags.iter().flatten() {
        let _ = write!(
            html,
            "<section><h2>{}</h2><p>{}</p>",
            escape(&tag.name),
            escape(tag.description.as_deref().unwrap_or_default())
        );
        for (path, item) in &document.paths.paths {
            for (method, operation) in operations(item) {
                if operation.tags.iter().flatten().all(|t| t != &tag.name) {
                    continue;
                }
                operation_html(&mut html, method, path, operation);
            }
        }
        html.push_str("</section>");
    }
    html.push_str("</body></html>");
    html
}

fn operation_html(html: &mut String, method: &str, path: &str, operation: &Operation) {
    let _ = write!(
        html,
        "<h3><span class=\"m\">{method}</span> <code>{}</code></h3><p>{}</p>",
        escape(path),
        escape(operation.summary.as_deref().unwrap_or_default()),
    );
    if let Some(parameters) = &operation.parameters {
        html.push_str("<table><tr><th>Parameter</th><th>In</th><th>About</th></tr>");
        for p in parameters.iter().filter_map(inline) {
            let place = serde_json::to_value(&p.parameter_in).unwrap_or_default();
            let _ = write!(
                html,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(&p.name),
                escape(place.as_str().unwrap_or_default()),
                escape(p.description.as_deref().unwrap_or_default())
            );
        }
        html.push_str("</table>");
    }
    if let Some(body) = operation.request_body.as_ref().and_then(inline) {
        let names: Vec<String> = body
            .content
            .values()
            .filter_map(|c| schema_name(inline(c)?.schema.as_ref()?))
            .collect();
        let _ = write!(
            html,
            "<p>Body: <code>{}</code></p>",
            escape(&names.join(", "))
        );
    }
    html.push_str("<ul>");
    for (status, response) in &operation.responses.responses {
        let (about, body) = match response {
            RefOr::T(r) => (
                r.description.clone(),
                r.content
                    .values()
                    .filter_map(|c| schema_name(inline(c)?.schema.as_ref()?))
                    .next(),
            ),
            RefOr::Ref(r) => (r.ref_location.clone(), None),
        };
        let body = body.map(|b| format!(" → <code>{}</code>", escape(&b)));
        let _ = write!(
            html,
            "<li><code>{status}</code> {}{}</li>",
            escape(&about),
            body.unwrap_or_default()
        );
    }
    html.push_str("</ul>");
}

/// The value itself, unless it is a reference (the generated document has none of those here).
fn inline<T>(value: &RefOr<T>) -> Option<&T> {
    match value {
        RefOr::T(t) => Some(t),
        RefOr::Ref(_) => None,
    }
}

/// The component a schema refers to, if it is a reference.
fn schema_name(schema: &RefOr<utoipa::openapi::Schema>) -> Option<String> {
    match schema {
        RefOr::Ref(r) => r.ref_location.rsplit('/').next().map(str::to_owned),
        RefOr::T(_) => None,
    }
}

/// Escapes text for HTML, showing `code spans` as code.
fn escape(text: &str) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    let mut out = String::with_capacity(escaped.len());
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}
