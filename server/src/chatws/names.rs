//! Usernames for the frames that name their sender, shared by every per-conversation socket of
//! this instance: the first socket to need a name reads it (one query), the others wait for
//! that read instead of making their own, so a message to N sockets costs at most one read.

use crate::error::AppError;
use crate::store::Store;
use protocol::UserId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// Names kept before the cache starts over.
const BOUND: usize = 10_000;

/// The cache.
#[derive(Debug, Default)]
pub struct Names {
    cells: Mutex<HashMap<UserId, Arc<OnceCell<String>>>>,
}

impl Names {
    /// `user`'s username (`""` for an unknown id).
    pub async fn of(&self, store: &Store, user: UserId) -> Result<String, AppError> {
        let cell = {
            // Never held across an await: a map lookup.
            let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
            if cells.len() >= BOUND && !cells.contains_key(&user) {
                cells.clear();
            }
            cells.entry(user).or_default().clone()
        };
        let name = cell
            .get_or_try_init(|| async {
                let mut found = store.usernames(&[user]).await?;
                Ok::<_, AppError>(found.remove(&user).unwrap_or_default())
            })
            .await?;
        Ok(name.clone())
    }

    /// Remembers a name already known (no read needed later).
    pub fn learn(&self, user: UserId, name: &str) {
        let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
        if cells.len() >= BOUND {
            cells.clear();
        }
        let cell = cells.entry(user).or_default();
        let _ = cell.set(name.to_owned());
    }
}
