# Writes rpmdb.sqlite's header blobs as an ndb Packages.db (rpm's
# lib/backend/ndb/rpmpkg.c): header "RpmP" v0, one slot page of 16-byte slots,
# blobs at 16-byte blocks with a "BlbS" head and a "BlbE" tail, little-endian.
import sqlite3, struct, sys, zlib
rows = sqlite3.connect(sys.argv[1]).execute("select hnum, blob from Packages order by hnum").fetchall()
page = 4096
slots = bytearray(page)
struct.pack_into("<4sIII", slots, 0, b"RpmP", 0, 1, 1)
struct.pack_into("<I", slots, 16, len(rows) + 1)  # next package index
data = bytearray()
for n, (hnum, blob) in enumerate(rows):
    blob = bytes(blob)
    offset = page + len(data)
    body = struct.pack("<4sIII", b"BlbS", hnum, zlib.adler32(blob), len(blob)) + blob
    body += b"\0" * (-(len(body) + 12) % 16)
    body += struct.pack("<III", zlib.adler32(body), len(blob), int.from_bytes(b"BlbE", "little"))
    struct.pack_into("<4sIII", slots, 32 + 16 * n, b"Slot", hnum, offset // 16, len(body) // 16)
    data += body
open(sys.argv[2], "wb").write(bytes(slots) + bytes(data))
