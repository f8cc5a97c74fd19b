#!/usr/bin/env bash
# CI: fuzz the HTTP API against its own OpenAPI document (GET /api/v1/openapi.json) with schemathesis.
# Starts a fresh server (SQLite and media in a temp dir), seeds a user, an admin and some data, then
# runs schemathesis twice: every route but /admin with the user's token, then /admin with the
# admin's. Prints schemathesis' reports; non-zero on any failure.
# Usage: bash .ci/schemathesis.sh
#   EGD_BIN=path/to/egodaeyeo    use that server binary instead of `cargo build --release`
#   SCHEMATHESIS_SEED=<n>        replay a run with the seed it printed
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
HERE=$ROOT/.ci/schemathesis
step() { printf '\n=== %s\n' "$*"; }

SCHEMATHESIS_VERSION=4.32.5 # pinned with its dependencies in .ci/schemathesis/requirements.txt
SEED=${SCHEMATHESIS_SEED:-20261124}
VENV=${XDG_CACHE_HOME:-$HOME/.cache}/egd-schemathesis
# Cases per operation in the fuzzing phase and scenarios in the stateful phase (the coverage phase
# walks the schema once). With 100, both runs together take about a minute on 2 cores, debug
# server included. The time limits only stop a run that hangs or runs away; a run stopped by one
# fails the step, so the step (the release build aside) stays under 6 minutes.
MAX_EXAMPLES=100
USER_RUN_LIMIT=200 # seconds
ADMIN_RUN_LIMIT=80 # seconds

step "schemathesis $SCHEMATHESIS_VERSION (venv $VENV)"
# The venv is reused while it was built from the same pinned requirements.
if ! cmp -s "$HERE/requirements.txt" "$VENV/egd-requirements.txt"; then
  rm -rf "$VENV"
  python3.11 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
  cp "$HERE/requirements.txt" "$VENV/egd-requirements.txt"
fi
PY=$VENV/bin/python
"$VENV/bin/schemathesis" --version

if [ -n "${EGD_BIN:-}" ]; then
  BIN=$EGD_BIN
else
  step "cargo build --release"
  cargo build --release
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/egodaeyeo
fi

step "server"
# SQLite and local files (the defaults), whatever the environment points at.
unset DATABASE_URL REDIS_URL MEDIA_URL
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DATA=$(mktemp -d /tmp/egd-schemathesis.XXXXXX)
LOG=$DATA/server.log
DRAIN_SECONDS=0 RATE_LIMIT=off "$BIN" serve --bind "127.0.0.1:$PORT" --data-dir "$DATA" >"$LOG" 2>&1 &
SERVER=$!
cleanup() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    echo "--- server log: errors and warnings ---" >&2
    grep -E ' (ERROR|WARN) |panicked' "$LOG" | tail -n 40 >&2 || true
    echo "--- server log: last lines ---" >&2
    tail -n 30 "$LOG" >&2 || true
  fi
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  rm -rf "$DATA"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM # so that cleanup runs when CI cancels the step

BASE=http://127.0.0.1:$PORT
for _ in $(seq 1 150); do
  curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { echo "server exited before it became healthy" >&2; exit 1; }
  sleep 0.2
done
curl -fsS -o /dev/null "$BASE/healthz" || { echo "server did not become healthy in 30 s" >&2; exit 1; }
echo "$BIN on $BASE, data in $DATA"

step "seed data"
# api METHOD PATH [JSON] [TOKEN]: the response body; fails, showing the body, on a non-2xx status.
api() {
  local out
  if ! out=$(curl -sS --fail-with-body -X "$1" "$BASE/api/v1$2" -H 'content-type: application/json' \
    ${4:+-H "authorization: Bearer $4"} ${3:+--data "$3"}); then
    echo "$1 $2 failed: $out" >&2
    return 1
  fi
  printf '%s\n' "$out"
}
# field PATH < JSON: one value of a JSON document, e.g. `field access_token`, `field 0.code`.
field() {
  "$PY" -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1"
}
# Random passwords: the fuzzer cannot change them or delete the accounts (both need the password).
password() { "$PY" -c 'import secrets; print("fz1" + secrets.token_hex(12))'; }
signup() { # signup EMAIL PASSWORD NICKNAME: the access token
  api POST /auth/signup "{\"email\":\"$1\",\"password\":\"$2\",\"nickname\":\"$3\",\"region_code\":\"$REGION\"}" |
    field access_token
}

REGION=$(api GET "/regions?q=%EC%84%9C%EA%B5%90&level=3" | field 0.code) # q=서교: 서교동
CATEGORY=$(api GET /categories | field 0.id)
ADMIN_EMAIL=fuzz-admin@example.com
ADMIN_PASSWORD=$(password)
# Users 1 (the fuzzing user), 2 (a neighbour) and 3 (the admin).
USER_TOKEN=$(signup fuzz-user@example.com "$(password)" 퍼저)
NEIGHBOUR_TOKEN=$(signup fuzz-neighbour@example.com "$(password)" 이웃)
signup "$ADMIN_EMAIL" "$ADMIN_PASSWORD" 관리자 >/dev/null
"$BIN" --data-dir "$DATA" admin grant "$ADMIN_EMAIL"
ADMIN_TOKEN=$(api POST /auth/login "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" | field access_token)
api GET /admin/feedback "" "$ADMIN_TOKEN" >/dev/null # the grant took: 200, not 403

