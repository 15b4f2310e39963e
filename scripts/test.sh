#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and integration tests on SQLite (and on
# PostgreSQL when one answers on 127.0.0.1:5432 or CONFAB_TEST_POSTGRES_URL is set; the
# multi-instance tests start three servers and a Redis server of their own either way), then the
# Playwright end-to-end tests in Debian's Chromium against the web app as shipped (release WASM,
# precompressed). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1;32m[test]\033[0m %s\n' "$*"; }
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"

scripts/setup.sh wasm e2e redis python

say "formatting"
cargo fmt --all -- --check

say "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

say "TypeScript: the generated protocol types (protocol/bindings/ts) and the end-to-end tests type-check"
(cd end2end && npx tsc -p .)

say "unit and integration tests (SQLite)"
cargo test --workspace --locked

pg_url="${CONFAB_TEST_POSTGRES_URL:-}"
if [ -z "$pg_url" ] && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  pg_url="postgres://postgres@127.0.0.1:5432"
fi
if [ -n "$pg_url" ]; then
  say "integration tests (PostgreSQL at ${pg_url})"
  # The same build as above (`--workspace`: `-p server` alone would resolve features differently
  # and rebuild); the unit tests run again too, in about a second.
  CONFAB_TEST_POSTGRES_URL="$pg_url" cargo test --workspace --locked
  # Each test made its own database; drop them.
  if command -v psql >/dev/null; then
    psql "$pg_url/postgres" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'confab_test_%'" |
      while read -r db; do psql "$pg_url/postgres" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null; done
  fi
else
  say "no PostgreSQL reachable: skipping the PostgreSQL run of the integration tests"
fi

say "building the web app as shipped (release WASM, precompressed) and the server for the end-to-end tests"
scripts/build.sh site
cargo build -p server --bin confab --locked

say "end-to-end tests (Playwright + Chromium)"
(cd end2end && CONFAB_BIN="$target_dir/debug/confab" CONFAB_SITE_ROOT="$target_dir/site-release" npx playwright test)

say "all tests passed"
