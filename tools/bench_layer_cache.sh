#!/usr/bin/env bash
# Benchmark of the layer cache (`make bench`): regscand scans, from a real
# docker-registry on loopback, two images that share a real Debian 12 layer
# (debootstrap) under different app layers. Wall time of `regscanctl scan
# --wait` and the layer bytes pulled (regscand's metrics) for: the first image
# with an empty cache, the second (its base from the cache), the first again
# (every layer from the cache). Twice, each time with a new data directory.
#
#   bench_layer_cache.sh REGSCAND REGSCANCTL SOURCE_DIR SHARED_DIR
set -euo pipefail
REGSCAND=$1
REGSCANCTL=$2
SRC=$3
SHARED=$4
for tool in docker-registry skopeo debootstrap tar gzip python3 curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run tools/install-deps.sh"; exit 1; }
done
WORK=$(mktemp -d /tmp/regscan-bench-cache.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ROOT=$WORK/root
mkdir -p "$ROOT"
CACHE=${REGSCAN_E2E_CACHE:-$HOME/.cache/regscan}/debian12-minbase.tar
if [ -f "$CACHE" ]; then
  tar -C "$ROOT" -xf "$CACHE"
else
  MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources)
  debootstrap --variant=minbase --components=main bookworm "$ROOT" "$MIRROR" >/dev/null
fi
mkdir -p "$WORK/npm/srv" "$WORK/python"
cp -r "$SRC/scanners/testdata/npm/app" "$WORK/npm/srv/app"
cp -r "$SRC/scanners/testdata/python/usr" "$WORK/python/"
python3 "$SRC/tools/make_oci_image.py" --out "$WORK/app1" --tag 1 "$ROOT" "$WORK/npm" >/dev/null
python3 "$SRC/tools/make_oci_image.py" --out "$WORK/app2" --tag 1 "$ROOT" "$WORK/python" >/dev/null

REG_PORT=$(free_port)
cat >"$WORK/registry.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/registry
http:
  addr: 127.0.0.1:$REG_PORT
YML
docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$REG_PORT/v2/" && break; sleep 0.1; done
for img in app1 app2; do
  skopeo copy --quiet --dest-tls-verify=false "oci:$WORK/$img:1" "docker://127.0.0.1:$REG_PORT/bench/$img:1"
done

for img in app1 app2; do
  python3 - "$WORK/$img" <<'PY'
import json, sys
index = json.load(open(sys.argv[1] + "/index.json"))
m = json.load(open(sys.argv[1] + "/blobs/sha256/" + index["manifests"][0]["digest"][7:]))
print(sys.argv[1].rsplit("/", 1)[1] + ": layers of", ", ".join(str(l["size"]) for l in m["layers"]), "bytes (gzip)")
PY
done
# The last scan task's time in the daemon, from its log's timestamps (the
# wall time includes regscanctl polling every 200 ms).
task_seconds() {
  python3 - "$1" <<'PY'
import re, sys
from datetime import datetime
start = end = None
for line in open(sys.argv[1]):
    m = re.match(r"(\S+) info scan task \d+ (started|for .* done)", line)
    if m:
        t = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f")
        if m.group(2) == "started":
            start = t
        else:
            end = t
print((end - start).total_seconds())
PY
}
for run in 1 2; do
  VAR=$WORK/var$run
  METRICS_PORT=$(free_port)
  export REGSCAN_SOCKET=$VAR/regscand.sock
  "$REGSCAND" --data-dir "$VAR" --socket "$REGSCAN_SOCKET" --metrics-address "127.0.0.1:$METRICS_PORT" \
    >"$WORK/regscand$run.log" 2>&1 &
  DAEMON=$!
  PIDS+=($DAEMON)
  for _ in $(seq 100); do [ -S "$REGSCAN_SOCKET" ] && "$REGSCANCTL" registry list >/dev/null 2>&1 && break; sleep 0.1; done
  "$REGSCANCTL" registry add --name lab --address "http://127.0.0.1:$REG_PORT" >/dev/null
  "$REGSCANCTL" sync lab >/dev/null
  "$REGSCANCTL" db import "$SHARED/data/osv/Debian/all.zip" >/dev/null
  metric() { curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" | awk -v m="$1" '$1==m {print $2}'; }
  measure() { # label image
    local bytes0 hits0 t0 t1
    bytes0=$(metric regscan_layer_bytes_pulled_total)
    hits0=$(metric regscan_layer_cache_hits_total)
    t0=$(date +%s.%N)
    "$REGSCANCTL" scan "$2" --wait >/dev/null
    t1=$(date +%s.%N)
    printf 'run %d  %-40s wall %5.2f s (in the daemon %5.3f s)   pulled %9d bytes   layers from cache %d\n' \
      "$run" "$1" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" "$(task_seconds "$WORK/regscand$run.log")" \
      $(( $(metric regscan_layer_bytes_pulled_total) - bytes0 )) $(( $(metric regscan_layer_cache_hits_total) - hits0 ))
  }
  measure "bench/app1:1, empty cache (fresh)" bench/app1:1
  measure "bench/app2:1, shared base cached" bench/app2:1
  measure "bench/app1:1 again, every layer cached" bench/app1:1
  kill "$DAEMON"
  wait "$DAEMON" 2>/dev/null || true
done
