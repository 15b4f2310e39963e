//! One post: author (a link to their profile), text, live like and comment counts, like/unlike,
//! and its comments (loaded on opening, then live) with a box to add one.

use crate::client::{format, ChatClient, PostLive, Slice};
use crate::ui::now_ms;
use leptos::prelude::*;
use leptos_router::components::A;
use protocol::Post;

/// A post card.
#[component]
pub fn PostCard(post: Post, open_comments: bool) -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let id = post.id;
    let live = Memo::new(move |_| {
        client.read(Slice::Posts, |s| {
            s.posts.get(&id).cloned().unwrap_or_else(|| PostLive {
                liked: post.liked_by_me,
                ..PostLive::default()
            })
        })
    });
    let likes = move || live.with(|l| l.counts.map_or(post.like_count, |c| c.like_count));
    let comment_count =
        move || live.with(|l| l.counts.map_or(post.comment_count, |c| c.comment_count));
    let liked = move || live.with(|l| l.liked);
    let show_comments = RwSignal::new(false);
    let draft = RwSignal::new(String::new());

    let load_comments = move || {
        #[cfg(feature = "hydrate")]
        if !live.with_untracked(|l| l.comments_loaded) {
            leptos::task::spawn_local(async move {
                match crate::api::comments(id).await {
                    Ok(page) => client.update(|s| {
                        s.set_comments(id, page.comments);
                        Vec::new()
                    }),
                    Err(e) => client.notice(e.0),
                }
            });
        }
    };
    if open_comments {
        show_comments.set(true);
        load_comments();
    }
    let toggle_comments = move |_| {
        let open = !show_comments.get_untracked();
        show_comments.set(open);
        if open {
            load_comments();
        }
    };
    let toggle_like = move |_| {
        let like = !liked();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match crate::api::set_like(id, like).await {
                Ok(counts) => client.update(|s| {
                    s.liked(counts, like);
                    Vec::new()
                }),
                Err(e) => client.notice(e.0),
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = like;
    };
    let send_comment = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = draft.get_untracked();
        if body.trim().is_empty() {
            return;
        }
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match crate::api::comment(id, body).await {
                Ok(comment) => {
                    client.update(|s| {
                        s.comment_added(comment);
                        Vec::new()
                    });
                    draft.set(String::new());
                }
                Err(e) => client.notice(e.0),
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = body;
    };
    let author = post.author.clone();
    view! {
        <article class="card post" data-testid="post" data-post-id=id.to_string()
            class:deleted=move || live.with(|l| l.deleted)>
            <header class="row">
                <A href=format!("/u/{}", author.id) attr:class="author" attr:data-testid="post-author">
                    {author.display_name.clone()}
                </A>
                <time class="muted">{format::ago(post.created_at, now_ms())}</time>
            </header>
            {move || if live.with(|l| l.deleted) {
                view! { <p class="muted">"This post was deleted."</p> }.into_any()
            } else {
                view! { <p class="body" data-testid="post-body">{post.body.clone()}</p> }.into_any()
            }}
            <footer class="post-actions">
                <button class="secondary small" data-testid="like" on:click=toggle_like
                    aria-pressed=move || liked().to_string()>
                    {move || if liked() { "♥ Liked" } else { "♡ Like" }}
                </button>
                <span data-testid="like-count" data-count=likes>{move || format::count(likes(), "like", "likes")}</span>" · "
                <button class="link" data-testid="comments-toggle" on:click=toggle_comments
                    aria-expanded=move || show_comments.get().to_string()>
                    <span data-testid="comment-count" data-count=comment_count>
                        {move || format::count(comment_count(), "comment", "comments")}
                    </span>
                </button>
            </footer>
            {move || show_comments.get().then(|| view! {
                <div class="comments">
                    <ul>
                        <For each=move || live.with(|l| l.comments.clone()) key=|c| c.id let:c>
                            <li data-testid="comment">
                                <A href=format!("/u/{}", c.author.id) attr:class="author">{c.author.display_name.clone()}</A>
                                " "{c.body.clone()}
                            </li>
                        </For>
                    </ul>
                    <form class="comment-form" on:submit=send_comment>
                        <label class="visually-hidden" for=format!("comment-{id}")>"Comment"</label>
                        <input id=format!("comment-{id}") placeholder="Write a comment…" bind:value=draft/>
                        <button type="submit" class="small">"Comment"</button>
                    </form>
                </div>
            })}
        </article>
    }
}
