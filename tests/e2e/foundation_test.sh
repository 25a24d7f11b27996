#!/usr/bin/env bash
# End to end, as a user would: a real Debian 12 image built with debootstrap,
# pushed with skopeo to a real docker-registry with htpasswd auth, synced and
# scanned by regscand through regscanctl, and the findings checked against an
# independent computation with dpkg --compare-versions over the same OSV data.
#
#   foundation_test.sh REGSCAND REGSCANCTL SOURCE_DIR SHARED_DIR
set -euo pipefail

REGSCAND=$1
REGSCANCTL=$2
SRC=$3
SHARED=$4
OSV_DEBIAN=$SHARED/data/osv/Debian/all.zip

for tool in debootstrap skopeo docker-registry htpasswd dpkg-query python3 curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run .ci/run or install it"; exit 1; }
done

WORK=$(mktemp -d /tmp/regscan-e2e.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

step() { echo "== $*"; }
fail() { echo "FAIL: $*"; echo "--- regscand log:"; cat "$WORK"/regscand*.log 2>/dev/null | tail -50; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The Debian mirror apt already uses: this script names no host of its own.
debian_mirror() {
  local uri
  uri=$(awk '/^URIs:/{u=$2} /^Suites:/{for(i=2;i<=NF;i++) if($i=="bookworm") {print u; exit}}' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  if [ -z "$uri" ]; then
    uri=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -1)
  fi
  echo "$uri"
}

# --- a real Debian 12 root filesystem --------------------------------------
ROOTFS=$WORK/rootfs
# ctest puts the cache in the build directory: a clean checkout, as CI has,
# builds the tree from scratch.
CACHE=${REGSCAN_E2E_CACHE:-$HOME/.cache/regscan}/debian12-minbase.tar
if [ -f "$CACHE" ]; then
  step "Debian 12 tree from the cache $CACHE"
  mkdir -p "$ROOTFS" && tar -C "$ROOTFS" -xf "$CACHE"
else
  MIRROR=$(debian_mirror)
  [ -n "$MIRROR" ] || fail "no bookworm mirror in apt's sources"
  step "debootstrap --variant=minbase bookworm (main suite only)"
  debootstrap --variant=minbase --components=main bookworm "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log"; fail "debootstrap failed"; }
  rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb
  mkdir -p "$(dirname "$CACHE")" && tar -C "$ROOTFS" -cf "$CACHE" .
fi

step "the independent computation: dpkg-query + dpkg --compare-versions over the OSV data"
# Debian's python3, which has python3-packaging (another python3 may come first on PATH).
/usr/bin/python3 "$SRC/tests/e2e/expected_findings.py" "$ROOTFS" "$OSV_DEBIAN" Debian:12 | sort >"$WORK/expected.txt"
[ -s "$WORK/expected.txt" ] || fail "the independent computation found nothing: the test would prove nothing"
echo "expected findings: $(wc -l <"$WORK/expected.txt")"

# --- OCI images ----------------------------------------------------------------
step "OCI layouts: debian:12, an app over it, a copy of it with one more file, and a copy whose layer is truncated"
python3 "$SRC/tools/make_oci_image.py" --out "$WORK/debian-oci" --tag 12 "$ROOTFS" >/dev/null
# The app shares debian:12's layer (same tree, same tar): the layer cache must serve it.
mkdir -p "$WORK/app/srv" && cp -r "$SRC/scanners/testdata/npm/app" "$WORK/app/srv/app"
APP_MANIFEST=$(python3 "$SRC/tools/make_oci_image.py" --out "$WORK/app-oci" --tag 1 "$ROOTFS" "$WORK/app")
app_layer() { # field index
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][int(sys.argv[3])][sys.argv[2]])' \
    "$WORK/app-oci/blobs/sha256/${APP_MANIFEST#sha256:}" "$1" "$2"
}
BASE_LAYER=$(app_layer digest 0)
APP_LAYER_SIZE=$(app_layer size 1)
# Another layer (one file more), so that the kill below lands on a layer that is
# pulled, not served by the layer cache.
cp -a "$ROOTFS" "$WORK/rootfs-copy" && echo copy >"$WORK/rootfs-copy/etc/regscan-copy"
python3 "$SRC/tools/make_oci_image.py" --out "$WORK/mirror-oci" --tag 12 "$WORK/rootfs-copy" >/dev/null
rm -rf "$WORK/rootfs-copy"
mkdir -p "$WORK/small/etc"
cp "$ROOTFS/etc/os-release" "$WORK/small/etc/" 2>/dev/null || cp "$ROOTFS/usr/lib/os-release" "$WORK/small/etc/os-release"
head -c 3000000 /dev/urandom >"$WORK/small/etc/noise"
python3 "$SRC/tools/make_oci_image.py" --out "$WORK/broken-oci" --tag 1 --truncate-last-layer 100000 "$WORK/small" >/dev/null

