#!/usr/bin/env bash
# Remote scan workers end to end (issue 18): small images (a Debian-like base
# layer with vulnerable packages, each image's own layer with an AWS key)
# pushed to a real docker-registry, one of them behind a proxy that holds its
# layer for a few seconds. A local scan by a plain regscand is the reference.
# Then regscand with --scan-slots 0 and two regscan-worker processes on
# loopback scan the same images over TLS (a CA, a server and a client
# certificate made here with openssl): a worker with a wrong token, one whose
# certificate comes from another CA and one without TLS are refused and never
# listed; a worker refuses a daemon whose certificate comes from another CA;
# one worker is killed with kill -9 while it pulls the held
# layer, and every task still completes (that one with a second attempt);
# the findings equal the local scan's; a later image that shares the base
# layer has it replayed from the coordinator's layer cache, not pulled.
#
#   workers_test.sh REGSCAND REGSCANCTL REGSCAN_WORKER SOURCE_DIR
set -euo pipefail
REGSCAND=$1
REGSCANCTL=$2
WORKER=$3
SRC=$4
source "$SRC/tests/e2e/lib.sh"
need skopeo docker-registry htpasswd curl openssl

random() { /usr/bin/python3 -c "import secrets,sys; a=sys.argv[1]; print(''.join(secrets.choice(a) for _ in range(int(sys.argv[2]))))" "$1" "$2"; }
manifest_layers() {
  /usr/bin/python3 -c 'import json,sys; print(" ".join(l["digest"] for l in json.load(open(sys.argv[1]))["layers"]))' \
    "$WORK/$1/blobs/sha256/${2#sha256:}"
}

step "images: a shared base with vulnerable Debian packages, each with a key of its own"
BASE=$WORK/base
mkdir -p "$BASE/etc" "$BASE/var/lib/dpkg"
printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' \
  >"$BASE/etc/os-release"
cat >"$BASE/var/lib/dpkg/status" <<'EOF'
Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.9-1

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.13.dfsg-1

Package: bash
Status: install ok installed
Architecture: amd64
Version: 5.2.15-2+b2
EOF
image() { # NAME [DELAYED-SIZE]: base + a layer of its own with an AWS key pair
  local name=$1 own=$WORK/$1-own
  mkdir -p "$own/app"
  printf '[default]\naws_access_key_id = AKIA%s\naws_secret_access_key = %s\n' \
    "$(random ABCDEFGHIJKLMNOPQRSTUVWXYZ234567 16)" "$(random abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 40)" \
    >"$own/app/credentials"
  [ -n "${2:-}" ] && head -c "$2" /dev/urandom >"$own/app/blob.bin"
  /usr/bin/python3 "$SRC/tools/make_oci_image.py" --out "$WORK/$name" --tag 1 "$BASE" "$own"
}
for n in one two three; do image "$n" >/dev/null; done
SLOW_MANIFEST=$(image slow 200000)
SLOW_LAYER=$(manifest_layers slow "$SLOW_MANIFEST" | awk '{print $2}')
LATE_MANIFEST=$(image late)
HELD_MANIFEST=$(image held 100000)
HELD_LAYER=$(manifest_layers held "$HELD_MANIFEST" | awk '{print $2}')
read -r BASE_LAYER LATE_LAYER <<<"$(manifest_layers late "$LATE_MANIFEST")"

python3 - "$WORK/debian.zip" <<'PY'
import sys, zipfile
def adv(id, pkg, fixed):
    return ('{"id":"%s","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Debian:12","name":"%s"},'
            '"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"%s"}]}]}]}') % (id, pkg, fixed)
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("DSA-9001-1.json", adv("DSA-9001-1", "openssl", "3.0.11-1~deb12u1"))
    z.writestr("DSA-9002-1.json", adv("DSA-9002-1", "zlib", "1:1.2.13.dfsg-1+deb12u1"))
    z.writestr("DSA-9003-1.json", adv("DSA-9003-1", "bash", "5.2.15-1"))  # fixed before: not affected
PY

