#!/usr/bin/env bash
# Browser end-to-end tests: playwright-core drives Debian's chromium against a freshly started server.
# Usage: bash e2e/run.sh [tests/one.test.mjs ...]   (all by default; screenshots land in e2e/screenshots/)
set -uo pipefail
TESTS=("$@")
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ ! -x /usr/bin/chromium ]; then
  apt-get update && apt-get install -y chromium || { echo "could not install chromium" >&2; exit 1; }
fi

(
  cd e2e
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
) || { echo "npm install failed" >&2; exit 1; }

cargo build --bin egodaeyeo --example oidc_provider || exit 1

PORT=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
DATA=$(mktemp -d /tmp/egd-e2e.XXXXXX)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/egodaeyeo"
# Sign in with Kakao goes through the tests' own OpenID provider on a free port.
"${CARGO_TARGET_DIR:-$ROOT/target}/debug/examples/oidc_provider" 127.0.0.1:0 >"$DATA/provider.out" 2>&1 &
PROVIDER=$!
for _ in $(seq 1 50); do [ -s "$DATA/provider.out" ] && break; sleep 0.1; done
ISSUER=$(head -n1 "$DATA/provider.out")
case "$ISSUER" in http://*) ;; *) echo "OpenID provider did not start: $ISSUER" >&2; exit 1 ;; esac
DRAIN_SECONDS=0 RATE_LIMIT=off KAKAO_CLIENT_ID=egd-test-client KAKAO_CLIENT_SECRET=egd-test-secret KAKAO_ISSUER="$ISSUER" \
  "$BIN" serve --bind "127.0.0.1:$PORT" --data-dir "$DATA" >"$DATA/server.log" 2>&1 &
SERVER=$!
cleanup() {
  kill "$SERVER" "$PROVIDER" 2>/dev/null
  wait "$SERVER" "$PROVIDER" 2>/dev/null
  rm -rf "$DATA"
}
trap cleanup EXIT

BASE_URL="http://127.0.0.1:$PORT"
if ! node -e "
  const url = process.argv[1] + '/healthz';
  const until = Date.now() + 30000;
  (async () => {
    while (Date.now() < until) {
      try { if ((await fetch(url)).ok) process.exit(0); } catch (e) {}
      await new Promise((r) => setTimeout(r, 200));
    }
    process.exit(1);
  })();" "$BASE_URL"; then
  echo "server did not become healthy" >&2
  cat "$DATA/server.log" >&2
  exit 1
fi

mkdir -p e2e/screenshots
cd e2e
# All of them unless some were named (paths below e2e/).
[ ${#TESTS[@]} -eq 0 ] && TESTS=(tests/*.test.mjs)
BASE_URL="$BASE_URL" EGD_BIN="$BIN" EGD_DATA_DIR="$DATA" \
  node --test --test-concurrency=1 "${TESTS[@]}"
STATUS=$?
# No secret, code, state or token of the Kakao sign-ins may reach the server's log.
if grep -nE 'egd-test-secret|code=|state=|id_token|eyJ[A-Za-z0-9_-]{10,}' "$DATA/server.log" >&2; then
  echo "the server log above carries a secret, a code or a token" >&2
  STATUS=1
fi
if printf '%s\n' "${TESTS[@]}" | grep -q kakao && ! grep -q '/auth/kakao/callback' "$DATA/server.log"; then
  echo "the server log has no request lines for the Kakao callback (is request logging on?)" >&2
  STATUS=1
fi
if [ "$STATUS" -ne 0 ]; then
  echo "--- last server log lines ---" >&2
  tail -n 40 "$DATA/server.log" >&2
fi
exit "$STATUS"
