#!/usr/bin/env bash
# Builds regscan and runs every test: unit tests and the end-to-end tests
# against a real docker-registry (which the tests start themselves). With no
# arguments (CI) it also runs the fuzz smoke runs, and the unit tests of
# scanners, storage and connectors again in an ASan+UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

# The ASan+UBSan build (-O0 with line tables: half the compile time of -O1)
# of the unit tests of the code that reads untrusted bytes compiles at the
# lowest priority while the normal build and tests run. tools/sanitize.sh
# runs the rest (actors, e2e_foundation, TSan), which CI has no time for.
. tools/sanitizer_env.sh
asan_log=build/asan-build.log
asan_pid=
if [ $# -eq 0 ]; then
  sanitizer_configure build-asan address "-O0 -g1"
  nice -n 19 cmake --build build-asan -j"$(nproc)" --target scanners_test storage_test \
    connectors_test >"$asan_log" 2>&1 &
  asan_pid=$!
  trap '[ -n "$asan_pid" ] && kill "$asan_pid" 2>/dev/null || true' EXIT
fi

cmake --build build -j"$(nproc)"
(cd build && ctest --output-on-failure -j"$(nproc)" "$@")
[ $# -eq 0 ] || exit 0 # ctest arguments pick some tests: nothing more

# A few seconds of fuzzing per libFuzzer target (tests/fuzz), in their own
# clang build with ASan+UBSan.
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++-14 -DREGSCAN_FUZZ=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)"
(cd build-fuzz && ctest --output-on-failure -j"$(nproc)")

# ASan+UBSan: the unit tests of scanners, storage and connectors.
wait "$asan_pid" || { tail -50 "$asan_log"; exit 1; }
asan_pid=
sanitizer_env
(cd build-asan && ctest --output-on-failure -j"$(nproc)" -L "scanners|storage|connectors")