start_registry
for n in one two three slow; do push "$WORK/$n:1" "team/$n:1"; done
PROXY_PORT=$(free_port)
/usr/bin/python3 "$SRC/tests/e2e/slow_proxy.py" "$PROXY_PORT" "http://127.0.0.1:$REG_PORT" --delay 6 "$SLOW_LAYER" "$HELD_LAYER" &
PIDS+=($!)
cat >"$WORK/regscan.toml" <<TOML
[scan]
retry_backoff_seconds = 0
TOML
add_registry() {
  ctl registry add --name lab --address "http://127.0.0.1:$PROXY_PORT" --username alice --password "$REG_PASSWORD" >/dev/null
  ctl db import "$WORK/debian.zip" >/dev/null
  ctl sync lab >/dev/null
}
# IMAGE -> its findings and packages, without what differs from run to run.
findings() {
  for what in --vulns --secrets --packages; do ctl image show "team/$1:1" $what --json; echo; done |
    /usr/bin/python3 -c '
import json, sys
text, docs, dec = sys.stdin.read(), [], json.JSONDecoder()
pos = 0
while text[pos:].strip():
    pos += len(text[pos:]) - len(text[pos:].lstrip())
    doc, pos = dec.raw_decode(text, pos)
    docs.append(doc[0])
img = docs[0]["image"]
print("status", img["scan_status"], "incomplete", img.get("incomplete"))
for d in docs:
    for f in d.get("vulnerabilities", []):
        print("vuln", f["id"], f["package"], f["installed_version"], f.get("layer"))
    for f in (d.get("secrets") or {}).get("findings", []):
        print("secret", f["rule_id"], f["location"], f["layer"], f["deleted"], f["fingerprint"])
    for p in d.get("packages", []):
        print("package", p.get("name"), p.get("version"), p.get("layer"))
'
}

step "the reference: a local scan by a plain regscand"
start_daemon --config "$WORK/regscan.toml"
add_registry
ctl scan --all --wait >/dev/null
for n in one two three slow; do findings "$n" >"$WORK/local-$n.txt"; done
grep -q "vuln DSA-9001-1" "$WORK/local-one.txt" || fail "the reference found no vulnerability: $(cat "$WORK/local-one.txt")"
grep -q "secret aws-access-key" "$WORK/local-one.txt" || fail "the reference found no secret"
grep -q "DSA-9003-1" "$WORK/local-one.txt" && fail "bash 5.2.15-2+b2 is fixed"
ctl scan list --json | /usr/bin/python3 -c '
import json, sys
tasks = json.load(sys.stdin)
assert tasks and all(t.get("runs_on") == "local" for t in tasks), tasks' || fail "scan list does not say the scans ran locally"
ctl scan list | grep -q "RUNS ON" || fail "scan list has no RUNS ON column"
kill -TERM "$DAEMON"; wait "$DAEMON" || true

step "certificates: a private CA for the worker link, the daemon's, a worker's; another CA"
mkdir -p "$WORK/tls" && chmod 700 "$WORK/tls"
make_ca() { # NAME
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$1" \
    -keyout "$WORK/tls/$1.key" -out "$WORK/tls/$1.crt" 2>/dev/null
}
make_cert() { # CA NAME EXTENDED-KEY-USAGE
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
    -keyout "$WORK/tls/$2.key" -out "$WORK/tls/$2.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=%s\n' "$3" >"$WORK/tls/$2.ext"
  openssl x509 -req -in "$WORK/tls/$2.csr" -CA "$WORK/tls/$1.crt" -CAkey "$WORK/tls/$1.key" \
    -CAcreateserial -days 2 -extfile "$WORK/tls/$2.ext" -out "$WORK/tls/$2.crt" 2>/dev/null
}
make_ca worker-ca
make_ca other-ca
make_cert worker-ca daemon serverAuth
make_cert worker-ca worker clientAuth
make_cert other-ca rogue clientAuth
make_cert other-ca rogue-daemon serverAuth
tls() { # NAME CA: the three flags
  echo "--worker-tls-cert $WORK/tls/$1.crt --worker-tls-key $WORK/tls/$1.key --worker-tls-ca $WORK/tls/$2.crt"
}

