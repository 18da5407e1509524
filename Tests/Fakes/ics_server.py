#!/usr/bin/env python3
"""A local iCalendar feed for `bookiji import-ics URL` tests. Python 3 standard library only.

    python3 ics_server.py FILE [--port PORT] [--parent-pid PID]

Serves FILE (re-read on every request, so a test can change it) at every path except the
control paths below, as text/calendar with a strong ETag (SHA-256 of the bytes) and a
Last-Modified from the file's mtime. A matching If-None-Match (or, without one, an
If-Modified-Since not older than the file) gets 304 Not Modified without a body.
PORT 0 (the default) picks a free port; the port is printed alone on stdout's first line.
Binds 127.0.0.1 only. With --parent-pid the server exits when that process is gone.

Control paths:
  GET /_requests     {"requests": [{"path", "ifNoneMatch", "ifModifiedSince", "status"}, ...]}
  GET /status/NNN    answers status NNN with a short text body (for failure tests)
  GET /missing...    404
"""

import argparse
import hashlib
import json
import os
import sys
import threading
import time
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REQUESTS = []
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    feed_path = ""

    def log_message(self, format, *args):  # keep the test log quiet
        pass

    def send_body(self, status, body, content_type, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def record(self, status):
        with LOCK:
            REQUESTS.append({
                "path": self.path,
                "ifNoneMatch": self.headers.get("If-None-Match"),
                "ifModifiedSince": self.headers.get("If-Modified-Since"),
                "status": status,
            })

    def do_GET(self):
        if self.path == "/_requests":
            with LOCK:
                body = json.dumps({"requests": REQUESTS}).encode()
            self.send_body(200, body, "application/json")
            return
        if self.path.startswith("/status/"):
            status = int(self.path.split("/")[2])
            self.record(status)
            self.send_body(status, b"failure requested by the test\n", "text/plain")
            return
        if self.path.startswith("/missing"):
            self.record(404)
            self.send_body(404, b"not found\n", "text/plain")
            return
        try:
            with open(self.feed_path, "rb") as f:
                content = f.read()
            mtime = os.stat(self.feed_path).st_mtime
        except OSError:
            self.record(404)
            self.send_body(404, b"feed file missing\n", "text/plain")
            return
        etag = '"' + hashlib.sha256(content).hexdigest() + '"'
        last_modified = formatdate(int(mtime), usegmt=True)
        validators = {"ETag": etag, "Last-Modified": last_modified}
        if_none_match = self.headers.get("If-None-Match")
        if_modified_since = self.headers.get("If-Modified-Since")
        not_modified = False
        if if_none_match is not None:
            not_modified = etag in [t.strip() for t in if_none_match.split(",")] or if_none_match.strip() == "*"
        elif if_modified_since is not None:
            try:
                not_modified = int(mtime) <= parsedate_to_datetime(if_modified_since).timestamp()
            except (TypeError, ValueError):
                not_modified = False
        if not_modified:
            self.record(304)
            self.send_response(304)
            for name, value in validators.items():
                self.send_header(name, value)
            self.end_headers()
            return
        self.record(200)
        self.send_body(200, content, "text/calendar; charset=utf-8", validators)


def watch_parent(pid):
    while True:
        try:
            os.kill(pid, 0)
        except OSError:
            os._exit(0)
        time.sleep(0.5)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--parent-pid", type=int)
    args = parser.parse_args()
    Handler.feed_path = args.file
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    if args.parent_pid:
        threading.Thread(target=watch_parent, args=(args.parent_pid,), daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
