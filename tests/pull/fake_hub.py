"""A loopback stand-in for the Hugging Face Hub, serving the paths and headers
`loom pull` uses, as the Hub does:

  GET /api/models/OWNER/NAME/revision/main?blobs=true
      {"id": ..., "sha": ..., "siblings": [{"rfilename", "size", "blobId",
      "lfs": {"sha256", "size", "pointerSize"}}]}; 404 for an unknown repo,
      401 for a private one without its token (as the Hub answers both)
  GET /OWNER/NAME/resolve/main/FILE
      302 to a CDN-like /cdn/OWNER/NAME/SHA256 with X-Linked-Etag ("sha256"),
      X-Linked-Size, X-Repo-Commit and ETag, as the Hub's resolve does for LFS files
  GET /cdn/...    the bytes; Range: bytes=N- gives 206 with Content-Range

A repo's `fault` makes its downloads misbehave: "cut" sends the headers of
the whole body but closes the connection half-way (the first request without
Range only); "corrupt" flips one byte of the body (the listing keeps the
true sha256). Every request is recorded in `Hub.requests` as
(method, path, Range header or None, Authorization header or None).
"""
import hashlib
import http.server
import json
import threading


class Repo:
    def __init__(self, files, fault=None, token=None):
        self.files = files          # name -> bytes
        self.fault = fault
        self.token = token          # a private repo's token
        self.cut_done = set()


class Hub:
    def __init__(self, repos):
        self.repos = repos          # "owner/name" -> Repo
        self.requests = []
        self.lock = threading.Lock()
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                with hub.lock:
                    hub.requests.append((self.command, self.path, self.headers.get("Range"),
                                         self.headers.get("Authorization")))
                hub.handle(self)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def take_requests(self):
        with self.lock:
            got, self.requests = self.requests, []
        return got

    # --- answers ---

    def send(self, h, status, body=b"", headers=()):
        h.send_response(status)
        for k, v in headers:
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def error(self, h, status, message):
        self.send(h, status, json.dumps({"error": message}).encode(), [("Content-Type", "application/json")])

    def repo_for(self, h, name):
        repo = self.repos.get(name)
        if repo is None:
            self.error(h, 404, "Repository not found")
            return None
        if repo.token and h.headers.get("Authorization") != "Bearer " + repo.token:
            self.error(h, 401, "Invalid credentials in Authorization header")
            return None
        return repo

    def handle(self, h):
        path = h.path.split("?")[0]
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "models"] and parts[4:6] == ["revision", "main"] and len(parts) == 6:
            return self.listing(h, parts[2] + "/" + parts[3])
        if len(parts) >= 5 and parts[2:4] == ["resolve", "main"]:
            return self.resolve(h, parts[0] + "/" + parts[1], "/".join(parts[4:]))
        if parts[0] == "cdn" and len(parts) == 4:
            return self.cdn(h, parts[1] + "/" + parts[2], parts[3])
        self.error(h, 404, "no such path")

    def listing(self, h, name):
        repo = self.repo_for(h, name)
        if repo is None:
            return
        siblings = []
        for fname, data in repo.files.items():
            siblings.append({"rfilename": fname, "size": len(data), "blobId": hashlib.sha1(data).hexdigest(),
                             "lfs": {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                                     "pointerSize": 135}})
        body = json.dumps({"_id": "0", "id": name, "sha": "0" * 40, "siblings": siblings}).encode()
        self.send(h, 200, body, [("Content-Type", "application/json; charset=utf-8")])

    def resolve(self, h, name, fname):
        repo = self.repo_for(h, name)
        if repo is None:
            return
        if fname not in repo.files:
            return self.error(h, 404, "Entry not found")
        data = repo.files[fname]
        sha = hashlib.sha256(data).hexdigest()
        self.send(h, 302, b"", [("Location", "/cdn/%s/%s" % (name, sha)), ("ETag", '"%s"' % sha),
                               ("X-Linked-Etag", '"%s"' % sha), ("X-Linked-Size", str(len(data))),
                               ("X-Repo-Commit", "0" * 40)])

    def cdn(self, h, name, sha):
        repo = self.repos.get(name)
        data = next((d for d in (repo.files.values() if repo else []) if hashlib.sha256(d).hexdigest() == sha), None)
        if data is None:
            return self.error(h, 404, "no such object")
        if repo.fault == "corrupt":
            data = data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 1]) + data[len(data) // 2 + 1:]
        rng = h.headers.get("Range")
        start = 0
        if rng:
            if not (rng.startswith("bytes=") and rng.endswith("-")):
                return self.error(h, 400, "only bytes=N- ranges here")
            start = int(rng[6:-1])
            if start >= len(data):
                return self.send(h, 416, b"", [("Content-Range", "bytes */%d" % len(data))])
        body = data[start:]
        headers = [("Accept-Ranges", "bytes"), ("ETag", '"%s"' % sha), ("Content-Type", "application/octet-stream")]
        if rng:
            headers.append(("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data))))
        if repo.fault == "cut" and not rng and sha not in repo.cut_done:
            repo.cut_done.add(sha)
            h.send_response(200)
            for k, v in headers:
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body[:len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            h.connection.shutdown(2)
            return
        self.send(h, 206 if rng else 200, body, headers)
