#!/usr/bin/env python3
"""The independent computation the end-to-end tests check regscan against.

Reads what is installed in a root filesystem with the ecosystems' own tools or
formats (dpkg-query; package-lock.json and node_modules; dist-info and
egg-info metadata; `go version -m`), the OSV records from the all.zip files,
and decides each range with the ecosystem's reference ordering:
`dpkg --compare-versions`, node-semver (npm, Go and every SEMVER range) and
python3-packaging (PyPI). Shares no code with regscan.

  expected_findings.py ROOTFS ALL_ZIP ECOSYSTEM
      Debian only (ECOSYSTEM e.g. Debian:12): one "ADVISORY PACKAGE" line per
      matching record.
  expected_findings.py --compare REPORTED_JSON --osv DIR --os Debian:12 [--require ECO]... ROOT...
      Every ecosystem in the image whose layers are the ROOT folders (no
      whiteouts), compared with `regscanctl image show IMG --vulns --json`.
      Exit status 1 when they differ.
"""
import argparse
import email.parser
import functools
import glob
import json
import os
import subprocess
import sys
import zipfile

from packaging.version import InvalidVersion, Version


# --- version orderings: each ecosystem's reference implementation -------------

@functools.lru_cache(maxsize=None)
def dpkg_cmp(a, b):
    if subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0:
        return -1
    return 0 if subprocess.run(["dpkg", "--compare-versions", a, "eq", b]).returncode == 0 else 1


class NodeSemver:
    """node-semver's compare(), in one long-running node process."""
    SCRIPT = r"""
const semver = require('semver');
require('readline').createInterface({input: process.stdin}).on('line', line => {
  const [a, b] = JSON.parse(line);
  process.stdout.write(JSON.stringify(semver.compare(a, b)) + '\n');
});
"""

    def __init__(self):
        env = dict(os.environ, NODE_PATH="/usr/share/nodejs")  # Debian's node-semver
        self.proc = subprocess.Popen(["node", "-e", self.SCRIPT], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)

    @functools.lru_cache(maxsize=None)
    def cmp(self, a, b):
        self.proc.stdin.write(json.dumps([a, b]) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())


@functools.lru_cache(maxsize=None)
def pep440_cmp(a, b):
    va, vb = Version(a), Version(b)
    return (va > vb) - (va < vb)


# --- OSV evaluation ----------------------------------------------------------------

def in_range(version, events, cmp):
    """Walks the events in their listed order: introduced opens an interval,
    fixed (exclusive) or last_affected (inclusive) closes it; an interval left
    open runs to the end. limit events bound every interval from above."""
    limits = [e["limit"] for e in events if "limit" in e]
    if limits and not any(l == "*" or cmp(version, l) < 0 for l in limits):
        return False
    start = None
    for e in events:
        if "introduced" in e:
            start = e["introduced"]
            continue
        if start is None or not ("fixed" in e or "last_affected" in e):
            continue
        above = start == "0" or cmp(version, start) >= 0
        if above and ("fixed" in e and cmp(version, e["fixed"]) < 0 or
                      "last_affected" in e and cmp(version, e["last_affected"]) <= 0):
            return True
        start = None
    return start is not None and (start == "0" or cmp(version, start) >= 0)


def match(rec, ecosystem, name, version, cmp, semver_cmp, key=str):
    """The fixed version ("" when none) if `rec` affects name@version, else None.
    The fix is the lowest fixed event above the version among the ranges that
    contain it, or, for a version found only in a versions list, among every
    range of that entry. GIT ranges are ignored."""
    if rec.get("withdrawn"):
        return None
    hit = False
    contain, listed = [], []
    for aff in rec.get("affected", []):
        pkg = aff.get("package", {})
        if pkg.get("ecosystem") != ecosystem or key(pkg.get("name", "")) != key(name):
            continue
        ranges = [(r, semver_cmp if r["type"] == "SEMVER" else cmp)
                  for r in aff.get("ranges", []) if r.get("type") in ("SEMVER", "ECOSYSTEM")]
        inside = [(r, c) for r, c in ranges if in_range(version, r["events"], c)]
        if inside:
            contain += inside
            hit = True
        elif any(v == version or safe_cmp(cmp, v, version) == 0 for v in aff.get("versions", [])):
            listed += ranges
            hit = True
    if not hit:
        return None
    fixed = ""
    for r, c in contain or listed:
        for e in r["events"]:
            f = e.get("fixed")
            if f and c(f, version) > 0 and (not fixed or c(f, fixed) < 0):
                fixed = f
    return fixed


