#!/usr/bin/env bash
# Quickstart: installs what is missing, builds, and starts cairnd on the embedded SQLite store in ./cairn-data.
#   scripts/quickstart.sh          # install, build, start (in the background), load a small sample catalog
#   scripts/quickstart.sh stop     # stop the cairnd started here
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data_dir=${CAIRN_DATA_DIR:-$root/cairn-data}
listen=${CAIRN_LISTEN:-127.0.0.1:7480}
pid_file=$data_dir/cairnd.pid

if [ "${1:-}" = "stop" ]; then
  if [ -f "$pid_file" ] && kill "$(cat "$pid_file")" 2>/dev/null; then
    echo "stopped cairnd (pid $(cat "$pid_file"))"
    rm -f "$pid_file"
  else
    echo "no running cairnd started by quickstart"
  fi
  exit 0
fi

scripts/install-deps.sh
CMAKE_BUILD_TYPE=Release scripts/build.sh build-release -DCAIRN_BUILD_TESTS=OFF -DCAIRN_BUILD_BENCH=OFF
bin=$root/build-release/api

mkdir -p "$data_dir"
if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  echo "cairnd is already running (pid $(cat "$pid_file")); 'scripts/quickstart.sh stop' stops it"
else
  nohup "$bin/cairnd" --data-dir "$data_dir" --listen "$listen" >"$data_dir/cairnd.log" 2>&1 &
  echo $! >"$pid_file"
  for _ in $(seq 1 100); do
    curl -sf "http://$listen/readyz" >/dev/null 2>&1 && break
    kill -0 "$(cat "$pid_file")" 2>/dev/null || { echo "cairnd failed to start:"; tail -20 "$data_dir/cairnd.log"; exit 1; }
    sleep 0.1
  done
fi

cairn() { "$bin/cairn" --endpoint "http://$listen" --credentials-file "$data_dir/admin-credentials" "$@"; }
if [ -f "$data_dir/admin-credentials" ] && ! cairn database describe sample >/dev/null 2>&1; then
  cairn database create sample --description "Sample catalog created by quickstart" >/dev/null
  cairn table create sample.orders --column order_id:bigint --column customer:string \
    --column amount:decimal\(10,2\) --partition-key order_date:date --format parquet \
    --location file://"$data_dir"/lake/orders >/dev/null
  cairn partition add sample.orders 2026-11-20 >/dev/null
  cairn partition add sample.orders 2026-11-21 >/dev/null
fi

cat <<MSG

cairnd is running on http://$listen (pid $(cat "$pid_file")), log in $data_dir/cairnd.log
Administrator credentials: $data_dir/admin-credentials (AWS shared-credentials format, profile [cairn])

Try the CLI:
  export PATH=$bin:\$PATH AWS_SHARED_CREDENTIALS_FILE=$data_dir/admin-credentials AWS_PROFILE=cairn
  cairn whoami
  cairn database list
  cairn table describe sample.orders
  cairn partition list sample.orders --filter "order_date >= '2026-11-21'"

Stop it with: scripts/quickstart.sh stop
MSG
