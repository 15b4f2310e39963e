//! Small pieces shared by every feature view: the presence dot, clock helpers and the
//! navigation request. Nothing here imports a feature module.

use leptos::prelude::*;
use protocol::PresenceStatus;

/// Minutes to add to UTC for local clock times.
pub fn utc_offset_minutes() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        -(js_sys::Date::new_0().get_timezone_offset() as i64)
    }
    #[cfg(not(feature = "hydrate"))]
    0
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    0
}

/// The route parameter `name` parsed as an id; `None` when absent or malformed.
pub fn param_id<T>(name: &'static str) -> Memo<Option<T>>
where
    T: std::str::FromStr + PartialEq + Send + Sync + 'static,
{
    let params = leptos_router::hooks::use_params_map();
    Memo::new(move |_| params.read().get(name).and_then(|s| s.parse::<T>().ok()))
}

/// A request to navigate, set by components (possibly inside async tasks) and followed by the
/// layout.
#[derive(Clone, Copy)]
pub struct GoTo(pub RwSignal<Option<String>>);

/// A presence dot with an accessible label; `None` (not connected) is a hollow "unknown" dot.
#[component]
pub fn PresenceDot(#[prop(into)] status: Signal<Option<PresenceStatus>>) -> impl IntoView {
    let word = move || match status.get() {
        Some(PresenceStatus::Online) => "online",
        Some(PresenceStatus::Away) => "away",
        Some(PresenceStatus::Busy) => "busy",
        Some(PresenceStatus::Offline) => "offline",
        None => "unknown",
    };
    view! {
        <span class=move || format!("dot {}", word()) data-testid="presence-dot"
            data-status=word role="img" aria-label=word></span>
    }
}
