//! Follows, with follower and following counts kept as columns on the users, changed in the same
//! transaction as the follow.

use super::rows::{UserRow, USER_COLUMNS};
use super::{now_ms, Store};
use crate::error::AppError;
use protocol::{Profile, UserId};

#[derive(sqlx::FromRow)]
struct ProfileRow {
    follower_count: i64,
    following_count: i64,
    followed: i64,
    blocked: i64,
    #[sqlx(flatten)]
    user: UserRow,
}

impl Store {
    /// A user's profile as `viewer` sees it; `None` if there is no such user.
    pub async fn profile(&self, viewer: UserId, user: UserId) -> Result<Option<Profile>, AppError> {
        let row: Option<ProfileRow> = sqlx::query_as(&format!(
            "SELECT u.follower_count, u.following_count, \
               (SELECT COUNT(*) FROM follows f WHERE f.follower_id = $1 AND f.followee_id = u.id) \
                 AS followed, \
               (SELECT COUNT(*) FROM user_blocks b WHERE b.blocker_id = $1 AND b.blocked_id = u.id) \
                 AS blocked, {USER_COLUMNS} \
             FROM users u WHERE u.id = $2"
        ))
        .bind(viewer.to_string())
        .bind(user.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(Profile {
                user: r.user.into_user()?,
                follower_count: r.follower_count,
                following_count: r.following_count,
                followed_by_me: r.followed > 0,
                blocked_by_me: r.blocked > 0,
            })
        })
        .transpose()
    }

    /// `follower` follows (or stops following) `followee`, idempotently; returns whether
    /// anything changed. The caller checks that both exist and differ.
    pub async fn set_follow(
        &self,
        follower: UserId,
        followee: UserId,
        follow: bool,
    ) -> Result<bool, AppError> {
        let mut tx = self.pool.begin().await?;
        let changed = if follow {
            sqlx::query(
                "INSERT INTO follows (follower_id, followee_id, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(follower.to_string())
            .bind(followee.to_string())
            .bind(now_ms())
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        } else {
            sqlx::query("DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2")
                .bind(follower.to_string())
                .bind(followee.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1
        };
        if changed {
            let delta: i64 = if follow { 1 } else { -1 };
            // One statement for both rows, so two people following each other at once lock
            // them in the same order.
            sqlx::query(
                "UPDATE users SET \
                   following_count = following_count + CASE WHEN id = $1 THEN $3 ELSE 0 END, \
                   follower_count = follower_count + CASE WHEN id = $2 THEN $3 ELSE 0 END \
                 WHERE id IN ($1, $2)",
            )
            .bind(follower.to_string())
            .bind(followee.to_string())
            .bind(delta)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(changed)
    }
}
