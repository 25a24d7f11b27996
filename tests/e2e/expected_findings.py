#!/usr/bin/env python3
"""The independent computation the end-to-end test checks regscan against.

Reads the installed packages of a root filesystem with dpkg-query, the OSV
records of one Debian release from an all.zip, and decides each range with
`dpkg --compare-versions`. Prints one "ADVISORY PACKAGE" line per finding.

  expected_findings.py ROOTFS ALL_ZIP ECOSYSTEM   (ECOSYSTEM e.g. Debian:12)
"""
import json
import subprocess
import sys
import zipfile


def dpkg_lt(a, b):
    return subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0


def dpkg_ge(a, b):
    return subprocess.run(["dpkg", "--compare-versions", a, "ge", b]).returncode == 0


def main():
    rootfs, all_zip, ecosystem = sys.argv[1:4]
    out = subprocess.run(
        ["dpkg-query", "--admindir=" + rootfs + "/var/lib/dpkg", "-W", "-f",
         "${db:Status-Abbrev}|${Package}|${Version}|${source:Package}|${source:Version}\n"],
        check=True, stdout=subprocess.PIPE, text=True).stdout
    by_source = {}
    for line in out.splitlines():
        status, name, version, src, src_version = line.split("|")
        if not status.startswith("ii"):
            continue
        by_source.setdefault(src, []).append((name, src_version))

    findings = set()
    with zipfile.ZipFile(all_zip) as z:
        for entry in z.namelist():
            rec = json.loads(z.read(entry))
            if rec.get("withdrawn"):
                continue
            for aff in rec.get("affected", []):
                pkg = aff.get("package", {})
                if pkg.get("ecosystem") != ecosystem or pkg.get("name") not in by_source:
                    continue
                for name, src_version in by_source[pkg["name"]]:
                    hit = src_version in aff.get("versions", [])
                    for rng in aff.get("ranges", []):
                        if rng.get("type") != "ECOSYSTEM":
                            continue
                        introduced = None
                        for ev in rng.get("events", []):
                            if "introduced" in ev:
                                introduced = ev["introduced"]
                            elif "fixed" in ev and introduced is not None:
                                if (introduced == "0" or dpkg_ge(src_version, introduced)) and dpkg_lt(src_version, ev["fixed"]):
                                    hit = True
                                introduced = None
                            elif "last_affected" in ev and introduced is not None:
                                if (introduced == "0" or dpkg_ge(src_version, introduced)) and not dpkg_lt(ev["last_affected"], src_version):
                                    hit = True
                                introduced = None
                        if introduced is not None and (introduced == "0" or dpkg_ge(src_version, introduced)):
                            hit = True
                    if hit:
                        findings.add((rec["id"], name))
    for rec_id, name in sorted(findings):
        print(rec_id, name)


if __name__ == "__main__":
    main()
