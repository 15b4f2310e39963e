//! Posts, likes and comments (`/api/posts…`), the home feed (`/api/feed`) and a person's posts
//! (`/api/users/{id}/posts`). Every signed-in user may read every post: there is no visibility
//! rule beyond being signed in.

use super::{path_id, ApiJson, ApiPath, ApiQuery};
use crate::auth::AuthUser;
use crate::domain::posts;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::PostSource;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use protocol::rest::{CommentPage, CreateCommentRequest, CreatePostRequest, LikeToggled, PostPage};
use protocol::ErrorBody;
use protocol::{Comment, CommentId, Post, PostCounts, PostId, UserId};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this resource, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(feed))
        .routes(routes!(by_author))
        .routes(routes!(create))
        .routes(routes!(show, remove))
        .routes(routes!(like, unlike, toggle_like))
        .routes(routes!(comments, comment))
        .routes(routes!(remove_comment))
}

/// Which page of posts (`before`) or comments (`after`).
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// Posts older than this post id.
    before: Option<String>,
    /// Comments after this comment id.
    after: Option<String>,
    /// At most this many (1–100, default 20).
    limit: Option<i64>,
}

impl PageQuery {
    fn limit(&self) -> Result<i64, AppError> {
        let limit = self.limit.unwrap_or(20);
        if !(1..=100).contains(&limit) {
            return Err(AppError::validation("limit must be between 1 and 100"));
        }
        Ok(limit)
    }
}

fn cursor<T: std::str::FromStr>(raw: &Option<String>, what: &str) -> Result<Option<T>, AppError> {
    raw.as_deref()
        .map(|r| {
            r.parse()
                .map_err(|_| AppError::validation(format!("{what} is not an id")))
        })
        .transpose()
}

/// The home feed: posts of the people you follow, and yours, newest first.
#[utoipa::path(get, path = "/feed", tag = "posts", params(PageQuery), responses((status = 200, description = "A page of posts", body = PostPage), (status = 422, description = "`VALIDATION_FAILED`: a cursor that is not an id, or `limit` out of 1–100", body = ErrorBody)))]
async fn feed(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> AppResult<Json<PostPage>> {
    let before: Option<PostId> = cursor(&query.before, "before")?;
    let (posts, has_more) = state
        .store
        .posts(me.id, PostSource::Feed, before, query.limit()?)
        .await?;
    Ok(Json(PostPage { posts, has_more }))
}

/// A person's posts, newest first.
#[utoipa::path(get, path = "/users/{id}/posts", tag = "posts", params(("id" = Uuid, Path, description = "The author's id"), PageQuery), responses((status = 200, description = "A page of posts", body = PostPage), (status = 404, description = "`NOT_FOUND`: no such user", body = ErrorBody)))]
async fn by_author(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> AppResult<Json<PostPage>> {
    let author: UserId = path_id(&id, "user")?;
    let before: Option<PostId> = cursor(&query.before, "before")?;
    let (posts, has_more) = state
        .store
        .posts(me.id, PostSource::Author(author), before, query.limit()?)
        .await?;
    Ok(Json(PostPage { posts, has_more }))
}

/// Publishes a post.
#[utoipa::path(post, path = "/posts", tag = "posts", request_body = CreatePostRequest, responses((status = 201, description = "The post", body = Post), (status = 422, description = "`VALIDATION_FAILED`: an empty or too long body", body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiJson(req): ApiJson<CreatePostRequest>,
) -> AppResult<(StatusCode, Json<Post>)> {
    let post = posts::create(&state, &me, &req.body).await?;
    Ok((StatusCode::CREATED, Json(post)))
}

/// One post with its counts.
#[utoipa::path(get, path = "/posts/{id}", tag = "posts", params(("id" = Uuid, Path, description = "The post's id")), responses((status = 200, description = "The post", body = Post), (status = 404, description = "`NOT_FOUND`: no such post", body = ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<Post>> {
    let id: PostId = path_id(&id, "post")?;
    let post = state.store.post(me.id, id).await?;
    Ok(Json(post.ok_or(AppError::NotFound("post"))?))
}