step "the coordinator: --scan-slots 0, workers join on loopback over TLS"
# The same key: secret fingerprints are keyed with it, and must be equal.
mkdir -p "$WORK/var2" && cp "$VAR/secret.key" "$WORK/var2/secret.key"
VAR=$WORK/var2
export REGSCAN_SOCKET=$VAR/regscand.sock
WORKER_PORT=$(free_port)
openssl rand -hex 32 >"$WORK/token"
echo "not-the-token-but-long-enough" >"$WORK/wrong-token"
# Neither TLS nor --insecure-worker-link: refused, with both options named.
if out=$("$REGSCAND" --config "$WORK/regscan.toml" --data-dir "$VAR" --worker-listen "127.0.0.1:$WORKER_PORT" \
  --worker-token-file "$WORK/token" --check-config 2>&1); then fail "a worker link without TLS was accepted"; fi
echo "$out" | grep -q -- "--worker-tls-cert.*--insecure-worker-link" || fail "the refusal does not name both options: $out"
if out=$("$WORKER" --connect "127.0.0.1:$WORKER_PORT" --token-file "$WORK/token" 2>&1); then
  fail "a worker without TLS and without --insecure-worker-link started"
fi
echo "$out" | grep -q -- "--worker-tls-cert.*--insecure-worker-link" || fail "the worker's refusal does not name both options: $out"
start_daemon --config "$WORK/regscan.toml" --scan-slots 0 --worker-listen "127.0.0.1:$WORKER_PORT" \
  --worker-token-file "$WORK/token" $(tls daemon worker-ca)
add_registry
grep -q "join on 127.0.0.1:$WORKER_PORT over TLS" "$WORK/regscand.log" || fail "the daemon does not say the link uses TLS"

refused() { # LOG EXIT-STATUS WORKER-ARGS...: the worker is refused with that status
  local log=$1 want=$2 status
  shift 2
  set +e
  timeout 20 "$WORKER" --connect "127.0.0.1:$WORKER_PORT" "$@" >"$WORK/$log" 2>&1
  status=$?
  set -e
  [ "$status" = "$want" ] || fail "the refused worker exited with $status: $(cat "$WORK/$log")"
  [ "$(ctl workers list --json)" = "[]" ] || fail "a refused worker is listed: $(ctl workers list --json)"
}

step "a worker with a wrong token is refused and never listed"
refused wrong.log 2 --token-file "$WORK/wrong-token" $(tls worker worker-ca)
grep -q "refused this worker: wrong token" "$WORK/wrong.log" || fail "the worker does not say why: $(cat "$WORK/wrong.log")"
grep -q "worker refused: wrong token" "$WORK/regscand.log" || fail "the daemon does not log the refusal"

step "a worker whose certificate comes from another CA is refused and never listed"
refused rogue.log 1 --token-file "$WORK/token" $(tls rogue other-ca)
grep -q "cannot reach the daemon" "$WORK/rogue.log" || fail "the rogue worker does not say it was refused: $(cat "$WORK/rogue.log")"
cat "$WORK/rogue.log"
grep -q "worker .* joined" "$WORK/regscand.log" && fail "the rogue worker joined"

step "a worker without TLS is refused and never listed"
refused plain.log 1 --token-file "$WORK/token" --insecure-worker-link
grep -q "cannot reach the daemon" "$WORK/plain.log" || fail "the worker without TLS does not say why: $(cat "$WORK/plain.log")"
grep -q "worker .* joined" "$WORK/regscand.log" && fail "the worker without TLS joined"

step "a worker refuses a daemon whose certificate comes from another CA"
FAKE_PORT=$(free_port)
openssl s_server -accept "127.0.0.1:$FAKE_PORT" -cert "$WORK/tls/rogue-daemon.crt" -key "$WORK/tls/rogue-daemon.key" \
  -CAfile "$WORK/tls/worker-ca.crt" -Verify 2 -naccept 1 >"$WORK/fake-daemon.log" 2>&1 < <(sleep 20) &
PIDS+=($!)
for _ in $(seq 50); do grep -q ACCEPT "$WORK/fake-daemon.log" && break; sleep 0.1; done
set +e
timeout 20 "$WORKER" --connect "127.0.0.1:$FAKE_PORT" --token-file "$WORK/token" $(tls worker worker-ca) \
  >"$WORK/to-fake.log" 2>&1