def safe_cmp(cmp, a, b):
    try:
        return cmp(a, b)
    except (InvalidVersion, ValueError):
        return None


def pep503(name):
    out, run = "", False
    for ch in name.lower():
        if ch in "-_.":
            run = True
            continue
        out += ("-" if run and out else "") + ch
        run = False
    return out


def records(all_zip):
    with zipfile.ZipFile(all_zip) as z:
        return [json.loads(z.read(n)) for n in z.namelist()]


# --- what is installed -------------------------------------------------------------

def dpkg_packages(rootfs):
    """(binary name, binary version, source name, source version) of installed packages."""
    out = subprocess.run(
        ["dpkg-query", "--admindir=" + rootfs + "/var/lib/dpkg", "-W", "-f",
         "${db:Status-Abbrev}|${Package}|${Version}|${source:Package}|${source:Version}\n"],
        check=True, stdout=subprocess.PIPE, text=True).stdout
    for line in out.splitlines():
        status, name, version, src, src_version = line.split("|")
        if status.startswith("ii"):
            yield name, version, src, src_version


def dpkg_owned(rootfs):
    owned = set()
    for lst in glob.glob(rootfs + "/var/lib/dpkg/info/*.list"):
        with open(lst) as f:
            owned.update(line.strip().lstrip("/") for line in f)
    return owned


def npm_packages(root):
    """(name, version, file) from package-lock.json "packages" and from
    node_modules/<name>/package.json, at any depth."""
    for lock in glob.glob(root + "/**/package-lock.json", recursive=True):
        if "/node_modules/" in lock:
            continue
        for path, p in json.load(open(lock)).get("packages", {}).items():
            if path and "version" in p:
                yield path.rsplit("node_modules/", 1)[1], p["version"], lock
    for pj in glob.glob(root + "/**/node_modules/**/package.json", recursive=True):
        parts = os.path.relpath(pj, root).split("/")
        # node_modules/<name>/package.json or node_modules/@scope/<name>/package.json
        if parts[-3] == "node_modules" or (len(parts) > 3 and parts[-4] == "node_modules" and parts[-3].startswith("@")):
            p = json.load(open(pj))
            if "name" in p and "version" in p:
                yield p["name"], p["version"], pj


def python_packages(root):
    """(name, version, file) from *.dist-info/METADATA and *.egg-info (file or PKG-INFO)."""
    for d in glob.glob(root + "/**/*-packages/*.*-info", recursive=True):
        meta = d + "/METADATA" if d.endswith(".dist-info") else (d + "/PKG-INFO" if os.path.isdir(d) else d)
        if os.path.isfile(meta):
            msg = email.parser.Parser().parse(open(meta, errors="replace"), headersonly=True)
            yield msg["Name"], msg["Version"], meta


def go_packages(root):
    """(module, version, file) of every Go binary by `go version -m`; the
    toolchain as module stdlib, versions without their "go" or "v"."""
    for path in files(root):
        if os.path.islink(path) or not os.access(path, os.X_OK):
            continue
        with open(path, "rb") as f:
            # Only ELF files with Go's build info section are worth a `go` run.
            if f.read(4) != b"\x7fELF" or b"\xff Go buildinf:" not in f.read():
                continue
        lines = subprocess.run(["go", "version", "-m", path], stdout=subprocess.PIPE,
                               text=True, check=True).stdout.splitlines()
        yield "stdlib", lines[0].split(": ", 1)[1].removeprefix("go"), path
        for line in lines[1:]:
            f = line.split()
            if f[0] == "dep" and f[2] != "(devel)":
                yield f[1], f[2].removeprefix("v"), path


@functools.lru_cache(maxsize=None)
def files(root):
    return [os.path.join(d, n) for d, _, names in os.walk(root) for n in names]


# --- merging, as the issue asks: one finding per vulnerability and package ---------

def merged(findings, cmps):
    """Findings of one package (ecosystem, name, version) that share an id or
    an alias are one. Which id regscan keeps is its choice, so a group is
    compared by all its names (ids and aliases) and by its fix: the highest of
    the group, no fix beating any version.
    Returns {(ecosystem, package, version, names, fixed)}."""
    groups = {}  # (ecosystem, package, version) -> list of [names, fixes]
    for eco, pkg, version, names, fixed in findings:
        bucket = groups.setdefault((eco, pkg, version), [])
        joined = [g for g in bucket if g[0] & names]
        new = [set(names), [fixed]]
        for g in joined:
            bucket.remove(g)
            new[0] |= g[0]
            new[1] += g[1]
        bucket.append(new)
    out = set()
    for (eco, pkg, version), bucket in groups.items():
        for names, fixes in bucket:
            cmp = cmps[eco]
            best = fixes[0]
            for f in fixes[1:]:
                if best and (not f or cmp(f, best) > 0):
                    best = f
            out.add((eco, pkg, version, frozenset(names), best))
    return out


