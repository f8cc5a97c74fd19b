#!/usr/bin/env bash
# Alternating before/after runs on the same machine: healthz, a cached listing, an uncached
# listing and anonymous item detail, 3 rounds, each server on its own seeded data.
#   BEFORE=/path/to/old/egodaeyeo BEFORE_DATA=/tmp/egd-bench-before AFTER_DATA=/tmp/egd-bench-after \
#   IDS_FILE=/tmp/egd-bench-after/ids.txt bash bench/ab.sh
# (seed each data dir with that version's `bash bench/http.sh`, which leaves DATA/ids.txt)
set -u
BEFORE=${BEFORE:?path to the older release binary}
AFTER=${AFTER:-$(dirname "$0")/../target/release/egodaeyeo}
B=$(cd "$(dirname "$0")" && pwd)
export IDS_FILE=${IDS_FILE:?ids of the seeded items (bench/http.sh writes DATA/ids.txt)}
run() { # label bin data port
  local label=$1 bin=$2 data=$3 port=$4
  DRAIN_SECONDS=0 RATE_LIMIT=off RUST_LOG=warn "$bin" serve --data-dir "$data" --bind 127.0.0.1:$port >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
  local base=http://127.0.0.1:$port
  for t in "healthz /healthz report.lua" "list_cached /api/v1/items?category=tools&region=1144066000&radius_km=5&sort=recent report.lua" "list_nocache /api/v1/items?category=tools&region=1144066000&radius_km=5&sort=recent list_nocache.lua" "detail_anon / detail.lua"; do
    set -- $t
    wrk -t2 -c64 -d2s -s $B/$3 "$base$2" >/dev/null
    r=$(wrk -t2 -c64 -d6s --latency -s $B/$3 "$base$2" | grep '^RESULT')
    echo "$label $1 $r"
  done
  kill $pid; wait $pid 2>/dev/null
}
for round in 1 2 3; do
  run before $BEFORE ${BEFORE_DATA:?seeded data dir for BEFORE} 8101
  run after $AFTER ${AFTER_DATA:?seeded data dir for AFTER} 8102
done
