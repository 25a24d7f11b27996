#!/usr/bin/env bash
# Benchmark of the scale-out workers (`make bench_workers`, never in ctest).
# N small images (default 60) in a real docker-registry on loopback: a shared
# Debian 12 base (debootstrap minbase, from the e2e cache) and a layer of
# their own each (a key pair, 128 KiB of random bytes), matched against the
# Debian advisories of the shared data. Each run starts from the same data
# directory (registry added, synced, advisories imported, empty layer cache),
# scans one image first (so the base is in the layer cache: the steady state,
# where each image pulls its own layer only), then times
# `regscanctl scan --all --wait`:
#   local     regscand --scan-slots 2
#   1 worker  regscand --scan-slots 0, one regscan-worker --slots 2
#   2 workers regscand --scan-slots 0, two regscan-workers --slots 1
#   cached    the local run's daemon scans everything again: every layer is in
#             the layer cache, so each result is the coordinator's work alone
#             (resolve the manifest, replay the deltas, match, store)
# and the CPU seconds regscand and the workers used during the scan
# (/proc/PID/stat), per image: the coordinator's per-result cost.
#
#   workers.sh REGSCAND REGSCANCTL REGSCAN_WORKER SOURCE_DIR SHARED_DIR E2E_CACHE_DIR [N]
# (REGSCAN_E2E_CACHE, when set, is the cache directory instead)
set -euo pipefail
REGSCAND=$1
REGSCANCTL=$2
WORKER=$3
SRC=$4
SHARED=$5
CACHE_DIR=${REGSCAN_E2E_CACHE:-$6}
N=${7:-60}
for tool in docker-registry python3 curl openssl; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run tools/install-deps.sh"; exit 1; }
done
BASE_TAR=$CACHE_DIR/debian12-minbase.tar
[ -f "$BASE_TAR" ] || { echo "no $BASE_TAR: build the e2e cache first (ctest -R e2e_truth)"; exit 1; }
WORK=$(mktemp -d /tmp/regscan-bench-workers.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# CPU seconds (user + system, all threads) a process has used so far.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }

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

echo "== pushing $N images (a shared Debian 12 base, a layer of their own each)"
python3 - "$BASE_TAR" "http://127.0.0.1:$REG_PORT" "$N" <<'PY'
import gzip, hashlib, io, json, os, secrets, sys, tarfile, urllib.request
base_tar, url, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def sha(b): return "sha256:" + hashlib.sha256(b).hexdigest()
def req(method, path, data=None, headers={}):
    r = urllib.request.Request(path if path.startswith("http") else url + path, data=data, method=method, headers=headers)
    return urllib.request.urlopen(r)
def upload(repo, blob):
    d = sha(blob)
    try:
        req("HEAD", f"/v2/{repo}/blobs/{d}")
        return d
    except urllib.error.HTTPError:
        pass
    loc = req("POST", f"/v2/{repo}/blobs/uploads/").headers["Location"]
    loc = loc if loc.startswith("http") else url + loc
    req("PUT", loc + ("&" if "?" in loc else "?") + "digest=" + d, blob, {"Content-Type": "application/octet-stream"})
    return d
raw = open(base_tar, "rb").read()
base_gz = gzip.compress(raw, 6, mtime=0)
base = (sha(raw), sha(base_gz), base_gz)
print(f"base layer: {len(raw) >> 20} MiB, {len(base_gz) >> 20} MiB gzip")
alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
for i in range(n):
    own = io.BytesIO()
    with tarfile.open(fileobj=own, mode="w", format=tarfile.USTAR_FORMAT) as t:
        def add(name, data):
            info = tarfile.TarInfo(name); info.size = len(data); info.mtime = 1700000000
            t.addfile(info, io.BytesIO(data))
        add("app/credentials", ("[default]\naws_access_key_id = AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))
                                + "\naws_secret_access_key = " + secrets.token_urlsafe(30)[:40] + "\n").encode())
        add("app/blob.bin", os.urandom(128 << 10))
    own_raw = own.getvalue()
    own_gz = gzip.compress(own_raw, 6, mtime=0)
    repo = f"bench/app{i}"
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": [base[0], sha(own_raw)]},
                         "history": [{"created_by": "debootstrap"}, {"created_by": f"COPY app {i}"}]}).encode()
    layers = [(base[1], base[2]), (sha(own_gz), own_gz)]
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": upload(repo, config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": upload(repo, b), "size": len(b)}
                   for d, b in layers]}).encode()
    req("PUT", f"/v2/{repo}/manifests/1", manifest, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
PY

echo "== the starting data directory: registry added, synced, Debian advisories imported"
python3 - "$SHARED/data/osv/Debian" "$WORK/debian.zip" <<'PY'
import glob, os, sys, zipfile
with zipfile.ZipFile(sys.argv[2], "w") as z:
    for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
        z.write(f, os.path.basename(f))
PY
export REGSCAN_SOCKET=$WORK/regscand.sock
METRICS_PORT=$(free_port)
start_daemon() { # VAR LOG ARGS...
  local var=$1 log=$2
  shift 2
  "$REGSCAND" --data-dir "$var" --socket "$REGSCAN_SOCKET" --metrics-address "127.0.0.1:$METRICS_PORT" "$@" \
    >>"$log" 2>&1 &
  DAEMON=$!
  PIDS+=($DAEMON)
  for _ in $(seq 300); do
    [ -S "$REGSCAN_SOCKET" ] && "$REGSCANCTL" registry list >/dev/null 2>&1 && return
    sleep 0.1
  done
  echo "regscand did not start: $(tail -5 "$log")"
  exit 1
}
stop_daemon() {
  kill -TERM "$DAEMON"
  wait "$DAEMON" 2>/dev/null || true
}
start_daemon "$WORK/template" "$WORK/template.log"
"$REGSCANCTL" registry add --name lab --address "http://127.0.0.1:$REG_PORT" >/dev/null
"$REGSCANCTL" sync lab >/dev/null
"$REGSCANCTL" db import "$WORK/debian.zip" >/dev/null
stop_daemon

WORKER_PORT=$(free_port)
openssl rand -hex 32 >"$WORK/token"
RESULTS=$WORK/results.txt
# Times one `scan --all --wait` and the CPU of the daemon and the workers it names.
measure() { # LABEL WORKER-PIDS...
  local label=$1
  shift
  local c0 w0=0 w1=0 t0 t1 c1 pid
  "$REGSCANCTL" scan bench/app0:1 --wait >/dev/null # the warm-up: the base into the layer cache
  c0=$(cpu "$DAEMON")
  for pid in "$@"; do w0=$(awk -v a="$w0" -v b="$(cpu "$pid")" 'BEGIN {print a + b}'); done
  t0=$(date +%s.%N)
  "$REGSCANCTL" scan --all --wait >"$WORK/scan.txt" 2>&1 || { echo "$label: the scan failed: $(cat "$WORK/scan.txt")"; exit 1; }
  t1=$(date +%s.%N)
  c1=$(cpu "$DAEMON")
  for pid in "$@"; do w1=$(awk -v a="$w1" -v b="$(cpu "$pid")" 'BEGIN {print a + b}'); done
  local done_tasks
  done_tasks=$("$REGSCANCTL" scan list --json | python3 -c 'import json,sys; print(sum(t["state"] == "done" for t in json.load(sys.stdin)))')
  awk -v l="$label" -v n="$N" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v w0="$w0" -v w1="$w1" -v ok="$done_tasks" \
      -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
    wall = t1 - t0
    printf "%-10s %3d images (%3d tasks done) in %6.1f s: %6.0f images/h, %6.2f results/s; CPU per image: coordinator %.3f s, workers %.3f s; load %s\n",
      l, n, ok, wall, n / wall * 3600, n / wall, (c1 - c0) / n, (w1 - w0) / n, load
  }' | tee -a "$RESULTS"
}
run() { # NAME
  rm -rf "$WORK/var"
  cp -a "$WORK/template" "$WORK/var"
  : >"$WORK/$1.log"
}

