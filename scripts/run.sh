#!/usr/bin/env bash
# Runs Confab as it runs in production, on the embedded defaults (SQLite under ./data, in-process
# fan-out) at http://127.0.0.1:3000: the release server and the size-optimised, precompressed web
# app (scripts/build.sh; no cargo-leptos needed). Extra arguments go to the server (e.g.
# `--bind 0.0.0.0:3000`). For live reload while editing, use scripts/dev.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
export LEPTOS_SITE_ROOT="$target_dir/site-release"
printf '\033[1;32m[run]\033[0m serving http://127.0.0.1:3000 (Ctrl-C stops)\n'
exec "$target_dir/release/confab" "$@"
