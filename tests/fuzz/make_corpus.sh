#!/usr/bin/env bash
# Seed corpora for the fuzz targets, from the repository's real test data:
#   make_corpus.sh <source dir> <corpus dir> <fuzz_record_seeds binary>
# Targets that read a selector byte first get it prepended here.
set -euo pipefail
src=$1 out=$2 record_seeds=$3
td=$src/scanners/testdata
mkdir -p "$out"

# seed <target> <selector byte, or "" for none> <name> <file>
seed() {
  local dir=$out/$1
  mkdir -p "$dir"
  if [[ -n $2 ]]; then
    { printf "\\x$(printf %02x "$2")"; cat "$4"; } > "$dir/$3"
  else
    cp "$4" "$dir/$3"
  fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Layers: small trees of real package databases, as plain tar, gzip and zstd.
for tree in dpkg apk python composer gem npm/app runtime; do
  name=${tree//\//_}
  tar -C "$td" --format=gnu -cf "$tmp/$name.tar" "$tree"
  tar -C "$td" --format=pax -cf "$tmp/$name.pax.tar" "$tree"
  gzip -9 -c "$tmp/$name.tar" > "$tmp/$name.tar.gz"
  zstd -q -19 -c "$tmp/$name.pax.tar" > "$tmp/$name.tar.zst"
  for f in "$tmp/$name.tar" "$tmp/$name.pax.tar" "$tmp/$name.tar.gz" "$tmp/$name.tar.zst"; do
    seed fuzz_layer_tar 63 "$(basename "$f")" "$f"
  done
done

for f in "$td"/osv_record/*.json; do seed fuzz_osv_record "" "$(basename "$f")" "$f"; done

# Versions: neighbouring lines of each ecosystem's ordered list, with the
# selector of fuzz_versions' scheme table.
pairs() { # <file> <selector> <name>
  local n=0 prev=""
  while IFS= read -r line && ((n < 40)); do
    [[ -z $line || $line == \#* ]] && continue
    if [[ -n $prev ]]; then
      printf '%s\n%s' "$prev" "$line" > "$tmp/pair"
      seed fuzz_versions "$2" "$3-$n" "$tmp/pair"
      n=$((n + 1))
    fi
    prev=${line%%[[:space:]]*}
  done < "$1"
}
pairs "$td/versions/alpine.txt" 0 apk
pairs "$td/versions/maven.txt" 2 maven
pairs "$td/versions/maven.txt" 3 nuget
pairs "$td/versions/packagist.txt" 4 packagist
pairs "$td/versions/packagist.txt" 5 php
pairs "$td/versions/pypi.txt" 6 pep440
pairs "$td/versions/rpm.txt" 7 rpmvercmp
pairs "$td/versions/rpm.txt" 8 rpm
pairs "$td/versions/rubygems.txt" 9 rubygems
pairs "$td/versions/npm.txt" 10 semver
pairs "$td/versions/go.txt" 11 go
sed -n 's/^Version: //p' "$td/dpkg/status" > "$tmp/debian.txt"
pairs "$tmp/debian.txt" 1 debian

# Catalogers: the selector is the index in fuzz_catalogers' table.
c=fuzz_catalogers
seed $c 0 dpkg-status "$td/dpkg/status"
for f in "$td"/dpkg/status.d/*; do seed $c 1 "status.d-$(basename "$f")" "$f"; done
seed $c 3 apk-installed "$td/apk/installed"
seed $c 4 rpmdb.sqlite "$td/rpm/rpmdb.sqlite"
seed $c 5 rpm-Packages "$td/rpm/Packages"
seed $c 6 rpm-Packages.db "$td/rpm/Packages.db"
seed $c 7 package-lock "$td/npm/app/package-lock.json"
i=0
while IFS= read -r f; do
  case $(basename "$f") in
    package-lock.json) sel=7 ;; yarn.lock) sel=8 ;; pnpm-lock.yaml) sel=9 ;; *) continue ;;
  esac
  seed $c $sel "npm-gen-$i-$(basename "$f")" "$f"
  i=$((i + 1))
done < <(find "$td/npm" -type f | sort)
for f in "$td"/npm/app/node_modules/*/package.json; do
  seed $c 10 "package.json-$(basename "$(dirname "$f")")" "$f"
done
for f in $(find "$td/python" -name METADATA); do seed $c 11 "METADATA-$(basename "$(dirname "$f")")" "$f"; done
for f in $(find "$td/python" -name PKG-INFO); do seed $c 12 "PKG-INFO-$(basename "$(dirname "$f")")" "$f"; done
for f in "$td"/cargo_auditable/hello-*; do
  seed $c 13 "go-$(basename "$f")" "$f"
  seed $c 18 "cargo-$(basename "$f")" "$f"
done
for f in "$td"/java/*.jar "$td"/java/*.war "$td"/java/*.ear; do seed $c 14 "java-$(basename "$f")" "$f"; done
for f in $(find "$td/gem" -name '*.gemspec'); do seed $c 15 "gem-$(basename "$f")" "$f"; done
for f in "$td"/composer/*.json; do seed $c 16 "composer-$(basename "$f")" "$f"; done
seed $c 17 dotnet-deps "$td/dotnet/app.deps.json"
seed $c 19 go-VERSION "$td/runtime/usr/local/go/VERSION"
seed $c 20 patchlevel.h "$(find "$td/runtime" -name patchlevel.h | head -1)"
seed $c 21 java-release "$td/runtime/opt/java/openjdk/release"

# Secret rules: our own gitleaks-format examples (tests/fuzz/seeds).
for f in "$src"/tests/fuzz/seeds/secret_rules/*; do seed fuzz_secret_rules "" "$(basename "$f")" "$f"; done
for f in "$src"/tests/fuzz/seeds/control_request/*; do seed fuzz_control_request "" "$(basename "$f")" "$f"; done
for f in "$src"/tests/fuzz/seeds/registry_headers/*; do
  base=$(basename "$f")
  seed fuzz_registry_headers "${base%%-*}" "$base" "$f"
done

for f in "$src"/tests/fuzz/seeds/manifests/*; do seed fuzz_manifests "" "$(basename "$f")" "$f"; done
for f in "$src"/tests/fuzz/seeds/secret_scan/* "$src"/tests/fuzz/seeds/secret_rules/*; do
  seed fuzz_secret_scan "" "$(basename "$f")" "$f"
done
for f in "$src"/tests/fuzz/seeds/malware_signatures/*; do
  base=$(basename "$f")
  seed fuzz_malware_signatures "${base%%-*}" "$base" "$f"
done

mkdir -p "$out/fuzz_record_codecs"
"$record_seeds" "$out/fuzz_record_codecs"
