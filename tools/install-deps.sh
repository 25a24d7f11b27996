#!/usr/bin/env bash
# Installs every Debian 12 package that regscan's build and tests need.
set -euo pipefail
packages=(
  # build
  g++ cmake make pkg-config ccache
  libcaf-dev libboost1.81-dev libsimdjson-dev librocksdb-dev libspdlog-dev
  libgtest-dev libgmock-dev libisal-dev libzstd-dev libzip-dev libcli11-dev
  libtomlplusplus-dev libssl-dev zlib1g-dev
  zipcmp zipmerge ziptool  # libzip's CMake config checks that these exist
  # tests: a real registry, image tools and reference implementations
  docker-registry skopeo debootstrap apache2-utils python3 curl ca-certificates
  dpkg gzip zstd tar
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
