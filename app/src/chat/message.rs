//! One line of the chat: a message (mine with its delivery state and edit/delete buttons), a
//! pending message, or a membership line.

use super::rows::Row;
use super::Editing;
use crate::client::{format, ChatClient, Delivery, Slice};
use crate::ui::utc_offset_minutes;
use leptos::prelude::*;
use protocol::{ClientEvent, UserId};
use std::collections::HashMap;

/// One line.
#[component]
pub fn MessageRow(row: Row, editing: Editing) -> impl IntoView {
    let client = expect_context::<ChatClient>();
    match row {
        Row::System(line) => {
            view! { <li class="system muted" data-testid="system-line">{line.text}</li> }.into_any()
        }
        Row::Pending(conversation, pending) => {
            let temp_id = pending.temp_id.clone();
            let failed = pending.failed.clone();
            let is_failed = failed.is_some();
            view! {
                <li class="message mine pending" class:failed=is_failed data-testid="message"
                    data-state=if is_failed { "failed" } else { "pending" }>
                    {(!pending.body.is_empty()).then(|| view! { <p class="body">{pending.body.clone()}</p> })}
                    <Files files=pending.attachments.clone()/>
                    <span class="meta">
                        {match failed {
                            Some(why) => view! {
                                <span class="error">"Not sent: "{why}" "</span>
                                <button class="link" on:click=move |_| {
                                    let temp_id = temp_id.clone();
                                    client.update(move |s| { s.discard(conversation, &temp_id); Vec::new() });
                                }>"Dismiss"</button>
                            }.into_any(),
                            None => view! { <span data-testid="delivery">{Delivery::Pending.label()}</span> }.into_any(),
                        }}
                    </span>
                </li>
            }
            .into_any()
        }
        Row::Message(line) => {
            let super::rows::MessageLine {
                message,
                sender,
                mine,
                quoted,
                links,
                blocked,
                moderate,
                deleted_by,
            } = *line;
            let jump = expect_context::<super::rows::JumpTo>();
            let quote = message.reply_to.clone().map(|q| {
                let who = quoted.unwrap_or_default();
                let text = if q.deleted {
                    "This message was deleted".to_owned()
                } else {
                    q.excerpt.clone()
                };
                view! {
                    <button type="button" class="quote" data-testid="quote"
                        aria-label=format!("Show the message from {who} this answers")
                        on:click=move |_| jump.0.set(Some(q.seq))>
                        <span class="quote-sender">{who.clone()}</span>
                        <span class="quote-text" class:muted=q.deleted>{text}</span>
                    </button>
                }
            });
            let reply = (!message.deleted).then(|| {
                let message_id = message.id;
                let conversation = message.conversation_id;
                view! {
                    <button class="link" aria-label="Reply to this message" data-testid="reply"
                        on:click=move |_| client.update(move |s| {
                            s.start_reply(conversation, message_id);
                            Vec::new()
                        })>"Reply"</button>
                }
            });
            let reactions = (!message.deleted).then(|| {
                let (conversation, seq, id) = (message.conversation_id, message.seq, message.id);
                view! { <Reactions conversation seq message_id=id/> }
            });
            let me = client.peek(|s| s.me.id);
            let mentions_me =
                me.is_some_and(|me| message.mentions.contains(&me)) && !message.deleted;
            let id = message.id;
            let (conversation, seq) = (message.conversation_id, message.seq);
            let body = message.body.clone();
            let time = format::clock(message.created_at, utc_offset_minutes());
            // Updated in place as receipts arrive, and never shown going backwards.
            let delivery = Memo::new(move |previous: Option<&Delivery>| {
                let now = client.read(Slice::Conversation(conversation), |s| {
                    s.delivery(conversation, seq)
                });
                previous.map_or(now, |p| now.max(*p))
            });
            let state = move || {
                if mine {
                    delivery.get().label()
                } else {
                    "received"
                }
            };
            // A blocked person's message stays collapsed until shown.
            let collapsed = RwSignal::new(blocked && !message.deleted);
            let tombstone = match &deleted_by {
                Some(who) => format!("This message was removed by {who}"),
                None => "This message was deleted".to_owned(),
            };
            // Deleting asks first: "Delete?" with Delete / Keep in place of the buttons.
            let confirming = RwSignal::new(false);
            let actions = move || {
                if confirming.get() {
                    view! {
                        <span class="confirm" role="group" aria-label="Delete this message?">
                            "Delete?"
                            <button class="link danger" data-testid="confirm-delete"
                                on:click=move |_| client.send(ClientEvent::DeleteMessage { message_id: id })>"Delete"</button>
                            <button class="link" on:click=move |_| confirming.set(false)>"Keep"</button>
                        </span>
                    }
                    .into_any()
                } else {
                    let body = body.clone();
                    view! {
                        {mine.then(|| view! {
                            <button class="link" aria-label="Edit message"
                                on:click=move |_| editing.set(Some((id, body.clone())))>"Edit"</button>
                        })}
                        <button class="link" aria-label="Delete message" data-testid="delete"
                            title=if mine { "Delete your message" } else { "Delete this message as the group's moderator" }
                            on:click=move |_| confirming.set(true)>"Delete"</button>
                    }
                    .into_any()
                }
            };
            if collapsed.get_untracked() {
                return view! {
                    <li class="message collapsed" data-testid="message" data-seq=message.seq
                        data-blocked="true">
                        {move || collapsed.get().then(|| view! {
                            <span class="muted">"A message from someone you blocked · "</span>
                            <button class="link" data-testid="show-blocked"
                                on:click=move |_| collapsed.set(false)>"Show"</button>
                        })}
                        {move || (!collapsed.get()).then(|| view! {
                            <span class="sender">{sender.clone()}</span>
                            <p class="body">{message.body.clone()}</p>
                        })}
                    </li>
                }
                .into_any();
            }
            view! {
                <li class="message" class:mine=mine class:deleted=message.deleted class:mentions-me=mentions_me
                    class:announcement=message.sender_id == UserId::SYSTEM data-testid="message"
                    data-seq=message.seq data-state=state>
                    {(!mine).then(|| view! { <span class="sender">{sender}</span> })}
                    {quote}
                    {(message.deleted || !message.body.is_empty()).then(|| view! {
                        <p class="body">
                            {if message.deleted {
                                tombstone.into_any()
                            } else {
                                body_with_mentions(&message.body, &links, me).into_any()
                            }}
                        </p>
                    })}
                    <Files files=message.attachments.clone()/>
                    {reactions}
                    <span class="meta muted">
                        <time>{time}</time>
                        {message.edited_at.filter(|_| !message.deleted).map(|_| " · edited")}
                        {mine.then(|| view! { " · " <span data-testid="delivery">{state}</span> })}
                        {reply}
                        {((mine || moderate) && !message.deleted).then_some(actions)}
                    </span>
                </li>
            }
            .into_any()
        }
    }
}