# --- a real registry with htpasswd auth ------------------------------------------
REG_PORT=$(free_port)
mkdir -p "$WORK/registry"
htpasswd -Bbn alice 'wonder-land-42' >"$WORK/registry/htpasswd" 2>/dev/null
cat >"$WORK/registry/config.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $WORK/registry/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REG_PORT
auth:
  htpasswd:
    realm: regscan-test
    path: $WORK/registry/htpasswd
YML
docker-registry serve "$WORK/registry/config.yml" >"$WORK/registry.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$REG_PORT/v2/" && break; sleep 0.1; done

step "skopeo copy the images to the registry"
push() { skopeo copy --quiet --dest-tls-verify=false --dest-creds alice:wonder-land-42 "oci:$1" "docker://127.0.0.1:$REG_PORT/$2"; }
push "$WORK/debian-oci:12" library/debian:12
push "$WORK/mirror-oci:12" mirror/debian:12
push "$WORK/app-oci:1" library/app:1
push "$WORK/broken-oci:1" library/broken:1

# --- regscand ----------------------------------------------------------------------
VAR=$WORK/var
METRICS_PORT=$(free_port)
export REGSCAN_SOCKET=$VAR/regscand.sock
start_daemon() {
  "$REGSCAND" --data-dir "$VAR" --socket "$REGSCAN_SOCKET" --metrics-address "127.0.0.1:$METRICS_PORT" \
    --max-parallel-scans 1 >>"$WORK/regscand.log" 2>&1 &
  DAEMON=$!
  PIDS+=($DAEMON)
  for _ in $(seq 100); do [ -S "$REGSCAN_SOCKET" ] && "$REGSCANCTL" registry list >/dev/null 2>&1 && return; sleep 0.1; done
  fail "regscand did not start"
}
ctl() { "$REGSCANCTL" "$@"; }
expect_fail() {
  local pattern=$1; shift
  local out
  if out=$("$REGSCANCTL" "$@" 2>&1); then fail "regscanctl $* should have failed: $out"; fi
  echo "$out" | grep -qi -- "$pattern" || fail "regscanctl $* said '$out', expected '$pattern'"
  echo "  expected error: $out"
}
start_daemon

step "control socket is mode 0660"
[ "$(stat -c %a "$REGSCAN_SOCKET")" = 660 ] || fail "socket mode is $(stat -c %a "$REGSCAN_SOCKET")"
[ "$(stat -c %a "$VAR/secret.key")" = 600 ] || fail "key file mode is $(stat -c %a "$VAR/secret.key")"

step "registries: add, duplicate, empty name, wrong password, unreachable"
ctl registry add --name lab --type docker-v2 --address "http://127.0.0.1:$REG_PORT" --username alice --password 'wonder-land-42'
expect_fail "already exists" registry add --name lab --address "http://127.0.0.1:$REG_PORT"
grep -q "already exists" "$WORK/regscand.log" || fail "the refused add is not in the log"
expect_fail "name" registry add --name "" --address "http://127.0.0.1:$REG_PORT"
ctl registry add --name badpass --address "http://127.0.0.1:$REG_PORT" --username alice --password 'not-the-password'
expect_fail "authentication failed" registry test badpass
grep -q "registry badpass test failed: authentication failed" "$WORK/regscand.log" || fail "the failed test is not in the log"
DEAD_PORT=$(free_port)
ctl registry add --name nowhere --address "http://127.0.0.1:$DEAD_PORT" --rate-limit 5
expect_fail "127.0.0.1" registry test nowhere
ctl registry test lab
ctl registry list | tee "$WORK/registries.txt"
grep -q "wonder-land-42" "$WORK/registries.txt" && fail "password printed"
ctl registry show lab --json | grep -q '"password_set":true' || fail "registry show lacks password_set"
ctl registry delete badpass
ctl registry delete nowhere
expect_fail "no registry" registry show nowhere

