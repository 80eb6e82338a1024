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
# A small sample lake (CSV in Hive partitions, customers with e-mail addresses, JSON lines), crawled into the database "sample".
lake=$data_dir/sample-lake
if [ ! -d "$lake" ]; then
  for day in 2026-11-20 2026-11-21; do
    mkdir -p "$lake/orders/order_date=$day"
    printf 'order_id,customer,amount,status\n1%s,alice,12.50,paid\n2%s,bob,7.25,open\n' "${day: -2}" "${day: -2}" \
      >"$lake/orders/order_date=$day/part-0.csv"
  done
  mkdir -p "$lake/customers"
  {
    echo 'customer_id,name,email,country'
    i=0
    for n in alice bob carol dave erin frank grace heidi ivan judy; do
      i=$((i + 1))
      echo "$i,$n,$n.$i@example.org,de"
    done
  } >"$lake/customers/customers.csv"
  mkdir -p "$lake/clicks"
  printf '{"user":"alice","page":"/home","ms":120}\n{"user":"bob","page":"/cart","ms":340,"referrer":"ad"}\n' \
    >"$lake/clicks/clicks-0.json"
fi
if [ -f "$data_dir/admin-credentials" ] && ! cairn crawler get sample-lake >/dev/null 2>&1; then
  cairn database describe sample >/dev/null 2>&1 ||
    cairn database create sample --description "Sample catalog created by quickstart" >/dev/null
  cairn crawler create sample-lake --database sample --target "$lake" --schedule 'rate(1 hour)' >/dev/null
  cairn crawler start sample-lake --wait
fi

cat <<MSG

cairnd is running on http://$listen (pid $(cat "$pid_file")), log in $data_dir/cairnd.log
Administrator credentials: $data_dir/admin-credentials (AWS shared-credentials format, profile [cairn])

Try the CLI:
  export PATH=$bin:\$PATH AWS_SHARED_CREDENTIALS_FILE=$data_dir/admin-credentials AWS_PROFILE=cairn
  cairn whoami
  cairn database list
  cairn crawler runs sample-lake
  cairn table describe sample.orders
  cairn pii list --database sample            # the email column was found and tagged pii=email, sensitivity=high
  cairn partition list sample.orders --filter "order_date >= '2026-11-21'"

Stop it with: scripts/quickstart.sh stop
MSG
