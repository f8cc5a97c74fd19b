#!/usr/bin/env bash
# The random listing mix of issue #16 (item 6) against the in-process /healthz of the same server,
# in the same run: seed (loadgen seed, SQLite or PostgreSQL), serve, warm up 3 s with the mix, then
#   /healthz  ->  the random mix (bench/random_mix.lua)  ->  /healthz again
# each with wrk -t$THREADS -c$CONNS -d$DURATION on the same machine. Prints req/s, p50, p99 and the
# non-2xx count of each run, the mix's share of the first /healthz, the server's RSS, and a few
# URLs the mix sent with the `total` each one answers.
#
#   bash bench/mix.sh                                   # SQLite, 10,000 items / 1,000 users, 15 s
#   ITEMS=100000 USERS=10000 bash bench/mix.sh          # the 100k seed (#16: how the cost grows)
#   PG=1 bash bench/mix.sh                              # PostgreSQL: recreates database egd_bench
#   BUILD=1 bash bench/mix.sh                           # cargo build --release --examples --bins first
#   BIN=/tmp/old/egodaeyeo LG=/tmp/old/loadgen DURATION=5s bash bench/mix.sh
#
# Env: BIN, LG, ITEMS (10000), USERS (ITEMS/10), REGIONS (5 동 around 서교동), DURATION (15s),
# CONNS (64), THREADS (2), PORT (8096), PG (0/1), PG_URL, DATA (SQLite/media dir), SEED (wrk RNG).
# Exit status: 1 if the server does not start or dies, 2 if the mix got a 5xx other than 503.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export BENCH_DIR=$ROOT/bench
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

