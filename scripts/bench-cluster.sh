#!/usr/bin/env bash
# Several instances on one PostgreSQL database and one Redis, driven by one confab-bench that
# spreads its clients over them (BENCHMARKS.md, "Several instances"). Needs a release build
# (cargo build --release -p server -p bench), PostgreSQL on 127.0.0.1:5432 (user postgres) and
# Redis on 127.0.0.1:6379 (flushed!). Usage:
#   SEED="--users 1000 --groups 1 --group-size 1000" \
#   BENCH="group --rate 1000 --senders 1 --msg-rate 10 --duration 20" scripts/bench-cluster.sh
# INSTANCES=1 REDIS=0 gives the single-instance baseline on the same database.
set -euo pipefail
T=${CARGO_TARGET_DIR:-$(dirname "$0")/../target}/release
d=/tmp/cbench; rm -rf $d; mkdir -p $d
ulimit -n 20000
db=confab_bench_$$
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" >/dev/null
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db
redis-cli -p 6379 FLUSHALL >/dev/null
$T/confab --data-dir $d seed $SEED --out $d/seed.json >/dev/null 2>&1
urls=(); pids=()
# One data dir for all: they share its generated JWT secret (the seed signed the tokens with it).
for i in $(seq 1 ${INSTANCES:-3}); do
  port=$((3200 + i))
  extra=()
  [ "${REDIS:-1}" = 1 ] && extra=(--redis-url redis://127.0.0.1:6379)
  RUST_LOG=warn $T/confab --data-dir $d --bind 127.0.0.1:$port --max-connections 20000 \
    --api-requests-per-second 100000 --db-max-connections 16 "${extra[@]}" &
  pids+=($!); urls+=(http://127.0.0.1:$port)
  sleep 1.5
done
rpid=$(pgrep -x redis-server | head -1)
r0=$(awk '{print $14+$15}' /proc/$rpid/stat)
$T/confab-bench --url "$(IFS=,; echo "${urls[*]}")" --seed $d/seed.json --server-pid "$(IFS=,; echo "${pids[*]}")" $BENCH
r1=$(awk '{print $14+$15}' /proc/$rpid/stat)
echo "redis-server CPU during the run: $(( (r1 - r0) * 10 )) ms"
kill "${pids[@]}"; wait 2>/dev/null || true
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE $db" >/dev/null
