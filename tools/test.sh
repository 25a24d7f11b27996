#!/usr/bin/env bash
# Builds regscan and runs every test: unit tests and the end-to-end test
# against a real docker-registry (which the tests start themselves).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
(cd build && ctest --output-on-failure -j"$(nproc)" "$@")

# A few seconds of fuzzing per libFuzzer target (tests/fuzz), in their own
# clang build with ASan+UBSan. Skipped when ctest arguments pick some tests.
if [ $# -eq 0 ]; then
  cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++-14 -DREGSCAN_FUZZ=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build-fuzz -j"$(nproc)"
  (cd build-fuzz && ctest --output-on-failure -j"$(nproc)")
fi