/// Deletes your post; watchers get `post_deleted`.
#[utoipa::path(delete, path = "/posts/{id}", tag = "posts", params(("id" = Uuid, Path, description = "The post's id")), responses((status = 204, description = "Deleted"), (status = 403, description = "`FORBIDDEN`: not your post", body = ErrorBody), (status = 404, description = "`NOT_FOUND`: no such post", body = ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<StatusCode> {
    let id: PostId = path_id(&id, "post")?;
    posts::delete(&state, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Likes a post (idempotent: one like per person); watchers get the new counts.
#[utoipa::path(put, path = "/posts/{id}/like", tag = "posts", params(("id" = Uuid, Path, description = "The post's id")), responses((status = 200, description = "The post's counts", body = PostCounts), (status = 404, description = "`NOT_FOUND`: no such post", body = ErrorBody)))]
async fn like(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<PostCounts>> {
    let id: PostId = path_id(&id, "post")?;
    Ok(Json(posts::set_like(&state, &me, id, true).await?))
}

/// Takes back a like (idempotent).
#[utoipa::path(delete, path = "/posts/{id}/like", tag = "posts", params(("id" = Uuid, Path, description = "The post's id")), responses((status = 200, description = "The post's counts", body = PostCounts), (status = 404, description = "`NOT_FOUND`: no such post", body = ErrorBody)))]
async fn unlike(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<PostCounts>> {
    let id: PostId = path_id(&id, "post")?;
    Ok(Json(posts::set_like(&state, &me, id, false).await?))
}

/// The like button: likes the post, or takes the like back if the caller already likes it
/// (as Flask-SocketIO social apps' `POST …/like` does); answers `likes_count` with the counts.
#[utoipa::path(post, path = "/posts/{id}/like", tag = "posts", params(("id" = Uuid, Path, description = "The post's id")), responses((status = 200, description = "Whether the caller likes it now, and the counts", body = LikeToggled), (status = 404, description = "`NOT_FOUND`: no such post", body = ErrorBody)))]
async fn toggle_like(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<LikeToggled>> {
    let id: PostId = path_id(&id, "post")?;
    let post = state.store.post(me.id, id).await?;
    let liked = !post.ok_or(AppError::NotFound("post"))?.liked_by_me;
    let counts = posts::set_like(&state, &me, id, liked).await?;
    Ok(Json(LikeToggled {
        success: true,
        liked,
        likes_count: counts.like_count,
        counts,
    }))
}

/// A post's comments, oldest first.
#[utoipa::path(get, path = "/posts/{id}/comments", tag = "posts", params(("id" = Uuid, Path, description = "The post's id"), PageQuery), responses((status = 200, description = "A page of comments", body = CommentPage), (status = 404, description = "`NOT_FOUND`: no such post", body = ErrorBody)))]
async fn comments(
    State(state): State<AppState>,
    AuthUser(_me): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> AppResult<Json<CommentPage>> {
    let id: PostId = path_id(&id, "post")?;
    let after: Option<CommentId> = cursor(&query.after, "after")?;
    let (comments, has_more) = state.store.comments(id, after, query.limit()?).await?;
    Ok(Json(CommentPage { comments, has_more }))
}

/// Comments on a post; watchers get `comment_new` and the counts, the author a notification.
#[utoipa::path(post, path = "/posts/{id}/comments", tag = "posts", params(("id" = Uuid, Path, description = "The post's id")), request_body = CreateCommentRequest, responses((status = 201, description = "The comment", body = Comment), (status = 404, description = "`NOT_FOUND`: no such post", body = ErrorBody), (status = 422, description = "`VALIDATION_FAILED`: an empty or too long body", body = ErrorBody)))]
async fn comment(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<CreateCommentRequest>,
) -> AppResult<(StatusCode, Json<Comment>)> {
    let id: PostId = path_id(&id, "post")?;
    let comment = posts::comment(&state, &me, id, &req.body).await?;
    Ok((StatusCode::CREATED, Json(comment)))
}

/// Deletes your comment.
#[utoipa::path(delete, path = "/comments/{id}", tag = "posts", params(("id" = Uuid, Path, description = "The comment's id")), responses((status = 204, description = "Deleted"), (status = 403, description = "`FORBIDDEN`: not your comment", body = ErrorBody), (status = 404, description = "`NOT_FOUND`: no such comment", body = ErrorBody)))]
async fn remove_comment(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<StatusCode> {
    let id: CommentId = path_id(&id, "comment")?;
    posts::delete_comment(&state, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
