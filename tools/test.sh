#!/usr/bin/env bash
# Builds regscan and runs every test: unit tests and the end-to-end tests
# against a real docker-registry (which the tests start themselves). With no
# arguments (CI) it then runs the fuzz smoke runs, and the unit tests of
# scanners, storage and connectors again in an ASan+UBSan build
# (tools/sanitize.sh runs the rest of the sanitizer set).
set -euo pipefail
cd "$(dirname "$0")/.."
stage() { printf '\n== %s (at %d s)\n' "$*" "$SECONDS"; }
tools/install-deps.sh
# Line tables only (-g1): backtraces keep their files and lines, and the
# build takes a quarter less time than with full debug information.
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
      >/dev/null

# The ASan+UBSan build (tools/sanitizer_env.sh) compiles at the lowest
# priority while the normal build and its tests run: the end-to-end tests
# leave a core mostly idle.
. tools/sanitizer_env.sh
asan_log=build/asan-build.log
asan_pid=
if [ $# -eq 0 ]; then
  (
    set -e
    renice -n 19 -p "$BASHPID" >/dev/null
    asan_build ci
    echo "ASan+UBSan build done at $SECONDS s"
  ) >"$asan_log" 2>&1 &
  asan_pid=$!
  trap '[ -n "$asan_pid" ] && kill "$asan_pid" 2>/dev/null || true' EXIT
fi

stage build
cmake --build build -j"$(nproc)"
stage tests
(cd build && ctest --output-on-failure -j"$(nproc)" "$@")
[ $# -eq 0 ] || exit 0 # ctest arguments pick some tests: nothing more

# A few seconds of fuzzing per libFuzzer target (tests/fuzz), in their own
# clang build with ASan+UBSan.
stage fuzz build
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++-14 -DREGSCAN_FUZZ=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)"
stage fuzz smoke runs
(cd build-fuzz && ctest --output-on-failure -j"$(nproc)")

stage waiting for the ASan+UBSan build
wait "$asan_pid" || { tail -50 "$asan_log"; exit 1; }
asan_pid=
grep ' done at ' "$asan_log"
sanitizer_env
stage ASan+UBSan: unit tests of scanners, storage and connectors
asan_tests ci
stage done
