#!/usr/bin/env bash
# Runs Confab for development on the embedded defaults at http://127.0.0.1:3000, rebuilding and
# reloading the browser on every change (`cargo leptos watch`). Installs what it needs first
# (WASM target, wasm-bindgen, and cargo-leptos 0.3.10: about 15 minutes, once); extra arguments
# go to `cargo leptos watch`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh wasm leptos
exec cargo leptos watch "$@"
