#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/*_fuzz.cpp) with clang, ASan and UBSan in build-fuzz, and runs
# each for SECONDS seconds (default 30) on a scratch copy of its seed corpus tests/fuzz/corpus/<name>/, so
# the seeds in git are never modified. Fails if any target crashes, leaks, times out or runs out of memory;
# the reproducer is kept under build-fuzz/fuzz-runs/<name>/.
#   scripts/fuzz.sh            # every target, 30 s each
#   scripts/fuzz.sh 300        # every target, 5 min each
#   scripts/fuzz.sh 60 sigv4   # only targets whose name contains "sigv4"
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-30}
filter=${2:-}
build_dir=${CAIRN_FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${CAIRN_FUZZ_JOBS:-2}

if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "fuzz.sh: the first argument is the run time per target in seconds (got '$seconds')" >&2
  exit 2
fi

cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCAIRN_FUZZ=ON -DCAIRN_BUILD_TESTS=OFF -DCAIRN_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j "$jobs" --target fuzzers

runs="$build_dir/fuzz-runs"
mkdir -p "$runs"
failed=()
ran=0
for seeds in "$root"/tests/fuzz/corpus/*/; do
  name=$(basename "$seeds")
  if [ -n "$filter" ] && [[ "$name" != *"$filter"* ]]; then continue; fi
  binary="$build_dir/tests/fuzz/$name"
  if [ ! -x "$binary" ]; then
    echo "fuzz.sh: no fuzzer $binary for corpus $seeds" >&2
    failed+=("$name")
    continue
  fi
  work="$runs/$name"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp -R "$seeds". "$work/corpus/"
  dict=()
  if [ -f "$root/tests/fuzz/$name.dict" ]; then dict=(-dict="$root/tests/fuzz/$name.dict"); fi
  echo "== $name: ${seconds}s on $(find "$seeds" -type f | wc -l) seeds"
  set +e
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$binary" "$work/corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" >"$work/log.txt" 2>&1
  status=$?
  set -e
  grep -E '^#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb' \
    "$work/log.txt" | sed 's/^/   /' || true
  ran=$((ran + 1))
  if [ "$status" -ne 0 ] || [ -n "$(ls -A "$work/artifacts")" ]; then
    echo "fuzz.sh: $name FAILED (exit $status); log $work/log.txt, reproducer(s):" >&2
    ls "$work/artifacts" | sed "s|^|   $work/artifacts/|" >&2
    grep -E -m 20 'ERROR: |runtime error|SUMMARY|#[0-9]+ 0x' "$work/log.txt" | sed 's/^/   /' >&2 || true
    failed+=("$name")
  fi
done

if [ "$ran" -eq 0 ]; then
  echo "fuzz.sh: no fuzz target matched '${filter}'" >&2
  exit 1
fi
if [ "${#failed[@]}" -ne 0 ]; then
  echo "fuzz.sh: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: $ran target(s) ran ${seconds}s each without a crash"
