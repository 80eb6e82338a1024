#!/usr/bin/env bash
# Authenticated GetTable throughput relative to /healthz throughput on the same server, in one run, on both
# stores: as the administrator, and as an analyst whose every table is governed (column exclusion, a data cells
# filter with a mask, a tag policy; 2,000 further grants to other users in the policy). /healthz is the ceiling of the HTTP stack alone; the ratio shows what SigV4 verification, the
# authorizer and a store read cost on top of it, independent of how fast this machine happens to be today.
#   bench/api_throughput.sh [BUILD_DIR] [SECONDS_PER_ROUND] [CONNECTIONS]
# Rounds alternate healthz/GetTable three times per store; the medians are reported.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${1:-build}
secs=${2:-5}
conns=${3:-16}
bin=$root/$build
key=AKIABENCHMARK0000001
secret=benchmark-secret-key-000000000000000000
tmp=$(mktemp -d /tmp/cairn-bench.XXXXXX)
chmod 0755 "$tmp"  # the PostgreSQL server runs as user postgres and must reach its directory inside
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  "$root/scripts/pg.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rps() { python3 -c 'import json,sys; print(json.load(sys.stdin)["requests_per_second"])'; }

run_store() {
  local name=$1; shift
  rm -rf "$tmp/data"; rm -f "$tmp/port"
  CAIRN_ADMIN_ACCESS_KEY_ID=$key CAIRN_ADMIN_SECRET_ACCESS_KEY=$secret \
    "$bin/api/cairnd" --data-dir "$tmp/data" --listen 127.0.0.1:0 --port-file "$tmp/port" --log-level warn "$@" \
    >"$tmp/cairnd-$name.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do [ -s "$tmp/port" ] && break; sleep 0.05; done
  local ep="http://$(cat "$tmp/port")"
  AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret "$bin/bench/cairn-datagen" --endpoint "$ep" \
    --databases 2 --tables 20 --columns 30 --partitions 50 --analyst analyst --noise-grants 2000 >"$tmp/datagen.json"
  local akey asecret
  akey=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["analyst"]["access_key_id"])' "$tmp/datagen.json")
  asecret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["analyst"]["secret_access_key"])' "$tmp/datagen.json")
  local paths=()
  for t in $(seq 0 19); do paths+=(--path "/v1/databases/bench_db0/tables/t$t"); done
  local h=() g=() a=()
  for _ in 1 2 3; do
    h+=("$("$bin/bench/cairn-loadgen" --endpoint "$ep" --connections "$conns" --duration "$secs" --warmup 1 \
          --path /healthz --json | rps)")
    g+=("$(AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret "$bin/bench/cairn-loadgen" --endpoint "$ep" \
          --connections "$conns" --duration "$secs" --warmup 1 --sign "${paths[@]}" --json | rps)")
    a+=("$(AWS_ACCESS_KEY_ID=$akey AWS_SECRET_ACCESS_KEY=$asecret "$bin/bench/cairn-loadgen" --endpoint "$ep" \
          --connections "$conns" --duration "$secs" --warmup 1 --sign "${paths[@]}" --json | rps)")
  done
  local hm gm am
  hm=$(printf '%s\n' "${h[@]}" | median)
  gm=$(printf '%s\n' "${g[@]}" | median)
  am=$(printf '%s\n' "${a[@]}" | median)
  printf '| %s | %.0f | %.0f | %.0f | %.3f | %.3f |\n' "$name" "$hm" "$gm" "$am" \
    "$(python3 -c "print($gm/$hm)")" "$(python3 -c "print($am/$hm)")"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

echo "| store | /healthz req/s | GetTable as admin req/s | governed GetTable as analyst req/s | admin / healthz | analyst / healthz |"
echo "|---|---|---|---|---|---|"
run_store sqlite
url=$("$root/scripts/pg.sh" start "$tmp/pg")
run_store postgres --database-url "$url"
