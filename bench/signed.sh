#!/usr/bin/env bash
# Signed-in against anonymous item pages (issue #16: signed-in detail >= 90% of anonymous), as a
# distribution rather than one run of each: on one warm server, ROUNDS rounds of
#   /healthz (the in-process baseline)  ->  detail anonymous  ->  detail signed in
# with the two detail runs swapped every other round, so neither always runs second (pages age
# and refill between 30 and 60 s, and a run that comes right after another pays for what it
# left). Each run is wrk -t$THREADS -c$CONNS -d$DURATION over random item ids (bench/detail.lua);
# the server's own CPU time per request comes from /proc/PID/stat over the same window.
# Prints every run, then the medians and the ratio of the medians.
#
#   bash bench/signed.sh                        # seed 10,000 items / 1,000 users, 7 rounds of 8 s
#   SEED=0 DATA=/tmp/egd-bench-http bash bench/signed.sh   # reuse bench/http.sh's seeded data
#   ROUNDS=11 DURATION=6s bash bench/signed.sh
#
# Env: BIN, LG, DATA (/tmp/egd-bench-signed), SEED (1: seed DATA afresh), ROUNDS (7),
# DURATION (8s), CONNS (64), THREADS (2), PORT (8097).
# Exit status: 1 if the server does not start, 2 if any run had an error or a non-2xx answer.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export BENCH_DIR=$ROOT/bench
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

BIN=${BIN:-$ROOT/target/release/egodaeyeo}
LG=${LG:-$ROOT/target/release/examples/loadgen}
DATA=${DATA:-/tmp/egd-bench-signed}
SEED=${SEED:-1}
ROUNDS=${ROUNDS:-7}
DURATION=${DURATION:-8s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
PORT=${PORT:-8097}
BASE=http://127.0.0.1:$PORT
OUT=$DATA-out
command -v wrk >/dev/null || { echo "needs wrk (apt-get install -y wrk)" >&2; exit 1; }

if [ "$SEED" = 1 ] || [ ! -f "$DATA/egodaeyeo.db" ]; then
  rm -rf "$DATA"
  "$LG" seed --data-dir "$DATA" --users 1000 --items 10000
fi
sqlite3 "$DATA/egodaeyeo.db" "SELECT id FROM items WHERE hidden = 0 AND deleted_at IS NULL" > "$DATA/ids.txt"
export IDS_FILE=$DATA/ids.txt
rm -rf "$OUT"; mkdir -p "$OUT"

echo "== machine: $(nproc) cores, $(free -m | awk '/Mem:/ {print $2}') MiB RAM; $(uname -r); load: $(uptime | sed 's/.*load average: //')"
DRAIN_SECONDS=0 RATE_LIMIT=off RUST_LOG=warn "$BIN" serve --data-dir "$DATA" --bind "127.0.0.1:$PORT" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$BASE/healthz" >/dev/null || { echo "server did not start" >&2; exit 1; }

TOKEN=$(curl -sf "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"user0001@bench.test","password":"bench1234"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
# Both kinds of page warm: every item's page made once, the signed-in caller's marks read.
wrk -t"$THREADS" -c"$CONNS" -d5s -s bench/detail.lua "$BASE/" >/dev/null
TOKEN=$TOKEN wrk -t"$THREADS" -c"$CONNS" -d2s -s bench/detail.lua "$BASE/" >/dev/null

cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
TICK=$(getconf CLK_TCK)
run() { # round name url script token
  local round=$1 name=$2 url=$3 script=$4 tok=$5 before after line req
  before=$(cpu_ticks)
  line=$(TOKEN=$tok wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "bench/$script" "$BASE$url" |
    tee "$OUT/$round-$name.txt" | grep '^RESULT')
  after=$(cpu_ticks)
  req=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")
  printf '%s %-7s %s server_us_per_req=%.1f\n' "$round" "$name" "${line#RESULT }" \
    "$(echo "($after - $before) * 1000000 / $TICK / $req" | bc -l)" | tee -a "$OUT/runs.txt"
}
for round in $(seq "$ROUNDS"); do
  run "$round" healthz /healthz report.lua ""
  if [ $((round % 2)) = 1 ]; then
    run "$round" anon / detail.lua ""
    run "$round" signed / detail.lua "$TOKEN"
  else
    run "$round" signed / detail.lua "$TOKEN"
    run "$round" anon / detail.lua ""
  fi
done

echo "== medians over $ROUNDS rounds"
python3 - "$OUT/runs.txt" <<'PY'
import re, statistics, sys
runs = {}
bad = 0
for line in open(sys.argv[1]):
    f = dict(re.findall(r'(\w+)=([\d.]+)', line))
    name = line.split()[1]
    runs.setdefault(name, []).append(f)
    bad += int(f['errors']) + int(f['non2xx'])
med = {n: {k: statistics.median(float(r[k]) for r in rs) for k in ('rps', 'p99_ms', 'server_us_per_req')}
       for n, rs in runs.items()}
for n, m in med.items():
    print(f"{n:8} rps={m['rps']:.0f} p99_ms={m['p99_ms']:.2f} server_us_per_req={m['server_us_per_req']:.1f} "
          f"of_healthz={100 * m['rps'] / med['healthz']['rps']:.1f}%")
a, s = med['anon'], med['signed']
pairs = [float(x['rps']) / float(y['rps']) for x, y in zip(runs['signed'], runs['anon'])]
print(f"signed/anon: medians {100 * s['rps'] / a['rps']:.1f}%, "
      f"per round {', '.join(f'{100 * p:.0f}%' for p in pairs)} (median {100 * statistics.median(pairs):.1f}%); "
      f"server CPU per request {100 * s['server_us_per_req'] / a['server_us_per_req']:.1f}% of anonymous")
sys.exit(2 if bad else 0)
PY