/// A message's text with each mention of a member as a link to their profile (mentions of
/// me stand out).
fn body_with_mentions(
    body: &str,
    links: &[(std::ops::Range<usize>, UserId)],
    me: Option<UserId>,
) -> impl IntoView {
    let mut parts = Vec::with_capacity(links.len() * 2 + 1);
    let mut at = 0;
    for (range, user) in links {
        if range.start < at || range.end > body.len() {
            continue;
        }
        parts.push(body[at..range.start].to_owned().into_any());
        let name = body[range.clone()].to_owned();
        parts.push(
            view! {
                <a class="mention" class:me=Some(*user) == me href=format!("/u/{user}")
                    data-testid="mention-link">{name}</a>
            }
            .into_any(),
        );
        at = range.end;
    }
    parts.push(body[at..].to_owned().into_any());
    parts
}

/// Who reacted with each emoji (mine first, as "You"), as of a version of the reactions.
type Reactors = (i64, HashMap<String, Vec<String>>);

/// The emojis offered by the React button.
pub const QUICK_REACTIONS: [&str; 8] = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"];

/// A message's reactions: one chip per emoji with its count (mine highlighted; a click adds or
/// takes back mine), and a React button offering [`QUICK_REACTIONS`]. They update in place as
/// reactions arrive (the row is not rebuilt, so an open picker stays open). Pointing at the
/// chips (or focusing one) asks the server who reacted, once per change of the reactions, and
/// each chip then names them ("You, Bob and 3 others reacted with 👍").
#[component]
fn Reactions(
    conversation: protocol::ConversationId,
    seq: protocol::Seq,
    message_id: protocol::MessageId,
) -> impl IntoView {
    let client = expect_context::<ChatClient>();
    let picking = RwSignal::new(false);
    let current = Memo::new(move |_| {
        client.read(Slice::Conversation(conversation), |s| {
            s.conversations
                .get(&conversation)
                .and_then(|c| c.messages.get(&seq))
                .filter(|m| m.id == message_id)
                .map(|m| {
                    (
                        m.reactions.clone(),
                        m.my_reactions.clone(),
                        m.reactions_version,
                    )
                })
                .unwrap_or_default()
        })
    });
    let names: RwSignal<Option<Reactors>> = RwSignal::new(None);
    let asked = StoredValue::new(None::<i64>);
    let learn_names = move || {
        let (version, none) = current.with_untracked(|(counts, _, v)| (*v, counts.is_empty()));
        // Nothing to name (only the React button is there), or already asked.
        if none || asked.get_value() == Some(version) {
            return;
        }
        asked.set_value(Some(version));
        #[cfg(feature = "hydrate")]
        {
            let me = client.read(Slice::Me, |s| s.me.id);
            leptos::task::spawn_local(async move {
                match crate::api::reactions(message_id).await {
                    Ok(list) => {
                        let by_emoji = list
                            .reactions
                            .into_iter()
                            .map(|r| {
                                let mut people: Vec<String> = Vec::with_capacity(r.users.len());
                                for u in r.users {
                                    if u.id == me {
                                        people.insert(0, "You".to_owned());
                                    } else {
                                        people.push(u.display_name);
                                    }
                                }
                                (r.emoji, people)
                            })
                            .collect();
                        names.set(Some((version, by_emoji)));
                    }
                    // Not worth a notice: the chips keep saying how many.
                    Err(_) => asked.set_value(None),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (client, names);
    };
    // While the pointer or the focus is on the chips, reactions that change are named again.
    // (Two flags: focus can leave, with a picker button that closes, while the pointer stays.)
    let (pointed, focused) = (RwSignal::new(false), RwSignal::new(false));
    Effect::new(move |_| {
        let _version = current.with(|(_, _, v)| *v);
        if pointed.get() || focused.get() {
            learn_names();
        }
    });
    let toggle = move |emoji: String, mine: bool| {
        let event = if mine {
            ClientEvent::RemoveReaction { message_id, emoji }
        } else {
            ClientEvent::AddReaction { message_id, emoji }
        };
        client.send(event);
    };
    let chips = move || {
        let (counts, mine, _) = current.get();
        counts
            .into_iter()
            .map(|r| {
                let is_mine = mine.contains(&r.emoji);
                let emoji = r.emoji.clone();
                let (for_label, count) = (r.emoji.clone(), r.count);
                // Names once fetched for these very reactions; the count until then.
                let label = move || {
                    let version = current.with(|(_, _, v)| *v);
                    names
                        .with(|n| match n {
                            Some((at, by_emoji)) if *at == version => by_emoji
                                .get(&for_label)
                                .map(|people| format::who_reacted(&for_label, count, people)),
                            _ => None,
                        })
                        .unwrap_or_else(|| format::reaction_label(&for_label, count, is_mine))
                };
                view! {
                    <button type="button" class="reaction" class:mine=is_mine
                        aria-pressed=is_mine.to_string() title=label.clone() aria-label=label
                        data-testid="reaction" data-emoji=r.emoji.clone()
                        on:click=move |_| toggle(emoji.clone(), is_mine)>
                        <span class="emoji">{r.emoji.clone()}</span>
                        <span class="n" data-testid="reaction-count">{r.count}</span>
                    </button>
                }
            })
            .collect_view()
    };
    let picker = move || {
        picking.get().then(|| {
            let (_, mine, _) = current.get();
            let choices = QUICK_REACTIONS
                .iter()
                .map(|emoji| {
                    let is_mine = mine.iter().any(|m| m == emoji);
                    view! {
                        <button type="button" class="pick" class:mine=is_mine
                            aria-label=format!("React with {emoji}") data-testid="pick-reaction"
                            on:click=move |_| {
                                picking.set(false);
                                toggle((*emoji).to_owned(), is_mine);
                            }>{*emoji}</button>
                    }
                })
                .collect_view();
            view! { <span class="picker" role="group" aria-label="Choose a reaction">{choices}</span> }
        })
    };
    view! {
        <div class="reactions" data-testid="reactions"
            on:pointerover=move |_| pointed.set(true) on:pointerleave=move |_| pointed.set(false)
            on:focusin=move |_| focused.set(true) on:focusout=move |_| focused.set(false)>
            {chips}
            <button type="button" class="reaction add" aria-label="Add a reaction" title="Add a reaction"
                aria-expanded=move || picking.get().to_string() data-testid="react"
                on:click=move |_| picking.update(|p| *p = !*p)>"☺+"</button>
            {picker}
        </div>
    }
}

/// A message's pictures (their thumbnails, each opening the picture) and files (named
/// downloads with their size). Only members can fetch them: the browser sends the session.
#[component]
fn Files(files: Vec<protocol::Attachment>) -> impl IntoView {
    (!files.is_empty()).then(|| {
        let items = files
            .into_iter()
            .map(|f| {
                let href = format!("/api/files/{}", f.id);
                if f.thumbnail {
                    let src = format!("{href}/thumbnail");
                    // The thumbnail's box before it loads: no jump in the history.
                    let (w, h) = fit(f.width.unwrap_or(320), f.height.unwrap_or(240));
                    view! {
                        <a class="picture" href=href.clone() target="_blank" rel="noopener"
                            data-testid="picture" title=f.name.clone()>
                            <img src=src alt=f.name.clone() width=w height=h loading="lazy"/>
                        </a>
                    }
                    .into_any()
                } else {
                    view! {
                        <a class="file" href=href download=f.name.clone() data-testid="file">
                            <span aria-hidden="true">"📄 "</span>
                            <span class="file-name">{f.name.clone()}</span>
                            <span class="muted small">" · "{format::file_size(u64::try_from(f.size).unwrap_or(0))}</span>
                        </a>
                    }
                    .into_any()
                }
            })
            .collect::<Vec<_>>();
        view! { <div class="files" data-testid="files">{items}</div> }
    })
}

/// A thumbnail's size on screen: the picture scaled into 320×320.
fn fit(width: u32, height: u32) -> (u32, u32) {
    let (w, h) = (width.max(1) as f64, height.max(1) as f64);
    let scale = (320.0 / w).min(320.0 / h).min(1.0);
    ((w * scale).round() as u32, (h * scale).round() as u32)
}
