//! Row shapes as they come out of SQL, and their conversion into protocol types.

use super::parse_id;
use crate::error::AppError;
use protocol::{Message, User};

/// Columns selected for a user.
pub(super) const USER_COLUMNS: &str = "u.id, u.username, u.display_name";

/// Columns selected for a message.
pub(super) const MESSAGE_COLUMNS: &str =
    "m.id, m.conversation_id, m.seq, m.sender_id, m.body, m.created_at, m.edited_at, m.deleted_at";

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
}

impl MessageRow {
    pub fn into_message(self) -> Result<Message, AppError> {
        let deleted = self.deleted_at.is_some();
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
        })
    }
}

/// Converts a list of rows, failing on the first malformed one.
pub(super) fn messages(rows: Vec<MessageRow>) -> Result<Vec<Message>, AppError> {
    rows.into_iter().map(MessageRow::into_message).collect()
}
