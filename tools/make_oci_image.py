#!/usr/bin/env python3
"""Builds an OCI image layout from root filesystem folders, one gzip layer per
folder, without docker: the test-image tool of regscan's end-to-end tests.

  make_oci_image.py --out DIR --tag TAG [--truncate-last-layer N]
                    [--claim-diff-id I=DIGEST] [--env K=V] [--label K=V]
                    [--step TEXT] ROOTFS [ROOTFS...]

The layout can then be pushed with `skopeo copy oci:DIR:TAG docker://...`.
--truncate-last-layer keeps only the first N bytes of the last layer's gzip
stream: a blob that is valid for the registry but a broken layer for a scanner.
--claim-diff-id writes DIGEST as the diffID of layer I (from 0) in the config:
an image that lies about its layers' content.
--env and --label set the config's Env and Labels; --step adds a build step
that makes no layer (as ARG or ENV do) after the first layer's step. A file
named .wh.NAME in a folder is an OCI whiteout of NAME in the layers below.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys


def write_blob(out, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(out, "blobs", "sha256", digest)
    with open(path, "wb") as f:
        f.write(data)
    return "sha256:" + digest, len(data)


def tar_folder(rootfs):
    # Sorted, numeric owners: the same folder always gives the same layer.
    tar = subprocess.run(["tar", "--sort=name", "--numeric-owner", "-C", rootfs, "-cf", "-", "."],
                         check=True, stdout=subprocess.PIPE).stdout
    gz = subprocess.run(["gzip", "-n", "-c"], input=tar, check=True, stdout=subprocess.PIPE).stdout
    return tar, gz


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--tag", required=True)
    ap.add_argument("--truncate-last-layer", type=int, default=0)
    ap.add_argument("--claim-diff-id", action="append", default=[])
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--label", action="append", default=[])
    ap.add_argument("--step", action="append", default=[])
    ap.add_argument("--created", default="2026-01-01T00:00:00Z", help="the config's created field, as given")
    ap.add_argument("rootfs", nargs="+")
    args = ap.parse_args()

    os.makedirs(os.path.join(args.out, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(args.out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)

    layers, diff_ids, history = [], [], []
    for i, rootfs in enumerate(args.rootfs):
        tar, gz = tar_folder(rootfs)
        if args.truncate_last_layer and i == len(args.rootfs) - 1:
            gz = gz[: args.truncate_last_layer]
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        digest, size = write_blob(args.out, gz)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       "digest": digest, "size": size})
        history.append({"created": "2026-01-01T00:00:00Z",
                        "created_by": "make_oci_image.py: add " + os.path.basename(rootfs.rstrip("/"))})

    for text in reversed(args.step):
        history.insert(1, {"created": "2026-01-01T00:00:00Z", "created_by": text,
                           "empty_layer": True})

    for claim in args.claim_diff_id:
        index, digest = claim.split("=", 1)
        diff_ids[int(index)] = digest

    config = {
        "created": args.created,
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["/bin/bash"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    if args.env:
        config["config"]["Env"] = args.env
    if args.label:
        config["config"]["Labels"] = dict(kv.split("=", 1) for kv in args.label)
    config_digest, config_size = write_blob(args.out, json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": config_size},
        "layers": layers,
    }
    manifest_digest, manifest_size = write_blob(args.out, json.dumps(manifest).encode())
    index = {
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": manifest_digest, "size": manifest_size,
                       "annotations": {"org.opencontainers.image.ref.name": args.tag}}],
    }
    with open(os.path.join(args.out, "index.json"), "w") as f:
        json.dump(index, f)
    print(manifest_digest)


if __name__ == "__main__":
    sys.exit(main())