status=$?
set -e
[ "$status" = 1 ] || fail "the worker joined a daemon it should not trust: $status $(cat "$WORK/to-fake.log")"
for _ in $(seq 30); do grep -q "alert unknown ca" "$WORK/fake-daemon.log" && break; sleep 0.1; done
grep -q "alert unknown ca" "$WORK/fake-daemon.log" \
  || fail "the worker did not reject the daemon's certificate: $(cat "$WORK/fake-daemon.log")"

start_worker() { # NAME
  "$WORKER" --connect "127.0.0.1:$WORKER_PORT" --token-file "$WORK/token" $(tls worker worker-ca) --slots 1 \
    >"$WORK/worker-$1.log" 2>&1 &
  PIDS+=($!)
  eval "WORKER_$1=$!"
}
start_worker a
start_worker b
for _ in $(seq 100); do [ "$(ctl workers list --json | grep -o '"id"' | wc -l)" = 2 ] && break; sleep 0.1; done
ctl workers list | tee "$WORK/workers.txt"
[ "$(grep -c '127.0.0.1' "$WORK/workers.txt")" = 2 ] || fail "two workers are not listed"
grep -q "0.1.0\|$("$REGSCAND" --version | awk '{print $2}')" "$WORK/workers.txt" || fail "no version listed"

