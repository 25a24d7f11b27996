#!/usr/bin/env bash
# Truth test for the analysis engine: real Debian 11, 12 and 13 minbase trees
# built with debootstrap, each packed as one gzip layer and read by the real
# analyzer (regscan-analyze). Its package list must equal `dpkg-query -W` run
# on the same tree: names, versions, source names and source versions, and the
# OS must be the release that was bootstrapped.
#
#   truth_test.sh REGSCAN_ANALYZE
# Trees are cached in $REGSCAN_E2E_CACHE (ctest sets it to the build
# directory, so a clean checkout, as CI has, builds every tree from scratch).
set -euo pipefail

ANALYZE=$1
for tool in debootstrap dpkg-query python3 tar gzip; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run tools/install-deps.sh"; exit 1; }
done

WORK=$(mktemp -d /tmp/regscan-truth.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
step() { echo "== $*"; }
fail() { echo "FAIL: $*"; exit 1; }

# The Debian mirror apt already uses (as foundation_test.sh): no host of our own.
MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$MIRROR" ] || MIRROR=$(awk '$1=="deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[ -n "$MIRROR" ] || fail "no Debian mirror in apt's sources"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
CACHE_DIR=${REGSCAN_E2E_CACHE:-$HOME/.cache/regscan}

# Builds (or takes from the cache) the tree of one release, in the background.
tree() {
  local suite=$1 root=$WORK/$1
  local cache=$CACHE_DIR/debian-$suite-minbase.tar
  [ "$suite" = bookworm ] && cache=$CACHE_DIR/debian12-minbase.tar # shared with foundation_test.sh
  mkdir -p "$root"
  if [ -f "$cache" ]; then
    tar -C "$root" -xf "$cache"
    return
  fi
  debootstrap --variant=minbase --components=main --keyring="$KEYRING" "$suite" "$root" "$MIRROR" \
    >"$WORK/$suite.log" 2>&1 || { tail -20 "$WORK/$suite.log"; return 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb
  mkdir -p "$CACHE_DIR" && tar -C "$root" -cf "$cache" .
}

SUITES=(bullseye bookworm trixie)
declare -A MAJOR=([bullseye]=11 [bookworm]=12 [trixie]=13)
step "debootstrap --variant=minbase ${SUITES[*]} (in parallel, unless cached)"
PIDS=()
for s in "${SUITES[@]}"; do tree "$s" & PIDS+=($!); done
for i in "${!PIDS[@]}"; do wait "${PIDS[$i]}" || fail "debootstrap ${SUITES[$i]} failed"; done

for s in "${SUITES[@]}"; do
  root=$WORK/$s
  step "Debian ${MAJOR[$s]} ($s): analyzer vs dpkg-query"
  # One layer, as `docker build` would make it: a gzip tar of the tree.
  tar -C "$root" --numeric-owner -czf "$WORK/$s.tar.gz" .
  "$ANALYZE" "$WORK/$s.tar.gz" >"$WORK/$s.json" || fail "regscan-analyze failed on $s"
  dpkg-query --admindir="$root/var/lib/dpkg" -W \
    -f '${db:Status-Abbrev}\t${Package}\t${Version}\t${source:Package}\t${source:Version}\n' \
    | awk -F'\t' '$1 ~ /^[ih]i/ {print $2"\t"$3"\t"$4"\t"$5}' | sort >"$WORK/$s.truth"
  [ "$(wc -l <"$WORK/$s.truth")" -gt 50 ] || fail "$s: dpkg-query found too few packages"
  python3 - "$WORK/$s.json" "${MAJOR[$s]}" <<'PY' | sort >"$WORK/$s.got"
import json, sys
inv = json.load(open(sys.argv[1]))
major = sys.argv[2]
assert inv["os"]["id"] == "debian", inv["os"]
assert inv["os"]["version_id"] == major, inv["os"]
assert inv["complete"], inv["notes"]
for p in inv["packages"]:
    assert p["ecosystem"] == "Debian:" + major, p
    assert p["file"] == "var/lib/dpkg/status", p
    print("\t".join([p["name"], p["version"], p["source_name"], p["source_version"]]))
PY
  diff -u "$WORK/$s.truth" "$WORK/$s.got" || fail "$s: the analyzer's packages differ from dpkg-query"
  echo "   $(wc -l <"$WORK/$s.got") packages, identical"
done
echo "PASS"
