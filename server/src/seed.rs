//! `confab seed`: many users, groups and direct conversations for demos and load tests, with a
//! token per user written to a JSON file (the load generator reads it).

use crate::auth::{JwtKeys, Passwords};
use crate::error::AppError;
use crate::store::{now_ms, Store};
use protocol::{ConversationId, UserId};
use serde::{Deserialize, Serialize};

/// What to create.
#[derive(Clone, Debug, clap::Args)]
pub struct SeedPlan {
    /// Users to create (`<prefix>0`, `<prefix>1`, …, all with the same password).
    #[arg(long, default_value_t = 100)]
    pub users: usize,
    /// Groups to create.
    #[arg(long, default_value_t = 1)]
    pub groups: usize,
    /// Members per group (users are assigned in order, wrapping around).
    #[arg(long, default_value_t = 100)]
    pub group_size: usize,
    /// Direct conversations between consecutive users (0 and 1, 2 and 3, …).
    #[arg(long, default_value_t = 0)]
    pub directs: usize,
    /// Username prefix, so several seeds can share a database.
    #[arg(long, default_value = "user")]
    pub prefix: String,
    /// The password of every seeded user.
    #[arg(long, default_value = "password")]
    pub password: String,
    /// Where to write the users, their tokens and the conversations (JSON).
    #[arg(long, default_value = "seed.json")]
    pub out: std::path::PathBuf,
}

/// A seeded user and a token for them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SeededUser {
    /// The user's id.
    pub id: UserId,
    /// Their username.
    pub username: String,
    /// A token valid for the configured lifetime.
    pub token: String,
}

/// A seeded conversation and its members (indexes into [`Seeded::users`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SeededConversation {
    /// The conversation's id.
    pub id: ConversationId,
    /// Its members, as indexes into the user list.
    pub members: Vec<usize>,
}

/// Everything seeded.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Seeded {
    /// The users, in creation order.
    pub users: Vec<SeededUser>,
    /// The groups.
    pub groups: Vec<SeededConversation>,
    /// The direct conversations.
    pub directs: Vec<SeededConversation>,
}

/// Creates what `plan` asks for: users in bulk (one password hash for all), then groups and
/// direct conversations.
pub async fn seed(store: &Store, jwt: &JwtKeys, plan: &SeedPlan) -> Result<Seeded, AppError> {
    let now = now_ms();
    let hash = Passwords::start(1, 1).hash(plan.password.clone()).await?;
    let users: Vec<(UserId, String, String)> = (0..plan.users)
        .map(|i| {
            let name = format!("{}{i}", plan.prefix);
            (UserId::new(), name.clone(), name)
        })
        .collect();
    store.seed_users(&users, &hash, now).await?;
    let mut seeded = Seeded::default();
    for (id, username, _) in &users {
        let (token, _) = jwt.issue(*id, 0)?;
        seeded.users.push(SeededUser {
            id: *id,
            username: username.clone(),
            token,
        });
    }
    if plan.users > 0 {
        let size = plan.group_size.min(plan.users);
        for g in 0..plan.groups {
            let members: Vec<usize> = (0..size).map(|k| (g * size + k) % plan.users).collect();
            let ids: Vec<UserId> = members.iter().map(|&i| users[i].0).collect();
            let title = format!("{} group {g}", plan.prefix);
            let id = store.seed_conversation(Some(&title), &ids, now).await?;
            seeded.groups.push(SeededConversation { id, members });
        }
    }
    for d in 0..plan.directs.min(plan.users / 2) {
        let members = vec![2 * d, 2 * d + 1];
        let ids = [users[2 * d].0, users[2 * d + 1].0];
        let id = store.seed_conversation(None, &ids, now).await?;
        seeded.directs.push(SeededConversation { id, members });
    }
    Ok(seeded)
}
