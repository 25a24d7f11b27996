#!/usr/bin/env python3
"""Pushes to a distribution registry, over its HTTP API alone (standard
library only), what multi-platform tooling and Helm push there:

  push_multiarch.py REGISTRY USER PASSWORD

- app:1, a Docker manifest list of linux/amd64 and linux/arm64/v8 images
  in schema 2 (as `docker manifest push` or buildx with docker media types);
- charts/demo:0.1.0, a Helm chart as an OCI artifact (as `helm push`):
  config application/vnd.cncf.helm.config.v1+json, one chart layer.

Prints one line of JSON: the list's and both platforms' digests and the
chart's digest.
"""
import base64
import gzip
import hashlib
import io
import json
import sys
import tarfile
import urllib.request

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    def __init__(self, base, user, password):
        self.base = base.rstrip("/")
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.auth = {"Authorization": "Basic " + token}

    def call(self, method, url, data=None, headers=None):
        req = urllib.request.Request(url if url.startswith("http") else self.base + url,
                                     data=data, method=method, headers={**self.auth, **(headers or {})})
        with urllib.request.urlopen(req) as r:
            return r.status, dict(r.headers), r.read()

    def blob(self, repo, data):
        digest = digest_of(data)
        _, headers, _ = self.call("POST", f"/v2/{repo}/blobs/uploads/")
        location = headers["Location"]
        if location.startswith("/"):
            location = self.base + location
        sep = "&" if "?" in location else "?"
        self.call("PUT", f"{location}{sep}digest={digest}", data,
                  {"Content-Type": "application/octet-stream"})
        return {"digest": digest, "size": len(data)}

    def manifest(self, repo, ref, media_type, body):
        data = json.dumps(body, separators=(",", ":")).encode()
        ref = ref or digest_of(data)  # None: untagged, by digest alone
        self.call("PUT", f"/v2/{repo}/manifests/{ref}", data, {"Content-Type": media_type})
        return {"mediaType": media_type, "digest": digest_of(data), "size": len(data)}


def layer(files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), digest_of(tar_bytes)


def image(reg, repo, arch, variant=None):
    gz, diff_id = layer({"etc/platform": f"linux/{arch}\n".encode()})
    blob = reg.blob(repo, gz)
    config = {"architecture": arch, "os": "linux", "created": "2024-01-02T03:04:05Z",
              "config": {"Env": ["PATH=/usr/bin"]},
              "rootfs": {"type": "layers", "diff_ids": [diff_id]},
              "history": [{"created": "2024-01-02T03:04:05Z", "created_by": "COPY platform /etc/"}]}
    if variant:
        config["variant"] = variant
    cfg = reg.blob(repo, json.dumps(config).encode())
    return reg.manifest(repo, None, DOCKER_MANIFEST, {
        "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", **cfg},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", **blob}]})


def main():
    base, user, password = sys.argv[1:4]
    reg = Registry(base, user, password)
    amd = image(reg, "app", "amd64")
    arm = image(reg, "app", "arm64", "v8")
    lst = reg.manifest("app", "1", DOCKER_LIST, {
        "schemaVersion": 2, "mediaType": DOCKER_LIST,
        "manifests": [{**amd, "platform": {"architecture": "amd64", "os": "linux"}},
                      {**arm, "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}]})
    chart_tgz, _ = layer({"demo/Chart.yaml": b"apiVersion: v2\nname: demo\nversion: 0.1.0\n"})
    chart_layer = reg.blob("charts/demo", chart_tgz)
    chart_cfg = reg.blob("charts/demo", json.dumps({"apiVersion": "v2", "name": "demo", "version": "0.1.0"}).encode())
    chart = reg.manifest("charts/demo", "0.1.0", OCI_MANIFEST, {
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", **chart_cfg},
        "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", **chart_layer}]})
    print(json.dumps({"list": lst["digest"], "amd64": amd["digest"], "arm64": arm["digest"],
                      "chart": chart["digest"]}))


if __name__ == "__main__":
    main()
