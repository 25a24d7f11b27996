#!/usr/bin/env bash
# Builds regscan and runs every test: unit tests and the end-to-end test
# against a real docker-registry (which the tests start themselves).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
