#!/usr/bin/env bash
# Builds regscan and runs every test: unit tests and the end-to-end tests
# against a real docker-registry (which the tests start themselves). With no
# arguments (CI) it also runs the fuzz smoke runs, and the unit tests and the
# foundation e2e test again in an ASan+UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

# The ASan+UBSan build (-O1, line tables, assertions on) compiles at the
# lowest priority while the normal build and tests run: it takes the CPU they
# leave idle (linking, the e2e tests' network and disk waits) and little else.
asan_log=build/asan-build.log
asan_pid=
if [ $# -eq 0 ]; then
  cmake -S . -B build-asan -DREGSCAN_SANITIZE=address -DCMAKE_BUILD_TYPE=Debug \
        -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DREGSCAN_E2E_CACHE="$PWD/build/e2e-cache" >/dev/null
  nice -n 19 cmake --build build-asan -j"$(nproc)" --target scanners_test storage_test \
    connectors_test actors_test regscand regscanctl regscan-analyze >"$asan_log" 2>&1 &
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

# ASan+UBSan: every unit test, then the foundation e2e test (it reuses the
# normal build's Debian trees). Leaks and undefined behaviour fail a test;
# tests/sanitizers holds the few suppressed reports from libraries we call.
wait "$asan_pid" || { tail -50 "$asan_log"; exit 1; }
asan_pid=
sup=$PWD/tests/sanitizers
export REGSCAN_E2E_CACHE=$PWD/build/e2e-cache
export ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=0
export LSAN_OPTIONS=suppressions=$sup/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=suppressions=$sup/ubsan.supp:print_stacktrace=1:halt_on_error=1:print_suppressions=0
(cd build-asan && ctest --output-on-failure -j"$(nproc)" -L "scanners|storage|connectors|actors" \
   && ctest --output-on-failure -R '^e2e_foundation$')
