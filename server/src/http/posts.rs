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
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use protocol::rest::{CommentPage, CreateCommentRequest, CreatePostRequest, PostPage};
use protocol::{Comment, CommentId, Post, PostCounts, PostId, UserId};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feed", get(feed))
        .route("/users/{id}/posts", get(by_author))
        .route("/posts", post(create))
        .route("/posts/{id}", get(show).delete(remove))
        .route("/posts/{id}/like", axum::routing::put(like).delete(unlike))
        .route("/posts/{id}/comments", get(comments).post(comment))
        .route("/comments/{id}", delete(remove_comment))
}

#[derive(Deserialize)]
struct PageQuery {
    before: Option<String>,
    after: Option<String>,
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

async fn create(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiJson(req): ApiJson<CreatePostRequest>,
) -> AppResult<(StatusCode, Json<Post>)> {
    let post = posts::create(&state, &me, &req.body).await?;
    Ok((StatusCode::CREATED, Json(post)))
}

async fn show(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<Post>> {
    let id: PostId = path_id(&id, "post")?;
    let post = state.store.post(me.id, id).await?;
    Ok(Json(post.ok_or(AppError::NotFound("post"))?))
}

async fn remove(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<StatusCode> {
    let id: PostId = path_id(&id, "post")?;
    posts::delete(&state, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn like(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<PostCounts>> {
    let id: PostId = path_id(&id, "post")?;
    Ok(Json(posts::set_like(&state, &me, id, true).await?))
}

async fn unlike(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<PostCounts>> {
    let id: PostId = path_id(&id, "post")?;
    Ok(Json(posts::set_like(&state, &me, id, false).await?))
}

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

async fn remove_comment(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> AppResult<StatusCode> {
    let id: CommentId = path_id(&id, "comment")?;
    posts::delete_comment(&state, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
