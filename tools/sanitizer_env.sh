# Sourced by tools/test.sh and tools/sanitize.sh: how the sanitizer builds are
# configured and run. Leaks and undefined behaviour fail a test;
# tests/sanitizers holds the few suppressed reports from libraries we call.
# The layer-cache and e2e tests reuse the normal build's Debian trees.
sanitizer_configure() { # <build dir> <address|thread> <optimization flags>
  cmake -S . -B "$1" -DREGSCAN_SANITIZE="$2" -DCMAKE_BUILD_TYPE=Debug \
        -DCMAKE_CXX_FLAGS_DEBUG="$3" -DREGSCAN_E2E_CACHE="$PWD/build/e2e-cache" >/dev/null
}
sanitizer_env() { # before running a sanitizer build's tests
  local sup=$PWD/tests/sanitizers
  export ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=0
  export LSAN_OPTIONS=suppressions=$sup/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=suppressions=$sup/ubsan.supp:print_stacktrace=1:halt_on_error=1:print_suppressions=0
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
}
