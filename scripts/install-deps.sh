#!/usr/bin/env bash
# Installs what building and testing Cairn needs on Debian 12 (bookworm): compilers and libraries from Debian's
# packages, and the Python AWS tooling (boto3, botocore, awscli, moto) when the machine's Python lacks it.
# Safe to run repeatedly: it installs only what is missing.
set -euo pipefail

DEB_PACKAGES=(
  build-essential curl cmake ninja-build ccache pkg-config git
  libpqxx-dev libboost-dev nlohmann-json3-dev libssl-dev libre2-dev libspdlog-dev libsqlite3-dev
  libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev libzstd-dev libsnappy-dev
  libthrift-dev thrift-compiler libbz2-dev libexpat1-dev libjemalloc-dev postgresql python3 python3-yaml
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node.js and npm for the engine tests (tests/engines runs DuckDB through the npm package @duckdb/node-api).
# A machine that already has both (e.g. from NodeSource) keeps them; Debian's nodejs would conflict with that.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "install-deps: installing nodejs npm"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

# Python tooling: tests use botocore/boto3 to sign requests, the AWS CLI, and moto_server as the S3 endpoint.
PY=${PYTHON:-python3}
if ! "$PY" -c "import boto3, botocore, moto, yaml" 2>/dev/null || ! command -v aws >/dev/null || ! command -v moto_server >/dev/null; then
  echo "install-deps: installing Python AWS tooling"
  if ! "$PY" -m pip install -q "moto[server]" boto3 awscli pyyaml 2>/dev/null; then
    # Without a Python package index, fall back to Debian's packages (moto is not packaged there).
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-boto3 python3-botocore awscli python3-yaml >/dev/null
  fi
fi
