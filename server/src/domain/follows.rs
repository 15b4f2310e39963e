//! Following people: idempotent, never oneself; the person followed hears about it.

use super::notifications::notify_all;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::NotificationDraft;
use protocol::{NotificationKind, Profile, User, UserId};

/// `me` follows (`true`) or stops following `user`; returns their profile as `me` sees it.
pub async fn set_follow(
    state: &AppState,
    me: &User,
    user: UserId,
    follow: bool,
) -> Result<Profile, AppError> {
    if user == me.id {
        return Err(AppError::validation("you cannot follow yourself"));
    }
    let mut profile = state
        .store
        .profile(me.id, user)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    let changed = state.store.set_follow(me.id, user, follow).await?;
    // The follow itself moved these (in its transaction): no second read.
    if changed {
        profile.follower_count += if follow { 1 } else { -1 };
    }
    profile.followed_by_me = follow;
    if changed && follow {
        let draft = NotificationDraft {
            kind: NotificationKind::Followed,
            actor: me,
            conversation: None,
            post: None,
            message: None,
            text: None,
            link: None,
        };
        notify_all(state, &draft, &[user]).await?;
    }
    Ok(profile)
}