def expected(roots, osv, os_eco):
    semver = NodeSemver()
    cmps = {os_eco: dpkg_cmp, "npm": semver.cmp, "Go": semver.cmp, "PyPI": pep440_cmp}
    owned = set()
    for r in roots:
        owned |= dpkg_owned(r)
    found = []

    def add(rec, eco, pkg, version, fixed):
        found.append((eco, pkg, version, frozenset([rec["id"], *rec.get("aliases", [])]), fixed))

    for root in roots:
        if not os.path.isdir(root + "/var/lib/dpkg"):
            continue
        by_source = {}
        for name, version, src, src_version in dpkg_packages(root):
            by_source.setdefault(src, []).append((name, version, src_version))
        for rec in records(osv + "/Debian/all.zip"):
            for src in {a["package"]["name"] for a in rec.get("affected", [])} & by_source.keys():
                for name, version, src_version in by_source[src]:
                    fixed = match(rec, os_eco, src, src_version, dpkg_cmp, semver.cmp)
                    if fixed is not None:
                        add(rec, os_eco, name, version, fixed)

    def language(eco, packages, cmp, key=str):
        # A file owned by an OS package leaves the package to that OS package.
        installed = {(n, v) for root in roots for n, v, f in packages(root)
                     if os.path.relpath(f, root) not in owned}
        names = {key(n) for n, _ in installed}
        for rec in records(osv + "/" + eco + "/all.zip"):
            if not {key(a["package"]["name"]) for a in rec.get("affected", [])} & names:
                continue
            for n, v in installed:
                fixed = match(rec, eco, n, v, cmp, semver.cmp, key)
                if fixed is not None:
                    add(rec, eco, n, v, fixed)

    language("npm", npm_packages, semver.cmp)
    language("PyPI", python_packages, pep440_cmp, pep503)  # names per PEP 503 on both sides
    language("Go", go_packages, semver.cmp)
    return merged(found, cmps), cmps


def reported(path):
    return [(f["ecosystem"], f["package"], f["installed_version"],
             frozenset([f["id"], *f["aliases"]]), f["fixed_version"])
            for entry in json.load(open(path)) for f in entry.get("vulnerabilities", [])]


def compare(args):
    want, cmps = expected(args.roots, args.osv, args.os)
    listed = reported(args.compare)
    got = set(listed)
    show = lambda f: f"{f[0]} {f[1]} {f[2]} [{' '.join(sorted(f[3]))}] fixed={f[4] or '-'}"
    for eco in sorted({f[0] for f in want | got}):
        print(f"   {eco}: expected {sum(f[0] == eco for f in want)}, reported {sum(f[0] == eco for f in listed)}")
    for f in sorted(want - got, key=show)[:30]:
        print("  missing:", show(f))
    for f in sorted(got - want, key=show)[:30]:
        print("  extra:  ", show(f))
    # regscan merges before it reports: merging again must change nothing.
    unmerged = len(got) != len(listed) or merged(listed, cmps) != got
    if unmerged:
        print("  regscan reports more than one finding of one package for one vulnerability")
    empty = [eco for eco in args.require if not any(f[0] == eco for f in want)]
    if empty:
        print("  no expected findings for", " ".join(empty), "- the check would prove nothing")
    return 0 if want == got and not unmerged and not empty else 1


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--compare":
        ap = argparse.ArgumentParser()
        ap.add_argument("--compare", required=True)
        ap.add_argument("--osv", required=True)
        ap.add_argument("--os", required=True)
        ap.add_argument("--require", action="append", default=[],
                        help="an ecosystem that must have expected findings")
        ap.add_argument("roots", nargs="+")
        sys.exit(compare(ap.parse_args()))
    rootfs, all_zip, ecosystem = sys.argv[1:4]
    by_source = {}
    for name, _, src, src_version in dpkg_packages(rootfs):
        by_source.setdefault(src, []).append((name, src_version))
    findings = set()
    for rec in records(all_zip):
        for src in {a["package"]["name"] for a in rec.get("affected", [])} & by_source.keys():
            for name, src_version in by_source[src]:
                if match(rec, ecosystem, src, src_version, dpkg_cmp, None) is not None:
                    findings.add((rec["id"], name))
    for rec_id, name in sorted(findings):
        print(rec_id, name)


if __name__ == "__main__":
    main()
