# Sourced by tools/test.sh and tools/sanitize.sh: how the sanitizer builds are
# configured, built and run. Leaks, undefined behaviour and data races fail a
# test; tests/sanitizers holds the few suppressed reports from libraries we
# call. The layer-cache and e2e tests reuse the normal build's Debian trees.
sanitizer_configure() { # <build dir> <address|thread> <optimization flags> [cmake options]
  cmake -S . -B "$1" -DREGSCAN_SANITIZE="$2" -DCMAKE_BUILD_TYPE=Debug \
        -DCMAKE_CXX_FLAGS_DEBUG="$3" -DREGSCAN_E2E_CACHE="$PWD/build/e2e-cache" "${@:4}" >/dev/null
}

# ASan+UBSan at -O0 with line tables (half the compile time of -O1): every
# unit test, and the programs e2e_foundation runs.
asan_build() {
  sanitizer_configure build-asan address "-O0 -g1"
  cmake --build build-asan -j"$(nproc)" --target scanners_test storage_test connectors_test \
    actors_test regscand regscanctl regscan-analyze
}
asan_tests() {
  (cd build-asan && ctest --output-on-failure -j"$(nproc)" -L "scanners|storage|connectors|actors" &&
     ctest --output-on-failure -R '^e2e_foundation$')
}

# TSan at -O1 over the store and actor tests, where CAF's scheduler, RocksDB
# and the re-match workers share state. Debian's libcaf_core is not built with
# TSan, which would then see none of CAF's hand-offs between actors: the build
# links a CAF built with TSan (tools/caf_tsan.sh).
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
