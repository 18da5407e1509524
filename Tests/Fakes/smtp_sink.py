#!/usr/bin/env python3
"""A local SMTP sink for the vendor-notification tests: a real SMTP server (aiosmtpd, from PyPI,
in the virtual environment vendor_venv.py makes) that keeps every message it accepts.

    python3 Tests/Fakes/smtp_sink.py --out DIR [--port N] [--fail-first N] [--starttls CERT KEY]

Prints `listening on PORT` when ready. Each accepted message is written to DIR/NNNN.json:
{"mailFrom", "rcptTos", "from", "to", "subject", "messageId", "text", "tls", "raw"} with the
text part decoded (quoted-printable and all). --fail-first N answers the first N messages with
`451 4.3.0` after their data (a relay that cannot take them now). --starttls offers STARTTLS
with that certificate and key.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vendor_venv import ensure_venv  # noqa: E402

ensure_venv()

import asyncio  # noqa: E402
import email  # noqa: E402
import email.policy  # noqa: E402
import json  # noqa: E402
import socket  # noqa: E402
import ssl  # noqa: E402
import threading  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402


def argument(name, default=None, count=1):
    if name not in sys.argv:
        return default
    index = sys.argv.index(name)
    values = sys.argv[index + 1:index + 1 + count]
    return values[0] if count == 1 else values


class Sink:
    def __init__(self, out, fail_first):
        self.out = out
        self.fail_first = fail_first
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            number = self.count
        if number <= self.fail_first:
            return "451 4.3.0 Try again later (test sink)"
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        record = {
            "mailFrom": envelope.mail_from,
            "rcptTos": envelope.rcpt_tos,
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "messageId": str(message["Message-ID"]),
            "date": str(message["Date"]),
            "text": body.get_content() if body is not None else "",
            "tls": session.ssl is not None,
            "raw": (envelope.original_content or envelope.content).decode("utf-8", "replace"),
        }
        path = os.path.join(self.out, f"{number:04d}.json")
        with open(path + ".tmp", "w") as handle:
            json.dump(record, handle)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 Ok: queued as test-%04d" % number


def main():
    out = argument("--out")
    if not out:
        sys.exit("--out DIR is required")
    os.makedirs(out, exist_ok=True)
    port = int(argument("--port", "0"))
    if port == 0:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    options = {}
    tls = argument("--starttls", count=2)
    if tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tls[0], tls[1])
        options = {"tls_context": context, "require_starttls": False}
    controller = Controller(Sink(out, int(argument("--fail-first", "0"))), hostname="127.0.0.1", port=port,
                            server_hostname="sink.test", **options)
    controller.start()
    print(f"listening on {port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
