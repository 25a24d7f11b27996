#!/usr/bin/env bash
# The benchmark harness (`make bench`): builds its own images, pushes them to a
# real docker-registry on loopback and measures regscand against a baseline
# measured in the same run; writes its section of BENCHMARKS.md.
#
#   harness.sh BUILD_DIR SOURCE_DIR [E2E_CACHE]
#
# E2E_CACHE (default BUILD_DIR/e2e-cache) holds the Debian 11, 12 and 13
# minbase trees as tars; missing ones are built with debootstrap, as
# tests/e2e/truth_test.sh does. BENCH_QUICK=1: small counts, to check the
# harness itself; its results are printed, and written to BENCHMARKS.md only
# if BENCH_OUT names a file. BENCH_OUT: the file to write (default:
# SOURCE_DIR/BENCHMARKS.md in a full run). BENCH_PERF=0: no perf profile of
# the throughput run (taken by default when perf is installed). BENCH_KEEP=1:
# keep the work folder (layers, registries, daemon logs) for a post-mortem.
set -Eeuo pipefail
BUILD=$(realpath "$1")
SRC=$(realpath "$2")
CACHE=${3:-$BUILD/e2e-cache}
REGSCAND=$BUILD/tools/regscand
REGSCANCTL=$BUILD/tools/regscanctl
SYNC_BENCH=$BUILD/tests/bench/sync_bench
VULNDB_BENCH=$BUILD/tests/bench/vulndb_bench
OSV=$SRC/../shared/data/osv
IMAGES_PY=$SRC/tools/bench/bench_images.py
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
  MILLION=100000 BIG_BYTES=$((200 << 20)) FLEET=20 TAGS=1000 INVENTORIES=1000
  OUT=${BENCH_OUT:-}
else
  MILLION=1000000 BIG_BYTES=$((2048 << 20)) FLEET=200 TAGS=10000 INVENTORIES=10000
  OUT=${BENCH_OUT:-$SRC/BENCHMARKS.md}
fi

WORK=$(mktemp -d /tmp/regscan-bench.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    echo "kept $WORK (logs: $WORK/regscand-*.log); remove it yourself" >&2
  else
    rm -rf "$WORK"
  fi
  [ -z "${SHM_RUN:-}" ] || rm -rf "$SHM_RUN"
}
trap cleanup EXIT
T0=$(date +%s)
step() { echo "== [$(( $(date +%s) - T0 )) s] $*"; }
fail() {
  echo "FAIL: $*" >&2
  for log in "$WORK"/regscand-*.log; do [ -f "$log" ] && { echo "--- $log:" >&2; tail -30 "$log" >&2; }; done
  exit 1
}
trap 'fail "line $LINENO: $BASH_COMMAND exited with $?"' ERR
for tool in docker-registry curl igzip sha256sum python3 npm go debootstrap /usr/bin/time; do
  command -v "$tool" >/dev/null || fail "missing $tool: run tools/install-deps.sh"
done
for bin in "$REGSCAND" "$REGSCANCTL" "$SYNC_BENCH" "$VULNDB_BENCH"; do
  [ -x "$bin" ] || fail "no $bin: build the bench target"
done
[ -d "$OSV" ] || fail "no OSV data in $OSV"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RESULTS=$WORK/results.md
calc() { python3 -c "print($1)"; }

MACHINE="$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/^Mem:/{print $2}') GiB RAM"
LOAD_START=$(uptime | sed 's/.*load average: //')
START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
COMMIT=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$SRC" diff --quiet HEAD 2>/dev/null || COMMIT="$COMMIT (with uncommitted changes)"

