#!/usr/bin/env bash
# What secret scanning adds to a full image scan (pull, analysis, match,
# store), as a ratio to a scan without it. Debian 11, 12 and 13 minbase and the
# e2e app image (Debian 12 + an npm tree) from the e2e cache are pushed to a
# real docker-registry; then, alternating, regscand starts on an empty data
# folder with `[secrets] enabled = false` or `true`, imports the OSV data,
# syncs and scans every image cold. The figure is regscand's CPU time (user +
# sys, from /proc) and the wall time of `scan --all --wait`, per mode, the
# minimum over the rounds. Rule compilation happens at start and is not in the
# figure, as in a running daemon.
#
#   secrets_overhead.sh REGSCAND REGSCANCTL SOURCE_DIR [ROUNDS]
set -euo pipefail
REGSCAND=$1
REGSCANCTL=$2
SRC=$3
ROUNDS=${4:-3}
source "$SRC/tests/e2e/lib.sh"
need skopeo docker-registry htpasswd curl
CACHE=${REGSCAN_E2E_CACHE:-$SRC/build/e2e-cache}
OSV=$SRC/../shared/data/osv

step "images from $CACHE"
start_registry
for t in debian-bullseye-minbase debian12-minbase debian-trixie-minbase; do
  [ -f "$CACHE/$t.tar" ] || fail "no $CACHE/$t.tar: run ctest -R e2e_truth first"
  mkdir -p "$WORK/$t" && tar -C "$WORK/$t" -xf "$CACHE/$t.tar" --exclude='./dev/*'
  python3 "$SRC/tools/make_oci_image.py" --out "$WORK/oci-$t" --tag 1 "$WORK/$t" >/dev/null
  push "$WORK/oci-$t:1" "bench/$t:1"
done
APP_TAR=$(ls "$CACHE"/npm-app-*.tar | head -1)
mkdir -p "$WORK/app/srv/app" && tar -C "$WORK/app/srv/app" -xf "$APP_TAR"
python3 "$SRC/tools/make_oci_image.py" --out "$WORK/oci-app" --tag 1 "$WORK/debian12-minbase" "$WORK/app" >/dev/null
push "$WORK/oci-app:1" bench/app:1

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() { # MODE -> "cpu_s wall_s"
  VAR=$WORK/var-$1-$RANDOM
  export REGSCAN_SOCKET=$VAR/regscand.sock
  printf '[secrets]\nenabled = %s\n' "$1" >"$WORK/regscan-$1.toml"
  start_daemon -c "$WORK/regscan-$1.toml" --max-parallel-scans 1
  ctl registry add --name lab --address "http://127.0.0.1:$REG_PORT" --username alice --password "$REG_PASSWORD" >/dev/null
  ctl sync lab >/dev/null
  ctl db import "$OSV" >/dev/null
  local before start end after
  before=$(cpu_ticks "$DAEMON")
  start=$(date +%s.%N)
  ctl scan --all --wait >/dev/null
  end=$(date +%s.%N)
  after=$(cpu_ticks "$DAEMON")
  ctl images list | grep -q unscanned && fail "an image was not scanned"
  kill "$DAEMON"; wait "$DAEMON" 2>/dev/null || true
  rm -rf "$VAR"
  echo "$(( after - before )) $start $end" | awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f %.2f\n", $1 / hz, $3 - $2}'
}

declare -A best_cpu best_wall
for round in $(seq "$ROUNDS"); do
  for mode in false true; do
    read -r cpu wall <<<"$(run $mode)"
    echo "round $round, secrets enabled=$mode: CPU ${cpu} s, wall ${wall} s"
    if [ -z "${best_cpu[$mode]:-}" ] || awk -v a="$cpu" -v b="${best_cpu[$mode]}" 'BEGIN{exit !(a < b)}'; then best_cpu[$mode]=$cpu; fi
    if [ -z "${best_wall[$mode]:-}" ] || awk -v a="$wall" -v b="${best_wall[$mode]}" 'BEGIN{exit !(a < b)}'; then best_wall[$mode]=$wall; fi
  done
done
awk -v c0="${best_cpu[false]}" -v c1="${best_cpu[true]}" -v w0="${best_wall[false]}" -v w1="${best_wall[true]}" 'BEGIN{
  printf "| mode | CPU s | wall s |\n|---|---|---|\n"
  printf "| vulnerabilities only | %.2f | %.2f |\n| vulnerabilities + secrets | %.2f | %.2f |\n", c0, w0, c1, w1
  printf "| ratio | %.2fx | %.2fx |\n", c1 / c0, w1 / w0 }'
