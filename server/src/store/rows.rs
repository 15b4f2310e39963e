//! Row shapes as they come out of SQL, and their conversion into protocol types.

use super::parse_id;
use crate::error::AppError;
use protocol::{excerpt, Message, ReplyPreview, User};

/// Columns selected for a user.
pub(super) const USER_COLUMNS: &str = "u.id, u.username, u.display_name";

/// Columns selected for a message (from [`MESSAGE_FROM`]): its own, and what its reply quotes.
pub(super) const MESSAGE_COLUMNS: &str =
    "m.id, m.conversation_id, m.seq, m.sender_id, m.body, m.created_at, m.edited_at, m.deleted_at, \
     m.deleted_by, m.reactions_version, m.mentions, m.attachments, r.id AS reply_id, r.seq AS reply_seq, r.sender_id AS reply_sender_id, r.body AS reply_body, \
     r.deleted_at AS reply_deleted_at, r.attachments AS reply_attachments";

/// The tables [`MESSAGE_COLUMNS`] come from: messages `m`, each with the one it answers `r`.
pub(super) const MESSAGE_FROM: &str = "messages m LEFT JOIN messages r ON r.id = m.reply_to";

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
}

impl UserRow {
    pub fn into_user(self) -> Result<User, AppError> {
        Ok(User {
            id: parse_id(&self.id)?,
            username: self.username,
            display_name: self.display_name,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct MessageRow {
    pub id: String,
    pub conversation_id: String,
    pub seq: i64,
    pub sender_id: String,
    pub body: String,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
    pub deleted_by: Option<String>,
    pub reactions_version: i64,
    pub mentions: Option<String>,
    pub attachments: Option<String>,
    pub reply_id: Option<String>,
    pub reply_seq: Option<i64>,
    pub reply_sender_id: Option<String>,
    pub reply_body: Option<String>,
    pub reply_deleted_at: Option<i64>,
    pub reply_attachments: Option<String>,
}

impl MessageRow {
    pub fn into_message(self) -> Result<Message, AppError> {
        let deleted = self.deleted_at.is_some();
        let reply_to = match (self.reply_id, self.reply_seq, self.reply_sender_id) {
            (Some(id), Some(seq), Some(sender)) => {
                let gone = self.reply_deleted_at.is_some();
                Some(ReplyPreview {
                    message_id: parse_id(&id)?,
                    seq,
                    sender_id: parse_id(&sender)?,
                    excerpt: match (gone, &self.reply_body) {
                        (false, Some(body)) => {
                            let files = parse_attachments(self.reply_attachments.as_deref())?;
                            excerpt(&protocol::preview_text(body, &files))
                        }
                        _ => String::new(),
                    },
                    deleted: gone,
                })
            }
            _ => None,
        };
        Ok(Message {
            id: parse_id(&self.id)?,
            conversation_id: parse_id(&self.conversation_id)?,
            seq: self.seq,
            sender_id: parse_id(&self.sender_id)?,
            // Tombstones never carry the old text, whatever the column holds.
            body: if deleted { String::new() } else { self.body },
            created_at: self.created_at,
            edited_at: self.edited_at,
            deleted,
            deleted_by: self.deleted_by.as_deref().map(parse_id).transpose()?,
            attachments: match deleted {
                false => parse_attachments(self.attachments.as_deref())?,
                true => Vec::new(),
            },
            reply_to,
            mentions: match (deleted, &self.mentions) {
                (false, Some(ids)) => split_ids(ids)?,
                _ => Vec::new(),
            },
            // Filled in by `Store::with_reactions` where a reader wants them.
            reactions: Vec::new(),
            my_reactions: Vec::new(),
            reactions_version: self.reactions_version,
        })
    }
}

/// Converts a list of rows, failing on the first malformed one.
pub(super) fn messages(rows: Vec<MessageRow>) -> Result<Vec<Message>, AppError> {
    rows.into_iter().map(MessageRow::into_message).collect()
}

/// A message's files as read back from its column.
fn parse_attachments(json: Option<&str>) -> Result<Vec<protocol::Attachment>, AppError> {
    json.map_or(Ok(Vec::new()), |json| {
        serde_json::from_str(json)
            .map_err(|e| AppError::Internal(format!("stored attachments: {e}")))
    })
}

/// A message's files as stored with it (JSON; `NULL` for none).
pub(super) fn attachments_json(files: &[protocol::Attachment]) -> Option<String> {
    (!files.is_empty()).then(|| serde_json::to_string(files).unwrap_or_default())
}

/// Ids stored space-separated in one column (`NULL` for none).
pub(super) fn join_ids(ids: &[protocol::UserId]) -> Option<String> {
    (!ids.is_empty()).then(|| {
        ids.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// The ids [`join_ids`] stored.
pub(super) fn split_ids(raw: &str) -> Result<Vec<protocol::UserId>, AppError> {
    raw.split_whitespace().map(parse_id).collect()
}
