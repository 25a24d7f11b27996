#!/usr/bin/env python3
"""Writes a ClamAV database container (.cvd/.cld/.cud layout) from signature
files, for tests: a 512-byte header

    ClamAV-VDB:<build time>:<version>:<signatures>:<functionality level>:<md5>:<dsig>:<builder>:<build time, unix seconds>

padded with spaces, then a plain (uncompressed) tar of COPYING, <name>.info
(the header line, then "<file>:<size>:<sha256>" for each member) and the
signature files.

libclamav loads such a file as a .cud (an unsigned container). As a .cld it
is refused: libclamav checks the .info's DSIG line against ClamAV's own key,
which only ClamAV's builders hold; `--dsig` adds a made-up one to show that.

    make_clamav_db.py --out daily.cud --version 27001 --built 1733000000 daily.hdb daily.ndb
"""
import argparse
import hashlib
import io
import os
import tarfile
import time


def count_signatures(data):
    return sum(1 for line in data.decode("latin-1").splitlines() if line.strip() and not line.startswith("#"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--version", type=int, required=True)
    ap.add_argument("--built", type=int, default=int(time.time()), help="unix seconds")
    ap.add_argument("--flevel", type=int, default=90)
    ap.add_argument("--dsig", action="store_true", help="add a made-up DSIG line to the .info")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()

    members = [(os.path.basename(f), open(f, "rb").read()) for f in a.files]
    sigs = sum(count_signatures(data) for _, data in members)
    when = time.strftime("%d %b %Y %H-%M +0000", time.gmtime(a.built))

    def header(md5):
        return f"ClamAV-VDB:{when}:{a.version}:{sigs}:{a.flevel}:{md5}:{'x' * 64}:regscan-test:{a.built}"

    base = os.path.basename(a.out).rsplit(".", 1)[0]
    info = header("0" * 32) + "\n"
    info += "".join(f"{name}:{len(data)}:{hashlib.sha256(data).hexdigest()}\n" for name, data in members)
    if a.dsig:
        info += "DSIG:" + "A" * 86 + "\n"
    entries = [("COPYING", b"test signatures, made by tools/make_clamav_db.py\n"),
               (base + ".info", info.encode())] + members
    body = io.BytesIO()
    with tarfile.open(fileobj=body, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in entries:
            i = tarfile.TarInfo(name)
            i.size = len(data)
            i.mtime = a.built
            t.addfile(i, io.BytesIO(data))
    body = body.getvalue()
    head = header(hashlib.md5(body).hexdigest()).encode().ljust(512, b" ")
    assert len(head) == 512
    with open(a.out, "wb") as f:
        f.write(head + body)


if __name__ == "__main__":
    main()
