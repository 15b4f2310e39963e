//! Direct conversations and groups, and their members. Every membership change moves the
//! members' sessions in or out of the conversation's topic (through the broker, so every
//! instance follows at once): fan-out and membership checks never query the database.

use super::notifications::notify;
use super::{publish, views};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::NewGroup;
use crate::topic::{Except, Topic};
use crate::validate;
use protocol::{
    Conversation, ConversationId, ConversationKind, NotificationKind, ServerEvent, User, UserId,
};

/// Most members a group may be created with in one request.
pub const MAX_INITIAL_MEMBERS: usize = 256;

/// The 1:1 conversation of `me` and `other`, created (and announced to both) on first use.
pub async fn open_direct(
    state: &AppState,
    me: &User,
    other: UserId,
) -> Result<ConversationId, AppError> {
    Ok(direct(state, me, other).await?.0)
}

/// Like [`open_direct`], also saying whether it was created now.
pub async fn direct(
    state: &AppState,
    me: &User,
    other: UserId,
) -> Result<(ConversationId, bool), AppError> {
    if other == me.id {
        return Err(AppError::validation(
            "a direct conversation needs another user",
        ));
    }
    if state.store.user(other).await?.is_none() {
        return Err(AppError::NotFound("user"));
    }
    if let Some(id) = state.store.find_direct(me.id, other).await? {
        return Ok((id, false));
    }
    // A new conversation between two people one of whom blocked the other: no (sending in an
    // existing one is refused by the writer).
    super::blocks::check_direct(state, me.id, other).await?;
    let (id, created) = state.store.direct_conversation(me.id, other).await?;
    if created {
        state.broker.members_added(id, &[me.id, other]).await;
        updated(state, id, me.id).await?;
    }
    Ok((id, created))
}

/// Creates a group owned by `me` (`group` as given: it is validated here); the members are
/// told and notified.
pub async fn create_group(
    state: &AppState,
    me: &User,
    group: NewGroup<'_>,
    member_ids: &[UserId],
) -> Result<ConversationId, AppError> {
    let title = validate::label("title", group.title, 64)?;
    let platform = group.platform.map(validate::platform).transpose()?;
    let description = validate::optional_text("description", group.description, 500)?;
    if member_ids.len() > MAX_INITIAL_MEMBERS {
        return Err(AppError::validation(format!(
            "a group can start with at most {MAX_INITIAL_MEMBERS} members"
        )));
    }
    let mut distinct = member_ids.to_vec();
    distinct.sort();
    distinct.dedup();
    if state.store.count_existing_users(&distinct).await? != distinct.len() {
        return Err(AppError::NotFound("user"));
    }
    let id = state
        .store
        .create_group(
            me.id,
            &NewGroup {
                title: &title,
                platform: platform.as_deref(),
                description: description.as_deref(),
            },
            &distinct,
        )
        .await?;
    let mut everyone = distinct.clone();
    everyone.push(me.id);
    state.broker.members_added(id, &everyone).await;
    updated(state, id, me.id).await?;
    let kind = NotificationKind::AddedToConversation;
    notify(state, kind, me, (id, Some(title)), &distinct).await?;
    Ok(id)
}

/// What a member may do to a group.
struct GroupAccess {
    /// Whether the caller owns it.
    owner: bool,
    /// The group's title.
    title: Option<String>,
}

/// Only members of a group may change it, and only its owner may remove others.
async fn group_for_change(
    state: &AppState,
    id: ConversationId,
    me: UserId,
) -> Result<GroupAccess, AppError> {
    let Some((kind, title)) = state.store.conversation_header(id).await? else {
        return Err(AppError::NotFound("conversation"));
    };
    let Some(role) = state.store.member_role(id, me).await? else {
        return Err(AppError::NotAMember);
    };
    if kind != ConversationKind::Group {
        return Err(AppError::validation(
            "direct conversations have exactly two members",
        ));
    }
    Ok(GroupAccess {
        owner: role == "owner",
        title,
    })
}

/// Adds a member to a group: their sessions join its topic at once.
pub async fn add_member(
    state: &AppState,
    me: &User,
    id: ConversationId,
    user: UserId,
) -> Result<(), AppError> {
    let access = group_for_change(state, id, me.id).await?;
    if state.store.user(user).await?.is_none() {
        return Err(AppError::NotFound("user"));
    }
    if state.store.add_member(id, user).await? {
        state.broker.members_added(id, &[user]).await;
        updated(state, id, me.id).await?;
        let kind = NotificationKind::AddedToConversation;
        notify(state, kind, me, (id, access.title), &[user]).await?;
    }
    Ok(())
}

/// Removes a member (the owner removes anyone, members remove themselves): their sessions leave
/// its topics at once and they are told; the rest see the new member list.
pub async fn remove_member(
    state: &AppState,
    me: &User,
    id: ConversationId,
    user: UserId,
) -> Result<(), AppError> {
    let access = group_for_change(state, id, me.id).await?;
    if user != me.id && !access.owner {
        return Err(AppError::Forbidden(
            "only the group's owner can remove other members".into(),
        ));
    }
    if !state.store.remove_member(id, user).await? {
        return Err(AppError::NotFound("member"));
    }
    state.broker.member_removed(id, user).await;
    views::left(state, user, id).await;
    let removed = ServerEvent::ConversationRemoved {
        conversation_id: id,
    };
    publish(state, Topic::User(user), Except::Nobody, removed).await;
    let kind = NotificationKind::RemovedFromConversation;
    notify(state, kind, me, (id, access.title), &[user]).await?;
    let remaining = if user == me.id {
        state.store.member_ids(id).await?.first().copied()
    } else {
        Some(me.id)
    };
    if let Some(remaining) = remaining {
        updated(state, id, remaining).await?;
    }
    Ok(())
}

/// The owner of a group makes a member an admin (who may delete anyone's message) or a member
/// again; every member sees the new roles in `conversation_updated`.
pub async fn set_admin(
    state: &AppState,
    me: &User,
    id: ConversationId,
    user: UserId,
    admin: bool,
) -> Result<Conversation, AppError> {
    let access = group_for_change(state, id, me.id).await?;
    if !access.owner {
        return Err(AppError::Forbidden(
            "only the group's owner can name admins".into(),
        ));
    }
    if user == me.id {
        return Err(AppError::validation("the owner is not an admin"));
    }
    if !state.store.set_admin(id, user, admin).await? {
        return Err(AppError::NotFound("member"));
    }
    updated(state, id, me.id).await
}

/// Sends `conversation_updated` to every member: one frame, so `unread` is 0 (clients keep their
/// own counts).
async fn updated(
    state: &AppState,
    id: ConversationId,
    as_seen_by: UserId,
) -> Result<Conversation, AppError> {
    let mut conversation = state.store.conversation_for(id, as_seen_by).await?;
    conversation.unread = 0;
    let event = ServerEvent::ConversationUpdated {
        conversation: Box::new(conversation.clone()),
    };
    publish(state, Topic::Conversation(id), Except::Nobody, event).await;
    Ok(conversation)
}
