#!/usr/bin/env bash
# The sanitizer runs CI has no time for (tools/test.sh runs the ASan+UBSan
# unit tests of scanners, storage and connectors). Run after tools/test.sh,
# whose build holds the Debian trees the e2e test reuses.
#   tools/sanitize.sh address   ASan+UBSan: every unit test, then e2e_foundation
#   tools/sanitize.sh thread    TSan: the store and actor tests
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/sanitizer_env.sh
sanitizer_env
case "${1:-}" in
address)
  # -O1, not CI's -O0: the actor tests' timeouts assume some speed.
  sanitizer_configure build-asan-all address "-O1 -g1"
  cmake --build build-asan-all -j"$(nproc)" --target scanners_test storage_test connectors_test \
    actors_test regscand regscanctl regscan-analyze
  cd build-asan-all
  ctest --output-on-failure -j"$(nproc)" -L "scanners|storage|connectors|actors"
  ctest --output-on-failure -R '^e2e_foundation$'
  ;;
thread)
  # CAF's scheduler, RocksDB and the re-match workers share state there.
  # Debian's libcaf_core is built without TSan, so TSan cannot see its
  # hand-offs: actors that spawn and message show races at CAF's actor flags
  # and message deletion until CAF itself is built with -fsanitize=thread.
  sanitizer_configure build-tsan thread "-O1 -g1"
  cmake --build build-tsan -j"$(nproc)" --target storage_test actors_test regscand regscanctl
  cd build-tsan
  ctest --output-on-failure -j"$(nproc)" -L "storage|actors"
  ;;
*)
  echo "usage: tools/sanitize.sh address|thread" >&2
  exit 2
  ;;
esac