# ---------------------------------------------------------------- trees
step "Debian trees from $CACHE"
MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$MIRROR" ] || MIRROR=$(awk '$1=="deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
declare -A TREE=([11]=debian-bullseye-minbase.tar [12]=debian12-minbase.tar [13]=debian-trixie-minbase.tar)
declare -A SUITE=([11]=bullseye [12]=bookworm [13]=trixie)
for v in 11 12 13; do
  [ -f "$CACHE/${TREE[$v]}" ] && continue
  [ -n "$MIRROR" ] || fail "no $CACHE/${TREE[$v]} and no Debian mirror in apt's sources"
  step "debootstrap ${SUITE[$v]} into the cache (not there yet)"
  root=$WORK/debootstrap-$v
  debootstrap --variant=minbase --components=main --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
    "${SUITE[$v]}" "$root" "$MIRROR" >"$WORK/debootstrap-$v.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap-$v.log"; fail "debootstrap ${SUITE[$v]} failed"; }
  rm -rf "$root"/var/cache/apt/archives/*.deb
  mkdir -p "$CACHE" && tar -C "$root" -cf "$CACHE/${TREE[$v]}" . && rm -rf "$root"
done

# ---------------------------------------------------------------- applications
step "applications: npm install, a Go build, Debian's Python packages"
NODE=$WORK/node/srv/app
mkdir -p "$NODE"
(cd "$NODE" && npm init -y >/dev/null && npm install --no-audit --no-fund --cache "$WORK/npm-cache" \
  express@4.17.1 lodash@4.17.15 axios@0.21.0 moment@2.29.1 minimist@1.2.5 jsonwebtoken@8.5.1 >"$WORK/npm.log" 2>&1) \
  || { tail -20 "$WORK/npm.log"; fail "npm install failed"; }
GOSRC=$WORK/go-src
mkdir -p "$GOSRC" "$WORK/go/usr/local/bin"
cat >"$GOSRC/main.go" <<'GO'
package main

import (
	"crypto/tls"
	"fmt"
	"net/http"
)

func main() {
	srv := &http.Server{Addr: ":8443", TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12}}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "bench") })
	fmt.Println(srv.ListenAndServeTLS("cert.pem", "key.pem"))
}
GO
(cd "$GOSRC" && go mod init bench.example/goapp >/dev/null 2>&1 \
  && GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=0 go build -o "$WORK/go/usr/local/bin/goapp" .) \
  || fail "go build failed"
PYDIR=/usr/lib/python3/dist-packages
ls -d "$PYDIR"/*.dist-info >/dev/null || fail "no dist-info in $PYDIR"

# ---------------------------------------------------------------- layers
step "layers (tar streams gzipped by igzip, nothing extracted)"
L=$WORK/layers
mkdir -p "$L"
layer() { # NAME ARGS... -> $L/NAME.gz and its .json
  python3 "$IMAGES_PY" layer "$L/$1.gz" "${@:2}" >/dev/null || fail "layer $1"
  python3 -c 'import json,sys; l=json.load(open(sys.argv[1])); print("  %s: %d entries, %.1f MiB tar, %.1f MiB gzip" % (sys.argv[2], l["files"], l["tar_bytes"] / 2**20, l["size"] / 2**20))' \
    "$L/$1.gz.json" "$1"
}
for v in 11 12 13; do layer debian$v --tar "$CACHE/${TREE[$v]}"; done
layer node --dir "$WORK/node=."
layer python --dir "$PYDIR=usr/lib/python3/dist-packages"
layer go --dir "$WORK/go=."
layer million --million "$MILLION"
layer big --tar "$CACHE/${TREE[12]}" --dir "$WORK/node=." --dir "$PYDIR=usr/lib/python3/dist-packages" \
  --random-bytes "$BIG_BYTES"

# ---------------------------------------------------------------- registry
start_registry() { # NAME -> sets REG_<NAME>
  local port dir=$WORK/registry-$1
  port=$(free_port)
  mkdir -p "$dir"
  cat >"$dir/config.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: 127.0.0.1:$port
YML
  docker-registry serve "$dir/config.yml" >"$dir.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done
  curl -sf -o /dev/null "http://127.0.0.1:$port/v2/" || fail "docker-registry $1 did not start"
  printf -v "REG_$1" '%s' "127.0.0.1:$port"
}
step "docker-registry on loopback, push"
start_registry lab
start_registry fleet
IMAGES=(debian11 debian12 debian13 node python go million big)
declare -A IMAGE_LAYERS=([debian11]="debian11" [debian12]="debian12" [debian13]="debian13"
  [node]="debian12 node" [python]="debian12 python" [go]="debian12 go" [million]="million" [big]="big")
for img in "${IMAGES[@]}"; do
  files=()
  for l in ${IMAGE_LAYERS[$img]}; do files+=("$L/$l.gz.json"); done
  python3 "$IMAGES_PY" push "$REG_lab" "bench/$img:1" "${files[@]}" || fail "push bench/$img:1"
done
# The fleet: every image on one of the three Debian bases, with its own app
# layer (the npm tree, the Python packages or the Go binary, plus a build id
# and a .env holding a planted AWS key).
mkdir -p "$WORK/fleet-py/usr/lib/python3/dist-packages"
for d in "$PYDIR"/*.dist-info; do cp -r "$d" "$WORK/fleet-py/usr/lib/python3/dist-packages/"; done
python3 "$IMAGES_PY" fleet "$REG_fleet" "$FLEET" "$L/debian11.gz.json,$L/debian12.gz.json,$L/debian13.gz.json" \
  "$WORK/node=.,$WORK/fleet-py=.,$WORK/go=." || fail "push the fleet"

# ---------------------------------------------------------------- daemon
# Signatures: a small set of random ClamAV signatures of every kind, YARA
# rules and IOC hashes (a clean image gives no finding), like
# malware_vs_clamscan.sh's but a tenth of it.
SIGS=$WORK/sigs
mkdir -p "$SIGS"
python3 - "$SIGS" <<'PY'
import random, sys
d, r = sys.argv[1], random.Random(7)
hexs = lambda n: "".join(r.choice("0123456789abcdef") for _ in range(n))
with open(f"{d}/bench.hdb", "w") as f:
    for i in range(2000): f.write(f"{hexs(32)}:{r.randint(100, 10**6)}:Bench.Trojan.H{i}\n")
with open(f"{d}/bench.hsb", "w") as f:
    for i in range(500): f.write(f"{hexs(64)}:{r.randint(100, 10**6)}:Bench.Trojan.S{i}\n")
with open(f"{d}/bench.ndb", "w") as f:
    for i in range(300): f.write(f"Bench.Trojan.N{i}:0:*:{hexs(24)}\n")
with open(f"{d}/bench.ldb", "w") as f:
    for i in range(20): f.write(f"Bench.Trojan.L{i};Engine:51-255,Target:0;0&1;{hexs(20)};{hexs(20)}\n")
with open(f"{d}/bench.yar", "w") as f:
    for i in range(10): f.write(f'rule bench_{i} {{ strings: $a = {{ {" ".join(hexs(2) for _ in range(12))} }} condition: $a }}\n')
with open(f"{d}/bench.ioc", "w") as f:
    for i in range(1000): f.write(f"{hexs(64)} Bench.Ioc.{i}\n")
PY
cat >"$WORK/regscan.toml" <<TOML
[scan]
max_parallel = 2
[secrets]
enabled = true
[malware]
enabled = true
TOML

DAEMON=
start_daemon() { # NAME: a copy of the template's data folder
  local var=$WORK/var-$1
  [ -d "$WORK/template" ] && cp -a "$WORK/template" "$var"
  mkdir -p "$var"
  METRICS_PORT=$(free_port)
  export REGSCAN_SOCKET=$var/regscand.sock
  rm -f "$REGSCAN_SOCKET"
  "$REGSCAND" -c "$WORK/regscan.toml" --data-dir "$var" --socket "$REGSCAN_SOCKET" \
    --metrics-address "127.0.0.1:$METRICS_PORT" >"$WORK/regscand-$1.log" 2>&1 &
  DAEMON=$!
  PIDS+=($DAEMON)
  DAEMON_LOG=$WORK/regscand-$1.log
  for _ in $(seq 300); do
    [ -S "$REGSCAN_SOCKET" ] && "$REGSCANCTL" registry list >/dev/null 2>&1 && return
    kill -0 "$DAEMON" 2>/dev/null || fail "regscand $1 exited at start"
    sleep 0.1
  done
  fail "regscand $1 did not start"
}
stop_daemon() { # KEEP: keep the data folder
  local var
  var=$(dirname "$REGSCAN_SOCKET")
  kill "$DAEMON"
  wait "$DAEMON" 2>/dev/null || true
  [ "${1:-}" = keep ] || rm -rf "$var"
}
ctl() { "$REGSCANCTL" "$@"; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$DAEMON/stat"; }
# Time regscand's threads were runnable but waited for a CPU (the run-queue
# delay of schedstat): on a shared machine, what other processes took.
cpu_waited() { cat /proc/"$DAEMON"/task/*/schedstat 2>/dev/null | awk '{s += $2} END {print s / 1e9}' || true; }
peak_mib() { awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$DAEMON/status"; }
rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$DAEMON/status"; }
reset_peak() { echo 5 >"/proc/$DAEMON/clear_refs"; }
metric() { curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" | awk -v m="$1" '$1==m {print $2}'; }

step "template data folder: OSV data of every ecosystem and the signatures imported"
T_IMPORT=$(date +%s.%N)
start_daemon template
ctl db import "$OSV" >"$WORK/db-import.txt" || fail "db import"
ctl malware db import "$SIGS"/bench.* >/dev/null || fail "malware db import"
T_IMPORT=$(calc "$(date +%s.%N) - $T_IMPORT")
stop_daemon keep
mv "$WORK/var-template" "$WORK/template"
rm -f "$WORK/template/regscand.sock"

# ---------------------------------------------------------------- cold and warm scans
# Baseline of an image: for each layer, fetch it from the registry, hash the
# gzip stream and, beside it, decompress with igzip and hash the tar: the
# work no scanner can skip. Wall and CPU of the pipelines, by /usr/bin/time.
baseline() { # IMAGE -> "wall cpu"
  local wall=0 cpu=0 url n=0
  while read -r url; do
    n=$((n + 1))
    rm -f "$WORK/fifo" && mkfifo "$WORK/fifo"
    /usr/bin/time -f "%e %U %S" -o "$WORK/time" bash -o pipefail -c \
      '(igzip -dc <"$1" | sha256sum >"$2.tar") & curl -sf "$3" | tee "$1" | sha256sum >"$2.gz"; wait $!' \
      _ "$WORK/fifo" "$WORK/sum" "$url" || fail "baseline pipeline on $url"
    read -r w u s <"$WORK/time"
    wall=$(calc "round($wall + $w, 2)") cpu=$(calc "round($cpu + $u + $s, 2)")
    [ "sha256:$(cut -d' ' -f1 "$WORK/sum.gz")" = "${url##*/}" ] || fail "baseline: $url hashed wrong"
  done < <(python3 "$IMAGES_PY" blobs "$REG_lab" "bench/$1:1")
  [ "$n" -gt 0 ] || fail "baseline: no layers for $1"
  echo "$wall $cpu"
}
task_seconds() { # the last scan task's time in the daemon, from its log
  python3 - "$DAEMON_LOG" <<'PY'
import re, sys
from datetime import datetime
start = {}
last = None
for line in open(sys.argv[1]):
    ts = line.split(" ", 1)[0]
    m = re.search(r"scan task (\d+) started", line)
    if m:
        start[m.group(1)] = ts
    m = re.search(r"scan task state: task=(\d+) .* to=done", line)
    if m and m.group(1) in start:
        last = (start[m.group(1)], ts)
def t(s):
    return datetime.fromisoformat(s.rstrip("Z").replace("Z", ""))
print(f"{(t(last[1]) - t(last[0])).total_seconds():.2f}" if last else "n/a")
PY
}
scan_measure() { # IMAGE [CATEGORIES] -> "wall cpu peak_mib pulled_mib cache_hits in_daemon cpu_waited"
  local c0 t0 t1 c1 b0 h0 w0
  w0=$(cpu_waited) c0=$(cpu_seconds) b0=$(metric regscan_layer_bytes_pulled_total) h0=$(metric regscan_layer_cache_hits_total)
  t0=$(date +%s.%N)
  ctl scan "bench/$1:1" --wait ${2:+--categories "$2"} >/dev/null || fail "scan of bench/$1:1"
  t1=$(date +%s.%N)
  c1=$(cpu_seconds)
  echo "$(calc "round($t1 - $t0, 2)") $(calc "round($c1 - $c0, 2)") $(peak_mib)" \
    "$(calc "round(($(metric regscan_layer_bytes_pulled_total) - $b0) / 2**20, 1)")" \
    "$(calc "int($(metric regscan_layer_cache_hits_total) - $h0)")" "$(task_seconds)" \
    "$(calc "round($(cpu_waited) - $w0, 2)")"
}

declare -A COLD WARM BASE RSS0 VULNS
for img in "${IMAGES[@]}"; do
  step "bench/$img:1: baseline, cold scan (vulnerabilities only, then all), warm rescan"
  BASE[$img]=$(baseline "$img")
  # Where a cold scan's time goes: the same scan with only the
  # vulnerability category, on a daemon of its own (its own empty cache).
  start_daemon "$img-vulns"
  ctl registry add --name lab --address "http://$REG_lab" >/dev/null || fail "registry add"
  ctl sync lab >/dev/null || fail "sync lab"
  VULNS[$img]=$(scan_measure "$img" vulns)
  stop_daemon
  start_daemon "$img"
  ctl registry add --name lab --address "http://$REG_lab" >/dev/null || fail "registry add"
  ctl sync lab >/dev/null || fail "sync lab"
  RSS0[$img]=$(rss_mib)
  COLD[$img]=$(scan_measure "$img")
  ctl image show "bench/$img:1" --json >"$WORK/show-$img.json" || fail "image show bench/$img:1"
  reset_peak
  WARM[$img]=$(scan_measure "$img")
  echo "  baseline ${BASE[$img]} | cold, vulns only ${VULNS[$img]} | cold ${COLD[$img]} | warm ${WARM[$img]}"
  stop_daemon
done

# ---------------------------------------------------------------- throughput
# One throughput run: a new regscand from the template, sync, `scan --all`.
# RUN: the RUNTIME_DIRECTORY regscand gets, as systemd's RuntimeDirectory=
# sets it for the service (a tmpfs); libclamav then writes the folder and
# files it makes for each file it scans in RUN/clamav. "" = as started by
# hand: in TMPDIR (/tmp).
declare -A FLEET_ROW
fleet_run() { # LABEL RUN PERF(0|1)
  local label=$1 run=$2 n perf_pid= c0 c1 w0 w1 f0 f1 check scanned vulns secrets wall cpu rate
  step "throughput: $FLEET images, scan --all, every category, RUNTIME_DIRECTORY=${run:-unset}"
  if [ -n "$run" ]; then RUNTIME_DIRECTORY=$run start_daemon "fleet-$label"; else start_daemon "fleet-$label"; fi
  ctl registry add --name fleet --address "http://$REG_fleet" >/dev/null || fail "registry add fleet"
  ctl sync fleet >/dev/null || fail "sync fleet"
  n=$(ctl images list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
  [ "$n" -eq "$FLEET" ] || fail "the fleet sync found $n images, not $FLEET"
  if [ "$3" = 1 ] && [ "${BENCH_PERF:-1}" = 1 ] && command -v perf >/dev/null; then
    perf record -F 199 -p "$DAEMON" -o "$WORK/perf.data" >/dev/null 2>&1 &
    perf_pid=$!
    PIDS+=($perf_pid)
  fi
  c0=$(cpu_seconds) w0=$(cpu_waited)
  f0=$(date +%s.%N)
  ctl scan --all --wait >"$WORK/fleet-scan.txt" || fail "scan --all of the fleet"
  f1=$(date +%s.%N)
  c1=$(cpu_seconds) w1=$(cpu_waited)
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
    perf report -i "$WORK/perf.data" --no-children --sort dso,sym --stdio 2>/dev/null | grep -v '^#' | grep '%' \
      | head -25 >"$WORK/perf.txt" || true
  fi
  ctl images list --json >"$WORK/fleet-images.json"
  check=$(python3 - "$WORK/fleet-images.json" <<'PY'
import json, sys
images = json.load(open(sys.argv[1]))
def get(i, *names):
    for n in names:
        if n in i:
            return i[n]
    return None
scanned = sum(1 for i in images if get(i, "scan_status", "status") == "scanned")
vulns = sum(int(get(i, "vulnerabilities", "vuln_count", "vulns") or 0) for i in images)
secrets = sum(int(get(i, "secrets", "secret_count") or 0) for i in images)
print(scanned, vulns, secrets)
PY
  )
  read -r scanned vulns secrets <<<"$check"
  [ "$scanned" -eq "$FLEET" ] || fail "only $scanned of $FLEET fleet images are scanned"
  wall=$(calc "round($f1 - $f0, 2)") cpu=$(calc "round($c1 - $c0, 2)")
  rate=$(calc "int($FLEET * 3600 / $wall)")
  FLEET_ROW[$label]="| $([ -n "$run" ] && echo "as the service runs it: RuntimeDirectory on a tmpfs (/dev/shm)" || echo "by hand: TMPDIR, /tmp on the root ext4") | $FLEET | $wall | **$rate** | $(calc "'met' if $rate >= 36000 else 'MISSED'") | $cpu | $(calc "int($FLEET * 3600 / $cpu * $(nproc))") | $(calc "round($w1 - $w0, 2)") | $(peak_mib) | $(calc "round($(metric regscan_layer_bytes_pulled_total) / 2**20, 1)") | $(metric regscan_layer_cache_hits_total) | $(calc "round($(metric regscan_scan_duration_seconds_sum), 1)") | $(calc "round($(metric regscan_layer_pull_duration_seconds_sum), 1)") | $vulns | $secrets |"
  echo "  $FLEET images in $wall s: $rate images/h, CPU $cpu s, waited for a CPU $(calc "round($w1 - $w0, 2)") s"
  stop_daemon
}
SHM_RUN=$(mktemp -d /dev/shm/regscan-bench.XXXXXX)
fleet_run shm "$SHM_RUN" 1
rm -rf "$SHM_RUN"
fleet_run disk "" 0

# ---------------------------------------------------------------- re-match and sync
step "re-match of $INVENTORIES inventories (vulndb_bench)"
"$VULNDB_BENCH" "$OSV" /var/lib/dpkg/status "$INVENTORIES" >"$WORK/vulndb.txt" 2>&1 \
  || { cat "$WORK/vulndb.txt"; fail "vulndb_bench"; }
REMATCH=$(grep '^re-match after update' "$WORK/vulndb.txt") || fail "vulndb_bench printed no re-match line"
REMATCH_BASE=$(grep '^baseline, every inventory' "$WORK/vulndb.txt") || fail "vulndb_bench printed no baseline"
step "sync of $TAGS tags (sync_bench)"
"$SYNC_BENCH" "$TAGS" >"$WORK/sync.txt" 2>&1 || { cat "$WORK/sync.txt"; fail "sync_bench"; }
cat "$WORK/sync.txt"

# ---------------------------------------------------------------- report
LOAD_END=$(uptime | sed 's/.*load average: //')
TOTAL=$(( $(date +%s) - T0 ))
step "report"
ratio() { calc "f'{$1 / $2:.2f}x' if $2 > 0 else 'n/a'"; }
{
  echo "## Benchmark harness (harness)"
  echo
  echo "\`make bench\` (= \`tools/bench/harness.sh BUILD_DIR SOURCE_DIR [E2E_CACHE]\`$([ "$QUICK" = 1 ] && echo ', BENCH_QUICK=1: small counts'))."
  echo "Run $START_DATE, commit $COMMIT, $MACHINE; \`uptime\` load average"
  echo "$LOAD_START at the start and $LOAD_END at the end ($TOTAL s in all). The machine is"
  echo "shared with other agents' builds and tests, so wall times are inflated; the ratios to the"
  echo "baselines measured in the same run are the figures to compare."
  echo
  echo "Images, built by the harness (\`tools/bench/bench_images.py\`: tar streams gzipped by"
  echo "igzip, pushed with the OCI distribution API to a docker-registry on loopback):"
  echo
  echo "| image | layers | entries | tar MiB | gzip MiB |"
  echo "|---|---|---|---|---|"
  for img in "${IMAGES[@]}"; do
    python3 - "$img" "${IMAGE_LAYERS[$img]}" "$L" <<'PY'
import json, sys
img, names, d = sys.argv[1], sys.argv[2].split(), sys.argv[3]
ls = [json.load(open(f"{d}/{n}.gz.json")) for n in names]
print(f"| bench/{img}:1 | {' + '.join(names)} | {sum(l['files'] for l in ls):,} | "
      f"{sum(l['tar_bytes'] for l in ls) / 2**20:,.0f} | {sum(l['size'] for l in ls) / 2**20:,.0f} |")
PY
  done
  echo
  echo "debian11/12/13: the e2e cache's debootstrap minbase trees; node: \`npm install\` of express 4.17.1,"
  echo "lodash 4.17.15, axios 0.21.0, moment 2.29.1, minimist 1.2.5, jsonwebtoken 8.5.1; python: this"
  echo "machine's /usr/lib/python3/dist-packages (Debian's python3 packages, with dist-info); go: a"
  echo "net/http + crypto/tls program built by $(go version | cut -d' ' -f3); million: $MILLION small text"
  echo "files; big: the Debian 12 tree, the node and python trees and $((BIG_BYTES >> 20)) MiB of random files."
  echo
  echo "### Cold scan and warm rescan, per image"
  echo
  echo "Each image on a new regscand (data folder: a copy of one where the OSV data of every ecosystem"
  echo "and a small signature set, 2,000 .hdb, 500 .hsb, 300 .ndb, 20 .ldb, 10 YARA rules and 1,000 IOC"
  echo "hashes, were imported), \`[scan] max_parallel = 2\`, secrets and malware on. Cold: \`regscanctl"
  echo "scan IMAGE --wait\` with no layer cache; warm: the same again, every layer from the cache;"
  echo "vulnerabilities only: a cold \`scan IMAGE --wait --categories vulns\` on a daemon of its own."
  echo "Wall: of the command (it polls every 200 ms); in the daemon: from the task's log lines; CPU:"
  echo "regscand's user + sys from /proc; waited for a CPU: the run-queue delay of regscand's threads"
  echo "(/proc/PID/task/*/schedstat), the time other processes held the cores; peak RSS: regscand's VmHWM (for the cold scan since the"
  echo "daemon started, for the warm one reset to the current RSS before it). Baseline: for each layer,"
  echo "\`curl blob | tee fifo | sha256sum\` beside \`igzip -dc <fifo | sha256sum\`, wall and CPU by"
  echo "\`/usr/bin/time\`: the pull, hash and decompression no scanner can skip."
  echo
  echo "| image | baseline wall s | baseline CPU s | cold wall s | cold in the daemon s | cold CPU s | cold, waited for a CPU s | wall vs baseline | CPU vs baseline | peak RSS MiB (before the scan) | MiB pulled |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for img in "${IMAGES[@]}"; do
    read -r bw bc <<<"${BASE[$img]}"
    read -r cw cc cp cb _ cd cq <<<"${COLD[$img]}"
    echo "| bench/$img:1 | $bw | $bc | $cw | $cd | $cc | $cq | $(ratio "$cw" "$bw") | $(ratio "$cc" "$bc") | $cp (${RSS0[$img]}) | $cb |"
  done
  echo
  echo "| image | cold, vulnerabilities only: wall s / CPU s / vs baseline CPU | cold, every category: CPU s | warm rescan: wall s / in the daemon s / CPU s | warm vs cold CPU | warm peak RSS MiB | layers from the cache |"
  echo "|---|---|---|---|---|---|---|"
  for img in "${IMAGES[@]}"; do
    read -r bw bc <<<"${BASE[$img]}"
    read -r cw cc _ <<<"${COLD[$img]}"
    read -r vw vc _ <<<"${VULNS[$img]}"
    read -r ww wc wp _ wh wd _ <<<"${WARM[$img]}"
    echo "| bench/$img:1 | $vw / $vc / $(ratio "$vc" "$bc") | $cc | $ww / $wd / $wc | $(ratio "$wc" "$cc") | $wp | $wh |"
  done
  echo
  echo "### Peak RSS on the big layers (target <= 256 MiB)"
  echo
  for img in million big; do
    read -r _ _ cp _ <<<"${COLD[$img]}"
    echo "- bench/$img:1: regscand's peak RSS over its start, sync and cold scan: **$cp MiB**: $(calc "'met' if $cp <= 256 else 'MISSED'")."
  done
  echo
  echo "### Throughput: $FLEET images, \`scan --all\`, every category"
  echo
  echo "$FLEET images in 20 repositories (\`fleet/appNN:vK\`), each on one of the three Debian bases"
  echo "with its own app layer (the npm tree, 12 dist-info folders or the Go binary, plus a build id and"
  echo "a .env with a planted AWS key). A new regscand from the template (no layer cache), \`sync\`,"
  echo "then \`regscanctl scan --all --wait\` timed; 2 scan slots on $(nproc) cores."
  echo
  echo "| libclamav's temporary files | images | wall s | images/hour | target 36,000 | regscand CPU s | images/hour by CPU time alone | regscand waited for a CPU s | peak RSS MiB | MiB pulled | layers from cache | scan time summed over tasks s | layer pull time summed s | vulnerabilities | secrets |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  echo "${FLEET_ROW[shm]}"
  echo "${FLEET_ROW[disk]}"
  echo
  echo "libclamav makes a folder (and for scripts, files) for each file it scans. The first row is"
  echo "regscand as its systemd unit runs it: in RuntimeDirectory (/run/regscan/clamav, a tmpfs; here"
  echo "RUNTIME_DIRECTORY on /dev/shm). The second is regscand started by hand without [malware]"
  echo "temp_dir: in TMPDIR, here on the ext4 root (mounted with discard). \"images/hour by CPU time alone\":"
  echo "$(nproc) cores divided by regscand's CPU seconds an image, as if nothing else ran."
  if [ -s "$WORK/perf.txt" ]; then
    echo
    echo "Where regscand's CPU goes (\`perf record -F 199 -p regscand\` over the scan, top symbols):"
    echo
    echo '```'
    cat "$WORK/perf.txt"
    echo '```'
  fi
  echo
  echo "### Re-match and sync"
  echo
  echo "- \`vulndb_bench $INVENTORIES\` (tests/bench/vulndb_bench.cpp; see the vulndb section):"
  echo "  $REMATCH. Baseline: $REMATCH_BASE."
  echo "- \`sync_bench $TAGS\` (tests/bench/sync_bench.cpp; see the conn section):"
  echo
  echo '```'
  cat "$WORK/sync.txt"
  echo '```'
  echo
  echo "Setup, not measured: importing the OSV data and the signatures took $(calc "round($T_IMPORT, 1)") s."
} >"$RESULTS"
cat "$RESULTS"

if [ -n "$OUT" ]; then
  python3 - "$OUT" "$RESULTS" <<'PY'
import sys
out, new = sys.argv[1], open(sys.argv[2]).read().rstrip("\n") + "\n"
begin, end = "<!-- bench harness: begin -->\n", "<!-- bench harness: end -->\n"
try:
    text = open(out).read()
except FileNotFoundError:
    text = "# Benchmarks\n"
if begin in text:
    if end not in text[text.index(begin):]:
        sys.exit(f"{out}: the harness section has no end marker")
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    text = head + begin + new + end + tail
else:
    text = text.rstrip("\n") + "\n\n" + begin + new + end
open(out, "w").write(text)
PY
  echo "== written to $OUT"
fi
