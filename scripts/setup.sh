#!/usr/bin/env bash
# Idempotent tool setup shared by run.sh and test.sh. Each step is skipped when already done.
# Usage: scripts/setup.sh [wasm] [leptos] [npm] [e2e] [redis] [python]
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root (or sudo) to run: $*" >&2; exit 1
  fi
}

# The wasm-bindgen CLI must match the crate in Cargo.lock exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

setup_wasm() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  [ -f Cargo.lock ] || cargo generate-lockfile
  local want
  want=$(wasm_bindgen_version)
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
    say "installing wasm-bindgen-cli $want (about 2 minutes)"
    # Not --locked: its own lockfile pins a crate version that was yanked.
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

setup_leptos() {
  if ! cargo leptos --version 2>/dev/null | grep -q '0\.3\.10'; then
    say "installing cargo-leptos 0.3.10 (about 15 minutes on 2 cores, once)"
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install cargo-leptos@0.3.10 --locked
  fi
}

# Playwright, socket.io-client, TypeScript and npm's binaryen (wasm-opt for release builds), in
# end2end/node_modules; installed again whenever package-lock.json changes (a copy of the lock
# it was installed from is kept beside the packages).
setup_npm() {
  if ! cmp -s end2end/package-lock.json end2end/node_modules/.confab-installed-lock; then
    say "installing the end-to-end test packages and wasm-opt (npm ci)"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund &&
      cp package-lock.json node_modules/.confab-installed-lock)
  fi
}

setup_e2e() {
  setup_npm
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's chromium"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  fi
  # Reactions are emojis: without a colour emoji font they render as empty boxes.
  if [ ! -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]; then
    say "installing Debian's colour emoji font"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-color-emoji
  fi
}

# Debian's redis-server: the multi-instance tests start their own on a free port.
setup_redis() {
  if ! command -v redis-server >/dev/null; then
    say "installing Debian's redis-server (for the multi-instance tests)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server
  fi
}

# python-socketio, the Flask-SocketIO systems' Python client, in a virtualenv outside the clone
# (end2end/tests/python.ts runs it); installed again whenever its requirements change.
python_env() {
  echo "${CONFAB_PYTHON_ENV:-${XDG_CACHE_HOME:-$HOME/.cache}/confab/python}"
}

setup_python() {
  local env
  env=$(python_env)
  if ! cmp -s end2end/python/requirements.txt "$env/.confab-installed-requirements"; then
    say "installing python-socketio for the Flask-SocketIO client tests"
    if ! python3 -m venv --help >/dev/null 2>&1; then
      as_root apt-get update -qq
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv
    fi
    python3 -m venv "$env"
    "$env/bin/pip" install -q -r end2end/python/requirements.txt
    cp end2end/python/requirements.txt "$env/.confab-installed-requirements"
  fi
}

for step in "${@:-wasm}"; do
  case "$step" in
    wasm) setup_wasm ;;
    leptos) setup_leptos ;;
    npm) setup_npm ;;
    e2e) setup_e2e ;;
    redis) setup_redis ;;
    python) setup_python ;;
    *) echo "unknown setup step: $step" >&2; exit 2 ;;
  esac
done
