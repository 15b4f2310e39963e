#!/usr/bin/env bash
# Sign-in storm (BENCHMARKS.md, issue 21): N logins (default 300) at concurrency 64 against a
# release server on a fresh data dir; prints the answers by status and the server's RSS before,
# at its peak, right after and 10 s later. Usage:
#   scripts/bench-signin.sh [path/to/confab] [confab flags…]      (N=900 for more logins)
set -euo pipefail
BIN=${1:-${CARGO_TARGET_DIR:-$PWD/target}/release/confab}
shift || true
d=$(mktemp -d)
"$BIN" --bind 127.0.0.1:3950 --data-dir "$d" --auth-attempts-per-minute 100000 \
  --api-requests-per-second 100000 "$@" > "$d/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$d"' EXIT
sleep 1.5
body='{"username":"stormy","password":"password-stormy"}'
curl -s -o /dev/null -X POST -H 'content-type: application/json' -d "$body" \
  http://127.0.0.1:3950/api/auth/register
rss() { awk -v k="$1:" '$1 == k { print $2 }' /proc/$pid/status; }
echo "before: $(rss VmRSS) KiB"
start=$(date +%s.%N)
seq "${N:-300}" | xargs -P 64 -I{} curl -s -o /dev/null -w '%{http_code}\n' -X POST \
  -H 'content-type: application/json' -d "$body" http://127.0.0.1:3950/api/auth/login | sort | uniq -c
end=$(date +%s.%N)
echo "took $(echo "$end - $start" | bc) s; peak: $(rss VmHWM) KiB; right after: $(rss VmRSS) KiB"
sleep 10
echo "10 s later: $(rss VmRSS) KiB"
