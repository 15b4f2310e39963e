//! Pictures and files: a member uploads one to a conversation (its type read from its bytes and
//! checked against the allowed list, its size against the limit; a picture gets a thumbnail),
//! and only members of that conversation can fetch it: to anyone else it does not exist.

use super::{require_member, Actor};
use crate::error::AppError;
use crate::files::{sniff, thumbnail, Part};
use crate::state::AppState;
use bytes::Bytes;
use protocol::{Attachment, ConversationId, FileId};

/// Longest file name kept, in characters.
pub const MAX_NAME_CHARS: usize = 255;

/// A file's name as kept: its last path segment, without control characters, at most
/// [`MAX_NAME_CHARS`]; `file` when nothing is left.
pub fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    match name.trim() {
        "" | "." | ".." => "file".to_owned(),
        trimmed => trimmed.to_owned(),
    }
}

/// Stores an upload to `conversation` by a member: `PAYLOAD_TOO_LARGE` over the limit,
/// `VALIDATION_FAILED` for an empty file or a type the configuration does not allow (read from
/// the bytes: a renamed program is refused whatever its name says).
pub async fn upload(
    state: &AppState,
    actor: Actor<'_>,
    conversation: ConversationId,
    name: &str,
    bytes: Bytes,
) -> Result<Attachment, AppError> {
    require_member(state, actor, conversation).await?;
    let limit = state.config.max_upload_bytes;
    if bytes.len() > limit {
        return Err(AppError::PayloadTooLarge(format!(
            "a file may be at most {limit} bytes"
        )));
    }
    if bytes.is_empty() {
        return Err(AppError::validation("the file is empty"));
    }
    let content_type = sniff::content_type(&bytes);
    if !sniff::allowed(&content_type, &state.config.upload_types) {
        return Err(AppError::validation(format!(
            "files of type {content_type} are not allowed here"
        )));
    }
    let small = if thumbnail::is_picture(&content_type) {
        let input = bytes.clone();
        let made = tokio::task::spawn_blocking(move || thumbnail::make(&input))
            .await
            .map_err(|e| AppError::Internal(format!("thumbnail task: {e}")))?;
        // A "picture" that does not decode is not one.
        Some(made.ok_or_else(|| AppError::validation("the picture could not be read"))?)
    } else {
        None
    };
    let file = Attachment {
        id: FileId::new(),
        conversation_id: conversation,
        name: clean_name(name),
        content_type,
        size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        width: small.as_ref().map(|t| t.width),
        height: small.as_ref().map(|t| t.height),
        thumbnail: small.is_some(),
    };
    state.files.put(file.id, Part::Original, bytes).await?;
    if let Some(small) = &small {
        state
            .files
            .put(file.id, Part::Thumbnail, small.bytes.clone())
            .await?;
    }
    state
        .store
        .insert_file(&file, actor.user.id, small.as_ref().map(|t| t.content_type))
        .await?;
    Ok(file)
}

/// A file's record and the bytes of one part, with that part's type, for a member of its
/// conversation; `NOT_FOUND` for anyone else (and for a file that has no such part).
pub async fn fetch(
    state: &AppState,
    actor: Actor<'_>,
    id: FileId,
    part: Part,
) -> Result<(Attachment, String, Bytes), AppError> {
    let (file, thumbnail_type) = state
        .store
        .file(id)
        .await?
        .ok_or(AppError::NotFound("file"))?;
    // The link grants nothing: a non-member learns nothing, not even that the file exists.
    require_member(state, actor, file.conversation_id)
        .await
        .map_err(|_| AppError::NotFound("file"))?;
    let content_type = match part {
        Part::Original => file.content_type.clone(),
        Part::Thumbnail => thumbnail_type.ok_or(AppError::NotFound("thumbnail"))?,
    };
    let bytes = state.files.get(id, part).await?;
    Ok((file, content_type, bytes))
}

/// Deletes the uploads nobody sent within `--unsent-upload-ttl-secs` (their records and
/// bytes), a bounded number at a time, every hour (or every TTL, when that is shorter). Runs for
/// the server's lifetime; several instances doing it at once delete nothing twice.
pub async fn sweep_unsent(state: AppState) {
    let ttl = std::time::Duration::from_secs(state.config.unsent_upload_ttl_secs);
    let mut tick = tokio::time::interval(sweep_every(ttl));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let before = crate::store::now_ms() - i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        match state.store.take_unsent_files(before, 500).await {
            Ok(ids) => {
                for id in ids {
                    state.files.delete(id).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not sweep unsent uploads"),
        }
    }
}

/// How often the sweep runs for a TTL: hourly, or as often as the TTL when it is shorter.
fn sweep_every(ttl: std::time::Duration) -> std::time::Duration {
    ttl.clamp(
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(3600),
    )
}

#[cfg(test)]
mod tests {
    use super::{clean_name, sweep_every};
    use std::time::Duration;

    #[test]
    fn the_sweep_runs_hourly_or_as_often_as_a_shorter_ttl() {
        assert_eq!(
            sweep_every(Duration::from_secs(86_400)),
            Duration::from_secs(3600)
        );
        assert_eq!(sweep_every(Duration::from_secs(2)), Duration::from_secs(2));
    }

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(clean_name("C:\\Users\\me\\photo.png"), "photo.png");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\u{0}b\nc.txt"), "abc.txt");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name(""), "file");
        assert_eq!(clean_name(&"x".repeat(300)).chars().count(), 255);
    }
}
