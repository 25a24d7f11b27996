#!/usr/bin/env bash
# One sanitizer build and its tests, as CI runs them (tools/test.sh), without
# the rest. Run after tools/test.sh, whose build holds the Debian trees the
# e2e test reuses.
#   tools/sanitize.sh address   ASan+UBSan: every unit test, then e2e_foundation
#   tools/sanitize.sh thread    TSan: the store and actor tests
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/sanitizer_env.sh
case "${1:-}" in
address) asan_build; sanitizer_env; asan_tests ;;
thread) tsan_build; sanitizer_env; tsan_tests ;;
*)
  echo "usage: tools/sanitize.sh address|thread" >&2
  exit 2
  ;;
esac
