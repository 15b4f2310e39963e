//! Uploaded files' records (their bytes are in [`crate::files`]).

use super::{now_ms, parse_id, placeholders, Store};
use crate::error::AppError;
use protocol::{Attachment, ConversationId, FileId, UserId};

#[derive(sqlx::FromRow)]
struct FileRow {
    id: String,
    conversation_id: String,
    name: String,
    content_type: String,
    size: i64,
    width: Option<i64>,
    height: Option<i64>,
    thumbnail: Option<String>,
}

impl FileRow {
    fn into_attachment(self) -> Result<(Attachment, Option<String>), AppError> {
        let dimension = |v: Option<i64>| v.and_then(|v| u32::try_from(v).ok());
        Ok((
            Attachment {
                id: parse_id(&self.id)?,
                conversation_id: parse_id(&self.conversation_id)?,
                name: self.name,
                content_type: self.content_type,
                size: self.size,
                width: dimension(self.width),
                height: dimension(self.height),
                thumbnail: self.thumbnail.is_some(),
            },
            self.thumbnail,
        ))
    }
}

const FILE_COLUMNS: &str =
    "f.id, f.conversation_id, f.name, f.content_type, f.size, f.width, f.height, f.thumbnail";

impl Store {
    /// Records an uploaded file (its bytes already stored); `thumbnail` is the thumbnail's type.
    pub async fn insert_file(
        &self,
        file: &Attachment,
        uploader: UserId,
        thumbnail: Option<&str>,
    ) -> Result<(), AppError> {
        sqlx::query(
            "INSERT INTO files (id, conversation_id, uploader_id, name, content_type, size, \
               width, height, thumbnail, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(file.id.to_string())
        .bind(file.conversation_id.to_string())
        .bind(uploader.to_string())
        .bind(&file.name)
        .bind(&file.content_type)
        .bind(file.size)
        .bind(file.width.map(i64::from))
        .bind(file.height.map(i64::from))
        .bind(thumbnail)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A file's record and its thumbnail's type, if it has one.
    pub async fn file(&self, id: FileId) -> Result<Option<(Attachment, Option<String>)>, AppError> {
        let row: Option<FileRow> = sqlx::query_as(&format!(
            "SELECT {FILE_COLUMNS} FROM files f WHERE f.id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(FileRow::into_attachment).transpose()
    }

    /// The files `ids` as a message sends them, in that order: each must be `sender`'s upload
    /// to `conversation`, not sent yet (or sent with this very message: a retry of the same
    /// `temp_id`); else `VALIDATION_FAILED`. One read.
    pub async fn files_to_send(
        &self,
        conversation: ConversationId,
        sender: UserId,
        temp_id: &str,
        ids: &[FileId],
    ) -> Result<Vec<Attachment>, AppError> {
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM files f WHERE f.id IN ({}) \
               AND f.conversation_id = $1 AND f.uploader_id = $2 \
               AND (f.message_id IS NULL OR f.message_id IN (SELECT m.id FROM messages m \
                 WHERE m.conversation_id = $1 AND m.sender_id = $2 AND m.temp_id = $3))",
            placeholders(4, ids.len())
        );
        let mut query = sqlx::query_as::<_, FileRow>(&sql)
            .bind(conversation.to_string())
            .bind(sender.to_string())
            .bind(temp_id);
        for id in ids {
            query = query.bind(id.to_string());
        }
        let found: Vec<Attachment> = query
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| r.into_attachment().map(|(a, _)| a))
            .collect::<Result<_, _>>()?;
        let mut files = Vec::with_capacity(ids.len());
        for id in ids {
            if files.iter().any(|f: &Attachment| f.id == *id) {
                return Err(AppError::validation("the same file twice"));
            }
            match found.iter().find(|f| f.id == *id) {
                Some(file) => files.push(file.clone()),
                None => {
                    return Err(AppError::validation(format!(
                    "file {id} is not an upload of yours to this conversation waiting to be sent"
                )))
                }
            }
        }
        Ok(files)
    }

    /// Deletes the records of at most `limit` uploads made before `before` (Unix ms) and never
    /// sent; returns their ids (their bytes are the caller's to delete).
    pub async fn take_unsent_files(
        &self,
        before: i64,
        limit: i64,
    ) -> Result<Vec<FileId>, AppError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "DELETE FROM files WHERE id IN (SELECT id FROM files \
               WHERE message_id IS NULL AND created_at < $1 ORDER BY created_at LIMIT $2) \
             RETURNING id",
        )
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|(id,)| parse_id(id)).collect()
    }
}
