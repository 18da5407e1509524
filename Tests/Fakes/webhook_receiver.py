#!/usr/bin/env python3
"""A partner's webhook receiver for the end-to-end tests, checking every delivery with the
`standardwebhooks` package from PyPI (an implementation of the signing scheme that is not ours).

    python3 Tests/Fakes/webhook_receiver.py --port N

Creates (once) a virtual environment with `standardwebhooks` at $WEBHOOK_VENV or
Tests/Fakes/.venv-webhooks and re-runs itself inside it; prints `listening on PORT` when ready.

Control routes (JSON):
  POST /_control/secrets  {"secrets": ["whsec_..."]}   secrets a delivery may verify with
  POST /_control/answers  {"statuses": [500, 410, ...], "headers": {...}}  the next answers, in order
                                                          (then 200)
  GET  /_control/received                              every delivery: headers, body, verified, status
Any other POST is a delivery: verified, recorded, answered.
"""
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.abspath(os.environ.get("WEBHOOK_VENV") or os.path.join(HERE, ".venv-webhooks"))


def ensure_venv():
    if os.path.abspath(sys.prefix) == VENV:
        return
    python = os.path.join(VENV, "bin", "python")
    ready = os.path.exists(python) and subprocess.call(
        [python, "-c", "import standardwebhooks"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0
    if not ready:
        print(f"creating {VENV} with standardwebhooks from PyPI", file=sys.stderr, flush=True)
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([os.path.join(VENV, "bin", "pip"), "install", "--quiet", "standardwebhooks"])
    os.execv(python, [python] + sys.argv)


ensure_venv()
import standardwebhooks  # noqa: E402  (inside the venv only)

LOCK = threading.Lock()
STATE = {"secrets": [], "answers": [], "answer_headers": {}, "received": []}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_control/received":
            with LOCK:
                body = json.dumps(STATE["received"]).encode()
            return self.reply(200, body)
        self.reply(404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.startswith("/_control/"):
            message = json.loads(raw or b"{}")
            with LOCK:
                if self.path == "/_control/secrets":
                    STATE["secrets"] = message.get("secrets", [])
                elif self.path == "/_control/answers":
                    STATE["answers"] = list(message.get("statuses", []))
                    STATE["answer_headers"] = message.get("headers", {})
                else:
                    return self.reply(404)
            return self.reply(200, b"{}")
        headers = {name.lower(): value for name, value in self.headers.items()}
        verified_with = []
        errors = []
        with LOCK:
            secrets = list(STATE["secrets"])
        for index, secret in enumerate(secrets):
            try:
                standardwebhooks.Webhook(secret).verify(raw, headers)
                verified_with.append(index)
            except Exception as error:  # noqa: BLE001 (the library raises its own types)
                errors.append(f"{type(error).__name__}: {error}")
        with LOCK:
            status = STATE["answers"].pop(0) if STATE["answers"] else 200
            extra = STATE["answer_headers"] if status != 200 else {}
            STATE["received"].append({
                "path": self.path, "headers": headers, "body": raw.decode("utf-8", "replace"),
                "verifiedWith": verified_with, "errors": errors, "answered": status,
            })
        self.reply(status, b"{}", extra)


def main():
    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
