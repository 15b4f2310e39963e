//! Conversations and their members.

use super::rows::{self, MessageRow, UserRow, MESSAGE_COLUMNS, MESSAGE_FROM, USER_COLUMNS};
use super::webhooks::{enqueue_webhooks, OutboxEvent};
use super::{now_ms, parse_id, Store};
use crate::error::AppError;
use protocol::webhooks::{ConversationCreated, MembershipChange, WebhookChange};
use protocol::{Conversation, ConversationId, ConversationKind, MemberPosition, Muted, UserId};
use std::collections::HashMap;

/// A group as it is created (validated).
#[derive(Clone, Copy, Debug)]
pub struct NewGroup<'a> {
    /// Its name.
    pub title: &'a str,
    /// The platform it comes from, if any.
    pub platform: Option<&'a str>,
    /// What it is about, if said.
    pub description: Option<&'a str>,
}

#[derive(sqlx::FromRow)]
struct ConversationRow {
    id: String,
    kind: String,
    title: Option<String>,
    platform: Option<String>,
    description: Option<String>,
    last_seq: i64,
    created_at: i64,
    /// The viewer's own mute.
    muted_until: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    conversation_id: String,
    role: String,
    last_read_seq: i64,
    last_delivered_seq: i64,
    id: String,
    username: String,
    display_name: String,
}

/// The role of a member: the creator of a group owns it; the owner may name admins.
const OWNER: &str = "owner";
const ADMIN: &str = "admin";
const MEMBER: &str = "member";

/// Who moderates a group.
#[derive(Default)]
struct Roles {
    owner: Option<UserId>,
    admins: Vec<UserId>,
}

/// How "until I unmute" is stored in `conversation_members.muted_until`.
const MUTED_FOREVER: i64 = i64::MAX;

/// A stored mute as the protocol says it at `now`: `None` once it has ended.
fn muted(until: i64, now: i64) -> Option<Muted> {
    let muted = Muted {
        until: (until != MUTED_FOREVER).then_some(until),
    };
    muted.holds_at(now).then_some(muted)
}

/// The unique key of the direct conversation of two users, whatever their order.
pub(super) fn direct_key(a: UserId, b: UserId) -> String {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    format!("{lo}:{hi}")
}

fn parse_kind(kind: &str) -> Result<ConversationKind, AppError> {
    match kind {
        "direct" => Ok(ConversationKind::Direct),
        "group" => Ok(ConversationKind::Group),
        other => Err(AppError::Internal(format!(
            "unknown conversation kind {other:?}"
        ))),
    }
}

impl Store {
    /// The other member of a direct conversation (`None` for a group or an unknown id).
    pub async fn direct_partner(
        &self,
        conversation: ConversationId,
        me: UserId,
    ) -> Result<Option<UserId>, AppError> {
        let pair = match self.direct_pairs.get(conversation) {
            Some(pair) => pair,
            None => {
                let key: Option<(Option<String>,)> =
                    sqlx::query_as("SELECT direct_key FROM conversations WHERE id = $1")
                        .bind(conversation.to_string())
                        .fetch_optional(&self.pool)
                        .await?;
                let Some((key,)) = key else {
                    return Ok(None);
                };
                let pair = match key {
                    Some(key) => {
                        let ids: Vec<UserId> =
                            key.split(':').map(parse_id).collect::<Result<_, _>>()?;
                        match ids.as_slice() {
                            [a, b] => Some((*a, *b)),
                            _ => return Err(AppError::Internal(format!("bad direct key {key:?}"))),
                        }
                    }
                    None => None,
                };
                self.direct_pairs.insert(conversation, pair);
                pair
            }
        };
        Ok(pair.and_then(|(a, b)| match (a == me, b == me) {
            (true, _) => Some(b),
            (_, true) => Some(a),
            _ => None,
        }))
    }

