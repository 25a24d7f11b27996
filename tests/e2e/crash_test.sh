#!/usr/bin/env bash
# Crash safety: regscand is killed with kill -9 at 20 random moments while it
# imports OSV data, syncs, scans and re-matches, against a real registry.
# After each restart no registry, image, authorization or finished result is
# lost; at the end every task has completed or failed with its reason, and the
# findings equal those of a run that was never interrupted. Then a full disk:
# the state directory on a small tmpfs; an import fails with a clear error,
# reads go on, and once the tmpfs grows the same work succeeds, without a
# restart, with the same findings.
#
#   crash_test.sh REGSCAND REGSCANCTL SOURCE_DIR SHARED_DIR
# REGSCAN_CRASH_SEED replays the kill moments of an earlier run.
set -euo pipefail
REGSCAND=$1
REGSCANCTL=$2
SRC=$3
SHARED=$4
source "$SRC/tests/e2e/lib.sh"
need skopeo docker-registry htpasswd curl
PY=/usr/bin/python3
SEED=${REGSCAN_CRASH_SEED:-$(date +%s)}
RANDOM=$SEED
echo "seed $SEED (REGSCAN_CRASH_SEED=$SEED replays this run)"

step "images: Alpine 3.10 packages and npm packages with known advisories, and a large layer each"
# The apk database and lockfile give findings in two ecosystems; the random
# layer makes each pull take long enough to be killed in.
for i in 1 2 3 4 5 6; do
  base=$WORK/img$i/base
  mkdir -p "$base/etc" "$base/lib/apk/db" "$base/app" "$WORK/img$i/data"
  printf 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.10.2\n' >"$base/etc/os-release"
  : >"$base/lib/apk/db/installed"
  for p in busybox:1.30.1-r1 musl:1.1.22-r2 openssl:1.1.1b-r1 xen:4.7.0-r0 wireshark:2.6.$i-r0; do
    printf 'P:%s\nV:%s\nA:x86_64\no:%s\n\n' "${p%%:*}" "${p#*:}" "${p%%:*}" >>"$base/lib/apk/db/installed"
  done
  cat >"$base/app/package-lock.json" <<JSON
{"name":"app$i","version":"1.0.0","lockfileVersion":1,"dependencies":{
 "lodash":{"version":"4.17.4"},"minimist":{"version":"0.0.8"},"qs":{"version":"0.6.$i"}}}
JSON
  head -c $((12 << 20)) /dev/urandom >"$WORK/img$i/data/blob.bin"
  $PY "$SRC/tools/make_oci_image.py" --out "$WORK/oci$i" --tag 1 "$base" "$WORK/img$i/data" >/dev/null
done
start_registry
for i in 1 2 3 4 5 6; do push "$WORK/oci$i:1" "team/app$i:1"; done

printf '[license]\nquota = 50\n[scan]\nmax_retries = 5\n' >"$WORK/regscan.toml"
ALPINE=$SHARED/data/osv/Alpine/all.zip
NPM=$SHARED/data/osv/npm/all.zip
ops=(import_alpine sync scan import_npm)
# Each operation returns when it is done: an import when stored, a sync when
# listed, a scan request when its tasks are queued (they run on after).
run_op() {
  case $1 in
    import_alpine) ctl db import "$ALPINE" ;;
    import_npm) ctl db import "$NPM" ;;
    sync) ctl sync lab && ctl authorize --filter "authorization=unauthorized" ;;
    scan) ctl scan --all ;;
  esac
}
active_tasks() {
  ctl scan list --json | $PY -c 'import json,sys; print(sum(t["state"] not in ("done","failed","cancelled") for t in json.load(sys.stdin)))'
}
rematch_idle() {
  curl -s --unix-socket "$REGSCAN_SOCKET" http://regscand/db/rematch \
    | $PY -c 'import json,sys; s=json.load(sys.stdin); print(int(not s["running"] and s["completed"] >= s["requested"]))'
}
wait_idle() { # no task left and the re-match backlog done, twice in a row
  local calm=0
  for _ in $(seq 900); do
    if [ "$(active_tasks)" = 0 ] && [ "$(rematch_idle)" = 1 ]; then
      calm=$((calm + 1))
      [ "$calm" -ge 2 ] && return
    else
      calm=0
    fi
    sleep 0.3
  done
  fail "tasks or the re-match did not finish"
}
findings() { # all findings, one line per image, package and vulnerability
  for i in 1 2 3 4 5 6; do
    ctl image show "team/app$i:1" --vulns --json | $PY -c '
import json, sys
for e in json.load(sys.stdin):
    for v in e["vulnerabilities"]:
        print(sys.argv[1], v["package"], v["installed_version"], v["id"])' "app$i"
  done | sort
}

