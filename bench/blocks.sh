#!/usr/bin/env bash
# Issue #14: listings for a viewer with blocks against the same viewer kind without, alternating,
# on the bench data (10,000 items / 1,000 users unless DATA holds another seed). Two signed-in
# viewers: user0000 (no blocks) and user0001, who blocks BLOCKS owners of the listing's items.
# For each round: one listing URL with the SQL run every time (bench/list_nocache.lua adds an
# ignored parameter, so the page cache never answers), then the random mix (bench/random_mix.lua).
#
#   bash bench/blocks.sh                                # seeds /tmp/egd-bench-blocks first
#   DATA=/tmp/egd-bench-mix SEED=0 ROUNDS=3 bash bench/blocks.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export BENCH_DIR=$ROOT/bench
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

BIN=${BIN:-$ROOT/target/release/egodaeyeo}
LG=${LG:-$ROOT/target/release/examples/loadgen}
DATA=${DATA:-/tmp/egd-bench-blocks}
PORT=${PORT:-8098}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
BLOCKS=${BLOCKS:-20}
CONNS=${CONNS:-64}
URL=${URL:-/api/v1/items?category=tools&region=1144066000&radius_km=5&sort=recent}
BASE=http://127.0.0.1:$PORT

command -v wrk >/dev/null || apt-get install -y wrk
echo "== machine: $(nproc) cores, $(free -m | awk '/Mem:/ {print $2}') MiB RAM; load $(uptime | sed 's/.*load average: //')"
if [ "${SEED:-1}" = 1 ]; then
  rm -rf "$DATA"
  "$LG" seed --data-dir "$DATA" --users 1000 --items 10000 --regions 5
fi
DRAIN_SECONDS=0 RATE_LIMIT=off RUST_LOG=warn "$BIN" serve --data-dir "$DATA" --bind "127.0.0.1:$PORT" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done

login() {
  curl -sf "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1@bench.test\",\"password\":\"bench1234\"}" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["access_token"], d["user"]["id"])'
}
read -r OPEN OPEN_ID < <(login user0000)
read -r BLOCKER BLOCKER_ID < <(login user0001)
# The owners of the listing's first items (not the two viewers) are the ones blocked.
OWNERS=$(curl -sf "$BASE$URL&per_page=100" | python3 -c "
import json,sys
seen=[]
for i in json.load(sys.stdin)['items']:
    o=i['owner_id']
    if o not in seen and o not in ($OPEN_ID, $BLOCKER_ID): seen.append(o)
print(' '.join(map(str, seen[:$BLOCKS])))")
n=0
for o in $OWNERS; do
  curl -sf -X PUT "$BASE/api/v1/me/blocks/$o" -H "Authorization: Bearer $BLOCKER" -o /dev/null
  n=$((n + 1))
done
for who in OPEN BLOCKER; do
  tok=${!who}
  printf '%-8s total on %s: ' "$who" "$URL"
  curl -sf "$BASE$URL" -H "Authorization: Bearer $tok" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'
done
echo "== user0001 blocks $n owners of that listing"

run() { # label token script url
  wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$BENCH_DIR/$3" -H "Authorization: Bearer $2" "$BASE$4" 2>&1 |
    awk -v l="$1" '/Requests\/sec/ {r=$2} / 99%/ {p=$2} END {printf "%-34s %10s req/s  p99 %s\n", l, r, p}'
}
for r in $(seq "$ROUNDS"); do
  echo "== round $r"
  run "listing, no blocks" "$OPEN" list_nocache.lua "$URL"
  run "listing, $n blocks" "$BLOCKER" list_nocache.lua "$URL"
  run "random mix, no blocks" "$OPEN" random_mix.lua /
  run "random mix, $n blocks" "$BLOCKER" random_mix.lua /
done
echo "== server RSS $(grep VmRSS /proc/$SERVER/status | awk '{print $2" "$3}'); load $(uptime | sed 's/.*load average: //')"
