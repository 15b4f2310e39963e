//! Full-text search of messages: SQLite's FTS5 (a `messages_fts` table kept by triggers) or
//! PostgreSQL's `tsvector` (a GIN index on the message text), newest first, keyset-paginated by
//! (`created_at`, `id`) so that pages stay stable while new messages arrive. Only the
//! conversations the reader is a member of are searched (their whole history, as history reads
//! allow); deleted messages are never found.
//!
//! The index is backend-specific, so it is made when the store connects (after the shared
//! migrations), not by a migration.

use super::rows::{self, MessageRow, MESSAGE_COLUMNS};
use super::{Backend, Store};
use crate::error::AppError;
use protocol::{ConversationId, Message, MessageId, UserId};

/// Most words a search uses.
const MAX_TERMS: usize = 8;

/// Where a page of results ends: the next page holds older messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SearchCursor {
    /// The last result's commit time.
    pub created_at: i64,
    /// The last result's id (ties of time).
    pub id: MessageId,
}

impl SearchCursor {
    /// The cursor as the API gives it out: `<created_at>.<id>`.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.created_at, self.id)
    }

    /// Parses what [`Self::encode`] gave out.
    pub fn decode(raw: &str) -> Result<Self, AppError> {
        let bad = || AppError::validation("before: not a cursor this API gave out");
        let (at, id) = raw.split_once('.').ok_or_else(bad)?;
        Ok(Self {
            created_at: at.parse().map_err(|_| bad())?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

/// The words of a query: letters and digits, lower case, at most [`MAX_TERMS`].
fn terms(query: &str) -> Vec<String> {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .take(MAX_TERMS)
        .map(str::to_lowercase)
        .collect()
}

/// The query in the backend's syntax: every word must occur, the last one as a prefix (so a
/// word being typed matches).
fn match_expression(backend: Backend, terms: &[String]) -> String {
    let last = terms.len().saturating_sub(1);
    let words = terms
        .iter()
        .enumerate()
        .map(|(i, t)| match (backend, i == last) {
            (Backend::Sqlite, false) => format!("\"{t}\""),
            (Backend::Sqlite, true) => format!("\"{t}\"*"),
            (Backend::Postgres, false) => t.clone(),
            (Backend::Postgres, true) => format!("{t}:*"),
        });
    let joiner = match backend {
        Backend::Sqlite => " ",
        Backend::Postgres => " & ",
    };
    words.collect::<Vec<_>>().join(joiner)
}

impl Store {
    /// Makes the search index if it is missing (and, on SQLite, fills it from the messages
    /// stored before it existed).
    pub(super) async fn prepare_search(&self) -> Result<(), AppError> {
        match self.backend {
            Backend::Sqlite => {
                let statements = [
                    "CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(\
                       body, tokenize = 'unicode61 remove_diacritics 2')",
                    "CREATE TRIGGER IF NOT EXISTS messages_fts_insert AFTER INSERT ON messages \
                     BEGIN INSERT INTO messages_fts (rowid, body) VALUES (new.rowid, new.body); END",
                    "CREATE TRIGGER IF NOT EXISTS messages_fts_update AFTER UPDATE OF body ON messages \
                     BEGIN DELETE FROM messages_fts WHERE rowid = old.rowid; \
                       INSERT INTO messages_fts (rowid, body) SELECT new.rowid, new.body \
                       WHERE new.deleted_at IS NULL; END",
                ];
                for sql in statements {
                    sqlx::query(sql).execute(&self.pool).await?;
                }
                let indexed: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM messages_fts LIMIT 1")
                    .fetch_optional(&self.pool)
                    .await?;
                if indexed.is_none() {
                    sqlx::query(
                        "INSERT INTO messages_fts (rowid, body) \
                         SELECT rowid, body FROM messages WHERE deleted_at IS NULL",
                    )
                    .execute(&self.pool)
                    .await?;
                }
            }
            Backend::Postgres => {
                let sql = "CREATE INDEX IF NOT EXISTS messages_search \
                           ON messages USING GIN (to_tsvector('simple', body))";
                if let Err(e) = sqlx::query(sql).execute(&self.pool).await {
                    // Another instance starting at the same moment may be making it.
                    tracing::warn!(error = %e, "could not make the message search index");
                }
            }
        }
        Ok(())
    }

    /// The reader's messages matching `query`, newest first: in one conversation, or in all of
    /// theirs; after `before` (the previous page's cursor). Returns the page and the cursor of
    /// the next one, if there may be more.
    pub async fn search_messages(
        &self,
        reader: UserId,
        query: &str,
        conversation: Option<ConversationId>,
        before: Option<SearchCursor>,
        limit: i64,
    ) -> Result<(Vec<Message>, Option<SearchCursor>), AppError> {
        let terms = terms(query);
        if terms.is_empty() {
            return Err(AppError::validation("q: search for at least one word"));
        }
        let expression = match_expression(self.backend, &terms);
        let (from, matches) = match self.backend {
            Backend::Sqlite => (
                "messages_fts f JOIN messages m ON m.rowid = f.rowid",
                "messages_fts MATCH $2",
            ),
            Backend::Postgres => (
                "messages m",
                "to_tsvector('simple', m.body) @@ to_tsquery('simple', $2)",
            ),
        };
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM {from} \
             LEFT JOIN messages r ON r.id = m.reply_to \
             JOIN conversation_members cm ON cm.conversation_id = m.conversation_id \
               AND cm.user_id = $1 \
             WHERE {matches} AND m.deleted_at IS NULL \
               AND ($3 IS NULL OR m.conversation_id = $3) \
               AND ($4 IS NULL OR m.created_at < $4 OR (m.created_at = $4 AND m.id < $5)) \
             ORDER BY m.created_at DESC, m.id DESC LIMIT $6"
        );
        let (at, id) = match before {
            Some(c) => (Some(c.created_at), Some(c.id.to_string())),
            None => (None, None),
        };
        let found: Vec<MessageRow> = sqlx::query_as(&sql)
            .bind(reader.to_string())
            .bind(expression)
            .bind(conversation.map(|c| c.to_string()))
            .bind(at)
            .bind(id)
            .bind(limit + 1)
            .fetch_all(&self.pool)
            .await?;
        let mut messages = rows::messages(found)?;
        let more = messages.len() as i64 > limit;
        messages.truncate(limit as usize);
        let next = more
            .then(|| messages.last())
            .flatten()
            .map(|m| SearchCursor {
                created_at: m.created_at,
                id: m.id,
            });
        Ok((messages, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_become_words_and_the_last_is_a_prefix() {
        let words = terms("Ship it, on FRIDAY?! \"x\" OR *");
        assert_eq!(words, vec!["ship", "it", "on", "friday", "x", "or"]);
        assert_eq!(
            match_expression(Backend::Sqlite, &words[..2]),
            "\"ship\" \"it\"*"
        );
        assert_eq!(
            match_expression(Backend::Postgres, &words[..2]),
            "ship & it:*"
        );
        assert!(terms("?! -- ").is_empty());
        assert_eq!(terms("a b c d e f g h i j").len(), MAX_TERMS);
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = SearchCursor {
            created_at: 1_700_000_000_000,
            id: MessageId::new(),
        };
        assert_eq!(SearchCursor::decode(&c.encode()).unwrap(), c);
        assert!(SearchCursor::decode("nope").is_err());
        assert!(SearchCursor::decode("12.nope").is_err());
    }
}
