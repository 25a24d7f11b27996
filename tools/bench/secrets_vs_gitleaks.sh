#!/usr/bin/env bash
# Secret scanning: regscan's scanner against gitleaks 8.16 (from Debian 13),
# same files, same run. Prints MB/s per core (tree bytes / CPU seconds) for
# both, peak RSS, and precision/recall of both on the labelled corpus.
#   tools/bench/secrets_vs_gitleaks.sh build/tests/bench/secrets_bench
# Scratch space: $SECRETS_BENCH_DIR (default BUILD_DIR/secrets-bench), gitleaks
# unpacked in $GITLEAKS_ROOT (default its gitleaks folder); the Debian 12 tree
# from $REGSCAN_E2E_CACHE (default BUILD_DIR/e2e-cache, as the e2e tests make it).
set -euo pipefail
bench=$(readlink -f "${1:?usage: $0 path/to/secrets_bench}")
build_dir=$(dirname "$bench")/../..
work=${SECRETS_BENCH_DIR:-$build_dir/secrets-bench}
gl_root=${GITLEAKS_ROOT:-$work/gitleaks}
cache=${REGSCAN_E2E_CACHE:-$build_dir/e2e-cache}
gitleaks=$gl_root/usr/bin/gitleaks
mkdir -p "$work"

# gitleaks 8.16 is in Debian 13 (trixie): a scratch apt dir with a trixie
# sources list, `apt-get download`, `dpkg-deb -x`. Nothing is installed.
if [ ! -x "$gitleaks" ]; then
  apt_dir=$work/apt-trixie
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  echo "deb http://deb.debian.org/debian trixie main" > "$apt_dir/sources.list"
  opts=(-o Dir::Etc::sourcelist="$apt_dir/sources.list" -o Dir::Etc::sourceparts=/nonexistent
        -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" -o Debug::NoLocking=1)
  apt-get "${opts[@]}" update >/dev/null
  (cd "$apt_dir" && apt-get "${opts[@]}" download gitleaks >/dev/null)
  mkdir -p "$gl_root"
  dpkg-deb -x "$apt_dir"/gitleaks_*.deb "$gl_root"
fi

# The tree: a Debian 12 minbase root, a Node application, the corpus.
tree=$work/tree
corpus=$work/corpus
if [ ! -d "$tree/usr" ]; then
  mkdir -p "$tree"
  if [ -f "$cache/debian12-minbase.tar" ]; then
    tar -xf "$cache/debian12-minbase.tar" -C "$tree" --exclude='./dev/*'
  else
    debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >/dev/null
    tar -C "$work/rootfs" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf - . | tar -xf - -C "$tree"
  fi
  mkdir -p "$tree/srv/legacy-app" "$tree/srv/app"
  if compgen -G "$cache/npm-app-*.tar" >/dev/null; then
    tar -xf "$(ls "$cache"/npm-app-*.tar | head -1)" -C "$tree/srv/legacy-app"
  fi
  (cd "$tree/srv/app" && echo '{"name":"bench-app","version":"1.0.0","private":true}' > package.json &&
    npm install --no-audit --no-fund --silent express lodash react react-dom axios moment >/dev/null)
fi
rm -rf "$corpus" "$tree/srv/corpus"
"$bench" corpus "$corpus" "$work/labels.tsv"
cp -a "$corpus" "$tree/srv/corpus"

# Warm the page cache so that both tools read from memory.
find "$tree" -type f -exec cat {} + > /dev/null

cpu_of() { awk -F': ' '/User time/{u=$2} /System time/{s=$2} END{printf "%.2f", u+s}' "$1"; }
rss_of() { awk -F': ' '/Maximum resident/{print $2}' "$1"; }
bytes=$(find "$tree" -type f -printf '%s\n' | awk '{s+=$1} END{print s}')

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%F)"
echo "== tree: $tree, $(find "$tree" -type f | wc -l) files, $((bytes / 1000000)) MB"

echo "== gitleaks $("$gitleaks" version 2>/dev/null || true) (Debian 8.16.0-1+b12) over the tree"
/usr/bin/time -v "$gitleaks" detect --no-git --no-banner --exit-code 0 -s "$tree" \
  -r "$work/gitleaks-tree.json" -f json -l error 2> "$work/gitleaks-tree.time" || true
gl_cpu=$(cpu_of "$work/gitleaks-tree.time")
echo "gitleaks: CPU ${gl_cpu} s, peak RSS $(rss_of "$work/gitleaks-tree.time") KiB, $(python3 -c "import json;print(len(json.load(open('$work/gitleaks-tree.json'))))") findings"

for engine in hyperscan re2; do
  echo "== regscan secrets_bench ($engine) over the tree"
  arg=; [ "$engine" = re2 ] && arg=re2
  /usr/bin/time -v "$bench" scan "$tree" "$work/regscan-tree-$engine.tsv" $arg 2> "$work/regscan-$engine.time"
  echo "whole process: CPU $(cpu_of "$work/regscan-$engine.time") s, peak RSS $(rss_of "$work/regscan-$engine.time") KiB"
done
python3 - "$bytes" "$gl_cpu" "$work/regscan-hyperscan.time" "$work/regscan-re2.time" <<'EOF'
import sys, re
bytes_, gl_cpu = int(sys.argv[1]), float(sys.argv[2])
def cpu(p):
    t = open(p).read()
    return float(re.search(r"User time.*: ([\d.]+)", t)[1]) + float(re.search(r"System time.*: ([\d.]+)", t)[1])
print(f"MB/s per core, whole process: gitleaks {bytes_/1e6/gl_cpu:.1f}")
for name, p in (("hyperscan", sys.argv[3]), ("re2", sys.argv[4])):
    c = cpu(p)
    print(f"  regscan {name}: {bytes_/1e6/c:.1f} MB/s per core, {gl_cpu/c:.1f}x gitleaks")
EOF

echo "== precision and recall on the corpus ($corpus)"
"$gitleaks" detect --no-git --no-banner --exit-code 0 -s "$corpus" -r "$work/gitleaks-corpus.json" -f json -l error || true
"$bench" scan "$corpus" "$work/regscan-corpus.tsv" > /dev/null
python3 - "$work/labels.tsv" "$work/gitleaks-corpus.json" "$work/regscan-corpus.tsv" "$corpus" <<'EOF'
import json, os, sys
labels = {}
for line in open(sys.argv[1]):
    path, ln, kind = line.rstrip("\n").split("\t")
    labels[(path, int(ln))] = kind
def score(name, found):
    hit = sum(1 for k in labels if k in found)
    tp = sum(1 for f in found if f in labels)
    p = tp / len(found) if found else 0
    r = hit / len(labels)
    missed = sorted({labels[k] for k in labels if k not in found})
    print(f"{name}: {len(found)} findings (distinct file:line), precision {p:.3f}, recall {r:.3f}")
    print(f"  kinds missed: {', '.join(missed) if missed else 'none'}")
    fps = sorted(f for f in found if f not in labels)
    for f in fps[:15]:
        print(f"  false alarm: {f[0]}:{f[1]}")
root = sys.argv[4].rstrip("/") + "/"
gl = set()
for f in json.load(open(sys.argv[2])):
    path = f["File"][len(root):] if f["File"].startswith(root) else os.path.relpath(f["File"], root)
    gl.add((path, int(f["StartLine"])))
score("gitleaks 8.16", gl)
ours = set()
for line in open(sys.argv[3]):
    path, ln, _ = line.rstrip("\n").split("\t")
    ours.add((path, int(ln)))
score("regscan", ours)
EOF
