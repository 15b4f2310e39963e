#!/usr/bin/env bash
# Runs Confab for development on the embedded defaults (SQLite under ./data, in-process fan-out)
# at http://127.0.0.1:3000, rebuilding and reloading the browser on every change.
# Installs what it needs first (WASM target, wasm-bindgen, cargo-leptos); extra arguments go to
# `cargo leptos watch`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh wasm leptos
exec cargo leptos watch "$@"