step "the reference: the same work, never interrupted"
VAR=$WORK/ref REGSCAN_SOCKET=$WORK/ref/regscand.sock
export REGSCAN_SOCKET
start_daemon --config "$WORK/regscan.toml"
ctl registry add --name lab --address "http://127.0.0.1:$REG_PORT" --username alice --password "$REG_PASSWORD" >/dev/null
declare -A took
for op in "${ops[@]}"; do
  t0=$(date +%s%N)
  run_op "$op" >/dev/null
  [ "$op" = scan ] && wait_idle
  took[$op]=$(( ($(date +%s%N) - t0) / 1000000 ))
  echo "  $op: ${took[$op]} ms"
done
wait_idle
findings >"$WORK/reference.txt"
echo "  $(wc -l <"$WORK/reference.txt") findings"
for eco in ALPINE NSWG; do
  grep -q "$eco" "$WORK/reference.txt" || fail "the reference has no $eco findings: the comparison proves nothing"
done
kill -9 "$DAEMON"; wait "$DAEMON" 2>/dev/null || true

step "20 kills at random moments"
VAR=$WORK/var REGSCAN_SOCKET=$WORK/var/regscand.sock
start_daemon --config "$WORK/regscan.toml"
ctl registry add --name lab --address "http://127.0.0.1:$REG_PORT" --username alice --password "$REG_PASSWORD" >/dev/null
declare -A done_ok
images_known=0 authorized_known=0
scanned_known=""
for kill_no in $(seq 20); do
  op=${ops[$(( (kill_no - 1) % 4 ))]}
  # A moment within the operation's reference time, or in the scans and
  # re-match it leaves running.
  delay_ms=$(( RANDOM % (took[$op] + 300) ))
  run_op "$op" >"$WORK/op.log" 2>&1 &
  op_pid=$!
  sleep "$(printf '0.%03d' $((delay_ms % 1000)))"
  sleep $((delay_ms / 1000))
  kill -9 "$DAEMON"
  wait "$DAEMON" 2>/dev/null || true
  if wait "$op_pid"; then done_ok[$op]=1; result="done"; else result="interrupted"; fi
  echo "  kill $kill_no: $op after $delay_ms ms ($result)"
  start_daemon --config "$WORK/regscan.toml"

  ctl registry show lab >/dev/null || fail "kill $kill_no: the registry is lost"
  ctl images list --json >"$WORK/list.json"
  read -r images authorized scanned < <($PY - "$WORK/list.json" <<'PY'
import json, sys
imgs = json.load(open(sys.argv[1]))
scanned = sorted(i["repository"] for i in imgs if i.get("last_scan"))
print(len(imgs), sum(i["authorization"] == "authorized" for i in imgs), ",".join(scanned) or "-")
PY
  )
  [ "$images" -ge "$images_known" ] || fail "kill $kill_no: $images images, $images_known before"
  [ "$authorized" -ge "$authorized_known" ] || fail "kill $kill_no: $authorized authorized, $authorized_known before"
  for repo in ${scanned_known//,/ }; do
    [[ ",$scanned," == *",$repo,"* ]] || fail "kill $kill_no: the finished result of $repo is lost"
  done
  images_known=$images authorized_known=$authorized
  [ "$scanned" = "-" ] || scanned_known=$scanned
done

step "after the last restart: what was interrupted completes"
# A request the kill cut off is the user's to repeat, as after any failed
# command; tasks and the re-match backlog resume by themselves.
for op in "${ops[@]}"; do
  [ -n "${done_ok[$op]:-}" ] || { echo "  repeating $op"; run_op "$op" >/dev/null; }
done
wait_idle
ctl scan list --json >"$WORK/tasks.json"
$PY - "$WORK/tasks.json" <<'PY' || fail "a task ended without a reason"
import json, sys
tasks = json.load(open(sys.argv[1]))
for t in tasks:
    assert t["state"] in ("done", "failed", "cancelled"), t
    assert t["state"] == "done" or t["error"], t
print("  %d tasks: %s" % (len(tasks), {s: sum(t["state"] == s for t in tasks) for s in ("done", "failed", "cancelled")}))
PY
# An image whose last task failed (its retries spent on kills) is scanned again.
ctl images list --json | $PY -c 'import json,sys; [print(i["repository"] + ":1") for i in json.load(sys.stdin) if i["scan_status"] != "scanned"]' >"$WORK/rescan.txt"
if [ -s "$WORK/rescan.txt" ]; then
  echo "  rescanning $(tr '\n' ' ' <"$WORK/rescan.txt")"
  # shellcheck disable=SC2046
  ctl scan $(cat "$WORK/rescan.txt") --wait >/dev/null
  wait_idle
fi
findings >"$WORK/after.txt"
diff "$WORK/reference.txt" "$WORK/after.txt" || fail "the findings differ from the uninterrupted run's"
echo "  20 kills, $(wc -l <"$WORK/after.txt") findings equal to the uninterrupted run's"
kill -9 "$DAEMON"; wait "$DAEMON" 2>/dev/null || true

step "a full disk: the state directory on a 6 MiB tmpfs"
VAR=$WORK/small REGSCAN_SOCKET=$WORK/small/regscand.sock
mkdir -p "$VAR"
if ! mount -t tmpfs -o size=6m tmpfs "$VAR" 2>"$WORK/mount.err"; then
  echo "SKIP the full-disk part: cannot mount a tmpfs here ($(cat "$WORK/mount.err"))"
  exit 0
fi
trap 'kill -9 "$DAEMON" 2>/dev/null; umount -l "$WORK/small" 2>/dev/null; cleanup' EXIT
start_daemon --config "$WORK/regscan.toml"
ctl registry add --name lab --address "http://127.0.0.1:$REG_PORT" --username alice --password "$REG_PASSWORD" >/dev/null
run_op sync >/dev/null
if out=$(ctl db import "$ALPINE" 2>&1); then fail "an import of 6.7 MiB fitted in a 6 MiB state directory: $out"; fi
echo "  expected error: $out"
echo "$out" | grep -q "disk is full" || fail "the import's error does not say the disk is full: $out"
ctl registry show lab >/dev/null || fail "no reads while the disk is full"
[ "$(ctl images list --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 6 ] \
  || fail "images list while the disk is full"
mount -o remount,size=256m "$VAR" || fail "cannot grow the tmpfs"
# RocksDB's recovery looks at the free space every few seconds.
for attempt in $(seq 30); do
  run_op import_alpine >"$WORK/op.log" 2>&1 && break
  grep -q "disk is full" "$WORK/op.log" || fail "the import after the full disk: $(cat "$WORK/op.log")"
  [ "$attempt" = 30 ] && fail "writes did not resume within 30 s of space returning"
  sleep 1
done
echo "  writes resumed after $attempt attempt(s), without a restart"
run_op import_npm >/dev/null
ctl scan --all --wait >/dev/null || fail "the scans after the full disk"
wait_idle
findings >"$WORK/small.txt"
diff "$WORK/reference.txt" "$WORK/small.txt" || fail "after the full disk, the findings differ from the reference"
echo "PASS: 20 kills and a full disk, the findings equal to the uninterrupted run's"
