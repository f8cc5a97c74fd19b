#!/usr/bin/env bash
# Chat benchmark of issue #4 §9: 50 rooms × 2 sockets, delivered messages/s and send→delivery
# latency; memory per idle authenticated socket. Cases: one instance on SQLite, and two instances
# sharing PostgreSQL + Redis (every room's two sockets on different instances).
#
#   bash bench/chat.sh                    # build, then all cases
#   BUILD=0 CASES="sqlite idle" bash bench/chat.sh
set -uo pipefail   # no -e: a missed target or a failed case must not hide the others
cd "$(dirname "$0")/.."
ROOT=$PWD
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

ROOMS=${ROOMS:-50}
SECONDS_=${SECONDS_:-15}
INFLIGHT=${INFLIGHT:-32}
RATE=${RATE:-15000}   # the open-loop run offers the target rate; the closed loop finds the maximum
SOCKETS=${SOCKETS:-2000}
CASES=${CASES:-sqlite idle pg2}
DATA=${DATA:-/tmp/egd-bench-chat}
PG_DB=${PG_DB:-egd_bench_chat}
PG_URL=postgres://postgres@127.0.0.1:5432/$PG_DB
REDIS=${REDIS:-redis://127.0.0.1:6379}
BIN=$ROOT/target/release/egodaeyeo
LG=$ROOT/target/release/examples/loadgen

if [ "${BUILD:-1}" = 1 ]; then
  cargo build --release --examples --bins
fi
echo "== machine: $(nproc) cores, $(free -m | awk '/Mem:/ {print $2}') MiB RAM; $(uname -r)"

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; PIDS=(); }
trap cleanup EXIT
wait_up() { for _ in $(seq 200); do curl -sf "$1/healthz" >/dev/null && return 0; sleep 0.1; done; echo "server $1 did not start"; exit 1; }

for case in $CASES; do
  case $case in
    sqlite)
      rm -rf "$DATA"
      DRAIN_SECONDS=0 RATE_LIMIT=off RUST_LOG=warn "$BIN" serve --data-dir "$DATA" --bind 127.0.0.1:8091 & PIDS+=($!)
      wait_up http://127.0.0.1:8091
      echo "== chat, 1 instance, SQLite  (load: $(uptime | sed 's/.*load average: //'))"
      "$LG" chat --url http://127.0.0.1:8091 --rooms "$ROOMS" --seconds "$SECONDS_" --inflight "$INFLIGHT"
      echo "== chat, 1 instance, SQLite, open loop at $RATE msg/s  (load: $(uptime | sed 's/.*load average: //'))"
      "$LG" chat --url http://127.0.0.1:8091 --rooms "$ROOMS" --seconds "$SECONDS_" --inflight "$INFLIGHT" --rate "$RATE"
      echo "== messages stored: $(sqlite3 "$DATA/egodaeyeo.db" 'SELECT COUNT(*) FROM messages')"
      echo "   (load after: $(uptime | sed 's/.*load average: //'))"
      cleanup
      ;;
    idle)
      rm -rf "$DATA-idle"
      DRAIN_SECONDS=0 RATE_LIMIT=off RUST_LOG=warn "$BIN" serve --data-dir "$DATA-idle" --bind 127.0.0.1:8093 & PIDS+=($!)
      wait_up http://127.0.0.1:8093
      echo "== idle sockets, 1 instance, SQLite  (load: $(uptime | sed 's/.*load average: //'))"
      "$LG" idle --url http://127.0.0.1:8093 --sockets "$SOCKETS" --pid "${PIDS[-1]}"
      cleanup
      ;;
    pg2)
      dropdb -h 127.0.0.1 -U postgres --if-exists "$PG_DB"
      createdb -h 127.0.0.1 -U postgres "$PG_DB"
      redis-cli -u "$REDIS" ping >/dev/null
      for port in 8091 8092; do
        DATABASE_URL=$PG_URL REDIS_URL=$REDIS DRAIN_SECONDS=0 RATE_LIMIT=off RUST_LOG=warn \
          "$BIN" serve --data-dir "$DATA-pg-$port" --bind 127.0.0.1:$port & PIDS+=($!)
        wait_up http://127.0.0.1:$port
      done
      echo "== chat, 2 instances, PostgreSQL + Redis  (load: $(uptime | sed 's/.*load average: //'))"
      "$LG" chat --url http://127.0.0.1:8091 --url2 http://127.0.0.1:8092 --rooms "$ROOMS" --seconds "$SECONDS_" --inflight "$INFLIGHT"
      echo "== chat, 2 instances, PostgreSQL + Redis, open loop at $RATE msg/s  (load: $(uptime | sed 's/.*load average: //'))"
      "$LG" chat --url http://127.0.0.1:8091 --url2 http://127.0.0.1:8092 --rooms "$ROOMS" --seconds "$SECONDS_" --inflight "$INFLIGHT" --rate "$RATE"
      echo "== messages stored: $(psql -X -tA -h 127.0.0.1 -U postgres "$PG_DB" -c 'SELECT COUNT(*) FROM messages')"
      echo "   (load after: $(uptime | sed 's/.*load average: //'))"
      cleanup
      ;;
    pg1)
      dropdb -h 127.0.0.1 -U postgres --if-exists "$PG_DB"
      createdb -h 127.0.0.1 -U postgres "$PG_DB"
      DATABASE_URL=$PG_URL DRAIN_SECONDS=0 RATE_LIMIT=off RUST_LOG=warn "$BIN" serve --data-dir "$DATA-pg1" --bind 127.0.0.1:8091 & PIDS+=($!)
      wait_up http://127.0.0.1:8091
      echo "== chat, 1 instance, PostgreSQL, in-process broker  (load: $(uptime | sed 's/.*load average: //'))"
      "$LG" chat --url http://127.0.0.1:8091 --rooms "$ROOMS" --seconds "$SECONDS_" --inflight "$INFLIGHT"
      cleanup
      ;;
  esac
done
