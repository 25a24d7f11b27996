#!/usr/bin/env bash
# The whole sanitizer set, which CI has no time for (tools/test.sh runs the
# ASan+UBSan unit tests of scanners, storage and connectors). Run after
# tools/test.sh, whose build holds the Debian trees the e2e test reuses.
#   tools/sanitize.sh address   ASan+UBSan: every unit test, then e2e_foundation
#   tools/sanitize.sh thread    TSan: the store and actor tests, against a CAF built with TSan
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/sanitizer_env.sh
case "${1:-}" in
address) asan_build all; sanitizer_env; asan_tests all ;;
thread) tsan_build; sanitizer_env; tsan_tests ;;
*)
  echo "usage: tools/sanitize.sh address|thread" >&2
  exit 2
  ;;
esac