echo "== local slots only (--scan-slots 2)"
run local
start_daemon "$WORK/var" "$WORK/local.log" --scan-slots 2
measure local
echo "== every layer cached: the coordinator's own per-result cost"
measure cached
stop_daemon

for workers in 1 2; do
  echo "== $workers worker(s), --scan-slots 0"
  run "workers$workers"
  start_daemon "$WORK/var" "$WORK/workers$workers.log" --scan-slots 0 --worker-listen "127.0.0.1:$WORKER_PORT" \
    --worker-token-file "$WORK/token" --insecure-worker-link
  WPIDS=()
  for w in $(seq "$workers"); do
    "$WORKER" --connect "127.0.0.1:$WORKER_PORT" --token-file "$WORK/token" --insecure-worker-link \
      --slots $((2 / workers)) >"$WORK/worker$workers-$w.log" 2>&1 &
    PIDS+=($!)
    WPIDS+=($!)
  done
  for _ in $(seq 100); do
    [ "$("$REGSCANCTL" workers list --json | grep -o '"id"' | wc -l)" = "$workers" ] && break
    sleep 0.1
  done
  measure "$workers worker$([ "$workers" = 1 ] || echo s)" "${WPIDS[@]}"
  stop_daemon
  for pid in "${WPIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
done

echo "== results ($(nproc) cores; uptime: $(uptime))"
cat "$RESULTS"
