#!/usr/bin/env bash
# Authenticated GetTable throughput relative to /healthz throughput on the same server, in one run, on both
# stores: as the administrator, and as an analyst whose every table is governed (column exclusion, a data cells
# filter with a mask, a tag policy; 2,000 further grants to other users in the policy). /healthz is the ceiling of the HTTP stack alone; the ratio shows what SigV4 verification, the
# authorizer and a store read cost on top of it, independent of how fast this machine happens to be today.
#   bench/api_throughput.sh [BUILD_DIR] [SECONDS_PER_ROUND] [CONNECTIONS] [ROUNDS]
# Rounds alternate healthz/GetTable ROUNDS times (default 5) per store; the medians are reported, with cairnd's
# CPU time per request (from /proc; the store server's own CPU on PostgreSQL is not in it). On a virtual
# machine the hypervisor may take CPU from a round ("steal" in /proc/stat): the steal-corrected ratios divide
# each round's requests/s by the share of the machine left to it, and the largest share taken is printed. A
# GetTable round's time includes the wait, after it, until its audit entries are all in the store (the longest
# such drain is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${1:-build}
secs=${2:-5}
conns=${3:-16}
rounds=${4:-5}
bin=$root/$build
cairnd=${CAIRND:-$bin/api/cairnd}  # CAIRND=path measures that binary (with this build's load generator)
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
# CPU seconds (user + system) the process has used so far, from /proc/PID/stat.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); print ($12 + $13) / hz}' "/proc/$1/stat"; }
# Seconds until every audit entry cairnd has queued is in the store: one audit query as the administrator,
# which flushes the audit log before it answers (its time filter matches nothing, so the query itself is
# cheap). The audit writer works in the background (docs/performance.md, "the audit writer's bursts"): what
# it has not yet written when a round ends is work the round caused, so the round's time includes this drain.
drain_seconds() {
  AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret "$bin/bench/cairn-loadgen" --endpoint "$ep" --connections 1 \
    --requests 1 --sign --json --path "/v1/audit?limit=1&from=2999-01-01T00:00:00Z" |
    python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["errors"] == 0, r; print(r["latency_ms"]["max"] / 1000)'
}
# "steal total" jiffies of all CPUs from /proc/stat: time the hypervisor gave to other guests, and all time.
cpu_ticks() { awk '/^cpu /{print $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
# One loadgen round against cairnd (pid $pid): prints "requests/s cairnd-CPU-microseconds-per-request
# audit-drain-seconds stolen-fraction steal-corrected-requests/s". Requests/s counts the audit drain after the
# round as part of the round's time. The CPU is taken over the whole run (warm-up and drain included) and divided by the requests
# answered in it at the measured rate: far less noisy than the throughput on a shared machine. The stolen
# fraction is the share of the machine's CPU time that the hypervisor gave to other guests during the round
# (the steal column of /proc/stat; 0 on bare metal).
round() {
  local before after out drain ticks_before ticks_after
  ticks_before=$(cpu_ticks)
  before=$(cpu_seconds "$pid")
  out=$("$bin/bench/cairn-loadgen" --endpoint "$ep" --connections "$conns" --duration "$secs" --warmup 1 --json "$@")
  drain=$(drain_seconds)
  after=$(cpu_seconds "$pid")
  ticks_after=$(cpu_ticks)
  python3 -c 'import json,sys; j=json.loads(sys.argv[1]); d=j["duration_s"]; drain=float(sys.argv[5]); r=j["responses"]/(d+drain); s0,t0=map(int,sys.argv[6].split()); s1,t1=map(int,sys.argv[7].split()); stolen=(s1 - s0) / max(1, t1 - t0); print(r, (float(sys.argv[3]) - float(sys.argv[2])) / (j["requests_per_second"] * (float(sys.argv[4]) + 1)) * 1e6, drain, stolen, r / (1 - stolen))' \
    "$out" "$before" "$after" "$secs" "$drain" "$ticks_before" "$ticks_after"
}

run_store() {
  local name=$1; shift
  rm -rf "$tmp/data"; rm -f "$tmp/port"
  CAIRN_ADMIN_ACCESS_KEY_ID=$key CAIRN_ADMIN_SECRET_ACCESS_KEY=$secret \
    "$cairnd" --data-dir "$tmp/data" --listen 127.0.0.1:0 --port-file "$tmp/port" --log-level warn "$@" \
    >"$tmp/cairnd-$name.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do [ -s "$tmp/port" ] && break; sleep 0.05; done
  ep="http://$(cat "$tmp/port")"
  AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret "$bin/bench/cairn-datagen" --endpoint "$ep" \
    --databases 2 --tables 20 --columns 30 --partitions 50 --analyst analyst --noise-grants 2000 >"$tmp/datagen.json"
  local akey asecret
  akey=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["analyst"]["access_key_id"])' "$tmp/datagen.json")
  asecret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["analyst"]["secret_access_key"])' "$tmp/datagen.json")
  local paths=()
  for t in $(seq 0 19); do paths+=(--path "/v1/databases/bench_db0/tables/t$t"); done
  # h/g/a: requests/s of /healthz, admin and analyst rounds; *c: cairnd CPU per request; *s: the same
  # requests/s divided by the share of the machine the hypervisor left to this guest during the round.
  local h=() g=() a=() hc=() gc=() ac=() hs=() gs=() as=() drains=() steals=()
  # Appends one round's figures (the output of round) to the arrays of its kind: rps, CPU, corrected rps.
  take() {
    local -n rps_of=$1 cpu_of=$2 corrected_of=$3
    local rps cpu drain stolen corrected
    read -r rps cpu drain stolen corrected <<<"$4"
    rps_of+=("$rps"); cpu_of+=("$cpu"); corrected_of+=("$corrected"); steals+=("$stolen"); drains+=("$drain")
  }
  for _ in $(seq 1 "$rounds"); do
    take h hc hs "$(round --path /healthz)"
    take g gc gs "$(AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret round --sign "${paths[@]}")"
    take a ac as "$(AWS_ACCESS_KEY_ID=$akey AWS_SECRET_ACCESS_KEY=$asecret round --sign "${paths[@]}")"
  done
  local hm gm am hsm gsm asm
  hm=$(printf '%s\n' "${h[@]}" | median)
  gm=$(printf '%s\n' "${g[@]}" | median)
  am=$(printf '%s\n' "${a[@]}" | median)
  hsm=$(printf '%s\n' "${hs[@]}" | median)
  gsm=$(printf '%s\n' "${gs[@]}" | median)
  asm=$(printf '%s\n' "${as[@]}" | median)
  printf '| %s | %.0f | %.0f | %.0f | %.3f | %.3f | %.3f / %.3f | %.1f | %.1f / %.1f / %.1f | %.0f |\n' "$name" \
    "$hm" "$gm" "$am" "$(python3 -c "print($gm/$hm)")" "$(python3 -c "print($am/$hm)")" \
    "$(python3 -c "print($gsm/$hsm)")" "$(python3 -c "print($asm/$hsm)")" \
    "$(printf '%s\n' "${steals[@]}" | sort -g | tail -1 | awk '{print $1 * 100}')" \
    "$(printf '%s\n' "${hc[@]}" | median)" "$(printf '%s\n' "${gc[@]}" | median)" \
    "$(printf '%s\n' "${ac[@]}" | median)" "$(printf '%s\n' "${drains[@]}" | sort -g | tail -1 | awk '{print $1 * 1000}')"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

ep=""
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| store | /healthz req/s | GetTable as admin req/s | governed GetTable as analyst req/s | admin / healthz | analyst / healthz | same, steal-corrected (admin / analyst) | most CPU stolen in a round, % | cairnd CPU µs/request (healthz / admin / analyst) | longest audit drain, ms |"
echo "|---|---|---|---|---|---|---|---|---|---|"
run_store sqlite
url=$("$root/scripts/pg.sh" start "$tmp/pg")
run_store postgres --database-url "$url"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
