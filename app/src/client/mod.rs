//! The chat client: its state ([`state`]), the words it shows ([`format`]), when to say "I am
//! typing" ([`typing`]) and, in the browser, the WebSocket connection (`socket`) and file
//! uploads (`upload`). Components
//! talk to the server and read the state only through [`ChatClient`].
//!
//! The state itself is not a signal. Each [`Slice`] of it has its own trigger: a view reads
//! with [`ChatClient::read`] naming the slice it depends on, and a change wakes only the views
//! of the slices it touched ([`ChatState::take_changes`]). A keep-alive `pong` wakes nothing;
//! a message in one conversation wakes that conversation and the list, never the composer.

pub mod format;
#[cfg(feature = "hydrate")]
mod socket;
pub mod state;
pub mod typing;
#[cfg(feature = "hydrate")]
pub mod upload;

use leptos::prelude::*;
use protocol::{ClientEvent, ClientFrame, ConversationId, PresenceStatus, User};
pub use state::{Action, ChatState, ConnState, Delivery, PageKind, PostLive, Slice};
use std::collections::HashMap;

/// A handle on the client, provided as context to every chat component.
#[derive(Clone, Copy)]
pub struct ChatClient {
    /// Everything the UI shows (not reactive by itself: see [`ChatClient::read`]).
    state: StoredValue<ChatState>,
    /// One trigger per slice, made when first read or changed.
    triggers: StoredValue<HashMap<Slice, ArcTrigger>>,
    /// Unsent text per conversation, kept while switching conversations.
    drafts: StoredValue<HashMap<ConversationId, String>>,
    /// Round trip of the last application ping, in milliseconds.
    pub latency_ms: RwSignal<Option<f64>>,
    /// Frames for the socket; `None` while disconnected (only the browser has a socket).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    outbox: StoredValue<Option<futures::channel::mpsc::UnboundedSender<String>>>,
}

impl ChatClient {
    /// A client for `me`; call [`ChatClient::start`] in the browser.
    pub fn new(me: User) -> Self {
        Self {
            state: StoredValue::new(ChatState::new(me)),
            triggers: StoredValue::new(HashMap::new()),
            drafts: StoredValue::new(HashMap::new()),
            latency_ms: RwSignal::new(None),
            outbox: StoredValue::new(None),
        }
    }

    /// Connects and keeps the connection (browser only; a no-op when rendering on the server).
    pub fn start(self) {
        #[cfg(feature = "hydrate")]
        socket::start(self);
    }

    /// Reads the state; the calling view or effect runs again when `slice` changes.
    pub fn read<R>(self, slice: Slice, f: impl FnOnce(&ChatState) -> R) -> R {
        self.track(slice);
        self.state.with_value(f)
    }

    /// Reads the state without subscribing (event handlers, async tasks); `None` once the
    /// client is gone (signed out).
    pub fn peek<R>(self, f: impl FnOnce(&ChatState) -> R) -> Option<R> {
        self.state.try_with_value(f)
    }

    /// Whether the client is gone (signed out, layout unmounted).
    pub fn is_disposed(self) -> bool {
        self.state.is_disposed()
    }

    fn track(self, slice: Slice) {
        let trigger = self
            .triggers
            .try_update_value(|t| t.entry(slice).or_insert_with(ArcTrigger::new).clone());
        if let Some(trigger) = trigger {
            trigger.track();
        }
    }

    /// Runs a state change, wakes the views of the slices it touched and performs the actions
    /// it returns.
    pub fn update(self, f: impl FnOnce(&mut ChatState) -> Vec<Action>) {
        let Some((actions, changes)) = self.state.try_update_value(|s| {
            let actions = f(s);
            (actions, s.take_changes())
        }) else {
            return;
        };
        if !changes.is_empty() {
            let woken: Vec<ArcTrigger> = self
                .triggers
                .try_with_value(|t| changes.iter().filter_map(|s| t.get(&s).cloned()).collect())
                .unwrap_or_default();
            for trigger in woken {
                trigger.notify();
            }
        }
        self.run(actions);
    }

    /// Performs actions (browser only).
    pub fn run(self, actions: Vec<Action>) {
        #[cfg(feature = "hydrate")]
        for action in actions {
            socket::perform(self, action);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = actions;
    }

    /// Sends one event (dropped while disconnected).
    pub fn send(self, event: ClientEvent) {
        self.run(vec![Action::Send(ClientFrame::new(event))]);
    }

    #[cfg(feature = "hydrate")]
    fn set_outbox(self, tx: Option<futures::channel::mpsc::UnboundedSender<String>>) {
        let _ = self.outbox.try_set_value(tx);
    }

    #[cfg(feature = "hydrate")]
    fn push(self, text: String) {
        self.outbox.with_value(|tx| {
            if let Some(tx) = tx {
                let _ = tx.unbounded_send(text);
            }
        });
    }

    /// Shows a problem to the user.
    pub fn notice(self, text: String) {
        self.update(|s| {
            s.set_notice(text, false);
            Vec::new()
        });
    }

    /// Opens a conversation.
    pub fn open(self, id: ConversationId) {
        self.update(|s| s.open(id));
    }

    /// Sets my presence by hand.
    pub fn set_status(self, status: PresenceStatus) {
        self.update(|s| {
            s.set_my_status(status);
            Vec::new()
        });
        self.send(ClientEvent::SetPresence { status });
    }

    /// The unsent text of a conversation.
    pub fn draft(self, id: ConversationId) -> String {
        self.drafts
            .try_with_value(|d| d.get(&id).cloned())
            .flatten()
            .unwrap_or_default()
    }

    /// Keeps the unsent text of a conversation (empty text forgets it).
    pub fn set_draft(self, id: ConversationId, text: &str) {
        self.drafts.try_update_value(|d| {
            if text.is_empty() {
                d.remove(&id);
            } else {
                d.insert(id, text.to_owned());
            }
        });
    }
}