    /// The 1:1 conversation of two users, created on first use. Returns it and whether it was
    /// created by this call.
    pub async fn direct_conversation(
        &self,
        me: UserId,
        other: UserId,
    ) -> Result<(ConversationId, bool), AppError> {
        let key = direct_key(me, other);
        if let Some(id) = self.direct_by_key(&key).await? {
            return Ok((id, false));
        }
        let id = ConversationId::new();
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        // A concurrent creator may win the race; the unique key makes this a no-op then.
        let inserted = sqlx::query(
            "INSERT INTO conversations (id, kind, direct_key, created_by, created_at) \
             VALUES ($1, 'direct', $2, $3, $4) ON CONFLICT (direct_key) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(&key)
        .bind(me.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            let id = self.direct_by_key(&key).await?;
            return id
                .map(|id| (id, false))
                .ok_or_else(|| AppError::Internal("direct conversation vanished".into()));
        }
        for user in [me, other] {
            sqlx::query(
                "INSERT INTO conversation_members (conversation_id, user_id, role, joined_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id.to_string())
            .bind(user.to_string())
            .bind(MEMBER)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let created = ConversationCreated {
            conversation_id: id,
            kind: ConversationKind::Direct,
            title: None,
            platform: None,
            created_by: me,
            member_ids: vec![me, other],
        };
        if self.wants_webhook("conversation.created") {
            let event = OutboxEvent::new(WebhookChange::ConversationCreated(created), now);
            enqueue_webhooks(&mut tx, self.backend, &[event]).await?;
        }
        tx.commit().await?;
        Ok((id, true))
    }

    /// The 1:1 conversation of two users, if they have one (never creates it).
    pub async fn find_direct(
        &self,
        me: UserId,
        other: UserId,
    ) -> Result<Option<ConversationId>, AppError> {
        self.direct_by_key(&direct_key(me, other)).await
    }

    /// The other members of `user`'s direct conversations, the most active conversations
    /// first, at most `limit` (one indexed read).
    pub async fn direct_partners(
        &self,
        user: UserId,
        limit: usize,
    ) -> Result<Vec<UserId>, AppError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT theirs.user_id FROM conversation_members mine \
             JOIN conversations c ON c.id = mine.conversation_id AND c.kind = 'direct' \
             JOIN conversation_members theirs ON theirs.conversation_id = mine.conversation_id \
               AND theirs.user_id <> mine.user_id \
             WHERE mine.user_id = $1 ORDER BY c.last_seq DESC, c.id LIMIT $2",
        )
        .bind(user.to_string())
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(|(id,)| parse_id(&id)).collect()
    }

    async fn direct_by_key(&self, key: &str) -> Result<Option<ConversationId>, AppError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT id FROM conversations WHERE direct_key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(id,)| parse_id(&id)).transpose()
    }

    /// The platforms of `user`'s conversations that have one (one indexed read).
    pub async fn conversation_platforms(
        &self,
        user: UserId,
    ) -> Result<Vec<(ConversationId, String)>, AppError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT c.id, c.platform FROM conversations c \
             JOIN conversation_members cm ON cm.conversation_id = c.id AND cm.user_id = $1 \
             WHERE c.platform IS NOT NULL",
        )
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, platform)| Ok((parse_id(&id)?, platform)))
            .collect()
    }

    /// Creates a group owned by `owner` with the given other members.
    pub async fn create_group(
        &self,
        owner: UserId,
        group: &NewGroup<'_>,
        members: &[UserId],
    ) -> Result<ConversationId, AppError> {
        let id = ConversationId::new();
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO conversations \
             (id, kind, title, created_by, created_at, platform, description) \
             VALUES ($1, 'group', $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(group.title)
        .bind(owner.to_string())
        .bind(now)
        .bind(group.platform)
        .bind(group.description)
        .execute(&mut *tx)
        .await?;
        let others = members.iter().filter(|m| **m != owner);
        for (user, role) in std::iter::once((&owner, OWNER)).chain(others.map(|m| (m, MEMBER))) {
            sqlx::query(
                "INSERT INTO conversation_members (conversation_id, user_id, role, joined_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (conversation_id, user_id) DO NOTHING",
            )
            .bind(id.to_string())
            .bind(user.to_string())
            .bind(role)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let mut member_ids = vec![owner];
        for m in members {
            if !member_ids.contains(m) {
                member_ids.push(*m);
            }
        }
        let created = ConversationCreated {
            conversation_id: id,
            kind: ConversationKind::Group,
            title: Some(group.title.to_owned()),
            platform: group.platform.map(str::to_owned),
            created_by: owner,
            member_ids,
        };
        if self.wants_webhook("conversation.created") {
            let event = OutboxEvent::new(WebhookChange::ConversationCreated(created), now);
            enqueue_webhooks(&mut tx, self.backend, &[event]).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// A conversation's newest sequence number (`None`: no such conversation).
    pub async fn last_seq(&self, id: ConversationId) -> Result<Option<i64>, AppError> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT last_seq FROM conversations WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(seq,)| seq))
    }

    /// The kind and title of a conversation, if it exists.
    pub async fn conversation_header(
        &self,
        id: ConversationId,
    ) -> Result<Option<(ConversationKind, Option<String>)>, AppError> {
        let row: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT kind, title FROM conversations WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(k, title)| Ok((parse_kind(&k)?, title)))
            .transpose()
    }

    /// The members of `conversation` with these usernames (lower case), in the order named.
    pub async fn members_named(
        &self,
        conversation: ConversationId,
        usernames: &[String],
    ) -> Result<Vec<UserId>, AppError> {
        if usernames.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT u.id, u.username FROM conversation_members cm JOIN users u ON u.id = cm.user_id \
             WHERE cm.conversation_id = $1 AND u.username IN ({})",
            super::placeholders(2, usernames.len())
        );
        let mut query = sqlx::query_as::<_, (String, String)>(&sql).bind(conversation.to_string());
        for name in usernames {
            query = query.bind(name);
        }
        let found = query.fetch_all(&self.pool).await?;
        usernames
            .iter()
            .filter_map(|name| found.iter().find(|(_, u)| u == name))
            .map(|(id, _)| parse_id(id))
            .collect()
    }

    /// Whether `user` belongs to `conversation`.
    pub async fn is_member(
        &self,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<bool, AppError> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND user_id = $2",
        )
        .bind(conversation.to_string())
        .bind(user.to_string())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// The members of a conversation when it has at most `limit` (`None` when it has more): one
    /// indexed read of at most `limit + 1` rows, whatever the conversation's size.
    pub async fn members_upto(
        &self,
        conversation: ConversationId,
        limit: usize,
    ) -> Result<Option<Vec<UserId>>, AppError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT user_id FROM conversation_members WHERE conversation_id = $1 LIMIT $2",
        )
        .bind(conversation.to_string())
        .bind(i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1)
        .fetch_all(&self.pool)
        .await?;
        if rows.len() > limit {
            return Ok(None);
        }
        rows.iter()
            .map(|(id,)| parse_id(id))
            .collect::<Result<_, _>>()
            .map(Some)
    }

    /// Fails with `NOT_A_MEMBER` unless `user` belongs to `conversation`.
    pub async fn require_member(
        &self,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<(), AppError> {
        if self.is_member(conversation, user).await? {
            Ok(())
        } else {
            Err(AppError::NotAMember)
        }
    }

    /// The conversations a user belongs to.
    pub async fn conversation_ids(&self, user: UserId) -> Result<Vec<ConversationId>, AppError> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT conversation_id FROM conversation_members WHERE user_id = $1")
                .bind(user.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|(id,)| parse_id(id)).collect()
    }

    /// Members of a conversation.
    pub async fn member_ids(&self, conversation: ConversationId) -> Result<Vec<UserId>, AppError> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT user_id FROM conversation_members WHERE conversation_id = $1")
                .bind(conversation.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|(id,)| parse_id(id)).collect()
    }

    /// The role of a member, if they are one.
    pub async fn member_role(
        &self,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<Option<String>, AppError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT role FROM conversation_members WHERE conversation_id = $1 AND user_id = $2",
        )
        .bind(conversation.to_string())
        .bind(user.to_string())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(r,)| r))
    }

    /// Makes a member of a group an admin, or a plain member again; false unless they are a
    /// member other than the owner.
    pub async fn set_admin(
        &self,
        conversation: ConversationId,
        user: UserId,
        admin: bool,
    ) -> Result<bool, AppError> {
        let result = sqlx::query(
            "UPDATE conversation_members SET role = $3 \
             WHERE conversation_id = $1 AND user_id = $2 AND role <> 'owner'",
        )
        .bind(conversation.to_string())
        .bind(user.to_string())
        .bind(if admin { ADMIN } else { MEMBER })
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Mutes (`Some(until)`, `None` inside for "until I unmute") or unmutes (`None`) a
    /// conversation for one member; `NotFound` unless they are a member. Returns the mute now,
    /// and whether this changed it.
    pub async fn set_mute(
        &self,
        conversation: ConversationId,
        user: UserId,
        mute: Option<Option<i64>>,
    ) -> Result<(Option<Muted>, bool), AppError> {
        let stored = mute.map(|until| until.unwrap_or(MUTED_FOREVER));
        let now = now_ms();
        let was: Option<(Option<i64>,)> = sqlx::query_as(
            "SELECT muted_until FROM conversation_members \
             WHERE conversation_id = $1 AND user_id = $2",
        )
        .bind(conversation.to_string())
        .bind(user.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some((was,)) = was else {
            return Err(AppError::NotFound("conversation"));
        };
        let muted_now = stored.and_then(|until| muted(until, now));
        if was == stored {
            return Ok((muted_now, false));
        }
        sqlx::query(
            "UPDATE conversation_members SET muted_until = $1 \
             WHERE conversation_id = $2 AND user_id = $3",
        )
        .bind(stored)
        .bind(conversation.to_string())
        .bind(user.to_string())
        .execute(&self.pool)
        .await?;
        // An unmute of a mute that had already ended changes nothing anyone sees.
        let seen_before = was.and_then(|until| muted(until, now));
        Ok((muted_now, seen_before != muted_now))
    }

    /// Adds a member to a group; returns false if they already were one.
    pub async fn add_member(
        &self,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<bool, AppError> {
        // A new member starts with everything before their arrival counted as read.
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let added = sqlx::query(
            "INSERT INTO conversation_members \
               (conversation_id, user_id, role, last_read_seq, last_delivered_seq, joined_at) \
             SELECT id, $2, $3, last_seq, last_seq, $4 FROM conversations WHERE id = $1 \
             ON CONFLICT (conversation_id, user_id) DO NOTHING",
        )
        .bind(conversation.to_string())
        .bind(user.to_string())
        .bind(MEMBER)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added > 0 && self.wants_webhook("conversation.member_added") {
            let change = MembershipChange {
                conversation_id: conversation,
                user_id: user,
            };
            let event = OutboxEvent::new(WebhookChange::MemberAdded(change), now);
            enqueue_webhooks(&mut tx, self.backend, &[event]).await?;
        }
        tx.commit().await?;
        Ok(added > 0)
    }

    /// Removes a member; returns false if they were not one.
    pub async fn remove_member(
        &self,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<bool, AppError> {
        let mut tx = self.pool.begin().await?;
        let removed = sqlx::query(
            "DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2",
        )
        .bind(conversation.to_string())
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if removed > 0 && self.wants_webhook("conversation.member_removed") {
            let change = MembershipChange {
                conversation_id: conversation,
                user_id: user,
            };
            let event = OutboxEvent::new(WebhookChange::MemberRemoved(change), now_ms());
            enqueue_webhooks(&mut tx, self.backend, &[event]).await?;
        }
        tx.commit().await?;
        Ok(removed > 0)
    }

    /// How many members a conversation has (0: no such conversation), counted by the database.
    pub async fn member_count(&self, conversation: ConversationId) -> Result<u64, AppError> {
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM conversation_members WHERE conversation_id = $1")
                .bind(conversation.to_string())
                .fetch_one(&self.pool)
                .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// A group's owner (`None` for a direct conversation or an unknown id).
    pub async fn conversation_owner(
        &self,
        conversation: ConversationId,
    ) -> Result<Option<UserId>, AppError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT user_id FROM conversation_members \
             WHERE conversation_id = $1 AND role = 'owner'",
        )
        .bind(conversation.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(id,)| parse_id(&id)).transpose()
    }

    /// One conversation as `viewer` sees it; `NotFound` unless the viewer is a member.
    pub async fn conversation_for(
        &self,
        id: ConversationId,
        viewer: UserId,
    ) -> Result<Conversation, AppError> {
        let mut list = self.load_conversations(viewer, Some(id)).await?;
        list.pop().ok_or(AppError::NotFound("conversation"))
    }

    /// Every conversation of `viewer`, most recently active first.
    pub async fn conversations_for(&self, viewer: UserId) -> Result<Vec<Conversation>, AppError> {
        let mut list = self.load_conversations(viewer, None).await?;
        list.sort_by_key(|c| {
            std::cmp::Reverse(
                c.last_message
                    .as_ref()
                    .map_or(c.created_at, |m| m.created_at),
            )
        });
        Ok(list)
    }

    /// Loads conversations with members, last message, unread count and unread mentions in five
    /// queries,
    /// whatever the number of conversations.
    async fn load_conversations(
        &self,
        viewer: UserId,
        only: Option<ConversationId>,
    ) -> Result<Vec<Conversation>, AppError> {
        let viewer_s = viewer.to_string();
        let only_s = only.map(|c| c.to_string());
        // `$2` is NULL for "all conversations".
        let filter = "($2 IS NULL OR c.id = $2)";
        let convs: Vec<ConversationRow> = sqlx::query_as(&format!(
            "SELECT c.id, c.kind, c.title, c.platform, c.description, c.last_seq, c.created_at, \
               cm.muted_until \
             FROM conversations c \
             JOIN conversation_members cm ON cm.conversation_id = c.id AND cm.user_id = $1 \
             WHERE {filter}"
        ))
        .bind(&viewer_s)
        .bind(&only_s)
        .fetch_all(&self.pool)
        .await?;
        if convs.is_empty() {
            return Ok(Vec::new());
        }
        let members: Vec<MemberRow> = sqlx::query_as(&format!(
            "SELECT cm.conversation_id, cm.role, cm.last_read_seq, cm.last_delivered_seq, \
               {USER_COLUMNS} \
             FROM conversation_members cm \
             JOIN users u ON u.id = cm.user_id \
             JOIN conversation_members mine ON mine.conversation_id = cm.conversation_id \
               AND mine.user_id = $1 \
             JOIN conversations c ON c.id = cm.conversation_id \
             WHERE {filter} ORDER BY cm.joined_at, u.username"
        ))
        .bind(&viewer_s)
        .bind(&only_s)
        .fetch_all(&self.pool)
        .await?;
        let last: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
             JOIN conversations c ON c.id = m.conversation_id AND m.seq = c.last_seq \
             JOIN conversation_members cm ON cm.conversation_id = c.id AND cm.user_id = $1 \
             WHERE {filter}"
        ))
        .bind(&viewer_s)
        .bind(&only_s)
        .fetch_all(&self.pool)
        .await?;
        let unread = self.unread_state(viewer).await?;
        // Mentions of the viewer above their read position (reads only their own mentions).
        let mentions: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(&format!(
            "SELECT mm.conversation_id, COUNT(*) FROM message_mentions mm \
             JOIN conversation_members cm ON cm.conversation_id = mm.conversation_id \
               AND cm.user_id = mm.user_id \
             JOIN conversations c ON c.id = mm.conversation_id \
             WHERE mm.user_id = $1 AND mm.seq > cm.last_read_seq AND {filter} \
             GROUP BY mm.conversation_id"
        ))
        .bind(&viewer_s)
        .bind(&only_s)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .collect();

        let mut members_by_conv: HashMap<String, Vec<protocol::User>> = HashMap::new();
        let mut positions_by_conv: HashMap<String, Vec<MemberPosition>> = HashMap::new();
        let mut roles_by_conv: HashMap<String, Roles> = HashMap::new();
        for m in members {
            let roles = roles_by_conv.entry(m.conversation_id.clone()).or_default();
            match m.role.as_str() {
                OWNER => roles.owner = Some(parse_id(&m.id)?),
                ADMIN => roles.admins.push(parse_id(&m.id)?),
                _ => {}
            }
            positions_by_conv
                .entry(m.conversation_id.clone())
                .or_default()
                .push(MemberPosition {
                    user_id: parse_id(&m.id)?,
                    delivered_seq: m.last_delivered_seq,
                    read_seq: m.last_read_seq,
                });
            let user = UserRow {
                id: m.id,
                username: m.username,
                display_name: m.display_name,
            }
            .into_user()?;
            members_by_conv
                .entry(m.conversation_id)
                .or_default()
                .push(user);
        }
        let now = now_ms();
        let mut last_by_conv: HashMap<ConversationId, protocol::Message> = rows::messages(last)?
            .into_iter()
            .map(|m| (m.conversation_id, m))
            .collect();
        convs
            .into_iter()
            .map(|c| {
                let id: ConversationId = parse_id(&c.id)?;
                let roles = roles_by_conv.remove(&c.id).unwrap_or_default();
                Ok(Conversation {
                    id,
                    kind: parse_kind(&c.kind)?,
                    title: c.title,
                    platform: c.platform,
                    description: c.description,
                    members: members_by_conv.remove(&c.id).unwrap_or_default(),
                    owner_id: roles.owner,
                    admins: roles.admins,
                    last_seq: c.last_seq,
                    last_message: last_by_conv.remove(&id),
                    unread: unread.of(id),
                    unread_mentions: mentions.get(&c.id).copied().unwrap_or(0),
                    positions: positions_by_conv.remove(&c.id).unwrap_or_default(),
                    created_at: c.created_at,
                    muted: c.muted_until.and_then(|until| muted(until, now)),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_key_is_order_independent() {
        let (a, b) = (UserId::new(), UserId::new());
        assert_eq!(direct_key(a, b), direct_key(b, a));
        assert_ne!(direct_key(a, b), direct_key(a, UserId::new()));
    }

    #[test]
    fn a_stored_mute_ends_at_its_time_and_forever_has_no_time() {
        assert_eq!(muted(MUTED_FOREVER, 5), Some(Muted { until: None }));
        assert_eq!(muted(10, 5), Some(Muted { until: Some(10) }));
        assert_eq!(muted(10, 10), None);
    }
}
