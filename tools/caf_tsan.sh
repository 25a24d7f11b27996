#!/usr/bin/env bash
# Builds CAF 0.17.6 (core, io, openssl) with -fsanitize=thread into <prefix>,
# for the TSan build (tools/sanitize.sh thread). Debian's libcaf_core is not
# instrumented, so TSan cannot see the synchronisation inside CAF's mailboxes
# and scheduler and reports every hand-off between actors as a race. The
# source is Debian's own tarball of the version libcaf-dev installs; the
# headers the TSan build compiles against stay /usr/include/caf (the same
# text, see the check below). About 4 minutes on 2 cores.
#   tools/caf_tsan.sh <prefix>
set -euo pipefail
prefix=$(realpath -m "$1")
version=0.17.6
tarball=actor-framework_$version.orig.tar.gz
sha256=e2bf5bd243f08bb7d8adde197cfe3e6d71314ed3378fe0692f8932f4c3b3928c
[ -e "$prefix/lib/libcaf_openssl.so" ] && exit 0
installed=$(dpkg-query -W -f '${Version}' libcaf-dev)
[[ $installed == $version-* ]] || { echo "caf_tsan.sh: libcaf-dev is $installed, not $version" >&2; exit 1; }

work=$prefix.work
mkdir -p "$work"
cd "$work"
if ! echo "$sha256  $tarball" | sha256sum -c --quiet 2>/dev/null; then
  curl -fsSL -o "$tarball" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}/pool/main/a/actor-framework/$tarball"
  echo "$sha256  $tarball" | sha256sum -c --quiet
fi
rm -rf "actor-framework-$version" build
tar xzf "$tarball"
src=$work/actor-framework-$version
# Debian's one patch to the headers: receive_buffer.hpp uses numeric_limits.
sed -i 's|#include <cstring>|#include <cstring>\n#include <limits>|' \
  "$src/libcaf_io/caf/io/network/receive_buffer.hpp"
for lib in core io openssl; do
  if diff -r "$src/libcaf_$lib/caf" /usr/include/caf | grep -q '^[<>]'; then
    echo "caf_tsan.sh: libcaf_$lib's headers differ from /usr/include/caf" >&2
    exit 1
  fi
done

cmake -S "$src" -B build -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g1 -fsanitize=thread" -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread \
      -DCAF_NO_EXAMPLES=yes -DCAF_NO_UNIT_TESTS=yes -DCAF_NO_TOOLS=yes -DCAF_NO_PYTHON=yes \
      -DCAF_NO_OPENCL=yes -DCAF_NO_SUMMARY=yes -DCAF_NO_COMPILER_CHECK=yes \
      -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
cmake --build build -j"$(nproc)"
cmake --install build >/dev/null
# The generated configuration header must say what Debian's says, or the
# objects built against /usr/include/caf would not match these libraries.
diff "$prefix/include/caf/detail/build_config.hpp" /usr/include/caf/detail/build_config.hpp
rm -rf "$work"
