#!/usr/bin/env bash
# Findings end to end, for every ecosystem the issue's proof names: Debian 11
# and 13 minbase images, and an app image over Debian 12 whose second layer
# holds real npm packages (installed by npm from the npm registry, with their
# package-lock.json), PyPI metadata outside dpkg's ownership and a Go binary
# built here with Debian's golang-go. One registry, one regscand; every
# image's findings must equal expected_findings.py's independent computation
# (dpkg, node-semver, python3-packaging, `go version -m`) over the same OSV data.
# Findings are compared as (ecosystem, package, installed version, every id and
# alias of the merged finding, fixed version): which id regscan keeps for a
# merged CVE does not matter, that it merged (one finding per CVE and package) does.
#
#   findings_test.sh REGSCAND REGSCANCTL SOURCE_DIR SHARED_DIR
# The Debian trees come from $REGSCAN_E2E_CACHE, built there by truth_test.sh.
set -euo pipefail

REGSCAND=$1
REGSCANCTL=$2
SRC=$3
OSV=$4/data/osv
CACHE_DIR=${REGSCAN_E2E_CACHE:-$HOME/.cache/regscan}
PYTHON=/usr/bin/python3 # Debian's, with python3-packaging

for tool in skopeo docker-registry dpkg-query node npm go curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run tools/install-deps.sh"; exit 1; }
done

