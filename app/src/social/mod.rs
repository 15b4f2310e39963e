//! The social side: the home feed (`/feed`), a person's profile (`/u/{id}`) and one post with
//! its comments (`/p/{id}`). Posts shown are watched live: likes, comments and deletions by
//! anyone appear without a reload.

mod post;

use crate::client::ChatClient;
use crate::ui::param_id;
use leptos::prelude::*;
use post::PostCard;
use protocol::{Post, PostId, Profile, UserId};

/// Loads posts for a page and starts watching them.
fn load_posts(client: ChatClient, author: Option<UserId>, into: RwSignal<Option<Vec<Post>>>) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        match crate::api::posts(author).await {
            Ok(page) => {
                client.update(|s| s.show_posts(&page.posts));
                let _ = into.try_set(Some(page.posts));
            }
            Err(e) => client.notice(e.0),
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (client, author, into);
}

/// A list of posts, or what to say while there are none.
#[component]
fn PostList(posts: RwSignal<Option<Vec<Post>>>, empty: &'static str) -> impl IntoView {
    view! {
        {move || match posts.get() {
            None => Some(view! { <p class="muted">"Loading…"</p> }.into_any()),
            Some(list) if list.is_empty() => Some(view! { <p class="muted" data-testid="no-posts">{empty}</p> }.into_any()),
            Some(_) => None,
        }}
        <ul class="posts">
            <For each=move || posts.get().unwrap_or_default() key=|p| p.id let:post>
                <li><PostCard post open_comments=false/></li>
            </For>
        </ul>
    }
}

/// `/feed`: write a post; posts by the people you follow, and yours.
#[component]
pub fn FeedPage() -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let posts = RwSignal::new(None::<Vec<Post>>);
    load_posts(client, None, posts);
    let text = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = text.get_untracked();
        if body.trim().is_empty() {
            return;
        }
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match crate::api::create_post(body).await {
                Ok(post) => {
                    client.update(|s| s.show_posts(std::slice::from_ref(&post)));
                    posts.update(|list| list.get_or_insert_with(Vec::new).insert(0, post));
                    text.set(String::new());
                }
                Err(e) => client.notice(e.0),
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = body;
    };
    view! {
        <section class="feed pane-body" aria-label="Feed">
            <form class="card new-post" on:submit=submit>
                <label for="new-post">"Write a post"</label>
                <textarea id="new-post" rows="3" placeholder="What is new?" bind:value=text></textarea>
                <button type="submit">"Post"</button>
            </form>
            <PostList posts empty="Nothing yet: write a post, or follow people from their name."/>
        </section>
    }
}

/// `/u/{id}`: a person's profile with follower counts, follow/unfollow, and their posts.
#[component]
pub fn ProfilePage() -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let id = param_id::<UserId>("id");
    let profile = RwSignal::new(None::<Profile>);
    let posts = RwSignal::new(None::<Vec<Post>>);
    Effect::new(move |_| {
        let Some(user) = id.get() else { return };
        posts.set(None);
        load_posts(client, Some(user), posts);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match crate::api::profile(user).await {
                Ok(p) => {
                    let _ = profile.try_set(Some(p));
                }
                Err(e) => client.notice(e.0),
            }
        });
    });
    let me = client.peek(|s| s.me.id);
    let toggle_follow = move |_| {
        let Some(current) = profile.get_untracked() else {
            return;
        };
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let follow = !current.followed_by_me;
            match crate::api::set_follow(current.user.id, follow).await {
                Ok(p) => {
                    let _ = profile.try_set(Some(p));
                }
                Err(e) => client.notice(e.0),
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = current;
    };
    let toggle_block = move |_| {
        let Some(current) = profile.get_untracked() else {
            return;
        };
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let block = !current.blocked_by_me;
            match crate::api::set_block(current.user.id, block).await {
                Ok(p) => {
                    let _ = profile.try_set(Some(p));
                }
                Err(e) => client.notice(e.0),
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = current;
    };
    view! {
        <section class="profile pane-body" aria-label="Profile">
            {move || profile.get().map(|p| {
                let mine = Some(p.user.id) == me;
                view! {
                    <header class="card profile-card">
                        <h2 data-testid="profile-name">{p.user.display_name.clone()}</h2>
                        <span class="muted">"@"{p.user.username.clone()}</span>
                        <p>
                            <span data-testid="followers">{p.follower_count}</span>" followers · "
                            <span data-testid="following">{p.following_count}</span>" following"
                        </p>
                        {(!mine).then(|| view! {
                            <div class="profile-actions">
                                <button data-testid="follow" class:secondary=p.followed_by_me on:click=toggle_follow>
                                    {if p.followed_by_me { "Unfollow" } else { "Follow" }}
                                </button>
                                <button data-testid="block" class="secondary" on:click=toggle_block
                                    title="Blocked people cannot message you and you cannot message them; their presence and typing are hidden and their messages in groups collapsed">
                                    {if p.blocked_by_me { "Unblock" } else { "Block" }}
                                </button>
                            </div>
                            {p.blocked_by_me.then(|| view! {
                                <p class="muted" data-testid="blocked-note">
                                    "You blocked them: no direct messages either way; their presence and typing are hidden and their messages in groups are collapsed."
                                </p>
                            })}
                        })}
                    </header>
                }
            })}
            <PostList posts empty="No posts yet."/>
        </section>
    }
}

/// `/p/{id}`: one post with its comments open (where a notification about it leads).
#[component]
pub fn PostPage() -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let id = param_id::<PostId>("id");
    let post = RwSignal::new(None::<Result<Post, String>>);
    Effect::new(move |_| {
        let Some(id) = id.get() else { return };
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let loaded = crate::api::post(id).await;
            if let Ok(p) = &loaded {
                client.update(|s| s.show_posts(std::slice::from_ref(p)));
            }
            let _ = post.try_set(Some(loaded.map_err(|e| e.0)));
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (id, client);
    });
    view! {
        <section class="single-post pane-body" aria-label="Post">
            {move || match post.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
                Some(Ok(p)) => view! { <PostCard post=p open_comments=true/> }.into_any(),
            }}
        </section>
    }
}
