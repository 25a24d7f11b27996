# Sourced by tools/test.sh and tools/sanitize.sh: how the sanitizer builds are
# configured, built and run. Leaks, undefined behaviour and data races fail a
# test; tests/sanitizers holds the few suppressed reports from libraries we
# call. The layer-cache and e2e tests reuse the normal build's Debian trees.
#
# CI (tools/test.sh) runs what fits in its 40 minutes on 2 cores beside the
# normal build, its tests and the fuzz smoke runs: ASan "ci". The whole set
# needs another full build per sanitizer: tools/sanitize.sh (BENCHMARKS.md,
# sanitizers, has the figures).
sanitizer_configure() { # <build dir> <address|thread> <optimization flags> [cmake options]
  cmake -S . -B "$1" -DREGSCAN_SANITIZE="$2" -DCMAKE_BUILD_TYPE=Debug \
        -DCMAKE_CXX_FLAGS_DEBUG="$3" -DREGSCAN_E2E_CACHE="$PWD/build/e2e-cache" "${@:4}" >/dev/null
}

# ASan+UBSan. ci: the unit tests of the code that reads untrusted bytes
# (scanners, storage, connectors) at -O0 with line tables, half the compile
# time of -O1. all: every unit test, then e2e_foundation, at -O1 (the actor
# tests' timeouts assume some speed) in build-asan-all.
asan_dir() { [ "$1" = ci ] && echo build-asan || echo build-asan-all; }
asan_build() { # ci|all
  local targets=(scanners_test storage_test connectors_test) opt="-O0 -g1"
  [ "$1" = ci ] || { targets+=(actors_test regscand regscanctl regscan-analyze); opt="-O1 -g1"; }
  sanitizer_configure "$(asan_dir "$1")" address "$opt"
  cmake --build "$(asan_dir "$1")" -j"$(nproc)" --target "${targets[@]}"
}
asan_tests() { # ci|all
  local labels="scanners|storage|connectors"
  [ "$1" = ci ] || labels+="|actors"
  (cd "$(asan_dir "$1")" && ctest --output-on-failure -j"$(nproc)" -L "$labels")
  [ "$1" = ci ] || (cd "$(asan_dir "$1")" && ctest --output-on-failure -R '^e2e_foundation$')
}

# TSan at -O1 over the store and actor tests, where CAF's scheduler, RocksDB
# and the re-match workers share state. Debian's libcaf_core is not built with
# TSan, which would then see none of CAF's hand-offs between actors: the build
# links a CAF built with TSan (tools/caf_tsan.sh). By hand only (all).
tsan_build() {
  tools/caf_tsan.sh build-tsan/caf
  local caf=$PWD/build-tsan/caf/lib
  sanitizer_configure build-tsan thread "-O1 -g1" -DCAF_CORE="$caf/libcaf_core.so" \
    -DCAF_IO="$caf/libcaf_io.so" -DCAF_OPENSSL="$caf/libcaf_openssl.so"
  cmake --build build-tsan -j"$(nproc)" --target storage_test actors_test tsan_canary regscand regscanctl
}
tsan_tests() {
  (cd build-tsan && ctest --output-on-failure -j"$(nproc)" -L "storage|actors")
}

sanitizer_env() { # before running a sanitizer build's tests
  local sup=$PWD/tests/sanitizers
  export ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=0
  export LSAN_OPTIONS=suppressions=$sup/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=suppressions=$sup/ubsan.supp:print_stacktrace=1:halt_on_error=1:print_suppressions=0
  # Debian's RocksDB and spdlog are not built with TSan, which cannot see
  # their atomics: the memcpy, memcmp and allocations they make are not
  # checked (each hand-off through a memtable would read as a race). Every
  # access our code makes still is (tests/sanitizers/tsan_canary.cpp).
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1
}
