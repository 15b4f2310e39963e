//! The browser app's files and pages, served small: static files from the site root with their
//! precompressed `.br` / `.gz` twins when the release build made them (`scripts/build.sh`), and
//! server-rendered pages and JSON compressed on the fly. The WebSocket route is outside this.

use crate::state::AppState;
use axum::handler::Handler;
use axum::Router;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

/// Adds static files (falling back to the app's "page not found") and response compression.
pub fn serve(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let not_found =
        leptos_axum::file_and_error_handler::<AppState, _>(app::shell).with_state(state.clone());
    let files = ServeDir::new(&*state.leptos.site_root)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(not_found);
    // WASM is compressed ahead of time (at the best level, once); compressing the unoptimised
    // debug build on every request would cost more than it saves on localhost.
    let predicate = DefaultPredicate::new().and(NotForContentType::new("application/wasm"));
    router
        .fallback_service(files)
        .layer(CompressionLayer::new().compress_when(predicate))
}
