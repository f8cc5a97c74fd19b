#!/usr/bin/env bash
# Issue #16, chat target: the app's chat against the trivial in-process echo (`loadgen echo`,
# examples/loadgen/echo.rs: the same HTTP + WebSocket subset, no storage, no auth work).
# Goal: msg/s app/echo >= 0.80 and p99 app/echo <= 3 (send->partner delivery). Both cases run the
# same closed-loop `loadgen chat` (ROOMS rooms x 2 sockets) against the echo, then against a fresh
# single SQLite instance: with INFLIGHT unacknowledged messages per socket, and with 1 (window 1).
#
#   bash bench/chat_echo.sh                     # build, then both cases
#   BUILD=0 SECONDS_=3 bash bench/chat_echo.sh  # smoke run with the binaries already built
#   BUILD=0 WINDOWS=1 bash bench/chat_echo.sh   # only the window-1 case
#
# Each run also prints the CPU time the server (the echo or the app) and the load generator spent
# per message, read from /proc/PID/stat over the measured window only (so the accounts' password
# hashing before it is not counted): on 2 shared cores that split says where a gap comes from.
set -uo pipefail   # no -e: a failed run must not hide the others
cd "$(dirname "$0")/.."
ROOT=$PWD
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

ROOMS=${ROOMS:-50}
SECONDS_=${SECONDS_:-15}
INFLIGHT=${INFLIGHT:-32}
WINDOWS=${WINDOWS:-$INFLIGHT 1}
# The echo runs in loadgen's runtime: give it as many workers as the app's #[tokio::main] has.
SERVER_THREADS=${SERVER_THREADS:-$(nproc)}
DATA=${DATA:-/tmp/egd-bench-chat-echo}
ECHO_PORT=${ECHO_PORT:-8099}
APP_PORT=${APP_PORT:-8095}
BIN=$ROOT/target/release/egodaeyeo
LG=$ROOT/target/release/examples/loadgen
OUT=$(mktemp -d /tmp/chat-echo.XXXXXX)

if [ "${BUILD:-1}" = 1 ]; then
  cargo build --release --example loadgen --bin egodaeyeo || exit 1
fi
echo "== machine: $(nproc) cores, $(free -m | awk '/Mem:/ {print $2}') MiB RAM; $(uname -r)"

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; PIDS=(); }
trap 'cleanup; rm -rf "$OUT"' EXIT
wait_up() { for _ in $(seq 200); do curl -sf "$1/healthz" >/dev/null && return 0; sleep 0.1; done; echo "server $1 did not start"; exit 1; }
load() { uptime | sed 's/.*load average: //'; }
# One RESULT field (msgs_per_s, p99_ms, ...) of a saved run, or nothing.
field() { grep -h '^RESULT chat' "$1" 2>/dev/null | tail -1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Runs the chat generator (args after the output file) against server PID $1, saving its output,
# and appends "cpu server_us_per_msg loadgen_us_per_msg" for the measured window to the file.
measured() { # server_pid out_file chat-args...
  local server=$1 out=$2; shift 2
  "$@" > "$out" & local chat=$!
  while ! grep -q 'rooms ready' "$out" 2>/dev/null; do kill -0 $chat 2>/dev/null || break; sleep 0.1; done
  sleep 3.5   # the generator's 1 s to connect and 2 s of warm-up
  local s0 l0 s1 l1 t0 t1
  s0=$(ticks "$server"); l0=$(ticks "$chat"); t0=$(date +%s.%N)
  sleep $((SECONDS_ - 1))
  s1=$(ticks "$server"); l1=$(ticks "$chat"); t1=$(date +%s.%N)
  wait $chat
  cat "$out"
  local rate; rate=$(field "$out" msgs_per_s)
  [ -n "$rate" ] && awk -v s=$((s1 - s0)) -v l=$((l1 - l0)) -v t0="$t0" -v t1="$t1" -v r="$rate" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { n = r * (t1 - t0); printf "cpu server_us_per_msg=%.1f loadgen_us_per_msg=%.1f server_cores=%.2f loadgen_cores=%.2f\n", s / hz * 1e6 / n, l / hz * 1e6 / n, s / hz / (t1 - t0), l / hz / (t1 - t0) }' | tee -a "$out"
}
cpu() { grep -h '^cpu ' "$1" 2>/dev/null | tail -1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }

SUMMARY=()
for w in $WINDOWS; do
  chat=("$LG" chat --rooms "$ROOMS" --seconds "$SECONDS_" --inflight "$w")

  LOADGEN_THREADS=$SERVER_THREADS RUST_LOG=warn "$LG" echo --bind 127.0.0.1:$ECHO_PORT >/dev/null & PIDS+=($!)
  wait_up http://127.0.0.1:$ECHO_PORT
  echo "== chat against the echo, closed loop, inflight $w  (load: $(load))"
  measured "${PIDS[-1]}" "$OUT/echo-$w" "${chat[@]}" --url http://127.0.0.1:$ECHO_PORT
  cleanup

  rm -rf "$DATA"
  DRAIN_SECONDS=0 RATE_LIMIT=off RUST_LOG=warn "$BIN" serve --data-dir "$DATA" --bind 127.0.0.1:$APP_PORT & PIDS+=($!)
  wait_up http://127.0.0.1:$APP_PORT
  echo "== chat against the app, 1 instance, SQLite, closed loop, inflight $w  (load: $(load))"
  measured "${PIDS[-1]}" "$OUT/app-$w" "${chat[@]}" --url http://127.0.0.1:$APP_PORT
  cleanup

  em=$(field "$OUT/echo-$w" msgs_per_s); am=$(field "$OUT/app-$w" msgs_per_s)
  ep=$(field "$OUT/echo-$w" p99_ms); ap=$(field "$OUT/app-$w" p99_ms)
  SUMMARY+=("inflight $w: echo ${em:-?} msg/s p99 ${ep:-?} ms; app ${am:-?} msg/s p99 ${ap:-?} ms; msg/s app/echo $(ratio "$am" "$em") (goal >= 0.80), p99 app/echo $(ratio "$ap" "$ep") (goal <= 3)")
  SUMMARY+=("  CPU µs per message: echo server $(cpu "$OUT/echo-$w" server_us_per_msg), its load generator $(cpu "$OUT/echo-$w" loadgen_us_per_msg); app server $(cpu "$OUT/app-$w" server_us_per_msg), its load generator $(cpu "$OUT/app-$w" loadgen_us_per_msg)")
done

echo "== issue #16, chat vs the in-process echo ($ROOMS rooms, ${SECONDS_}s measured; load after: $(load))"
for line in "${SUMMARY[@]}"; do echo "   $line"; done
