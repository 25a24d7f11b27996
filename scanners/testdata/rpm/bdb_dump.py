# Prints rpmdb.sqlite's header blobs in db_dump's bytevalue format for db_load.
import sqlite3, struct, sys
rows = sqlite3.connect(sys.argv[1]).execute("select hnum, blob from Packages order by hnum").fetchall()
print("VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=4096\nHEADER=END")
print(" " + struct.pack("<I", 0).hex())
print(" " + struct.pack("<I", len(rows) + 1).hex())
for hnum, blob in rows:
    print(" " + struct.pack("<I", hnum).hex())
    print(" " + bytes(blob).hex())
print("DATA=END")
