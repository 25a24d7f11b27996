#!/usr/bin/env python3
"""A registry in front of a registry that never sends some blobs: requests
are passed through (credentials included), except a GET of a blob whose
digest is named, which is held until the client goes away. A scan of an
image with such a layer runs until it is cancelled. With --delay SECONDS,
such a blob is only held that long, then sent.

  slow_proxy.py PORT UPSTREAM_URL [--delay SECONDS] DIGEST...
"""
import http.server
import sys
import time
import urllib.error
import urllib.request

PORT, UPSTREAM, HELD = int(sys.argv[1]), sys.argv[2].rstrip("/"), sys.argv[3:]
DELAY = None
if HELD[:1] == ["--delay"]:
    DELAY, HELD = float(HELD[1]), HELD[2:]
HELD = set(HELD)


class Proxy(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def relay(self, send_body):
        if self.command == "GET" and any(self.path.endswith("/blobs/" + d) for d in HELD):
            if DELAY is None:
                time.sleep(600)  # held: the client gives up (or is cancelled) first
                return
            time.sleep(DELAY)
        req = urllib.request.Request(UPSTREAM + self.path, method=self.command)
        for k in ("Authorization", "Accept", "Range"):
            if self.headers.get(k):
                req.add_header(k, self.headers[k])
        try:
            resp = urllib.request.urlopen(req, timeout=30)
        except urllib.error.HTTPError as e:
            resp = e
        body = resp.read()
        self.send_response(resp.status if hasattr(resp, "status") else resp.code)
        for k, v in resp.headers.items():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def do_GET(self):
        self.relay(True)

    def do_HEAD(self):
        self.relay(False)


http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Proxy).serve_forever()
