#!/usr/bin/env bash
# Builds Confab for production with plain cargo (no cargo-leptos needed): the release server and
# the web app as size-optimised WASM (wasm-opt), with brotli and gzip twins of every static file.
# Output: $CARGO_TARGET_DIR/release/confab (default target/) and the site in
# $CARGO_TARGET_DIR/site-release, which the server finds through LEPTOS_SITE_ROOT.
# Usage: scripts/build.sh [site] [server]   (both by default)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1;32m[build]\033[0m %s\n' "$*"; }
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
site="$target_dir/site-release"

scripts/setup.sh wasm npm

build_site() {
  say "web app (WASM, release)"
  cargo build -p app --lib --locked --profile wasm-release --target wasm32-unknown-unknown \
    --no-default-features --features hydrate
  # Optimising and compressing take most of a warm run: skip them when nothing they read changed.
  local wasm="$target_dir/wasm32-unknown-unknown/wasm-release/app.wasm" stamp
  stamp=$( { wasm-bindgen --version; cat "$wasm" style/main.css scripts/build.sh scripts/precompress.mjs;
             find public -type f | sort | xargs cat; } | sha256sum | cut -d' ' -f1)
  if [ -d "$site/pkg" ] && [ "$(cat "$site.stamp" 2>/dev/null)" = "$stamp" ]; then
    say "site unchanged: $site"
    return
  fi
  rm -f "$site.stamp"
  rm -rf "$site"
  mkdir -p "$site/pkg"
  wasm-bindgen --target web --out-name confab --out-dir "$site/pkg" \
    "$wasm"
  # npm's binaryen (Debian's is too old: its output breaks hydration). The features are the ones
  # rustc emits by default for wasm32-unknown-unknown.
  end2end/node_modules/.bin/wasm-opt -Oz \
    --enable-bulk-memory --enable-mutable-globals --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-reference-types --enable-multivalue \
    "$site/pkg/confab_bg.wasm" -o "$site/pkg/confab_bg.wasm"
  cp style/main.css "$site/pkg/confab.css"
  cp -r public/. "$site/"
  node scripts/precompress.mjs "$site"
  echo "$stamp" > "$site.stamp"
  say "site: $site"
}

build_server() {
  say "server (release)"
  cargo build -p server --bin confab --locked --release
  say "server: $target_dir/release/confab"
}

for part in "${@:-site server}"; do
  for p in $part; do
    case "$p" in
      site) build_site ;;
      server) build_server ;;
      *) echo "unknown part: $p (site, server)" >&2; exit 2 ;;
    esac
  done
done
