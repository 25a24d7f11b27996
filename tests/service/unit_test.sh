#!/usr/bin/env bash
# A systemd unit as systemd reads it: `systemd-analyze verify` (with the
# built program in ExecStart, and the generated man pages for
# Documentation=), and `systemd-analyze security --offline=yes`, whose
# exposure must stay at or below the figure the README records.
#
#   unit_test.sh UNIT PROGRAM MAN_DIR MAX_EXPOSURE
set -euo pipefail
UNIT=$1 PROGRAM=$2 MAN_DIR=$3 MAX=$4
NAME=$(basename "$UNIT")
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze (apt-get install systemd)"; exit 77; }
WORK=$(mktemp -d /tmp/regscan-unit.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
sed "s#/usr/sbin/$(basename "$PROGRAM")#$PROGRAM#" "$UNIT" >"$WORK/$NAME"
man_flag=(--man=no)
[ -d "$MAN_DIR/man8" ] && man_flag=() && export MANPATH=$MAN_DIR
if ! systemd-analyze verify "${man_flag[@]}" "$WORK/$NAME" >"$WORK/verify.log" 2>&1; then
  cat "$WORK/verify.log"; echo "FAIL: systemd-analyze verify"; exit 1
fi
# Warnings count as failures too.
if [ -s "$WORK/verify.log" ]; then cat "$WORK/verify.log"; echo "FAIL: systemd-analyze verify warned"; exit 1; fi
if ! systemd-analyze security --help 2>&1 | grep -q -- --offline; then
  echo "systemd-analyze security --offline is not supported here: exposure not checked"; exit 0
fi
systemd-analyze security --offline=yes "$WORK/$NAME" >"$WORK/security.log" 2>&1 || true
score=$(sed -n "s/.*Overall exposure level for $NAME: \\([0-9.]*\\).*/\\1/p" "$WORK/security.log")
[ -n "$score" ] || { cat "$WORK/security.log"; echo "FAIL: no exposure score"; exit 1; }
echo "exposure: $score (at most $MAX)"
awk -v s="$score" -v m="$MAX" 'BEGIN { exit !(s <= m) }' || { grep '✗' "$WORK/security.log"; echo "FAIL: exposure $score > $MAX"; exit 1; }