WORK=$(mktemp -d /tmp/regscan-findings.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
step() { echo "== $*"; }
fail() { echo "FAIL: $*"; echo "--- regscand log:"; tail -50 "$WORK/regscand.log" 2>/dev/null; exit 1; }
free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

step "Debian 11, 12 and 13 trees from $CACHE_DIR"
for t in debian-bullseye-minbase debian12-minbase debian-trixie-minbase; do
  [ -f "$CACHE_DIR/$t.tar" ] || fail "no $CACHE_DIR/$t.tar: run ctest -R 'e2e_(truth|findings)', e2e_truth builds it"
  mkdir -p "$WORK/$t" && tar -C "$WORK/$t" -xf "$CACHE_DIR/$t.tar"
done

# --- the app layer ----------------------------------------------------------------
APP=$WORK/app
mkdir -p "$APP/srv" "$APP/usr/local/bin" "$APP/usr/local/lib/python3.11/dist-packages"

# Old versions with NSWG advisories in the OSV npm data; express brings
# nested copies of some of them. Cached, keyed by the list, as npm is slow.
NPM_PACKAGES="lodash@4.17.4 jquery@2.2.4 hoek@4.2.0 handlebars@4.0.5 moment@2.11.1 marked@0.3.5
  ms@0.7.0 semver@4.3.1 express@4.4.5 bl@1.0.0 qs@0.6.6"
NPM_CACHE=$CACHE_DIR/npm-app-$(echo $NPM_PACKAGES | sha256sum | cut -c1-12).tar
if [ -f "$NPM_CACHE" ]; then
  step "npm app from the cache $NPM_CACHE"
  mkdir -p "$APP/srv/app" && tar -C "$APP/srv/app" -xf "$NPM_CACHE"
else
  step "npm install $NPM_PACKAGES"
  mkdir -p "$APP/srv/app"
  echo '{"name":"e2e-app","version":"1.0.0","private":true}' >"$APP/srv/app/package.json"
  (cd "$APP/srv/app" && npm install --save-exact --ignore-scripts --no-audit --no-fund --loglevel=error \
     --cache "$WORK/npm-cache" $NPM_PACKAGES) || fail "npm install failed"
  mkdir -p "$CACHE_DIR" && tar -C "$APP/srv/app" -cf "$NPM_CACHE" .
fi
[ -f "$APP/srv/app/package-lock.json" ] || fail "npm wrote no package-lock.json"

step "PyPI metadata of Debian's python3-* packages, copied where dpkg owns nothing"
for name in pip cryptography PyYAML requests urllib3 Werkzeug certifi idna; do
  meta=$(ls -d /usr/lib/python3/dist-packages/"$name"-*-info 2>/dev/null | head -1)
  [ -n "$meta" ] || fail "no metadata of $name: tools/install-deps.sh installs its python3-* package"
  cp -r "$meta" "$APP/usr/local/lib/python3.11/dist-packages/"
done

step "a Go binary that vendors golang.org/x/net v0.7.0 (Debian's golang-golang-x-net-dev)"
GOSRC=$WORK/gosrc
mkdir -p "$GOSRC/vendor/golang.org/x/net"
cp -r /usr/share/gocode/src/golang.org/x/net/html "$GOSRC/vendor/golang.org/x/net/" \
  || fail "no golang.org/x/net source: install golang-golang-x-net-dev"
printf 'module example.com/e2eapp\n\ngo 1.19\n\nrequire golang.org/x/net v0.7.0\n' >"$GOSRC/go.mod"
printf '# golang.org/x/net v0.7.0\n## explicit; go 1.17\ngolang.org/x/net/html\ngolang.org/x/net/html/atom\n' \
  >"$GOSRC/vendor/modules.txt"
cat >"$GOSRC/main.go" <<'GO'
package main

import (
	"fmt"
	"strings"

	"golang.org/x/net/html"
)

func main() {
	doc, err := html.Parse(strings.NewReader("<p>regscan</p>"))
	if err != nil {
		panic(err)
	}
	fmt.Println(doc.FirstChild.Data)
}
GO
(cd "$GOSRC" && GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local GOCACHE="$WORK/gocache" \
   GOPATH="$WORK/gopath" go build -o "$APP/usr/local/bin/e2eapp" .) || fail "go build failed"

step "OCI layouts: debian:11, debian:13, app:1 (Debian 12 + the app layer)"
"$PYTHON" "$SRC/tools/make_oci_image.py" --out "$WORK/oci-11" --tag 11 "$WORK/debian-bullseye-minbase" >/dev/null
"$PYTHON" "$SRC/tools/make_oci_image.py" --out "$WORK/oci-13" --tag 13 "$WORK/debian-trixie-minbase" >/dev/null
"$PYTHON" "$SRC/tools/make_oci_image.py" --out "$WORK/oci-app" --tag app "$WORK/debian12-minbase" "$APP" >/dev/null

# --- a real registry, anonymous --------------------------------------------------
REG_PORT=$(free_port)
cat >"$WORK/registry.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $WORK/registry
http:
  addr: 127.0.0.1:$REG_PORT
YML
docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$REG_PORT/v2/" && break; sleep 0.1; done

step "skopeo copy the images to the registry"
push() { skopeo copy --quiet --dest-tls-verify=false "oci:$WORK/oci-$1:$1" "docker://127.0.0.1:$REG_PORT/$2"; }
push 11 library/debian:11
push 13 library/debian:13
push app library/app:1

# --- regscand ------------------------------------------------------------------------
export REGSCAN_SOCKET=$WORK/var/regscand.sock
"$REGSCAND" --data-dir "$WORK/var" --socket "$REGSCAN_SOCKET" --metrics-address "127.0.0.1:$(free_port)" \
  >"$WORK/regscand.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do "$REGSCANCTL" registry list >/dev/null 2>&1 && break; sleep 0.1; done
ctl() { "$REGSCANCTL" "$@" || fail "regscanctl $* failed"; }

step "registry, sync, OSV data of every ecosystem, scans"
ctl registry add --name lab --type docker-v2 --address "http://127.0.0.1:$REG_PORT"
ctl sync lab >/dev/null
ctl db import "$OSV"
ctl db status
for img in library/debian:11 library/debian:13 library/app:1; do ctl scan "$img" --wait; done

# --- each image against the independent computation ----------------------------------
check() { # IMAGE OS_ECOSYSTEM "ECOSYSTEMS WITH FINDINGS" ROOT...
  local img=$1 eco=$2 require=(); shift 2
  for e in $1; do require+=(--require "$e"); done
  shift
  step "$img: regscan's findings vs the independent computation"
  ctl image show "$img" --vulns --json >"$WORK/reported.json"
  "$PYTHON" -c 'import json,sys; [e] = json.load(open(sys.argv[1])); i = e["image"]; assert i["scan_status"] == "scanned" and not i["incomplete"], i' \
    "$WORK/reported.json" || fail "$img is not scanned completely"
  "$PYTHON" "$SRC/tests/e2e/expected_findings.py" --compare "$WORK/reported.json" --osv "$OSV" --os "$eco" "${require[@]}" "$@" \
    || fail "$img: regscan's findings differ from the independent computation"
}
check library/debian:11 Debian:11 "Debian:11" "$WORK/debian-bullseye-minbase"
check library/debian:13 Debian:13 "Debian:13" "$WORK/debian-trixie-minbase"
check library/app:1 Debian:12 "Debian:12 npm PyPI Go" "$WORK/debian12-minbase" "$APP"
echo "PASS"
