#!/usr/bin/env python3
"""Layers and images of the benchmark harness (tools/bench/harness.sh), made
without docker and without extracting anything to disk: each layer is one tar
stream written here, gzipped by igzip into a blob file, and pushed to a
docker-registry with the OCI distribution API.

  bench_images.py layer OUT.gz [--tar FILE] [--dir PATH=PREFIX] [--million N]
                  [--random-bytes N]          -> prints the layer's JSON
  bench_images.py push REGISTRY REPO:TAG LAYER.gz.json...
  bench_images.py fleet REGISTRY COUNT BASE.gz.json,... APP=PATH=PREFIX,...
  bench_images.py blobs REGISTRY REPO:TAG     -> one layer URL a line

A layer's JSON (written next to the blob as OUT.gz.json) holds its digest,
diff_id, size, files and tar bytes. `fleet` pushes COUNT images, each on one
of the bases, with its own small app layer (one of the APP trees plus a file
of its own, a planted secret among them).
"""
import gzip
import hashlib
import http.client
import io
import json
import os
import random
import subprocess
import sys
import tarfile
import urllib.parse


class HashingWriter:
    """Counts and hashes what passes to the wrapped stream (the diff_id)."""

    def __init__(self, out):
        self.out, self.sha, self.bytes = out, hashlib.sha256(), 0

    def write(self, data):
        self.sha.update(data)
        self.bytes += len(data)
        self.out.write(data)
        return len(data)


def add_tree(tar, path, prefix):
    # Sorted and with numeric owners, as a build tool would write it.
    files = 0
    for root, dirs, names in os.walk(path):
        dirs.sort()
        rel = os.path.relpath(root, path)
        arc_root = prefix if rel == "." else os.path.join(prefix, rel)
        if rel != ".":
            tar.add(root, arcname=arc_root, recursive=False)
        for name in sorted(names) + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            full = os.path.join(root, name)
            tar.add(full, arcname=os.path.join(arc_root, name), recursive=False)
            files += 1
    return files


def add_cached_tar(tar, path):
    # A tree from the e2e cache, copied member by member (no /dev nodes).
    files = 0
    with tarfile.open(path) as src:
        for m in src:
            if m.name.startswith("./dev/") or m.ischr() or m.isblk():
                continue
            tar.addfile(m, src.extractfile(m) if m.isfile() else None)
            files += 1
    return files


def ustar_header(name, size):
    # A regular file's ustar header: mode 0644, owner 0:0, a fixed mtime.
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"0000644\0"
    h[108:116] = h[116:124] = b"0000000\0"
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"%011o\0" % 1767225600
    h[148:156] = b" " * 8
    h[156:157] = b"0"
    h[257:265] = b"ustar\x0000"
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def add_million(tar, count):
    # COUNT small text files (16..400 bytes), 1,000 a folder. The headers are
    # written here: tarfile's own per-member path takes a minute a million.
    r = random.Random(1)
    words = [b"alpha", b"beta", b"gamma", b"delta", b"config", b"value", b"node", b"cache"]
    bodies = [b" ".join(r.choice(words) for _ in range(r.randint(3, 60))) + b"\n" for _ in range(997)]
    out = tar.fileobj
    for i in range(count):
        body = bodies[i % len(bodies)]
        padded = body + bytes(-len(body) % 512)
        out.write(ustar_header(b"data/d%04d/f%03d.txt" % (i // 1000, i % 1000), len(body)) + padded)
        tar.offset += 512 + len(padded)
    return count


def add_random(tar, total):
    # Incompressible files of 1 to 64 MiB until TOTAL bytes.
    r = random.Random(2)
    done, i = 0, 0
    while done < total:
        size = min(total - done, r.randint(1, 64) << 20)
        info = tarfile.TarInfo(f"srv/blobs/blob{i:04d}.bin")
        info.size, info.mtime, info.mode = size, 1767225600, 0o644
        tar.addfile(info, io.BytesIO(r.randbytes(size)))
        done += size
        i += 1
    return i


def file_sha256(path):
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
    return "sha256:" + sha.hexdigest()


def make_layer(args):
    out = args[0]
    with open(out, "wb") as blob:
        gz = subprocess.Popen(["igzip", "-c"], stdin=subprocess.PIPE, stdout=blob)
        writer = HashingWriter(gz.stdin)
        files = 0
        with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            it = iter(args[1:])
            for opt in it:
                value = next(it)
                if opt == "--tar":
                    files += add_cached_tar(tar, value)
                elif opt == "--dir":
                    path, prefix = value.split("=", 1)
                    files += add_tree(tar, path, prefix)
                elif opt == "--million":
                    files += add_million(tar, int(value))
                elif opt == "--random-bytes":
                    files += add_random(tar, int(value))
                else:
                    sys.exit(f"unknown option {opt}")
        gz.stdin.close()
        if gz.wait() != 0:
            sys.exit("igzip failed")
    layer = {"digest": file_sha256(out), "diff_id": "sha256:" + writer.sha.hexdigest(),
             "size": os.path.getsize(out), "tar_bytes": writer.bytes, "files": files, "path": out}
    with open(out + ".json", "w") as f:
        json.dump(layer, f)
    print(json.dumps(layer))


class Registry:
    """The push side of the OCI distribution API, no auth (loopback)."""

    def __init__(self, address):
        self.address, self.pushed = address, {}

    def request(self, method, path, body=None, headers=None, ok=(200, 201, 202)):
        conn = http.client.HTTPConnection(self.address, timeout=600)
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if resp.status not in ok:
            raise SystemExit(f"{method} {path}: HTTP {resp.status} {data[:300]!r}")
        return resp, data

    def has_blob(self, repo, digest):
        resp, _ = self.request("HEAD", f"/v2/{repo}/blobs/{digest}", ok=(200, 404))
        return resp.status == 200

    def put_blob(self, repo, digest, size, body):
        if self.has_blob(repo, digest):
            self.pushed.setdefault(digest, repo)
            return
        # A blob pushed to another repository is mounted, not sent again.
        query = f"?mount={digest}&from={self.pushed[digest]}" if digest in self.pushed else ""
        resp, _ = self.request("POST", f"/v2/{repo}/blobs/uploads/{query}")
        if resp.status == 201:
            return
        self.pushed[digest] = repo
        location = urllib.parse.urlsplit(resp.getheader("Location"))
        sep = "&" if location.query else ""
        path = f"{location.path}?{location.query}{sep}digest={digest}"
        self.request("PUT", path, body=body,
                     headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"})

    def push_image(self, repo, tag, layers):
        # layers: dicts with digest, diff_id, size and either path or data.
        for l in layers:
            if "data" in l:
                self.put_blob(repo, l["digest"], l["size"], l["data"])
            else:
                with open(l["path"], "rb") as f:
                    self.put_blob(repo, l["digest"], l["size"], f)
        config = json.dumps({
            "created": "2026-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
            "config": {"Cmd": ["/bin/sh"], "Labels": {"bench.image": f"{repo}:{tag}"}},
            "rootfs": {"type": "layers", "diff_ids": [l["diff_id"] for l in layers]},
            "history": [{"created": "2026-01-01T00:00:00Z", "created_by": f"bench layer {i}"}
                        for i in range(len(layers))],
        }).encode()
        config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
        self.put_blob(repo, config_digest, len(config), config)
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config_digest, "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": l["digest"], "size": l["size"]} for l in layers],
        }).encode()
        self.request("PUT", f"/v2/{repo}/manifests/{tag}", body=manifest,
                     headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})


