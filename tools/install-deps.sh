#!/usr/bin/env bash
# Installs every Debian 12 package that regscan's build and tests need.
set -euo pipefail
packages=(
  # build
  g++ cmake make pkg-config ccache
  libcaf-dev libboost1.81-dev libsimdjson-dev librocksdb-dev libspdlog-dev
  libgtest-dev libgmock-dev libisal-dev libzstd-dev libzip-dev libcli11-dev
  libtomlplusplus-dev libssl-dev zlib1g-dev libsqlite3-dev
  libre2-dev  # secret rules: RE2 everywhere
  libclamav-dev libyara-dev  # malware: ClamAV signatures and YARA rules
  clamav  # clamscan, the malware benchmark's reference
  libyaml-dev  # pnpm-lock.yaml and yarn berry's yarn.lock (scanners/lang/yaml_stream.hpp)
  zipcmp zipmerge ziptool  # libzip's CMake config checks that these exist
  clang-14 libclang-rt-14-dev  # fuzz targets (-DREGSCAN_FUZZ=ON): libFuzzer, ASan, UBSan
  # tests: a real registry, image tools and reference implementations
  docker-registry skopeo debootstrap apache2-utils python3 curl ca-certificates
  dpkg gzip zstd tar openssl
  debian-archive-keyring  # truth_test.sh: debootstrap of Debian 11 and 13 as well as 12
  libyaml-cpp-dev  # `make yaml_lock_bench`: the YAML library it was measured against
  isal time  # `make bench`: igzip as the floor, /usr/bin/time -v for peak RSS
  faketime  # e2e ops_test: regscand started days later, so a scheduled scan was missed
  # version-ordering references: librpm, packaging, node-semver, Maven, RubyGems,
  # composer/semver
  python3-rpm python3-packaging nodejs node-semver maven default-jre-headless ruby
  php-cli php-composer-semver
  rpm  # the reference reader for the rpmdb tests (sqlite and bdb_ro backends)
  golang-go npm  # language catalogers: a real Go binary and `go version -m`; `npm ls` as the truth
  # findings_test.sh: PyPI metadata of old upstream versions, a real Go module to vendor
  python3-pip python3-cryptography python3-yaml python3-requests python3-werkzeug
  golang-golang-x-net-dev
  python3-jsonschema  # report tests: SARIF and CycloneDX files against their published schemas
  # the service: systemd-analyze (unit checks), help2man (man pages), dpkg-dev
  # (CPack's dpkg-shlibdeps), promtool from prometheus (the metrics' parser)
  systemd help2man dpkg-dev prometheus bash-completion
)
# Hyperscan (secret scanning's fast first pass) is packaged for x86-64 only;
# elsewhere the build falls back to RE2 alone.
[ "$(dpkg --print-architecture)" = amd64 ] && packages+=(libhyperscan-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
  [ "$p" = npm ] && command -v npm >/dev/null && continue  # NodeSource's nodejs ships npm itself
  missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

# The CVSS v4.0 reference of tests/scanners/cvss_test.cpp, which Debian
# does not package: ae-cvss-calculator from the npm registry, kept in a
# cache folder so that the test runs offline afterwards.
node_dir=${REGSCAN_NODE_DIR:-$HOME/.cache/regscan/node}
if [ ! -f "$node_dir/node_modules/ae-cvss-calculator/package.json" ]; then
  mkdir -p "$node_dir"
  npm install --prefix "$node_dir" --no-save --no-audit --no-fund ae-cvss-calculator@1.0.13 ||
    echo "install-deps: ae-cvss-calculator not installed; the CVSS v4.0 differential test will skip" >&2
fi
