#!/usr/bin/env bash
# `make fuzz`: runs each fuzz target for FUZZ_SECONDS (600 unless set) over its
# corpus, one after the other, and prints libFuzzer's final stats per target.
#   run_fuzz.sh <fuzz build dir> <target>...
set -uo pipefail
build=$1
shift
seconds=${FUZZ_SECONDS:-600}
logs=$build/fuzz-logs
mkdir -p "$logs" "$build/fuzz-crashes"
status=0
for t in "$@"; do
  echo "== $t: ${seconds}s"
  mkdir -p "$build/corpus/$t"
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/fuzz-crashes/$t-" \
    "$build/corpus/$t" > "$logs/$t.log" 2>&1 || { status=1; echo "   FAILED: see $logs/$t.log"; }
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log")
  last=$(grep -E '^#[0-9]+' "$logs/$t.log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[^ ]*\).*/\1/p' <<< "$last")
  echo "   execs=${execs:-?} cov=${cov:-?} ft=${ft:-?} corpus=${corp:-?}"
done
exit $status