step "sync"
ctl sync lab
ctl images list | tee "$WORK/images.txt"
[ "$(ctl images list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 4 ] || fail "expected 4 images"
grep -q "library/debian:12" "$WORK/images.txt" || fail "debian:12 not listed"
ctl images list --json | python3 -c '
import json, sys
imgs = {i["repository"]: i for i in json.load(sys.stdin)}
d = imgs["library/debian"]
assert d["digest"].startswith("sha256:") and d["image_id"].startswith("sha256:"), d
assert d["os"] == "linux" and d["architecture"] == "amd64", d
assert d["size"] > 10_000_000, d
assert d["scan_status"] == "unscanned", d
assert d["media_type"].startswith("application/vnd."), d
assert d["created"] and "pushed" in d and "index_media_type" in d, d  # distribution has no push time
' || fail "image record is wrong"
ctl image show library/debian:12 | tee "$WORK/show.txt"
grep -q "pushed:" "$WORK/show.txt" && grep -q "type:     application/vnd" "$WORK/show.txt" || fail "image show lacks the media type or push time"

step "vulnerability database: a malformed file, then the real Debian data"
printf 'not a zip' >"$WORK/bad.zip"
expect_fail "zip" db import "$WORK/bad.zip"
python3 - "$WORK/mixed.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("BROKEN-1.json", "{ this is not json")
    z.writestr("GOOD-1.json", '{"id":"GOOD-1","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Debian:12","name":"no-such-source-pkg"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0"}]}]}]}')
PY
expect_fail "BROKEN-1.json" db import "$WORK/mixed.zip"
ctl db import "$OSV_DEBIAN"
ctl db status | tee "$WORK/dbstatus.txt"
grep -q "Debian:12" "$WORK/dbstatus.txt" || fail "db status lacks Debian:12"

step "scan debian:12 and compare with the independent computation"
ctl scan library/debian:12 --wait
ctl image show library/debian:12 --vulns | head -20
ctl image show library/debian:12 --vulns --json | python3 -c '
import json, sys
for entry in json.load(sys.stdin):
    for f in entry.get("vulnerabilities", []):
        print(f["id"], f["package"])
' | sort >"$WORK/reported.txt"
if ! diff -u "$WORK/expected.txt" "$WORK/reported.txt" >"$WORK/diff.txt"; then
  head -40 "$WORK/diff.txt"
  fail "regscan's findings differ from dpkg --compare-versions over the same data"
fi
echo "findings match: $(wc -l <"$WORK/reported.txt")"
ctl image show library/debian:12 --vulns --json | python3 -c '
import json, sys
for entry in json.load(sys.stdin):
    assert entry["image"]["scan_status"] == "scanned", entry["image"]
    for f in entry["vulnerabilities"]:
        for k in ("id", "package", "installed_version", "severity", "fix_advice"):
            assert f[k], (k, f)
        assert f["fixed_version"] and f["fix_advice"].startswith("upgrade "), f
        assert f["layer"].startswith("sha256:"), f
        assert all(a.startswith("CVE-") for a in f["aliases"]), f
' || fail "finding fields are incomplete"

step "the layer cache: an app over debian:12 pulls only its own layer, and its base gives the same packages"
metric() { curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" | awk -v m="$1" '$1==m {print $2}'; }
pulled_before=$(metric regscan_layer_bytes_pulled_total)
hits_before=$(metric regscan_layer_cache_hits_total)
ctl scan library/app:1 --wait
pulled=$(( $(metric regscan_layer_bytes_pulled_total) - pulled_before ))
hits=$(( $(metric regscan_layer_cache_hits_total) - hits_before ))
echo "library/app:1 pulled $pulled bytes (its own layer: $APP_LAYER_SIZE), $hits layer(s) from the cache"
[ "$pulled" = "$APP_LAYER_SIZE" ] || fail "the scan pulled $pulled bytes, not only the app layer's $APP_LAYER_SIZE"
[ "$hits" = 1 ] || fail "the shared layer did not come from the layer cache"
base_packages() { # image -> its packages from debian:12's layer
  ctl image show "$1" --packages --json | python3 -c '
import json, sys
for entry in json.load(sys.stdin):
    for p in entry["packages"]:
        if p["layer"] == sys.argv[1]:
            print(p["ecosystem"], p["name"], p["version"], p["file"])
' "$BASE_LAYER" | sort
}
base_packages library/debian:12 >"$WORK/base-debian.txt"
base_packages library/app:1 >"$WORK/base-app.txt"
[ "$(wc -l <"$WORK/base-debian.txt")" -gt 50 ] || fail "debian:12 has too few packages: the comparison would prove nothing"
diff -u "$WORK/base-debian.txt" "$WORK/base-app.txt" || fail "the cached base layer gives other packages"
ctl image show library/app:1 --packages --json | python3 -c '
import json, sys
assert any(p["ecosystem"] == "npm" for e in json.load(sys.stdin) for p in e["packages"])
' || fail "the app layer's npm packages are missing"

step "a truncated layer: the scan says incomplete with the reason, never clean; the daemon keeps running"
ctl scan library/broken:1 --wait
ctl image show library/broken:1 | tee "$WORK/broken.txt"
grep -q "scanned (incomplete)" "$WORK/broken.txt" || fail "the broken image is not marked incomplete"
grep -qi "truncated" "$WORK/broken.txt" || fail "image show does not say the layer is truncated"
grep -qi "incomplete.*truncated" "$WORK/regscand.log" || fail "the log does not say why the scan is incomplete"
ctl images list | grep "library/broken" | grep -q "incomplete" || fail "images list hides that the scan is incomplete"

step "kill -9 during a scan: after restart everything is there and the scan completes"
ctl scan mirror/debian:12 library/debian:12 >/dev/null
active=$(ctl scan list --json | python3 -c 'import json,sys; print(sum(t["state"] in ("queued","running") for t in json.load(sys.stdin)))')
kill -9 "$DAEMON"
[ "$active" -gt 0 ] || fail "the scans ended before the kill: the test proves nothing"
wait "$DAEMON" 2>/dev/null || true
start_daemon
for _ in $(seq 600); do
  active=$(ctl scan list --json | python3 -c 'import json,sys; print(sum(t["state"] in ("queued","running") for t in json.load(sys.stdin)))')
  [ "$active" = 0 ] && break
  sleep 0.2
done
[ "$active" = 0 ] || fail "the interrupted scans did not finish after restart"
ctl registry show lab >/dev/null || fail "registry lost"
[ "$(ctl images list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 4 ] || fail "images lost"
ctl image show mirror/debian:12 --vulns --json | python3 -c '
import json, sys
for entry in json.load(sys.stdin):
    for f in entry.get("vulnerabilities", []):
        print(f["id"], f["package"])
' | sort >"$WORK/reported2.txt"
diff "$WORK/expected.txt" "$WORK/reported2.txt" || { ctl image show mirror/debian:12; tail -30 "$WORK/regscand.log"; fail "the scan run after the restart differs"; }
ctl image show library/debian:12 | grep -q "scanned" || fail "completed result lost"

step "metrics"
curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" >"$WORK/metrics.txt" || fail "no metrics"
grep -q '^regscan_images{status="scanned"} 4' "$WORK/metrics.txt" || { cat "$WORK/metrics.txt"; fail "metrics lack scanned images"; }
grep -q '^regscan_images_incomplete 1' "$WORK/metrics.txt" || fail "metrics lack the incomplete image"
grep -q '^regscan_registries 1' "$WORK/metrics.txt" || fail "metrics lack registries"

step "the password is nowhere in the log or in the data folder"
if grep -r -a -q "wonder-land-42" "$VAR" "$WORK/regscand.log"; then fail "the password leaked"; fi

echo "end-to-end: all checks passed"
