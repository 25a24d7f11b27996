#!/usr/bin/env python3
"""Harbor 1.10's listing API (/api, swagger 1.x) in front of a real
distribution registry, answering the way Harbor 1.10 does (standard library
only):

  harbor110_fixture.py PORT REGISTRY USER PASSWORD

- /api/projects (and ?name=, a substring search): one project, "library";
- /api/repositories?project_id=1: every repository of the registry's catalog;
- /api/repositories/<repo>/tags: the registry's tags, each with the
  `digest` Harbor 1.10 reports: the answer to a manifest GET that accepts
  Docker schema 2 only. distribution rewrites a manifest list to its
  linux/amd64 child for such a client and refuses OCI manifests, so a list's
  tag carries the amd64 child's digest and an OCI tag carries "". Times
  Harbor cannot tell are Go's zero time.
Basic auth with the registry's own user, as Harbor's API takes it.
"""
import base64
import json
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, REGISTRY, USER, PASSWORD = int(sys.argv[1]), sys.argv[2].rstrip("/"), sys.argv[3], sys.argv[4]
AUTH = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
ZERO = "0001-01-01T00:00:00Z"


def registry(path, accept=None):
    headers = {"Authorization": AUTH}
    if accept:
        headers["Accept"] = accept
    try:
        with urllib.request.urlopen(urllib.request.Request(REGISTRY + path, headers=headers)) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, b""


class Harbor(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body, total=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if total is not None:
            self.send_header("X-Total-Count", str(total))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.headers.get("Authorization") != AUTH:
            return self.reply(401, {"code": 401, "message": "UnAuthorize"})
        path, _, query = self.path.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        if path == "/api/projects":
            projects = [{"project_id": 1, "name": "library", "creation_time": ZERO}]
            if "name" in params:
                projects = [p for p in projects if params["name"] in p["name"]]
            page = int(params.get("page", "1"))
            return self.reply(200, projects if page == 1 else [], len(projects))
        if path == "/api/repositories" and params.get("project_id") == "1":
            _, _, body = registry("/v2/_catalog")
            repos = [{"id": i + 1, "name": n, "project_id": 1}
                     for i, n in enumerate(json.loads(body)["repositories"])]
            page = int(params.get("page", "1"))
            return self.reply(200, repos if page == 1 else [], len(repos))
        if path.startswith("/api/repositories/") and path.endswith("/tags"):
            repo = path[len("/api/repositories/"):-len("/tags")]
            status, _, body = registry(f"/v2/{repo}/tags/list")
            if status != 200:
                return self.reply(404, {"code": 404, "message": "repository not found"})
            out = []
            for tag in json.loads(body).get("tags") or []:
                status, headers, _ = registry(f"/v2/{repo}/manifests/{tag}",
                                              "application/vnd.docker.distribution.manifest.v2+json")
                digest = headers.get("Docker-Content-Digest", "") if status == 200 else ""
                out.append({"digest": digest, "name": tag, "size": 0, "architecture": "", "os": "",
                            "created": ZERO, "push_time": ZERO, "pull_time": ZERO})
            return self.reply(200, out)
        return self.reply(404, {"code": 404, "message": "not found"})


ThreadingHTTPServer(("127.0.0.1", PORT), Harbor).serve_forever()
