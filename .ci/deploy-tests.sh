#!/usr/bin/env bash
# One deployment suite of tests/deploy (docs/operations.md), with what it needs:
#   bash .ci/deploy-tests.sh nginx    two instances on PostgreSQL + Redis behind Debian's nginx
#   bash .ci/deploy-tests.sh s3       media on an S3 server (moto in server mode, from PyPI)
#   bash .ci/deploy-tests.sh backup   egodaeyeo backup/restore under chat load; pg_dump/pg_restore
#   bash .ci/deploy-tests.sh rolling  a rolling restart behind nginx during chat load
# Installs nginx (Debian) and moto (PyPI) when missing; PostgreSQL and Redis are started by
# .ci/run (or by you) on 127.0.0.1:5432 and :6379. Non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
suite=${1:?which suite: nginx, s3, backup or rolling}
export CARGO_TERM_COLOR=never
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379}

need_nginx() {
  if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
  fi
  # The tests run their own nginx on a loopback port; Debian's service is not needed. (Not
  # $NGINX: nginx itself reads that variable, for inherited sockets.)
  export NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
}

moto_pid=""
stop_moto() { if [ -n "$moto_pid" ]; then kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; fi; }
trap stop_moto EXIT

need_moto() {
  # moto's S3 in server mode: a real S3 protocol endpoint, in-memory, no account needed. Run as
  # a module, so a fresh install needs no PATH or pyenv shim for its script.
  if ! python3 -c 'import moto.server, flask' >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check 'moto[server]>=5,<6'
  fi
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  python3 -m moto.server -H 127.0.0.1 -p "$port" >/tmp/egd-moto.log 2>&1 &
  moto_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$port/" >/dev/null || { cat /tmp/egd-moto.log; exit 1; }
  export TEST_S3_ENDPOINT="http://127.0.0.1:$port"
}

case "$suite" in
  nginx | rolling) need_nginx ;;
  s3) need_moto; unset TEST_DATABASE_URL TEST_REDIS_URL ;;
  backup) ;;
  *) echo "unknown suite: $suite" >&2; exit 2 ;;
esac

# The suites start real processes and load them: one test at a time on two cores.
cargo test --test deploy "${suite}::" -- --ignored --test-threads=1
