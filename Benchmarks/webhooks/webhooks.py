#!/usr/bin/env python3
"""Receiver, event driver and report of Benchmarks/webhooks/run.sh (standard library only).

  webhooks.py receive --port P --secret whsec_... --out RECORDS.tsv
                      [--fail-percent F] [--max-failures-per-event K] [--seed S]
  webhooks.py drive   --base URL --partner-key KEY --vendors FILE --first-day EPOCH --events N
                      --prefix NAME --out STATS.json [--clients C] [--start-index I] [--rate R]
  webhooks.py report  --phase NAME --events N --records RECORDS.tsv --expected EXPECTED.tsv
                      --deliveries DELIVERIES.tsv --load STATS.json [--target-ms 1000] [--latency-target]

receive: a partner's webhook receiver, one thread per connection (HTTP/1.1 keep-alive, TCP_NODELAY). Every
POST is a delivery: its Standard Webhooks signature is checked with hmac (webhook-id,
webhook-timestamp, body; the secret after `whsec_`), and it is answered 500 with probability F%
(drawn from a seeded generator), except that one event id is never failed more than K times
(default 5: its attempt K+1 succeeds whatever the draw; see run.sh), and 200 otherwise. For each
request it keeps: its arrival order and wall-clock time (taken when the request has been read,
before the answer), the answer, webhook-id, event, reservationId, sequence, the signature's
verdict and the client's port (one per connection). GET /_control/stats answers counts as JSON;
POST /_control/reset forgets what came so far. At SIGTERM it writes every record to --out and exits.

drive: C threads, one keep-alive connection each to nginx, turn reservations into events:
POST /v1/reservations (reservation.created), POST /v1/vendor/reservations/{id}/confirm with the
vendor's key (reservation.vendor_confirmed), POST /v1/reservations/{id}/cancel
(reservation.cancelled): three events a reservation, sequences 1, 2, 3, back to back; the last
reservation takes fewer steps when N is not a multiple of 3. Reservation i gets vendor i mod V and
its own 30-minute slot (as Benchmarks/bookings does); requesterId is PREFIX-i. With --rate R the
steps start at most R a second in all (paced, open loop); 0 (default): as fast as the clients go.

report: joins what the receiver got with the events the database holds for the phase (outbox rows
of the reservation.* topics: id, reservation, sequence, occurredAt) and with webhook_deliveries,
prints the phase's figures, and exits 3 when a check fails (or, with --latency-target, when the
p99 from commit to delivery is not under --target-ms).
"""

import argparse
import base64
import bisect
import collections
import hashlib
import hmac
import http.client
import json
import os
import random
import signal
import sys
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bookings"))
from bookings import Client, iso, percentile  # noqa: E402  (the bookings driver's HTTP client and helpers)


def log(message):
    sys.stderr.write("webhooks.py: %s\n" % message)
    sys.stderr.flush()


# MARK: receive


class Receiver:
    def __init__(self, args):
        self.key = base64.b64decode(args.secret.split("_", 1)[1])
        self.fail = args.fail_percent / 100.0
        self.max_failures = args.max_failures_per_event
        self.random = random.Random(args.seed)
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.records = []
            self.failures = collections.Counter()
            self.ok_ids = set()
            self.bad_signatures = 0

    def verify(self, headers, body):
        try:
            signed = b"%s.%s.%s" % (headers.get("webhook-id", "").encode(), headers.get("webhook-timestamp", "").encode(), body)
            expected = base64.b64encode(hmac.new(self.key, signed, hashlib.sha256).digest()).decode()
            return any(part.startswith("v1,") and hmac.compare_digest(part[3:], expected)
                       for part in headers.get("webhook-signature", "").split())
        except (ValueError, TypeError):
            return False

    def deliver(self, headers, body, client_port):
        now = time.time()
        verified = self.verify(headers, body)
        try:
            event = json.loads(body)
        except ValueError:
            event = {}
        webhook_id = headers.get("webhook-id", "")
        with self.lock:
            if (self.fail > 0 and self.failures[webhook_id] < self.max_failures
                    and self.random.random() < self.fail):
                status = 500
                self.failures[webhook_id] += 1
            else:
                status = 200
                self.ok_ids.add(webhook_id)
            if not verified:
                self.bad_signatures += 1
            self.records.append((len(self.records), now, status, webhook_id, event.get("event", ""),
                                 event.get("reservationId", ""), event.get("sequence", 0), int(verified), client_port))
        return status

    def stats(self):
        with self.lock:
            return {"requests": len(self.records), "distinctOk": len(self.ok_ids),
                    "failed": sum(1 for r in self.records if r[2] != 200), "badSignatures": self.bad_signatures}

    def write(self, path):
        with self.lock, open(path, "w") as f:
            for r in self.records:
                f.write("%d\t%.6f\t%d\t%s\t%s\t%s\t%s\t%d\t%d\n" % r)


