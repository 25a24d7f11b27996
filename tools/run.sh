#!/usr/bin/env bash
# Builds regscan and runs regscand in the foreground on its embedded default:
# RocksDB under ./var, control socket ./var/regscand.sock, metrics on 127.0.0.1:9464.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
exec build/tools/regscand --config config/regscan.toml "$@"
