#!/usr/bin/env bash
# Benchmark of the analysis alone (`make bench`): regscan-analyze over a real
# Debian layer compressed with gzip, against the floor `igzip -dc | sha256sum`
# on the same file in the same run; wall time and peak RSS from
# /usr/bin/time -v, for a ~1/4 and a full ~200 MB layer (memory must stay flat).
#
#   bench_analyze.sh REGSCAN_ANALYZE
set -euo pipefail
ANALYZE=$1
for tool in igzip sha256sum /usr/bin/time debootstrap tar gzip; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run tools/install-deps.sh"; exit 1; }
done
WORK=$(mktemp -d /tmp/regscan-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
CACHE=${REGSCAN_E2E_CACHE:-$HOME/.cache/regscan}/debian12-minbase.tar
ROOT=$WORK/root
mkdir -p "$ROOT"
if [ -f "$CACHE" ]; then
  tar -C "$ROOT" -xf "$CACHE"
else
  MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources)
  debootstrap --variant=minbase --components=main bookworm "$ROOT" "$MIRROR" >/dev/null
fi

# A real Debian tree, then copies of its own /usr until the
# layer reaches the size: the dpkg database is where a real one is.
make_layer() { # target-compressed-MB out
  local target=$1 out=$2 i=0
  rm -rf "$ROOT/opt/filler" && mkdir -p "$ROOT/opt/filler"
  # Real files compress about 3:1: grow the tree first, gzip once.
  while [ $(( $(du -sbx "$ROOT" | cut -f1) / 1048576 )) -lt $((target * 3)) ]; do
    i=$((i + 1))
    mkdir -p "$ROOT/opt/filler/$i"
    cp -a "$ROOT/usr" "$ROOT/opt/filler/$i/"
  done
  tar -C "$ROOT" --numeric-owner -cf - . | gzip -6 >"$out" # as docker does
}

measure() { # label command...
  local label=$1; shift
  /usr/bin/time -v "$@" >/dev/null 2>"$WORK/time"
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{print $2}' "$WORK/time")
  rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$WORK/time")
  printf '%-34s wall %8s   peak RSS %7d KiB\n' "$label" "$wall" "$rss"
}

for size in 50 200; do
  make_layer "$size" "$WORK/layer.tar.gz"
  mb=$(( $(stat -c %s "$WORK/layer.tar.gz") / 1048576 ))
  raw=$(( $(igzip -dc "$WORK/layer.tar.gz" | wc -c) / 1048576 ))
  echo "layer: ${mb} MiB gzip, ${raw} MiB tar"
  igzip -dc "$WORK/layer.tar.gz" >/dev/null # warm the page cache for both
  for run in 1 2; do
    measure "  igzip -dc | sha256sum (floor)" sh -c "igzip -dc '$WORK/layer.tar.gz' | sha256sum"
    measure "  regscan-analyze --summary" "$ANALYZE" --summary "$WORK/layer.tar.gz"
    measure "  regscan-analyze --summary --secrets" "$ANALYZE" --summary --secrets "$WORK/layer.tar.gz"
  done
done
