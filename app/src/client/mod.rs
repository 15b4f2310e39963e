//! The chat client: its state ([`state`]), the words it shows ([`format`]) and, in the browser,
//! the WebSocket connection ([`socket`]). Components talk to the server only through
//! [`ChatClient`].

pub mod format;
#[cfg(feature = "hydrate")]
mod socket;
pub mod state;

use leptos::prelude::*;
use protocol::{ClientEvent, ClientFrame, ConversationId, PresenceStatus, User};
pub use state::{Action, ChatState, ConnState, Delivery, PageKind};

/// A handle on the client, provided as context to every chat component.
#[derive(Clone, Copy)]
pub struct ChatClient {
    /// Everything the UI shows.
    pub state: RwSignal<ChatState>,
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
            state: RwSignal::new(ChatState::new(me)),
            latency_ms: RwSignal::new(None),
            outbox: StoredValue::new(None),
        }
    }

    /// Connects and keeps the connection (browser only; a no-op when rendering on the server).
    pub fn start(self) {
        #[cfg(feature = "hydrate")]
        socket::start(self);
    }

    /// Runs a state change and performs the actions it returns.
    pub fn update(self, f: impl FnOnce(&mut ChatState) -> Vec<Action>) {
        if let Some(actions) = self.state.try_update(f) {
            self.run(actions);
        }
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
        let _ = self.state.try_update(|s| s.set_notice(text, false));
    }

    /// Opens a conversation.
    pub fn open(self, id: ConversationId) {
        self.update(|s| s.open(id));
    }

    /// Sets my presence by hand.
    pub fn set_status(self, status: PresenceStatus) {
        let _ = self.state.try_update(|s| s.my_status = status);
        self.send(ClientEvent::SetPresence { status });
    }
}
