#!/usr/bin/env bash
# Configures and builds Cairn with Ninja. Usage: scripts/build.sh [BUILD_DIR] [extra cmake args...]
# CAIRN_SANITIZE=1 builds with ASan+UBSan (default dir build-asan).
set -euo pipefail
cd "$(dirname "$0")/.."
default_dir=build
sanitize=OFF
if [ "${CAIRN_SANITIZE:-0}" = "1" ]; then default_dir=build-asan; sanitize=ON; fi
dir=${1:-$default_dir}
shift || true
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" -DCAIRN_SANITIZE="$sanitize" "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
