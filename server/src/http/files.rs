//! Pictures and files: upload to a conversation, fetch (the file or a picture's thumbnail).
//! Every fetch checks membership; a link grants nothing to anyone else.

use super::{path_id, ApiPath, ApiQuery};
use crate::auth::AuthUser;
use crate::domain::{files, Actor};
use crate::error::{AppError, AppResult};
use crate::files::Part;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::{Attachment, ConversationId, ErrorBody, FileId};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this resource, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .routes(routes!(download))
        .routes(routes!(thumbnail))
}

/// The uploaded file's name.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    /// The file's name (its last path segment is kept, at most 255 characters).
    name: String,
}

/// Uploads a picture or a file to a conversation you are a member of: the body is the file's
/// bytes. Its type is read from the bytes (not the name) and must be one the server allows
/// (`--upload-types`); its size at most `--max-upload-bytes`. Pictures get a thumbnail. Send it
/// with a message by its id.
#[utoipa::path(post, path = "/conversations/{id}/files", tag = "files", params(("id" = Uuid, Path, description = "The conversation"), UploadQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"), responses((status = 201, description = "Stored", body = Attachment), (status = 403, description = "`NOT_A_MEMBER`", body = ErrorBody), (status = 413, description = "`PAYLOAD_TOO_LARGE`: over the size limit", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: empty, a type that is not allowed, or a picture that does not decode", body = ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<UploadQuery>,
    body: Body,
) -> AppResult<(StatusCode, Json<Attachment>)> {
    let conversation: ConversationId = path_id(&id, "conversation")?;
    let limit = state.config.max_upload_bytes;
    // One byte over the limit is enough to know; nothing larger is ever buffered.
    let bytes = axum::body::to_bytes(body, limit.saturating_add(1))
        .await
        .map_err(|_| AppError::PayloadTooLarge(format!("a file may be at most {limit} bytes")))?;
    let file = files::upload(&state, Actor::rest(&me), conversation, &query.name, bytes).await?;
    Ok((StatusCode::CREATED, Json(file)))
}

/// A file's bytes, for members of its conversation (pictures and PDFs shown in the browser,
/// anything else downloaded under its name).
#[utoipa::path(get, path = "/files/{id}", tag = "files", params(("id" = Uuid, Path, description = "The file")), responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 404, description = "`NOT_FOUND`: no such file, or not in a conversation of yours", body = ErrorBody)))]
async fn download(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Response> {
    let id: FileId = path_id(&id, "file")?;
    serve(&state, &me, id, Part::Original).await
}

/// A picture's thumbnail (at most 320 pixels each way), for members of its conversation.
#[utoipa::path(get, path = "/files/{id}/thumbnail", tag = "files", params(("id" = Uuid, Path, description = "The file")), responses((status = 200, description = "The thumbnail", content_type = "image/jpeg"), (status = 404, description = "`NOT_FOUND`: no such file or thumbnail, or not in a conversation of yours", body = ErrorBody)))]
async fn thumbnail(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Response> {
    let id: FileId = path_id(&id, "file")?;
    serve(&state, &me, id, Part::Thumbnail).await
}

async fn serve(
    state: &AppState,
    me: &protocol::User,
    id: FileId,
    part: Part,
) -> AppResult<Response> {
    let (file, content_type, bytes) = files::fetch(state, Actor::rest(me), id, part).await?;
    let shown_inline = part == Part::Thumbnail
        || crate::files::thumbnail::is_picture(&file.content_type)
        || file.content_type == "application/pdf";
    let disposition = format!(
        "{}; filename*=UTF-8''{}",
        if shown_inline { "inline" } else { "attachment" },
        percent_encode(&file.name)
    );
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    let value = |v: &str| HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("x"));
    headers.insert(header::CONTENT_TYPE, value(&content_type));
    headers.insert(header::CONTENT_DISPOSITION, value(&disposition));
    // Never guessed otherwise by the browser, never a page that runs scripts.
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        ),
    );
    // A file never changes under its id; only its members' browsers keep it.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    Ok(response)
}

/// RFC 8187 encoding of a file name for `Content-Disposition`.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::percent_encode;

    #[test]
    fn names_are_encoded_for_the_header() {
        assert_eq!(percent_encode("report 1.pdf"), "report%201.pdf");
        assert_eq!(percent_encode("café\";x.png"), "caf%C3%A9%22%3Bx.png");
    }
}
