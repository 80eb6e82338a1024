#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs dependencies, builds, starts a real PostgreSQL server
# (as the postgres user, in a temporary directory), runs every test with ctest, and stops what it started.
#   scripts/test.sh              # RelWithDebInfo build in ./build
#   scripts/test.sh --sanitize   # ASan+UBSan build in ./build-asan
#   scripts/test.sh -R Store     # extra arguments go to ctest
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

ctest_args=()
for arg in "$@"; do
  case "$arg" in
    --sanitize) export CAIRN_SANITIZE=1 ;;
    *) ctest_args+=("$arg") ;;
  esac
done
build_dir=build
if [ "${CAIRN_SANITIZE:-0}" = "1" ]; then
  build_dir=build-asan
  export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
  export UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
fi

scripts/install-deps.sh
scripts/build.sh "$build_dir"

tmp=$(mktemp -d /tmp/cairn-test.XXXXXX)
chmod 0755 "$tmp"  # the PostgreSQL server runs as user postgres and must reach its directory inside
moto_pid=""
cleanup() {
  if [ -n "$moto_pid" ]; then kill "$moto_pid" 2>/dev/null || true; fi
  "$root/scripts/pg.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# The engine tests' npm packages (tests/engines: DuckDB), as package-lock.json pins them; skipped when the lock file
# has not changed since the last install. A lock file written against a registry that lacks other platforms'
# optional packages (DuckDB's per-platform bindings) is refused by `npm ci`; the same versions then come from
# `npm install --no-save`, which leaves package.json and the lock file as they are.
command -v npm >/dev/null || { echo "test.sh: npm not found although scripts/install-deps.sh ran (apt-get install nodejs npm)" >&2; exit 1; }
lock_sum=$(sha256sum tests/engines/package-lock.json | cut -d' ' -f1)
if [ "$(cat tests/engines/node_modules/.cairn-lock-sha256 2>/dev/null)" != "$lock_sum" ]; then
  if ! (cd tests/engines && npm ci --no-audit --no-fund >"$tmp/npm-ci.log" 2>&1); then
    echo "test.sh: npm ci refused tests/engines/package-lock.json; installing the locked versions with npm install --no-save"
    (cd tests/engines && npm install --no-save --no-audit --no-fund) || { cat "$tmp/npm-ci.log" >&2; exit 1; }
  fi
  echo "$lock_sum" > tests/engines/node_modules/.cairn-lock-sha256
fi

export CAIRN_TEST_DATABASE_URL
CAIRN_TEST_DATABASE_URL=$("$root/scripts/pg.sh" start "$tmp/pg")
echo "test.sh: PostgreSQL at $CAIRN_TEST_DATABASE_URL"

# moto_server as the S3-compatible store of the crawler's S3 tests (tests/crawler/s3_client_test.cpp), on a free
# loopback port; without it those tests skip.
if command -v moto_server >/dev/null; then
  moto_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  moto_server -H 127.0.0.1 -p "$moto_port" >"$tmp/moto.log" 2>&1 &
  moto_pid=$!
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$moto_port/" && break
    kill -0 "$moto_pid" 2>/dev/null || { cat "$tmp/moto.log" >&2; echo "test.sh: moto_server exited" >&2; exit 1; }
    sleep 0.2
  done
  curl -s -o /dev/null "http://127.0.0.1:$moto_port/" || { echo "test.sh: moto_server did not answer on port $moto_port" >&2; exit 1; }
  export CAIRN_TEST_S3_ENDPOINT="http://127.0.0.1:$moto_port"
  echo "test.sh: moto_server (S3) at $CAIRN_TEST_S3_ENDPOINT"
else
  echo "test.sh: moto_server not found (pip install 'moto[server]'); the S3 client tests will skip" >&2
fi

cd "$build_dir"
ctest --output-on-failure --timeout 600 -j 2 "${ctest_args[@]}"
