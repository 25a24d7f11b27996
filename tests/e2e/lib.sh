# Shared by the end-to-end scripts: a work folder cleaned up at exit, a real
# docker-registry with htpasswd auth, regscand and regscanctl.
# Set REGSCAND and REGSCANCTL, then source this file.

WORK=$(mktemp -d /tmp/regscan-e2e.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

step() { echo "== $*"; }
fail() { echo "FAIL: $*"; echo "--- regscand log:"; tail -50 "$WORK/regscand.log" 2>/dev/null; exit 1; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
need() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "missing $tool: run tools/install-deps.sh"; exit 1; }
  done
}

# A registry on loopback that user alice (password $REG_PASSWORD) may push to.
REG_PASSWORD=wonder-land-42
start_registry() {
  REG_PORT=$(free_port)
  mkdir -p "$WORK/registry"
  htpasswd -Bbn alice "$REG_PASSWORD" >"$WORK/registry/htpasswd" 2>/dev/null
  cat >"$WORK/registry/config.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $WORK/registry/data
http:
  addr: 127.0.0.1:$REG_PORT
auth:
  htpasswd:
    realm: regscan-test
    path: $WORK/registry/htpasswd
YML
  docker-registry serve "$WORK/registry/config.yml" >"$WORK/registry.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$REG_PORT/v2/" && return; sleep 0.1; done
  fail "docker-registry did not start"
}

# push OCI_LAYOUT:TAG REPOSITORY:TAG
push() {
  skopeo copy --quiet --dest-tls-verify=false --dest-creds "alice:$REG_PASSWORD" \
    "oci:$1" "docker://127.0.0.1:$REG_PORT/$2"
}

VAR=$WORK/var
METRICS_PORT=$(free_port)
export REGSCAN_SOCKET=$VAR/regscand.sock
start_daemon() {
  "$REGSCAND" --data-dir "$VAR" --socket "$REGSCAN_SOCKET" --metrics-address "127.0.0.1:$METRICS_PORT" \
    "$@" >>"$WORK/regscand.log" 2>&1 &
  DAEMON=$!
  PIDS+=($DAEMON)
  for _ in $(seq 100); do
    [ -S "$REGSCAN_SOCKET" ] && "$REGSCANCTL" registry list >/dev/null 2>&1 && return
    sleep 0.1
  done
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
