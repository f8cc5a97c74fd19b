#!/usr/bin/env bash
# The listing families of issue #16's table, one at a time, against a running server, with the
# in-process /healthz of the same run first. bench/list_nocache.lua adds an ignored parameter to
# every request, so the page micro-cache never answers and the page's SQL runs every time; counts
# come from the count cache (keyed by what a listing matches), as they do for real traffic.
#
#   BASE=http://127.0.0.1:8090 bash bench/families.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_DIR=$PWD/bench
BASE=${BASE:?the server, e.g. http://127.0.0.1:8090}
DURATION=${DURATION:-8s}
CONNS=${CONNS:-32}
R="region=1144066000"
FAMILIES=(
  "healthz|/healthz"
  "lend, newest first|/api/v1/items?section=lend"
  "lend, one category|/api/v1/items?section=lend&category=tools"
  "lend, popular|/api/v1/items?section=lend&sort=popular"
  "lend, price range, price_asc|/api/v1/items?section=lend&min_price=5000&max_price=20000&sort=price_asc"
  "lend, price_asc (no range)|/api/v1/items?section=lend&sort=price_asc"
  "lend, 동네 + 3 km|/api/v1/items?section=lend&$R&radius_km=3"
  "lend, 동네 + 10 km|/api/v1/items?section=lend&$R&radius_km=10"
  "lend, q=드릴|/api/v1/items?section=lend&q=%EB%93%9C%EB%A6%B4"
  "lend, q=프로젝터|/api/v1/items?section=lend&q=%ED%94%84%EB%A1%9C%EC%A0%9D%ED%84%B0"
  "lend, q=캠핑 + category + 5 km + popular|/api/v1/items?section=lend&q=%EC%BA%A0%ED%95%91&category=camping&$R&radius_km=5&sort=popular"
)
printf '%-44s %10s %10s %10s\n' family req/s p50 p99
for f in "${FAMILIES[@]}"; do
  name=${f%%|*} url=${f#*|}
  script=list_nocache.lua
  [ "$url" = /healthz ] && script=report.lua
  wrk -t2 -c"$CONNS" -d2s -s "$BENCH_DIR/$script" "$BASE$url" >/dev/null 2>&1
  wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$BENCH_DIR/$script" "$BASE$url" 2>&1 |
    awk -v n="$name" '/Requests\/sec/ {r=$2} / 50%/ {p5=$2} / 99%/ {p9=$2} /Non-2xx/ {e=$NF}
      END {printf "%-44s %10s %10s %10s%s\n", n, r, p5, p9, (e ? "  non-2xx " e : "")}'
done
