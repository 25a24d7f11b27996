#!/usr/bin/env bash
# The Debian package in a clean Debian 12: builds the .deb with CPack,
# installs it with apt (which brings its shlibdeps dependencies) into a
# debootstrap --variant=minbase bookworm tree, and runs the programs there.
# The tree and apt's downloads are cached in the build directory
# ($REGSCAN_E2E_CACHE, shared with the e2e tests), so warm runs are quick.
#
#   deb_test.sh BUILD_DIR
set -euo pipefail
BUILD=$1
CACHE_DIR=${REGSCAN_E2E_CACHE:-$BUILD/e2e-cache}
TREE=$CACHE_DIR/debian12-minbase.tar
APT_CACHE=$CACHE_DIR/deb-test-apt

for tool in debootstrap cpack chroot dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing (tools/install-deps.sh installs it)"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP: chroot needs root"; exit 77; }

WORK=$(mktemp -d /tmp/regscan-deb.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "== [${SECONDS}s] $*"; }

step "cpack -G DEB"
(cd "$BUILD" && cpack -G DEB -B "$WORK/pkg" >"$WORK/cpack.log" 2>&1) || { cat "$WORK/cpack.log"; fail "cpack"; }
DEB=$(ls "$WORK"/pkg/regscan_*.deb)
dpkg-deb -f "$DEB" Depends | grep -q 'libcaf-core' || { dpkg-deb -I "$DEB"; fail "no shlibdeps dependencies"; }
dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles | grep -qx /etc/regscan/regscan.toml || fail "the config is not a conffile"

# Debian's mirror as apt here knows it (the same search as tests/e2e/foundation_test.sh).
debian_mirror() {
  local uri
  uri=$(awk '/^URIs:/{u=$2} /^Suites:/{for(i=2;i<=NF;i++) if($i=="bookworm") {print u; exit}}' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  [ -n "$uri" ] || uri=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -1)
  echo "$uri"
}
ROOT=$WORK/root
mkdir -p "$ROOT"
if [ -f "$TREE" ]; then
  step "Debian 12 tree from the cache $TREE"
  tar -C "$ROOT" -xf "$TREE"
else
  MIRROR=$(debian_mirror)
  [ -n "$MIRROR" ] || fail "no bookworm mirror in apt's sources"
  step "debootstrap --variant=minbase bookworm"
  debootstrap --variant=minbase --components=main bookworm "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log"; fail "debootstrap"; }
  rm -rf "$ROOT"/var/cache/apt/archives/*.deb
  mkdir -p "$CACHE_DIR" && tar -C "$ROOT" -cf "$TREE" .
fi

step "apt-get install ./regscan.deb in the chroot"
mkdir -p "$APT_CACHE/archives" "$APT_CACHE/lists"
cp -a "$APT_CACHE/archives/." "$ROOT/var/cache/apt/archives/"
cp -a "$APT_CACHE/lists/." "$ROOT/var/lib/apt/lists/"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
cp "$DEB" "$ROOT/tmp/regscan.deb"
in_root() { chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
# Indexes younger than a day are reused as they are.
if [ -z "$(find "$APT_CACHE/lists" -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
  in_root apt-get update -qq >"$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log"; fail "apt-get update"; }
fi
in_root apt-get install -y -q --no-install-recommends /tmp/regscan.deb >"$WORK/apt.log" 2>&1 \
  || { cat "$WORK/apt.log"; fail "apt-get install"; }
cp -a "$ROOT/var/cache/apt/archives/." "$APT_CACHE/archives/"
cp -a "$ROOT/var/lib/apt/lists/." "$APT_CACHE/lists/"
rm -f "$APT_CACHE"/archives/lock "$APT_CACHE"/lists/lock

step "the installed programs"
in_root getent passwd regscan | grep -q ':/var/lib/regscan:' || fail "no regscan user"
for f in /usr/sbin/regscand /usr/bin/regscanctl /usr/lib/systemd/system/regscand.service \
         /usr/sbin/regscan-worker /usr/lib/systemd/system/regscan-worker.service /usr/share/man/man8/regscan-worker.8.gz \
         /usr/lib/sysusers.d/regscan.conf /usr/lib/tmpfiles.d/regscan.conf /etc/regscan/regscan.toml \
         /usr/share/man/man8/regscand.8.gz /usr/share/man/man1/regscanctl.1.gz \
         /usr/share/bash-completion/completions/regscanctl; do
  [ -e "$ROOT$f" ] || fail "$f is not installed"
done
out=$(in_root /usr/sbin/regscand --check-config --config /etc/regscan/regscan.toml 2>&1) || { echo "$out"; fail "regscand --check-config"; }
echo "$out"
out=$(in_root /usr/bin/regscanctl --version 2>&1) || { echo "$out"; fail "regscanctl --version"; }
echo "$out" | grep -q '^regscanctl [0-9]' || fail "regscanctl --version said: $out"
printf "[daemon]\nlog_level = \"loud\"\n" >"$ROOT/tmp/bad.toml"
if in_root /usr/sbin/regscand --check-config --config /tmp/bad.toml >"$WORK/bad.log" 2>&1; then
  fail "a bad configuration passed --check-config"
fi
echo "a bad configuration: $(cat "$WORK/bad.log")"
step "enabled nothing: $(ls "$ROOT"/etc/systemd/system/multi-user.target.wants 2>/dev/null | grep -c regscan || true) regscan units enabled"
[ ! -e "$ROOT/etc/systemd/system/multi-user.target.wants/regscand.service" ] || fail "the package enabled the service"
echo "PASS"
