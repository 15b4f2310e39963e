//! The in-process broker: publishing is direct delivery to this instance's hub.

use crate::hub::Hub;
use crate::presence::PresenceRegistry;
use std::sync::{Arc, Mutex};

/// Fan-out and presence for a single instance.
#[derive(Debug)]
pub struct LocalBroker {
    hub: Arc<Hub>,
    // A std Mutex: presence updates are short map operations, never held across `.await`.
    presence: Mutex<PresenceRegistry>,
}

impl LocalBroker {
    /// A broker delivering to `hub`.
    pub fn new(hub: Arc<Hub>) -> Self {
        Self {
            hub,
            presence: Mutex::new(PresenceRegistry::default()),
        }
    }

    /// The hub it delivers to.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Runs `f` on the presence registry under its lock.
    pub fn presence<T>(&self, f: impl FnOnce(&mut PresenceRegistry) -> T) -> T {
        let mut registry = self
            .presence
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut registry)
    }
}
