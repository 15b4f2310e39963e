//! Starting conversations: a direct one by searching for a person, or a named group.

use crate::client::ChatClient;
use crate::ui::GoTo;
use leptos::prelude::*;
use protocol::rest::CreateConversationRequest;
use protocol::User;

/// Searches users as the query changes and lists them with a button each.
#[component]
fn UserSearch(
    /// The input's label.
    label: &'static str,
    /// The button text on each result.
    action: &'static str,
    /// Called with the chosen user.
    on_pick: Callback<User>,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let results = RwSignal::new(Vec::<User>::new());
    let input_id = format!("search-{}", label.to_lowercase().replace(' ', "-"));
    let client = expect_context::<ChatClient>();
    Effect::new(move |_| {
        let q = query.get();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            if q.trim().is_empty() {
                let _ = results.try_set(Vec::new());
                return;
            }
            match crate::api::search_users(q.trim()).await {
                // Only the answer to the latest query counts.
                Ok(users) if query.try_get_untracked().as_deref() == Some(q.as_str()) => {
                    let _ = results.try_set(users);
                }
                Ok(_) => {}
                Err(e) => client.notice(e.0),
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (q, results, client);
    });
    view! {
        <label for=input_id.clone()>{label}</label>
        <input id=input_id type="search" placeholder="Name or username" autocomplete="off"
            bind:value=query/>
        <ul class="search-results">
            <For each=move || results.get() key=|u| u.id let:user>
                {
                    let picked = user.clone();
                    view! {
                        <li>
                            <span>{user.display_name.clone()} <span class="muted">" @"{user.username.clone()}</span></span>
                            // Named for the person: a screen reader lists "Message Bob", "Message
                            // Bea", not a row of identical "Message" buttons.
                            <button class="small" type="button"
                                aria-label=format!("{action} {}", user.display_name)
                                on:click=move |_| { on_pick.run(picked.clone()); query.set(String::new()); }>
                                {action}
                            </button>
                        </li>
                    }
                }
            </For>
        </ul>
    }
}

/// Folds a panel once it has done its job.
fn close(details: NodeRef<leptos::html::Details>) {
    if let Some(el) = details.get_untracked() {
        el.set_open(false);
    }
}

/// Creates a conversation, adds it to the state and asks the layout to open it.
fn create_and_open(
    client: ChatClient,
    go_to: RwSignal<Option<String>>,
    req: CreateConversationRequest,
) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        match crate::api::create_conversation(&req).await {
            Ok(conversation) => {
                let id = conversation.id;
                client.update(|s| s.upsert(conversation));
                let _ = go_to.try_set(Some(format!("/c/{id}")));
            }
            Err(e) => client.notice(e.0),
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (client, go_to, req);
}

/// "New message": find a person and open the direct conversation with them.
#[component]
pub fn NewDirect() -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let go_to = expect_context::<GoTo>().0;
    let details = NodeRef::<leptos::html::Details>::new();
    let on_pick = Callback::new(move |user: User| {
        close(details);
        create_and_open(
            client,
            go_to,
            CreateConversationRequest::Direct { user_id: user.id },
        );
    });
    view! {
        <details class="tool" data-testid="new-direct" node_ref=details>
            <summary>"New message"</summary>
            <UserSearch label="Find people" action="Message" on_pick/>
        </details>
    }
}

/// "New group": a name and members.
#[component]
pub fn NewGroup() -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let go_to = expect_context::<GoTo>().0;
    let details = NodeRef::<leptos::html::Details>::new();
    let title = RwSignal::new(String::new());
    let members = RwSignal::new(Vec::<User>::new());
    let on_pick = Callback::new(move |user: User| {
        members.update(|m| {
            if !m.iter().any(|x| x.id == user.id) {
                m.push(user);
            }
        });
    });
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let req = CreateConversationRequest::Group {
            title: title.get_untracked(),
            member_ids: members.get_untracked().iter().map(|u| u.id).collect(),
            platform: None,
            description: None,
        };
        create_and_open(client, go_to, req);
        title.set(String::new());
        members.set(Vec::new());
        close(details);
    };
    view! {
        <details class="tool" data-testid="new-group" node_ref=details>
            <summary>"New group"</summary>
            <form on:submit=create>
                <label for="group-title">"Group name"</label>
                <input id="group-title" required maxlength="64" bind:value=title/>
                <UserSearch label="Add members" action="Add" on_pick/>
                <ul class="chips" aria-label="Members to add">
                    <For each=move || members.get() key=|u| u.id let:user>
                        {
                            let id = user.id;
                            view! {
                                <li>{user.display_name.clone()}
                                    <button class="link" type="button" aria-label=format!("Remove {}", user.display_name)
                                        on:click=move |_| members.update(|m| m.retain(|u| u.id != id))>"✕"</button>
                                </li>
                            }
                        }
                    </For>
                </ul>
                <button type="submit">"Create group"</button>
            </form>
        </details>
    }
}