def receive(args):
    receiver = Receiver(args)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The answer goes out in two writes (head, then body): with Nagle's algorithm on, the body
        # waited for the sender's delayed ACK of the head, 40 ms an answer, which capped a worker
        # at concurrency / 44 ms (360 deliveries/s at 16) whatever the sender did.
        disable_nagle_algorithm = True

        def log_message(self, *_):
            pass

        def reply(self, status, body=b"{}"):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/_control/stats":
                return self.reply(200, json.dumps(receiver.stats()).encode())
            self.reply(404)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/_control/reset":
                receiver.reset()
                return self.reply(200)
            headers = {name.lower(): value for name, value in self.headers.items()}
            self.reply(receiver.deliver(headers, body, self.client_address[1]))

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    print("listening on %d" % server.server_address[1], flush=True)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    receiver.write(args.out)
    return 0


# MARK: drive


class Drive:
    STEPS = ("hold", "confirm", "cancel")

    def __init__(self, args):
        self.args = args
        with open(args.vendors) as f:
            self.vendors = [line.split() for line in f if line.strip()]
        self.reservations = (args.events + 2) // 3
        self.lock = threading.Lock()
        self.next = 0
        self.stop = threading.Event()
        self.latency = collections.defaultdict(list)
        self.status = collections.Counter()
        self.errors = []
        self.events = 0
        self.pace_next = None

    def slot(self, index):
        vendor_id, vendor_key = self.vendors[index % len(self.vendors)]
        day, nth = divmod(index // len(self.vendors), self.args.slots)
        start = self.args.first_day + day * 86400 + self.args.open + nth * self.args.slot
        return vendor_id, vendor_key, start, start + self.args.slot

    def pace(self):
        if not self.args.rate:
            return
        with self.lock:
            now = time.monotonic()
            if self.pace_next is None or self.pace_next < now - 1:
                self.pace_next = now
            due = self.pace_next
            self.pace_next += 1.0 / self.args.rate
        if due > now:
            time.sleep(due - now)

    def call(self, client, step, expected, method, path, key, body=None):
        self.pace()
        started = time.monotonic()
        try:
            status, text = client.send(method, path, key=key, body=body)
        except (OSError, http.client.HTTPException) as error:
            status, text = 0, repr(error).encode()
        with self.lock:
            self.latency[step].append(time.monotonic() - started)
            self.status["%s %d" % (step, status)] += 1
            if status == expected:
                self.events += 1
            elif len(self.errors) < 50:
                self.errors.append({"step": step, "status": status, "body": text[:300].decode("utf-8", "replace")})
        return status == expected, text

    def reservation(self, client, n):
        steps = min(3, self.args.events - 3 * n)
        index = self.args.start_index + n
        vendor_id, vendor_key, start, end = self.slot(index)
        ok, text = self.call(client, "hold", 201, "POST", "/v1/reservations", self.args.partner_key, {
            "vendorId": vendor_id, "slotStartTime": iso(start), "slotEndTime": iso(end),
            "requesterId": "%s-%d" % (self.args.prefix, index)})
        if not ok or steps < 2:
            return
        reservation = json.loads(text)["reservationId"]
        ok, _ = self.call(client, "confirm", 200, "POST", "/v1/vendor/reservations/%s/confirm" % reservation, vendor_key)
        if ok and steps > 2:
            self.call(client, "cancel", 200, "POST", "/v1/reservations/%s/cancel" % reservation, self.args.partner_key)

    def client_loop(self):
        client = Client(self.args.base)
        try:
            while not self.stop.is_set():
                with self.lock:
                    n = self.next
                    if n >= self.reservations:
                        return
                    self.next += 1
                self.reservation(client, n)
        except Exception as error:  # a driver bug must not pass as a quiet thread
            with self.lock:
                self.errors.append({"step": "driver", "status": 0, "body": repr(error)})
            self.stop.set()
            raise
        finally:
            client.close()

    def run(self):
        signal.signal(signal.SIGTERM, lambda *_: self.stop.set())
        cpu0, wall0 = os.times(), time.time()
        threads = [threading.Thread(target=self.client_loop) for _ in range(self.args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(0.2)
        cpu1, wall1 = os.times(), time.time()
        steps = {step: {"count": len(v), "p50_ms": round(percentile(v, 50) * 1000, 2), "p99_ms": round(percentile(v, 99) * 1000, 2)}
                 for step, v in sorted(self.latency.items(), key=lambda kv: self.STEPS.index(kv[0]))}
        stats = {"started": wall0, "ended": wall1, "events": self.events, "reservations": self.next,
                 "next_index": self.args.start_index + self.reservations, "status": dict(self.status), "steps": steps,
                 "errors": self.errors, "driver_cpu_s": round((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system), 2)}
        with open(self.args.out, "w") as f:
            json.dump(stats, f, indent=1)
        return 1 if any(e["step"] == "driver" for e in self.errors) else 0


# MARK: report


def epoch(rfc3339):
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def report(args):
    with open(args.load) as f:
        load = json.load(f)
    expected = {}  # event id -> (reservation, sequence, committed epoch, topic)
    for line in open(args.expected):
        event_id, reservation, sequence, occurred, topic = line.rstrip("\n").split("\t")
        expected[event_id] = (reservation, int(sequence), epoch(occurred), topic)
    db = collections.Counter()
    db_attempts = 0
    queued = {}  # event id -> when the fan-out queued its delivery (webhook_deliveries.created_at)
    for line in open(args.deliveries):
        event_id, status, attempts, created = line.rstrip("\n").split("\t")
        db[status] += 1
        db_attempts += int(attempts)
        queued[event_id] = float(created)
    records = []
    for line in open(args.records):
        index, t, status, webhook_id, event, reservation, sequence, verified, port = line.rstrip("\n").split("\t")
        records.append((int(index), float(t), int(status), webhook_id, int(verified), int(port)))

    checks = []  # (name, ok, detail)

    def check(name, ok, detail):
        checks.append((name, ok, detail))

    first_ok = {}  # event id -> (arrival index, time)
    ok_count = collections.Counter()
    attempts = collections.Counter()
    attempt_times = collections.defaultdict(list)  # event id -> arrival indexes of every attempt
    failed = bad_signatures = unexpected = 0
    ports = set()
    for index, t, status, webhook_id, verified, port in records:
        ports.add(port)
        if webhook_id not in expected:
            unexpected += 1
            continue
        attempts[webhook_id] += 1
        attempt_times[webhook_id].append(index)
        bad_signatures += 0 if verified else 1
        if 200 <= status < 300:
            ok_count[webhook_id] += 1
            first_ok.setdefault(webhook_id, (index, t))
        else:
            failed += 1

    n = len(expected)
    missing = [e for e in expected if e not in first_ok]
    check("events", n == args.events and load["events"] == args.events,
          "%d asked for, %d caused by the driver (answers as expected), %d in the outbox for the phase"
          % (args.events, load["events"], n))
    check("every event delivered", not missing and db["pending"] == 0 and db["failed"] == 0,
          "%d of %d received with a 2xx at least once; database: %s"
          % (n - len(missing), n, ", ".join("%s %d" % kv for kv in sorted(db.items())) or "no deliveries")
          + ("; missing e.g. %s" % ", ".join(sorted(missing)[:5]) if missing else ""))
    check("signatures", bad_signatures == 0, "%d of %d requests failed the Standard Webhooks check"
          % (bad_signatures, len(records) - unexpected))
    check("nothing unexpected", unexpected == 0, "%d requests for ids that are not the phase's events" % unexpected)

    # Order: per reservation, each event's first success comes after the previous event's, and no
    # attempt of an event comes before the previous event's first success (what the sender promises:
    # a later event waits until the earlier one succeeded or finally failed).
    by_reservation = collections.defaultdict(list)
    for event_id, (reservation, sequence, _, _) in expected.items():
        by_reservation[reservation].append((sequence, event_id))
    reordered, early_attempts, gaps, examples = 0, 0, 0, []
    for reservation, events in by_reservation.items():
        events.sort()
        if [s for s, _ in events] != list(range(1, len(events) + 1)):
            gaps += 1
        bad = False
        for (s0, e0), (s1, e1) in zip(events, events[1:]):
            if e0 not in first_ok or e1 not in first_ok:
                continue
            if first_ok[e1][0] < first_ok[e0][0]:
                bad = True
            early = sum(1 for i in attempt_times[e1] if i < first_ok[e0][0])
            early_attempts += early
            bad = bad or early > 0
            if (early or first_ok[e1][0] < first_ok[e0][0]) and len(examples) < 5:
                examples.append("%s: sequence %d (%s) %s before sequence %d (%s) succeeded" % (
                    reservation, s1, e1, "succeeded" if first_ok[e1][0] < first_ok[e0][0] else "was attempted", s0, e0))
        reordered += bad
    check("per-reservation order", reordered == 0,
          "%d reservations; %d with an event received before its predecessor succeeded (%d such attempts)"
          % (len(by_reservation), reordered, early_attempts) + "".join("\n      " + x for x in examples))
    check("sequences", gaps == 0, "%d reservations whose sequences are not 1, 2, ... without gaps" % gaps)

    duplicates = {e: c - 1 for e, c in ok_count.items() if c > 1}
    retries = collections.Counter(min(c, 9) for c in attempts.values())

    latencies = sorted(first_ok[e][1] - expected[e][2] for e in first_ok)
    to_queue = sorted(queued[e] - expected[e][2] for e in expected if e in queued)
    from_queue = sorted(first_ok[e][1] - queued[e] for e in first_ok if e in queued)
    committed = sorted(v[2] for v in expected.values())
    delivered = sorted(t for _, t in first_ok.values())
    out = []

    def pct(p):
        return 1000 * percentile(latencies, p) if latencies else float("nan")
    if delivered:
        span = delivered[-1] - delivered[0]
        commit_span = committed[-1] - committed[0]
        # Events committed but not yet delivered, at its largest (sampled at each commit).
        backlog = max(bisect.bisect_right(committed, c) - bisect.bisect_right(delivered, c) for c in committed)
        out.append("  committed   %d events in %.1f s: %.0f/s (driver: %d clients%s; steps %s)" % (
            n, commit_span, n / commit_span if commit_span else float("nan"), args.clients,
            ", paced at %s/s" % args.rate if args.rate else "",
            ", ".join("%s p50 %.1f/p99 %.1f ms" % (k, v["p50_ms"], v["p99_ms"]) for k, v in load["steps"].items())))
        out.append("  delivered   %d first deliveries in %.1f s: %.0f/s; first commit -> last delivery %.1f s; "
                   "largest backlog %d events" % (len(delivered), span, len(delivered) / span if span else float("nan"),
                                                  delivered[-1] - committed[0], backlog))
        out.append("  latency     commit -> first 2xx at the receiver: p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms"
                   % (pct(50), pct(90), pct(99), 1000 * latencies[-1]))
        if to_queue and from_queue:
            out.append("              of which commit -> queued by the fan-out p50 %.0f/p99 %.0f ms, queued -> received "
                       "p50 %.0f/p99 %.0f ms" % (1000 * percentile(to_queue, 50), 1000 * percentile(to_queue, 99),
                                                  1000 * percentile(from_queue, 50), 1000 * percentile(from_queue, 99)))
    out.append("  requests    %d to the receiver (%d answered 500: %.1f%%) over %d connections; attempts per event: %s"
               % (len(records) - unexpected, failed, 100.0 * failed / max(1, len(records) - unexpected), len(ports),
                  ", ".join("%s %d" % ("%d" % k if k < 9 else "9+", v) for k, v in sorted(retries.items()))))
    out.append("  sender      webhook_deliveries: %s; attempts recorded %d (receiver saw %d)"
               % (", ".join("%s %d" % kv for kv in sorted(db.items())), db_attempts, len(records) - unexpected))
    out.append("  duplicates  %d events received with a 2xx more than once (%d extra copies)%s"
               % (len(duplicates), sum(duplicates.values()),
                  "; e.g. " + ", ".join("%s x%d" % (e, c + 1) for e, c in sorted(duplicates.items())[:5]) if duplicates else ""))
    if args.latency_target:
        p99 = pct(99)
        check("p99 commit -> delivery", latencies and p99 < args.target_ms,
              "%.0f ms (target < %d ms)" % (p99, args.target_ms))
    print("\n".join(out))
    for name, ok, detail in checks:
        print("  %-10s  %-24s %s: %s" % ("check" if name != "p99 commit -> delivery" else "target", name,
                                        "ok" if ok else "FAILED", detail))
    return 0 if all(ok for _, ok, _ in checks) else 3


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("receive")
    rec.add_argument("--port", type=int, required=True)
    rec.add_argument("--secret", required=True)
    rec.add_argument("--fail-percent", type=float, default=0)
    rec.add_argument("--max-failures-per-event", type=int, default=5)
    rec.add_argument("--seed", type=int, default=13)
    rec.add_argument("--out", required=True)
    drv = sub.add_parser("drive")
    drv.add_argument("--base", required=True)
    drv.add_argument("--partner-key", required=True)
    drv.add_argument("--vendors", required=True, help="file of 'vendor-id vendor-key' lines")
    drv.add_argument("--first-day", type=int, required=True, help="midnight UTC of the first day, epoch seconds")
    drv.add_argument("--open", type=int, default=6 * 3600)
    drv.add_argument("--slot", type=int, default=1800)
    drv.add_argument("--slots", type=int, default=32)
    drv.add_argument("--start-index", type=int, default=0)
    drv.add_argument("--events", type=int, required=True)
    drv.add_argument("--clients", type=int, default=4)
    drv.add_argument("--rate", type=float, default=0)
    drv.add_argument("--prefix", required=True)
    drv.add_argument("--out", required=True)
    rep = sub.add_parser("report")
    rep.add_argument("--phase", required=True)
    rep.add_argument("--events", type=int, required=True)
    rep.add_argument("--records", required=True)
    rep.add_argument("--expected", required=True)
    rep.add_argument("--deliveries", required=True)
    rep.add_argument("--load", required=True)
    rep.add_argument("--clients", type=int, default=0)
    rep.add_argument("--rate", type=float, default=0)
    rep.add_argument("--target-ms", type=int, default=1000)
    rep.add_argument("--latency-target", action="store_true")
    args = parser.parse_args()
    if args.command == "receive":
        return receive(args)
    if args.command == "drive":
        return Drive(args).run()
    return report(args)


if __name__ == "__main__":
    sys.exit(main())