step "scan everything on the workers; kill -9 the worker that pulls the held layer"
ctl scan --all --wait >"$WORK/scan.txt" 2>&1 &
SCAN=$!
SLOW_TASK=
for _ in $(seq 200); do
  SLOW_TASK=$(ctl scan list --json | /usr/bin/python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if "team/slow" in t["image"] and t["state"] == "running":
        print(t["id"])' || true)
  [ -n "$SLOW_TASK" ] && grep -q "scan task $SLOW_TASK runs on worker" "$WORK/regscand.log" && break
  sleep 0.05
done
[ -n "$SLOW_TASK" ] || fail "the held image's task never ran"
ON=$(grep -o "scan task $SLOW_TASK runs on worker [0-9]*" "$WORK/regscand.log" | tail -1 | awk '{print $NF}')
for w in a b; do
  if grep -q "as worker $ON\$" "$WORK/worker-$w.log"; then VICTIM=$w; fi
done
[ -n "${VICTIM:-}" ] || fail "no worker log says it is worker $ON"
sleep 1 # it is pulling the held layer now
eval "kill -9 \$WORKER_$VICTIM"
echo "  killed worker $VICTIM (id $ON) while it ran task $SLOW_TASK"
wait "$SCAN" || fail "scan --all --wait failed: $(cat "$WORK/scan.txt")"
grep -q "worker $ON .* lost" "$WORK/regscand.log" || fail "the daemon did not notice the lost worker"
ctl scan list --json | /usr/bin/python3 -c '
import json, re, sys
slow = int(sys.argv[1])
tasks = json.load(sys.stdin)
for t in tasks:
    assert t["state"] == "done", t
    assert re.fullmatch(r"worker [0-9]+ \(.+\)", t.get("runs_on", "")), t
    if t["id"] == slow:
        assert t["attempts"] == 2, t
        assert not t["runs_on"].startswith("worker %s " % sys.argv[2]), t  # it ran again on the other
print(len(tasks), "tasks done on the workers; the lost one took two attempts")' "$SLOW_TASK" "$ON" \
  || fail "not every task completed on a worker: $(ctl scan list)"
ctl scan list | grep -q "worker [0-9]* (" || fail "scan list does not name the workers"
[ "$(ctl workers list --json | grep -o '"id"' | wc -l)" = 1 ] || fail "the killed worker is still listed"

step "per-worker metrics: the survivor's tasks counted, the killed worker's series gone"
SURVIVOR=$(ctl workers list --json | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" >"$WORK/metrics.txt" || fail "no metrics"
grep "^regscan_worker" "$WORK/metrics.txt"
grep -q "^regscan_worker_slots{worker=\"$SURVIVOR\"} 1\$" "$WORK/metrics.txt" || fail "no slots of worker $SURVIVOR"
grep -q "^regscan_worker_running_tasks{worker=\"$SURVIVOR\"} 0\$" "$WORK/metrics.txt" || fail "worker $SURVIVOR still runs tasks"
grep -q "^regscan_worker_tasks_total{worker=\"$SURVIVOR\",outcome=\"succeeded\"} [1-9]" "$WORK/metrics.txt" \
  || fail "worker $SURVIVOR has no succeeded tasks"
grep -q "worker=\"$ON\"" "$WORK/metrics.txt" && fail "the killed worker $ON is still in the metrics"
if command -v promtool >/dev/null; then
  promtool check metrics <"$WORK/metrics.txt" || fail "promtool does not accept the metrics"
fi

step "the findings equal the local scan's"
for n in one two three slow; do
  findings "$n" >"$WORK/remote-$n.txt"
  diff -u "$WORK/local-$n.txt" "$WORK/remote-$n.txt" || fail "team/$n: the workers' findings differ from the local scan's"
done
cat "$WORK/remote-one.txt"

step "a new image sharing the base layer: the worker pulls only its own layer"
push "$WORK/late:1" team/late:1
ctl sync lab >/dev/null
ctl scan team/late:1 --wait >"$WORK/late-scan.txt"
findings late >"$WORK/remote-late.txt"
grep -q "vuln DSA-9001-1" "$WORK/remote-late.txt" || {
  cat "$WORK/late-scan.txt" "$WORK/remote-late.txt"; ctl image show team/late:1; ctl scan list
  grep -h "team/late" "$WORK"/worker-*.log "$WORK/regscand.log"
  fail "team/late: no vulnerability found"
}
grep -h "team/late" "$WORK"/worker-*.log | tee "$WORK/late.txt"
grep -q "team/late.*1 of 2 layers from the layer cache" "$WORK/late.txt" \
  || fail "the worker did not replay the base layer from the coordinator's cache"

step "cancel reaches the remote task within a second"
push "$WORK/held:1" team/held:1
ctl sync lab >/dev/null
ctl scan team/held:1 >/dev/null
HELD_TASK=
for _ in $(seq 200); do
  HELD_TASK=$(ctl scan list --json | /usr/bin/python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if "team/held" in t["image"] and t["state"] == "running":
        print(t["id"])' || true)
  [ -n "$HELD_TASK" ] && grep -q "task $HELD_TASK: .*team/held" "$WORK"/worker-*.log && break
  sleep 0.05
done
grep -q "task $HELD_TASK: .*team/held" "$WORK"/worker-*.log || fail "the held image's task did not reach a worker"
sleep 1 # the worker is pulling the held layer
START=$(date +%s.%N)
ctl scan cancel team/held:1 | grep -q cancelled || fail "cancel by image"
for _ in $(seq 100); do grep -q "task $HELD_TASK: cancelled" "$WORK"/worker-*.log && break; sleep 0.02; done
END=$(date +%s.%N)
grep -q "task $HELD_TASK: cancelled" "$WORK"/worker-*.log || fail "the worker was not told of the cancel"
took=$(/usr/bin/python3 -c "print(round($END - $START, 2))")
echo "  the worker had the cancel after $took s"
/usr/bin/python3 -c "import sys; sys.exit(0 if $took < 1.5 else 1)" || fail "the cancel took $took s to reach the worker"
ctl image show team/held:1 | grep -q "status:   cancelled" || fail "the image is not marked cancelled"
for _ in $(seq 100); do grep -q "task $HELD_TASK: scan of .* cancelled" "$WORK"/worker-*.log && break; sleep 0.05; done
grep -q "task $HELD_TASK: scan of .* cancelled" "$WORK"/worker-*.log || fail "the worker's job did not stop"
[ "$(ctl workers list --json | grep -o '"running": *[0-9]*' | grep -o '[0-9]*$')" = 0 ] || fail "the cancelled task still holds the worker's slot"

step "no registry password in any worker's log"
grep -q "$REG_PASSWORD" "$WORK"/worker-*.log && fail "a worker logged the registry password"
echo PASS
