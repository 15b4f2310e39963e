#!/usr/bin/env bash
# Confab and the Node Socket.IO 4.8 reference peer (bench/peers/node-socketio) on the same seed,
# one after the other in one run, driven by the same confab-bench (BENCHMARKS.md, issue 19).
# Needs a release build (cargo build --release -p server -p bench) and Node.js. Usage:
#   SEED="--users 1000 --groups 1 --group-size 1000" \
#   BENCH="group --rate 1000 --senders 1 --msg-rate 10 --duration 20" scripts/bench-compare.sh
# Confab runs natively, then through its Socket.IO gateway (listeners), then Node (everyone over
# Socket.IO: it speaks nothing else). Add --app to BENCH for clients that behave like the web
# app. RUNS=confab,gateway,node picks which; DATABASE_URL=postgres://… runs Confab on PostgreSQL
# (a fresh database is made and dropped).
set -euo pipefail
cd "$(dirname "$0")/.."
T=${CARGO_TARGET_DIR:-$PWD/target}/release
# CONFAB=/path/to/an/older/confab measures another build of the server with the same bench.
CONFAB=${CONFAB:-$T/confab}
d=/tmp/cbench-compare; rm -rf $d; mkdir -p $d
ulimit -n 20000
peer=bench/peers/node-socketio
if ! cmp -s $peer/package-lock.json $peer/node_modules/.installed-lock 2>/dev/null; then
  (cd $peer && npm ci --no-audit --no-fund >/dev/null && cp package-lock.json node_modules/.installed-lock)
fi
db=""
if [[ "${DATABASE_URL:-}" == postgres* ]]; then
  db=confab_compare_$$
  base=${DATABASE_URL%/*}
  psql "$base/postgres" -qc "CREATE DATABASE $db" >/dev/null
  export DATABASE_URL=$base/$db
  extra=(--db-max-connections 16)
else
  extra=()
fi
$CONFAB --data-dir $d seed $SEED --out $d/seed.json >/dev/null 2>&1
runs=${RUNS:-confab,gateway,node}
confab() {
  RUST_LOG=warn $CONFAB --data-dir $d --bind 127.0.0.1:3300 --max-connections 20000 \
    --api-requests-per-second 100000 "${extra[@]}" &
  pid=$!; sleep 1.5
  echo "== Confab ($1)"
  $T/confab-bench --url http://127.0.0.1:3300 --seed $d/seed.json --server-pid $pid $BENCH $2 || true
  kill $pid; wait $pid 2>/dev/null || true
}
[[ $runs == *confab* ]] && confab native ""
[[ $runs == *gateway* ]] && confab "Socket.IO gateway" --socketio
if [[ $runs == *node* ]]; then
  node $peer/server.js --seed $d/seed.json --port 3301 >/dev/null &
  pid=$!; sleep 1
  echo "== Node Socket.IO 4.8"
  $T/confab-bench --url http://127.0.0.1:3301 --seed $d/seed.json --server-pid $pid $BENCH \
    --socketio --all-socketio || true
  kill $pid; wait $pid 2>/dev/null || true
fi
[ -n "$db" ] && psql "$base/postgres" -qc "DROP DATABASE $db" >/dev/null
exit 0