def load(path):
    with open(path) as f:
        return json.load(f)


def push(args):
    registry, ref, layer_files = Registry(args[0]), args[1], args[2:]
    repo, tag = ref.rsplit(":", 1)
    registry.push_image(repo, tag, [load(p) for p in layer_files])


def app_layer(tree_tar, i):
    # The app tree plus files of this image's own: a build id and a .env
    # with a planted (fake) AWS key, so the secret scanner has work and a hit.
    out = io.BytesIO()
    writer = HashingWriter(out)
    with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        with tarfile.open(fileobj=io.BytesIO(tree_tar)) as src:
            for m in src:
                tar.addfile(m, src.extractfile(m) if m.isfile() else None)
        key = "AKIA" + "".join(random.Random(i).choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
        for name, body in ((f"srv/app/BUILD_ID", f"build {i}\n".encode()),
                           ("srv/app/.env", f"AWS_ACCESS_KEY_ID={key}\nAPP_INSTANCE={i}\n".encode())):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(body), 1767225600, 0o644
            tar.addfile(info, io.BytesIO(body))
    data = gzip.compress(out.getvalue(), compresslevel=1, mtime=0)
    return {"digest": "sha256:" + hashlib.sha256(data).hexdigest(),
            "diff_id": "sha256:" + writer.sha.hexdigest(), "size": len(data), "data": data}


def fleet(args):
    registry, count = Registry(args[0]), int(args[1])
    bases = [load(p) for p in args[2].split(",")]
    apps = []
    for spec in args[3].split(","):
        path, prefix = spec.split("=", 1)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
            add_tree(tar, path, prefix)
        apps.append(buf.getvalue())
    for i in range(count):
        base = bases[i % len(bases)]
        app = app_layer(apps[(i // len(bases)) % len(apps)], i)
        registry.push_image(f"fleet/app{i % 20:02d}", f"v{i // 20}", [base, app])


def blobs(args):
    # The layer digests of a pushed image, for the baseline's curl.
    registry, ref = Registry(args[0]), args[1]
    repo, tag = ref.rsplit(":", 1)
    _, data = registry.request("GET", f"/v2/{repo}/manifests/{tag}",
                               headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    for l in json.loads(data)["layers"]:
        print(f"http://{args[0]}/v2/{repo}/blobs/{l['digest']}")


if __name__ == "__main__":
    commands = {"layer": make_layer, "push": push, "fleet": fleet, "blobs": blobs}
    if len(sys.argv) < 3 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])