BIN=${BIN:-$ROOT/target/release/egodaeyeo}
LG=${LG:-$ROOT/target/release/examples/loadgen}
ITEMS=${ITEMS:-10000}
USERS=${USERS:-$((ITEMS / 10))}
REGIONS=${REGIONS:-5}
DURATION=${DURATION:-15s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
PORT=${PORT:-8096}
PG=${PG:-0}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/egd_bench}
PG_DB=${PG_URL##*/}
DATA=${DATA:-/tmp/egd-bench-mix}
BASE=http://127.0.0.1:$PORT
OUT=$DATA-out   # wrk outputs (kept after the run)

command -v wrk >/dev/null || { echo "needs wrk (apt-get install -y wrk)" >&2; exit 1; }
if [ "${BUILD:-0}" = 1 ]; then
  cargo build --release --examples --bins
fi
for f in "$BIN" "$LG"; do
  [ -x "$f" ] || { echo "missing $f (BUILD=1, or set BIN / LG)" >&2; exit 1; }
done

echo "== machine: $(nproc) cores, $(free -m | awk '/Mem:/ {print $2}') MiB RAM; $(uname -r); server $BIN"
echo "== load before: $(uptime)"

# --- seed
rm -rf "$DATA" "$OUT"
mkdir -p "$OUT"
SERVER_ENV=()
t0=$(date +%s.%N)
if [ "$PG" = 1 ]; then
  BACKEND="PostgreSQL ($PG_URL)"
  dropdb -h 127.0.0.1 -U postgres --if-exists "$PG_DB"
  createdb -h 127.0.0.1 -U postgres "$PG_DB"
  "$LG" seed --data-dir "$DATA" --database-url "$PG_URL" --users "$USERS" --items "$ITEMS" --regions "$REGIONS"
  SERVER_ENV=("DATABASE_URL=$PG_URL")
else
  BACKEND="SQLite ($DATA)"
  "$LG" seed --data-dir "$DATA" --users "$USERS" --items "$ITEMS" --regions "$REGIONS"
fi
t1=$(date +%s.%N)
printf '== seeded %s items / %s users in %s 동 on %s in %.1f s\n' "$ITEMS" "$USERS" "$REGIONS" "$BACKEND" "$(echo "$t1 - $t0" | bc -l)"
if [ "$PG" != 1 ]; then
  echo "   database files (db + wal): $(du -ch "$DATA"/egodaeyeo.db* | awk 'END {print $1}')"
fi

# --- serve
env "${SERVER_ENV[@]}" DRAIN_SECONDS=0 RATE_LIMIT=off RUST_LOG=warn \
  "$BIN" serve --data-dir "$DATA" --bind "127.0.0.1:$PORT" > "$OUT/server.log" 2>&1 &
SERVER=$!
cleanup() { # keep the script's own exit status
  local rc=$?
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  exit "$rc"
}
trap cleanup EXIT
up=0
for _ in $(seq 300); do   # up to 30 s
  kill -0 "$SERVER" 2>/dev/null || break
  if curl -sf "$BASE/healthz" >/dev/null; then up=1; break; fi
  sleep 0.1
done
if [ "$up" != 1 ]; then
  echo "!! the server did not start; its log:" >&2
  tail -20 "$OUT/server.log" >&2
  exit 1
fi
rss() { awk '/VmRSS/ {print $2" "$3}' "/proc/$SERVER/status"; }
echo "== server up (pid $SERVER, RSS $(rss)); categories: $(curl -s "$BASE/api/v1/categories" | python3 -c 'import json,sys; print(" ".join(c["slug"] for c in json.load(sys.stdin)))')"

# --- runs
wrk -t"$THREADS" -c"$CONNS" -d3s -s "$BENCH_DIR/random_mix.lua" "$BASE" > "$OUT/warmup.txt"
echo "== warm-up (3 s of the mix): $(grep '^RESULT' "$OUT/warmup.txt" | sed 's/^RESULT //')"

NAMES=(healthz random_mix healthz_again)
URLS=(/healthz / /healthz)
SCRIPTS=(status.lua random_mix.lua status.lua)
for i in "${!NAMES[@]}"; do
  name=${NAMES[$i]}
  echo "== $name  (load: $(uptime | sed 's/.*load average: //'); server RSS $(rss))"
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$BENCH_DIR/${SCRIPTS[$i]}" "$BASE${URLS[$i]}" \
    | tee "$OUT/$name.txt"
  kill -0 "$SERVER" 2>/dev/null || { echo "!! the server died during $name" >&2; tail -20 "$OUT/server.log" >&2; exit 1; }
done
echo "== server RSS at the end: $(rss)"

# --- summary
field() { # file key -> value from its RESULT line
  grep '^RESULT' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {print $2}'
}
base_rps=$(field "$OUT/healthz.txt" rps)
echo "== summary: $BACKEND, $ITEMS items / $USERS users, wrk -t$THREADS -c$CONNS -d$DURATION"
printf '%-14s %10s %10s %10s %8s %8s %7s\n' run req/s p50_ms p99_ms non2xx of_hz_1 503s
for name in "${NAMES[@]}"; do
  f=$OUT/$name.txt
  rps=$(field "$f" rps)
  if [ "$name" = random_mix ]; then
    non2xx=$(field "$f" non2xx)
  else
    non2xx=$(( $(field "$f" requests) - $(field "$f" ok) ))
  fi
  printf '%-14s %10s %10s %10s %8s %7.2f%% %7s\n' "$name" "$rps" "$(field "$f" p50_ms)" \
    "$(field "$f" p99_ms)" "$non2xx" "$(echo "100 * $rps / $base_rps" | bc -l)" "$(field "$f" s503)"
done
mix=$OUT/random_mix.txt
echo "   mix statuses: $(grep '^STATUS' "$mix" | sed 's/^STATUS //'); distinct URLs sent $(field "$mix" distinct_urls) (responses counted: $(field "$mix" requests)); socket errors $(field "$mix" socket_errors)"

echo "== what the mix asks for (URLs it sent, asked again now; total N+ = at least N, the count stops at the cap)"
grep '^SAMPLE' "$mix" | head -8 | while read -r _ path; do
  body=$(curl -s -w '\n%{http_code}' "$BASE$path")
  code=${body##*$'\n'}
  total=$(python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(str(d.get("total")) + ("+" if d.get("total_exact") is False else ""), len(d.get("items", [])))' \
    <<<"${body%$'\n'*}" 2>/dev/null || echo "? ?")
  printf '  %s total=%-6s items=%-3s %s\n' "$code" "${total% *}" "${total#* }" \
    "$(python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.argv[1]))' "$path")"
done
echo "== load after: $(uptime)"
echo "   (wrk outputs and the server log in $OUT)"

s5xx=$(field "$mix" s5xx_other)
if [ "${s5xx:-0}" != 0 ]; then
  echo "!! the mix got $s5xx responses with a 5xx status other than 503" >&2
  exit 2
fi
