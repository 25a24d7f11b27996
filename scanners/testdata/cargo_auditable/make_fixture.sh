#!/usr/bin/env bash
# cargo-auditable is not packaged for Debian 12, so the section it would add is
# made by hand: the JSON (auditable-serde's VersionInfo: packages with name,
# version, source, dependencies as indexes, root) zlib-compressed and added
# as .dep-v0 with objcopy to a tiny binary built by rustc.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
echo 'fn main() { println!("hi"); }' > "$tmp/hello.rs"
rustc -C opt-level=z -C strip=symbols -C prefer-dynamic "$tmp/hello.rs" -o "$tmp/hello"
python3 - "$here/dep-v0.json" "$tmp/dep-v0" <<'PY'
import sys, zlib
open(sys.argv[2], "wb").write(zlib.compress(open(sys.argv[1], "rb").read().strip(), 9))
PY
objcopy --add-section .dep-v0="$tmp/dep-v0" --set-section-flags .dep-v0=noload,readonly \
  "$tmp/hello" "$here/hello-auditable"
cp "$tmp/hello" "$here/hello-plain"
rm -rf "$tmp"
