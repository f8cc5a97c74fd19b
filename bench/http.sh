#!/usr/bin/env bash
# HTTP benchmark of issue #3 §9: GET /items with filters and GET /items/{id} over 10,000 items and
# 1,000 users on SQLite, against the in-memory /healthz route of the same server in the same run.
# Also prints the query plans of the list queries (SQLite always; PostgreSQL with PG=1).
#
#   bash bench/http.sh                # build, seed, serve, wrk, plans
#   BUILD=0 DURATION=15s PG=1 bash bench/http.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export BENCH_DIR=$ROOT/bench
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

DURATION=${DURATION:-15s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
PORT=${PORT:-8090}
DATA=${DATA:-/tmp/egd-bench-http}
PG=${PG:-0}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/egd_bench}
BIN=$ROOT/target/release/egodaeyeo
LG=$ROOT/target/release/examples/loadgen

command -v wrk >/dev/null || apt-get install -y wrk
if [ "${BUILD:-1}" = 1 ]; then
  cargo build --release --examples --bins
fi

echo "== machine: $(nproc) cores, $(free -m | awk '/Mem:/ {print $2}') MiB RAM; $(uname -r)"
rm -f /tmp/egd-bench-*.txt
echo "== load before: $(uptime)"

rm -rf "$DATA"
"$LG" seed --data-dir "$DATA" --users 1000 --items 10000
sqlite3 "$DATA/egodaeyeo.db" "SELECT id FROM items WHERE hidden = 0 AND deleted_at IS NULL" > "$DATA/ids.txt"
export IDS_FILE=$DATA/ids.txt

DRAIN_SECONDS=0 RATE_LIMIT=off RUST_LOG=warn "$BIN" serve --data-dir "$DATA" --bind "127.0.0.1:$PORT" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
BASE=http://127.0.0.1:$PORT

# name, URL (path or "detail"), wrk script. The server has a 3 s micro-cache for public listings
# (keyed by the raw query string) and item details (signed-in callers add their own bookmark):
# "cached" runs repeat one URL (what the cache makes of hot identical requests), "nocache" runs add
# a unique ignored parameter so every request runs the SQL.
NAMES=(healthz); URLS=("/healthz"); SCRIPTS=(report.lua)
while read -r name qs; do
  NAMES+=("list_${name}_cached"); URLS+=("/api/v1/items?$qs"); SCRIPTS+=(report.lua)
  NAMES+=("list_${name}_nocache"); URLS+=("/api/v1/items?$qs"); SCRIPTS+=(list_nocache.lua)
done < <("$LG" explain --list)
NAMES+=(detail_anon); URLS+=("detail"); SCRIPTS+=(detail.lua)
NAMES+=(detail_signed_in); URLS+=("detail_auth"); SCRIPTS+=(detail.lua)
NAMES+=(healthz_again); URLS+=("/healthz"); SCRIPTS+=(report.lua)
ONLY=${ONLY:-}

token() {
  curl -sf "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email":"user0001@bench.test","password":"bench1234"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

echo "== responses"
for i in "${!NAMES[@]}"; do
  u=${URLS[$i]}
  [[ $u == detail* ]] && u="/api/v1/items/$(shuf -n1 "$IDS_FILE")"
  printf '%-28s %s  ' "${NAMES[$i]}" "$u"
  curl -s -o /tmp/egd-bench-resp.json -w '%{http_code} %{size_download}B' "$BASE$u"
  python3 -c 'import json,sys; d=json.load(open("/tmp/egd-bench-resp.json")); print("  total=%s items=%d" % (d.get("total"), len(d.get("items", []))) if "total" in d else "")' 2>/dev/null || echo
done

run() { # name url script
  local name=$1 url=$2 script=$BENCH_DIR/$3
  local tok=""
  case $url in
    detail) url=/ ;;
    detail_auth) url=/; tok=$(token) ;;
  esac
  TOKEN=$tok wrk -t"$THREADS" -c"$CONNS" -d3s -s "$script" "$BASE$url" >/dev/null   # warm-up
  echo "== $name  $url  (load: $(uptime | sed 's/.*load average: //'); server RSS $(grep VmRSS /proc/$SERVER/status | awk '{print $2" "$3}'))"
  TOKEN=$tok wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$script" "$BASE$url" | tee "/tmp/egd-bench-$name.txt"
}
for i in "${!NAMES[@]}"; do
  if [ -n "$ONLY" ] && ! [[ ${NAMES[$i]} =~ $ONLY ]]; then continue; fi
  run "${NAMES[$i]}" "${URLS[$i]}" "${SCRIPTS[$i]}"
done
echo "== server RSS at the end: $(grep VmRSS /proc/$SERVER/status | awk '{print $2" "$3}')"

echo "== summary (requests/s; ratio to the first /healthz run)"
base_rps=$(grep '^RESULT' /tmp/egd-bench-healthz.txt | sed 's/.*rps=\([0-9]*\).*/\1/')
for n in "${NAMES[@]}"; do
  [ -f "/tmp/egd-bench-$n.txt" ] || continue
  line=$(grep '^RESULT' "/tmp/egd-bench-$n.txt")
  rps=$(sed 's/.*rps=\([0-9]*\).*/\1/' <<<"$line")
  printf '%-28s %s ratio=%.1f%%\n' "$n" "${line#RESULT }" "$(echo "100*$rps/$base_rps" | bc -l)"
done

echo "== SQLite query plans (sqlite3 $(sqlite3 --version | cut -d' ' -f1) CLI on the seeded file)"
"$LG" explain --data-dir "$DATA" | while IFS= read -r line; do
  if [[ $line == --* ]]; then echo "$line"; else sqlite3 "$DATA/egodaeyeo.db" "EXPLAIN QUERY PLAN $line"; fi
done
echo "== SQLite query plans through the server's own (bundled) SQLite"
"$LG" explain --data-dir "$DATA" --run

if [ "$PG" = 1 ]; then
  echo "== PostgreSQL: seeding $PG_URL"
  dropdb -h 127.0.0.1 -U postgres --if-exists egd_bench
  createdb -h 127.0.0.1 -U postgres egd_bench
  "$LG" seed --data-dir "$DATA-pg" --database-url "$PG_URL" --users 1000 --items 10000
  "$LG" explain --data-dir "$DATA-pg" --database-url "$PG_URL" | while IFS= read -r line; do
    if [[ $line == --* ]]; then echo "$line"; else psql -X -q -h 127.0.0.1 -U postgres egd_bench -c "EXPLAIN ANALYZE $line"; fi
  done
fi
echo "== load after: $(uptime)"
