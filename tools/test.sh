#!/usr/bin/env bash
# Builds regscan and runs every test: unit tests and the end-to-end tests
# against a real docker-registry (which the tests start themselves). With no
# arguments (CI) it then runs the fuzz smoke runs and the sanitizer builds.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
(cd build && ctest --output-on-failure -j"$(nproc)" "$@")
[ $# -eq 0 ] || exit 0 # ctest arguments pick some tests: nothing more

# A few seconds of fuzzing per libFuzzer target (tests/fuzz), in their own
# clang build with ASan+UBSan.
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++-14 -DREGSCAN_FUZZ=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)"
(cd build-fuzz && ctest --output-on-failure -j"$(nproc)")

# Sanitizer builds: -O1 with line tables, assertions on. The e2e test reuses
# the normal build's Debian trees.
sanitizer_build() { # <dir> <address|thread> <targets...>
  local dir=$1 kind=$2
  shift 2
  cmake -S . -B "$dir" -DREGSCAN_SANITIZE="$kind" -DCMAKE_BUILD_TYPE=Debug \
        -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DREGSCAN_E2E_CACHE="$PWD/build/e2e-cache" >/dev/null
  cmake --build "$dir" -j"$(nproc)" --target "$@"
}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0
export TSAN_OPTIONS=suppressions=$PWD/tests/sanitizers/tsan.supp:halt_on_error=0:second_deadlock_stack=1

# ASan+UBSan: every unit test, then the foundation e2e test.
sanitizer_build build-asan address scanners_test storage_test connectors_test actors_test \
  regscand regscanctl regscan-analyze
(cd build-asan && ctest --output-on-failure -j"$(nproc)" -L "scanners|storage|connectors|actors" \
   && ctest --output-on-failure -R '^e2e_foundation$')

# TSan: the actor and store tests (CAF's scheduler, RocksDB and the re-match
# workers share state there).
sanitizer_build build-tsan thread storage_test actors_test regscand regscanctl
(cd build-tsan && ctest --output-on-failure -j"$(nproc)" -L "storage|actors")
