#!/usr/bin/env bash
# How the rpm fixtures were made (Debian 12: apt-get install rpm db5.3-util).
# rpmdb.sqlite: written by rpm 4.18 itself from three packages built with rpmbuild.
# Packages: the same header blobs loaded into a Berkeley DB hash database by
#   Berkeley DB's own db5.3_load (key = instance number, native endian, as
#   rpm < 4.16 stores them; key 0 = the next instance, as rpm keeps it).
# Packages.db: rpm 4.18 on Debian cannot write ndb; written by ndb_write.py
#   following lib/backend/ndb/rpmpkg.c's layout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(mktemp -d)
for s in "$here"/SPECS/*.spec; do rpmbuild --define "_topdir $top" -bb "$s" >/dev/null; done
mkdir -p "$top/db"
rpm --define "_db_backend sqlite" --dbpath "$top/db" --initdb
rpm --define "_db_backend sqlite" --dbpath "$top/db" -i --nodeps --justdb --ignorearch \
  "$top"/RPMS/noarch/*.rpm
sqlite3 "$top/db/rpmdb.sqlite" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
cp "$top/db/rpmdb.sqlite" "$here/rpmdb.sqlite"
python3 "$here/bdb_dump.py" "$here/rpmdb.sqlite" > "$top/dump"
db5.3_load -f "$top/dump" "$here/Packages"
python3 "$here/ndb_write.py" "$here/rpmdb.sqlite" "$here/Packages.db"
rm -rf "$top"
