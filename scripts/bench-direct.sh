#!/usr/bin/env bash
# One SQLite run of the 2,000 persisted sends/s direct scenario (BENCHMARKS.md, "Webhooks").
# Usage: scripts/bench-direct.sh BIN LABEL   (confab-bench is taken from $BENCH, default
# /tmp/confab-bench). WEBHOOK=1 registers one endpoint for message.created at
# http://127.0.0.1:3199/hooks first (run `node scripts/webhook-receiver.js` beside it).
set -euo pipefail
bin=$1; label=$2; d=/tmp/bench-$label; rm -rf $d; mkdir -p $d
$bin --data-dir $d seed --users 2000 --groups 0 --directs 1000 --out $d/seed.json > /dev/null
RUST_LOG=warn $bin --data-dir $d --bind 127.0.0.1:3100 --max-connections 20000 --api-requests-per-second 100000 &
pid=$!
sleep 1
if [ "${WEBHOOK:-}" = 1 ]; then
  key=$($bin --data-dir $d api-key create --name bench --scopes webhooks | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  curl -s -X POST 127.0.0.1:3100/api/server/v1/webhooks -H "Authorization: Bearer $key" -H 'content-type: application/json' \
    -d '{"url": "http://127.0.0.1:3199/hooks", "event_types": ["message.created"]}' > /dev/null
fi
${BENCH:-/tmp/confab-bench} --url http://127.0.0.1:3100 --seed $d/seed.json --server-pid $pid direct --rate 2000 --duration 20 2>&1 | tail -n 25
kill $pid; wait $pid 2>/dev/null || true