# Item 1 is the user's own, item 2 the neighbour's. On item 2 the user has chat room 1 with a
# message, rental 1 (the user asked), a bookmark and report 1 (open, for the admin's queue);
# on item 1 the neighbour asked for rental 2 (the user decides). Feedback 1 for the admin.
item() { # item TOKEN TITLE: the id
  api POST /items "{\"section\":\"lend\",\"category_id\":$CATEGORY,\"title\":\"$2\",\"description\":\"퍼징용 물건\",\"price\":5000,\"price_unit\":\"day\",\"deposit\":10000,\"region_code\":\"$REGION\"}" "$1" |
    field id
}
ITEM=$(item "$USER_TOKEN" "캠핑 의자")
OTHER_ITEM=$(item "$NEIGHBOUR_TOKEN" "전동 드릴")
ROOM=$(api POST "/items/$OTHER_ITEM/chats" "" "$USER_TOKEN" | field id)
api POST "/chats/$ROOM/messages" '{"body":"안녕하세요, 주말에 빌릴 수 있을까요?"}' "$USER_TOKEN" >/dev/null
PERIOD=$("$PY" -c 'import datetime as d, json
start = d.datetime.now(d.timezone.utc).replace(microsecond=0) + d.timedelta(days=2)
z = lambda t: t.isoformat().replace("+00:00", "Z")
print(json.dumps({"start_at": z(start), "end_at": z(start + d.timedelta(days=1))}))')
RENTAL=$(api POST "/items/$OTHER_ITEM/rentals" "$PERIOD" "$USER_TOKEN" | field id)
OTHER_RENTAL=$(api POST "/items/$ITEM/rentals" "$PERIOD" "$NEIGHBOUR_TOKEN" | field id)
api PUT "/items/$OTHER_ITEM/bookmark" "" "$USER_TOKEN" >/dev/null
api POST "/items/$OTHER_ITEM/reports" '{"reason":"other","detail":"퍼징용 신고"}' "$USER_TOKEN" >/dev/null
api POST /feedback '{"title":"퍼징","content":"퍼징용 의견"}' "$USER_TOKEN" >/dev/null
echo "region $REGION, category $CATEGORY, items $ITEM and $OTHER_ITEM, room $ROOM, rentals $RENTAL and $OTHER_RENTAL"

# fuzz LIMIT TOKEN FILTERS...: one schemathesis run; the same checks, phases and seed for both.
# One worker: with two, Python 3.11's ast.parse, which hypothesis calls while it builds
# strategies, fails now and then across threads ("AST constructor recursion depth mismatch"),
# and a single worker sends requests in the same order every time, so the seed replays a run.
fuzz() {
  local limit=$1 token=$2 status=0
  shift 2
  (
    cd "$DATA" # schemathesis may write state into its working directory: keep it out of the repo
    timeout -s INT -k 30 "$limit" \
      "$VENV/bin/schemathesis" --config-file "$HERE/schemathesis.toml" run "$BASE/api/v1/openapi.json" \
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection \
      --phases coverage,fuzzing,stateful \
      --seed "$SEED" --max-examples "$MAX_EXAMPLES" --generation-database none \
      --workers 1 --request-timeout 10 --no-color \
      -H "Authorization: Bearer $token" "$@"
  ) || status=$?
  if [ "$status" -eq 124 ]; then
    echo "schemathesis stopped at its time limit ($limit s): the report above is incomplete" >&2
  fi
  return "$status"
}

step "the document: valid OpenAPI, and a client generated from it type-checks"
curl -fsS "$BASE/api/v1/openapi.json" -o "$DATA/openapi.json"
"$VENV/bin/openapi-spec-validator" "$DATA/openapi.json"
(
  cd "$ROOT/.ci/openapi-client"
  npm ci --no-audit --no-fund --silent
  cp "$DATA/openapi.json" openapi.json
  npx --no-install openapi-typescript ./openapi.json -o ./schema.d.ts
  npx --no-install tsc --noEmit -p .
  echo "openapi-typescript client: tsc OK"
)

step "seed $SEED (replay: SCHEMATHESIS_SEED=$SEED bash .ci/schemathesis.sh)"
STATUS=0
# Two runs rather than one with a hook choosing the token by path: an admin may suspend anyone
# (a suspension ends every login of that user), so the admin run comes last, when the user's run
# is over. The server refuses an admin suspending themself, so the admin run keeps its login.
# The user's password is random, so the fuzzer cannot change it or delete the account, and it
# never sees the user's refresh token, so it cannot end that login. The checks after each run
# make sure: a token that stopped working would turn the rest of a run into unnoticed 401s.
# /api/v1/ws is a WebSocket upgrade, which schemathesis cannot speak: excluded.
step "schemathesis: every route but /admin, as the user"
fuzz "$USER_RUN_LIMIT" "$USER_TOKEN" --exclude-path-regex '/admin/|/ws$' || STATUS=1
api GET /me "" "$USER_TOKEN" >/dev/null || { echo "the fuzzer ended the user's login" >&2; STATUS=1; }

step "schemathesis: /admin routes, as the admin"
fuzz "$ADMIN_RUN_LIMIT" "$ADMIN_TOKEN" --include-path-regex '/admin/' || STATUS=1
api GET /admin/feedback "" "$ADMIN_TOKEN" >/dev/null || { echo "the fuzzer ended the admin's login" >&2; STATUS=1; }

if [ "$STATUS" -ne 0 ]; then
  step "schemathesis found failures (seed $SEED, ${SECONDS}s)"
  exit 1
fi
step "schemathesis: no failures (seed $SEED, ${SECONDS}s)"
