#!/usr/bin/env bash
# Starts or stops a throw-away PostgreSQL 15 cluster for tests.
#
#   scripts/pg.sh start DIR   initdb into DIR (once), start on 127.0.0.1 at a free port with unix sockets in DIR,
#                             create database cairn_test, print postgresql://postgres@127.0.0.1:PORT/cairn_test
#                             (also written to DIR/url). Starting an already running cluster prints its URL.
#   scripts/pg.sh stop DIR    stop the cluster (fast shutdown); nothing happens when it is not running.
#
# As root, the cluster runs as the `postgres` system user (DIR is chowned to it). Set PG_BIN to use another
# PostgreSQL installation (default /usr/lib/postgresql/15/bin).
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
DB_NAME="cairn_test"

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
cmd="$1"
dir="$2"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
data="$dir/data"

for tool in initdb pg_ctl psql createdb; do
  [[ -x "$PG_BIN/$tool" ]] || { echo "pg.sh: $PG_BIN/$tool not found (apt-get install postgresql-15)" >&2; exit 1; }
done

# Runs a command as the cluster's owner.
as_owner() {
  if [[ "$(id -u)" -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

is_running() {
  [[ -f "$data/PG_VERSION" ]] && as_owner "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1
}

# Prints a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  echo "pg.sh: no free port found" >&2
  return 1
}

start() {
  if [[ "$(id -u)" -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || { echo "pg.sh: system user 'postgres' missing" >&2; exit 1; }
    chown postgres:postgres "$dir"
    chmod 0700 "$dir"
    runuser -u postgres -- test -x "$dir" || {
      echo "pg.sh: user postgres cannot enter $dir; make its parent directories searchable (chmod o+x)" >&2
      exit 1
    }
  fi

  if is_running; then
    cat "$dir/url"
    return
  fi

  if [[ ! -f "$data/PG_VERSION" ]]; then
    rm -rf "$data"
    as_owner "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
  fi

  local port started=0
  for _ in 1 2 3 4 5; do
    port="$(free_port)"
    if as_owner "$PG_BIN/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null; then
      started=1
      break
    fi
  done
  if [[ $started -ne 1 ]]; then
    echo "pg.sh: PostgreSQL did not start; see $dir/server.log" >&2
    tail -n 20 "$dir/server.log" >&2 || true
    exit 1
  fi

  local exists
  exists="$(as_owner "$PG_BIN/psql" -h "$dir" -p "$port" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")"
  if [[ "$exists" != "1" ]]; then
    as_owner "$PG_BIN/createdb" -h "$dir" -p "$port" -U postgres "$DB_NAME"
  fi

  local url="postgresql://postgres@127.0.0.1:$port/$DB_NAME"
  echo "$port" >"$dir/port"
  echo "$url" >"$dir/url"
  echo "$url"
}

stop() {
  if is_running; then
    as_owner "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
  fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
