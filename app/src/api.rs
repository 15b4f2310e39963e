//! REST calls from the browser. The session token lives in an httpOnly cookie set by the
//! server, so these calls carry no token themselves.

use protocol::ErrorBody;

/// A failed call, in words a person can read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError(pub String);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Turns an error body into a sentence for the user.
pub fn describe_error(status: u16, body: &str) -> ApiError {
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(err) => ApiError(sentence(&err.error.message)),
        Err(_) => ApiError(format!("the server answered with status {status}")),
    }
}

/// The server's message as a sentence: capitalised first letter.
pub(crate) fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use gloo_net::http::{Request, Response};
    use protocol::rest::{
        AuthResponse, CommentPage, ConversationList, CreateCommentRequest,
        CreateConversationRequest, CreatePostRequest, Health, LoginRequest, MarkNotificationsRead,
        MessagePage, MuteRequest, MuteState, NotificationList, NotificationsUnread, PostPage,
        ReactionList, RegisterRequest, SearchPage, SessionInfo, UserList,
    };
    use protocol::{
        Comment, Conversation, ConversationId, MessageId, NotificationId, Post, PostCounts, PostId,
        Profile, User, UserId,
    };
    use serde::de::DeserializeOwned;

    async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| ApiError(format!("could not read the reply: {e}")))?;
        if (200..300).contains(&status) {
            serde_json::from_str(&text).map_err(|e| ApiError(format!("unexpected reply: {e}")))
        } else {
            Err(describe_error(status, &text))
        }
    }

    fn offline(e: gloo_net::Error) -> ApiError {
        ApiError(format!("cannot reach the server ({e})"))
    }

    /// `GET /api/auth/session`: the signed-in user, or `None`.
    pub async fn me() -> Result<Option<User>, ApiError> {
        let response = Request::get("/api/auth/session")
            .send()
            .await
            .map_err(offline)?;
        decode::<SessionInfo>(response).await.map(|s| s.user)
    }

    /// `POST /api/auth/login`.
    pub async fn login(req: &LoginRequest) -> Result<AuthResponse, ApiError> {
        let request = Request::post("/api/auth/login")
            .json(req)
            .map_err(offline)?;
        decode(request.send().await.map_err(offline)?).await
    }

    /// `POST /api/auth/register`.
    pub async fn register(req: &RegisterRequest) -> Result<AuthResponse, ApiError> {
        let request = Request::post("/api/auth/register")
            .json(req)
            .map_err(offline)?;
        decode(request.send().await.map_err(offline)?).await
    }

    /// `POST /api/auth/refresh`: a fresh token for the signed-in session (and its cookie).
    pub async fn refresh_session() -> Result<AuthResponse, ApiError> {
        let request = Request::post("/api/auth/refresh");
        decode(request.send().await.map_err(offline)?).await
    }

    /// `POST /api/auth/logout`.
    pub async fn logout() -> Result<(), ApiError> {
        let response = Request::post("/api/auth/logout")
            .send()
            .await
            .map_err(offline)?;
        if response.ok() {
            Ok(())
        } else {
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            Err(describe_error(status, &text))
        }
    }

    /// `GET /api/conversations`.
    pub async fn conversations() -> Result<Vec<Conversation>, ApiError> {
        let list: ConversationList = decode(
            Request::get("/api/conversations")
                .send()
                .await
                .map_err(offline)?,
        )
        .await?;
        Ok(list.conversations)
    }

    /// `POST /api/conversations`.
    pub async fn create_conversation(
        req: &CreateConversationRequest,
    ) -> Result<Conversation, ApiError> {
        let request = Request::post("/api/conversations")
            .json(req)
            .map_err(offline)?;
        decode(request.send().await.map_err(offline)?).await
    }

    /// `GET /api/conversations/{id}/messages` with `before` or `after`.
    pub async fn messages(
        id: ConversationId,
        before: Option<i64>,
        after: Option<i64>,
    ) -> Result<MessagePage, ApiError> {
        let mut url = format!(
            "/api/conversations/{id}/messages?limit={}",
            if after.is_some() { 200 } else { 50 }
        );
        if let Some(before) = before {
            url.push_str(&format!("&before={before}"));
        }
        if let Some(after) = after {
            url.push_str(&format!("&after={after}"));
        }
        decode(Request::get(&url).send().await.map_err(offline)?).await
    }

    /// `GET /api/users?q=…`.
    pub async fn search_users(query: &str) -> Result<Vec<User>, ApiError> {
        let url = format!("/api/users?q={}", js_sys::encode_uri_component(query));
        let list: UserList = decode(Request::get(&url).send().await.map_err(offline)?).await?;
        Ok(list.users)
    }

    /// `GET /api/search?q=…`: messages of my conversations (or only `within`), newest first;
    /// the page after `before` (the previous page's `next`).
    pub async fn search_messages(
        query: &str,
        within: Option<ConversationId>,
        before: Option<&str>,
    ) -> Result<SearchPage, ApiError> {
        let mut url = format!("/api/search?q={}", js_sys::encode_uri_component(query));
        if let Some(conversation) = within {
            url.push_str(&format!("&conversation_id={conversation}"));
        }
        if let Some(before) = before {
            url.push_str(&format!("&before={}", js_sys::encode_uri_component(before)));
        }
        decode(Request::get(&url).send().await.map_err(offline)?).await
    }

    /// `GET /api/notifications`: the newest page, or the one older than `before`.
    pub async fn notifications(
        before: Option<NotificationId>,
    ) -> Result<NotificationList, ApiError> {
        let url = match before {
            Some(id) => format!("/api/notifications?limit=20&before={id}"),
            None => "/api/notifications?limit=20".into(),
        };
        decode(Request::get(&url).send().await.map_err(offline)?).await
    }

    /// `POST /api/notifications/read`: everything up to `up_to`.
    pub async fn mark_notifications_read(
        up_to: NotificationId,
    ) -> Result<NotificationsUnread, ApiError> {
        let request = Request::post("/api/notifications/read")
            .json(&MarkNotificationsRead { up_to })
            .map_err(offline)?;
        decode(request.send().await.map_err(offline)?).await
    }

    /// `POST /api/notifications/{id}/read`: one notification.
    pub async fn mark_notification_read(
        id: NotificationId,
    ) -> Result<NotificationsUnread, ApiError> {
        let url = format!("/api/notifications/{id}/read");
        decode(Request::post(&url).send().await.map_err(offline)?).await
    }

    /// `GET /api/feed` (people I follow, and me), or one person's posts, newest first.
    pub async fn posts(author: Option<UserId>) -> Result<PostPage, ApiError> {
        let url = match author {
            Some(id) => format!("/api/users/{id}/posts?limit=30"),
            None => "/api/feed?limit=30".into(),
        };
        decode(Request::get(&url).send().await.map_err(offline)?).await
    }

    /// `GET /api/posts/{id}`.
    pub async fn post(id: PostId) -> Result<Post, ApiError> {
        decode(
            Request::get(&format!("/api/posts/{id}"))
                .send()
                .await
                .map_err(offline)?,
        )
        .await
    }

    /// `POST /api/posts`.
    pub async fn create_post(body: String) -> Result<Post, ApiError> {
        let request = Request::post("/api/posts")
            .json(&CreatePostRequest { body })
            .map_err(offline)?;
        decode(request.send().await.map_err(offline)?).await
    }

    /// `PUT` (like) or `DELETE` (unlike) `/api/posts/{id}/like`.
    pub async fn set_like(id: PostId, like: bool) -> Result<PostCounts, ApiError> {
        let url = format!("/api/posts/{id}/like");
        let request = if like {
            Request::put(&url)
        } else {
            Request::delete(&url)
        };
        decode(request.send().await.map_err(offline)?).await
    }

    /// `GET /api/posts/{id}/comments` (the first 100, oldest first).
    pub async fn comments(id: PostId) -> Result<CommentPage, ApiError> {
        decode(
            Request::get(&format!("/api/posts/{id}/comments?limit=100"))
                .send()
                .await
                .map_err(offline)?,
        )
        .await
    }

    /// `POST /api/posts/{id}/comments`.
    pub async fn comment(id: PostId, body: String) -> Result<Comment, ApiError> {
        let request = Request::post(&format!("/api/posts/{id}/comments"))
            .json(&CreateCommentRequest { body })
            .map_err(offline)?;
        decode(request.send().await.map_err(offline)?).await
    }

    /// `GET /api/users/{id}`.
    pub async fn profile(id: UserId) -> Result<Profile, ApiError> {
        decode(
            Request::get(&format!("/api/users/{id}"))
                .send()
                .await
                .map_err(offline)?,
        )
        .await
    }

    /// `PUT` (follow) or `DELETE` (unfollow) `/api/users/{id}/follow`.
    pub async fn set_follow(id: UserId, follow: bool) -> Result<Profile, ApiError> {
        let url = format!("/api/users/{id}/follow");
        let request = if follow {
            Request::put(&url)
        } else {
            Request::delete(&url)
        };
        decode(request.send().await.map_err(offline)?).await
    }

    /// `PUT` (block) or `DELETE` (unblock) `/api/users/{id}/block`.
    pub async fn set_block(id: UserId, block: bool) -> Result<Profile, ApiError> {
        let url = format!("/api/users/{id}/block");
        let request = if block {
            Request::put(&url)
        } else {
            Request::delete(&url)
        };
        decode(request.send().await.map_err(offline)?).await
    }

    /// `PUT` (mute: `Some(until)`, `None` inside for "until I unmute") or `DELETE` (unmute)
    /// `/api/conversations/{id}/mute`.
    pub async fn set_mute(
        id: ConversationId,
        mute: Option<Option<i64>>,
    ) -> Result<MuteState, ApiError> {
        let url = format!("/api/conversations/{id}/mute");
        let request = match mute {
            Some(until) => Request::put(&url)
                .json(&MuteRequest { until })
                .map_err(offline)?,
            None => Request::delete(&url).build().map_err(offline)?,
        };
        decode(request.send().await.map_err(offline)?).await
    }

    /// `GET /api/messages/{id}/reactions`: who reacted with each emoji.
    pub async fn reactions(id: MessageId) -> Result<ReactionList, ApiError> {
        let url = format!("/api/messages/{id}/reactions");
        decode(Request::get(&url).send().await.map_err(offline)?).await
    }

    /// `GET /api/blocks`: the people I blocked.
    pub async fn blocked() -> Result<Vec<User>, ApiError> {
        let list: UserList =
            decode(Request::get("/api/blocks").send().await.map_err(offline)?).await?;
        Ok(list.users)
    }

    /// `PUT` (make admin) or `DELETE` (make member) `/api/conversations/{id}/admins/{user}`.
    pub async fn set_admin(
        id: ConversationId,
        user: UserId,
        admin: bool,
    ) -> Result<Conversation, ApiError> {
        let url = format!("/api/conversations/{id}/admins/{user}");
        let request = if admin {
            Request::put(&url)
        } else {
            Request::delete(&url)
        };
        decode(request.send().await.map_err(offline)?).await
    }

    /// `GET /health`.
    pub async fn health() -> Result<Health, ApiError> {
        decode(Request::get("/health").send().await.map_err(offline)?).await
    }
}

#[cfg(feature = "hydrate")]
pub use browser::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_become_their_message() {
        let body = r#"{"error":{"code":"CONFLICT","message":"that username is taken"}}"#;
        assert_eq!(describe_error(409, body).0, "That username is taken");
        assert_eq!(
            describe_error(502, "<html>").0,
            "the server answered with status 502"
        );
    }
}
