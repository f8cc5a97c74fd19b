#!/usr/bin/env bash
# Mixed-load soak of issue #10 item 6, on SQLite with 10,000 items / 1,000 users:
#   varied listings (wrk, 16 connections) + random item details (wrk, 16 connections)
#   + chat in 50 rooms (loadgen, open loop) at the same time, for DURATION seconds,
# with item details alone before and after. Every second: the -wal file's size and the server's
# RSS (CSV in $DATA/samples.csv). Targets are loopback only; every load is bounded in time.
#
#   bash bench/soak.sh                           # build, seed, 600 s
#   BUILD=0 DURATION=90 BIN=/tmp/old-egodaeyeo bash bench/soak.sh   # a "before" run
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export BENCH_DIR=$ROOT/bench
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

DURATION=${DURATION:-600}
ALONE=${ALONE:-20}
CONNS=${CONNS:-16}
ROOMS=${ROOMS:-50}
CHAT_RATE=${CHAT_RATE:-1000}   # msg/s over all sockets: "ordinary" chat beside the reads
LIST_SCRIPT=${LIST_SCRIPT:-list_mixed.lua}   # or random_mix.lua (issue #16 item 6)
PORT=${PORT:-8095}
DATA=${DATA:-/tmp/egd-soak}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=${BIN:-$TARGET/release/egodaeyeo}
LG=${LG:-$TARGET/release/examples/loadgen}
BASE=http://127.0.0.1:$PORT

command -v wrk >/dev/null || { echo "needs wrk (apt-get install -y wrk)"; exit 1; }
if [ "${BUILD:-1}" = 1 ]; then
  cargo build --release --examples --bins || exit 1
fi
echo "== machine: $(nproc) cores, $(free -m | awk '/Mem:/ {print $2}') MiB RAM; $(uname -r); server $BIN"
echo "== load before: $(uptime | sed 's/.*load average: //')"

rm -rf "$DATA"
"$LG" seed --data-dir "$DATA" --users 1000 --items 10000 || exit 1
sqlite3 "$DATA/egodaeyeo.db" "SELECT id FROM items WHERE hidden = 0 AND deleted_at IS NULL" > "$DATA/ids.txt"
export IDS_FILE=$DATA/ids.txt

DRAIN_SECONDS=0 RATE_LIMIT=off RUST_LOG=warn,egodaeyeo::app=info "$BIN" serve --data-dir "$DATA" --bind "127.0.0.1:$PORT" > "$DATA/server.log" 2>&1 &
SERVER=$!
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null
}
trap cleanup EXIT
for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done

# One sample a second while the server lives, never longer than the whole run.
END=$(( $(date +%s) + DURATION + 4 * ALONE + 120 ))
( echo "t,wal_bytes,rss_kib"
  while kill -0 "$SERVER" 2>/dev/null && [ "$(date +%s)" -lt "$END" ]; do
    printf '%s,%s,%s\n' "$(date +%s)" "$(stat -c %s "$DATA/egodaeyeo.db-wal" 2>/dev/null || echo 0)" \
      "$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status 2>/dev/null)"
    sleep 1
  done ) > "$DATA/samples.csv" &
PIDS+=($!)

detail() { # seconds label
  wrk -t1 -c"$CONNS" -d"$1"s --timeout 10s -s "$BENCH_DIR/detail_mixed.lua" "$BASE/" | grep '^RESULT' | sed "s/^RESULT/$2/"
}

wrk -t1 -c"$CONNS" -d3s -s "$BENCH_DIR/detail_mixed.lua" "$BASE/" >/dev/null   # warm-up
echo "== item detail alone, ${ALONE}s  (load: $(uptime | sed 's/.*load average: //'))"
detail "$ALONE" detail_alone

echo "== mix for ${DURATION}s: listings ×$CONNS, details ×$CONNS, chat $ROOMS rooms at $CHAT_RATE msg/s"
"$LG" chat --url "$BASE" --rooms "$ROOMS" --seconds "$((DURATION + 5))" --rate "$CHAT_RATE" > "$DATA/chat.txt" 2>&1 &
CHAT=$!
PIDS+=($CHAT)
sleep 10   # accounts, rooms and sockets set up; the chat load is running
wrk -t1 -c"$CONNS" -d"$DURATION"s --timeout 10s -s "$BENCH_DIR/$LIST_SCRIPT" "$BASE/" > "$DATA/list.txt" 2>&1 &
LIST=$!
detail "$DURATION" detail_mixed
wait "$LIST"; grep "^RESULT" "$DATA/list.txt" | sed "s/^RESULT/${LIST_SCRIPT%.lua}/"
wait "$CHAT"; grep -E '^RESULT|^send->' "$DATA/chat.txt"
echo "   (load after the mix: $(uptime | sed 's/.*load average: //'))"

sleep 2
echo "== item detail alone again, ${ALONE}s"
detail "$ALONE" detail_after

echo "== WAL and RSS (samples every second: $DATA/samples.csv)"
awk -F, 'NR == 2 {r0 = $3} NR > 1 {if ($2 > w) w = $2; if ($3 > r) r = $3; last = $3; lw = $2; n++}
  END {printf "wal_max_mb=%.1f wal_end_mb=%.1f rss_start_mb=%.1f rss_max_mb=%.1f rss_end_mb=%.1f samples=%d\n",
       w / 1048576, lw / 1048576, r0 / 1024, r / 1024, last / 1024, n}' "$DATA/samples.csv"
echo "== WAL truncations / busy in the server log: $(grep -c 'checkpointed and truncated' "$DATA/server.log") / $(grep -c 'readers kept it in use' "$DATA/server.log")"
echo "== server errors logged: $(grep -c "ERROR" "$DATA/server.log")"
echo "== load after: $(uptime | sed 's/.*load average: //')"
