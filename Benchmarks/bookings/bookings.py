#!/usr/bin/env python3
"""Load driver and invariant checker of Benchmarks/bookings/run.sh (standard library only).

  bookings.py load  --base URL --partner-key KEY --vendors FILE --first-day EPOCH --database URL
                    [--clients N] [--count N] [--start-index I] [--max-pending P]
                    [--fault-every K --fake URL] --out STATS.json
  bookings.py check --database URL --fake URL [--faults FAULTS.json] [--clients N]

load: N threads, each with one keep-alive connection to nginx, walk bookings through the API one
after another: POST /v1/reservations (partner key), POST /v1/vendor/reservations/{id}/confirm
and /authorize (the vendor's key), POST /v1/reservations/{id}/authorize (partner key), both with
pm_card_visa. The worker does the rest. Booking number i gets vendor i mod V and, from there,
its own 30-minute slot (as Benchmarks/reservations/reservations.lua does), so no two bookings of
a run ask for the same slot. A thread starts a booking only while fewer than P reservations are
unfinished (not terminal: counted in the database every 0.2 s through one psql session), so the
worker's backlog stays bounded however fast the API answers. It stops after --count bookings, or
at SIGTERM/SIGINT once its current booking is submitted. With --fault-every K, booking i with
i mod K == K/2 is held back after the vendor's authorization until the worker has created the
requester's intent; then an `api_error` fault on capture, `times` 5 (every capture attempt the
worker makes), is armed at the fake for the vendor's intent (odd i div K) or the requester's (even),
and only then is the requester's authorization sent.

check: reads reservations, payment legs and the intents named by stored Stripe events from the
database, every intent and its refunds from the fake, and checks the invariants (see
Benchmarks/bookings/run.sh); prints counts and violations; exits 1 if any invariant fails.
"""

import argparse
import collections
import csv
import http.client
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

TERMINAL = ("COMMITTED", "FAILED_VENDOR_TIMEOUT", "FAILED_VENDOR_AUTH", "FAILED_REQUESTER_AUTH",
            "FAILED_AVAILABILITY_CHANGED", "FAILED_COMMIT", "EXPIRED", "CANCELLED")
TERMINAL_SQL = ", ".join("'%s'" % s for s in TERMINAL)
FAULT_TIMES = 5  # PaymentPlan.maxCaptureAttempts: every attempt fails, so the commit fails
STRIPE_KEY = "sk_test_bench"


def log(message):
    sys.stderr.write("bookings.py: %s\n" % message)
    sys.stderr.flush()


def iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[index]


class Psql:
    """One psql session kept open: a query per line in, one line of unaligned output back."""

    def __init__(self, url):
        self.process = subprocess.Popen(
            ["psql", "-X", "-qtA", "-v", "ON_ERROR_STOP=1", "-d", url], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, bufsize=1)
        self.lock = threading.Lock()

    def scalar_row(self, sql):
        with self.lock:
            self.process.stdin.write(sql.strip().rstrip(";") + ";\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("psql ended")
        return line.strip().split("|")

    def close(self):
        try:
            self.process.stdin.close()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()


def copy_rows(url, sql):
    """Rows of a query as lists of strings (CSV through psql's COPY), NULL as None."""
    out = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
         "COPY (%s) TO STDOUT WITH (FORMAT csv, NULL '\\N')" % sql],
        check=True, capture_output=True, text=True).stdout
    return [[None if v == "\\N" else v for v in row] for row in csv.reader(io.StringIO(out))]


class Client:
    """One keep-alive HTTP/1.1 connection; reconnects when the server closed it."""

    def __init__(self, base):
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.connection = None

    def send(self, method, path, key=None, body=None, headers=None):
        all_headers = {"Content-Type": "application/json"} if body is not None else {}
        if key:
            all_headers["Authorization"] = "Bearer " + key
        all_headers.update(headers or {})
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.connection.request(method, path, body=data, headers=all_headers)
                response = self.connection.getresponse()
                text = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, text
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
                self.close()
                # A request that may have arrived is not sent twice unless it is a read.
                if attempt == 2 or method != "GET":
                    raise error
        raise RuntimeError("unreachable")

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class Load:
    def __init__(self, args):
        self.args = args
        with open(args.vendors) as f:
            self.vendors = [line.split() for line in f if line.strip()]
        self.lock = threading.Lock()
        self.next_index = args.start_index
        self.end_index = args.start_index + args.count if args.count else None
        self.stop = threading.Event()
        self.psql = Psql(args.database) if args.max_pending else None
        self.unfinished = 0
        self.started_since_poll = 0
        self.pending_changed = threading.Condition(self.lock)
        self.latency = collections.defaultdict(list)
        self.status = collections.Counter()
        self.errors = []
        self.submitted = 0
        self.faults = []
        self.faults_skipped = 0
        self.waited_for_pending = 0.0

    def slot(self, index):
        vendor_id, vendor_key = self.vendors[index % len(self.vendors)]
        k = index // len(self.vendors)
        day, nth = divmod(k, self.args.slots)
        start = self.args.first_day + day * 86400 + self.args.open + nth * self.args.slot
        return vendor_id, vendor_key, start, start + self.args.slot

    def poll_pending(self):
        while not self.stop.is_set():
            try:
                (count,) = self.psql.scalar_row(
                    "SELECT count(*) FROM reservations WHERE state NOT IN (%s)" % TERMINAL_SQL)
            except (RuntimeError, OSError, ValueError) as error:
                log("pending poll failed: %s" % error)
                self.stop.set()
                break
            with self.lock:
                self.unfinished = int(count)
                self.started_since_poll = 0
                self.pending_changed.notify_all()
            time.sleep(0.2)
        with self.lock:
            self.pending_changed.notify_all()

    def take_index(self):
        with self.lock:
            if self.end_index is not None and self.next_index >= self.end_index:
                return None
            if self.args.max_pending:
                waited = time.monotonic()
                while (not self.stop.is_set()
                       and self.unfinished + self.started_since_poll >= self.args.max_pending):
                    self.pending_changed.wait(0.5)
                self.waited_for_pending += time.monotonic() - waited
                self.started_since_poll += 1
            if self.stop.is_set() or (self.end_index is not None and self.next_index >= self.end_index):
                return None
            index = self.next_index
            self.next_index += 1
            return index

    def record(self, step, started, status, body, expected):
        elapsed = time.monotonic() - started
        with self.lock:
            self.latency[step].append(elapsed)
            self.status["%s %d" % (step, status)] += 1
            if status not in expected and len(self.errors) < 50:
                self.errors.append({"step": step, "status": status, "body": body[:300].decode("utf-8", "replace")})
        return status in expected

    def call(self, client, step, expected, method, path, key, body=None):
        # A 503 (the database said retry) rolled the request back: retried after a second, as a
        # partner would, up to three times; each 503 is still counted as an unexpected answer.
        for attempt in range(4):
            started = time.monotonic()
            try:
                status, text = client.send(method, path, key=key, body=body)
            except (OSError, http.client.HTTPException) as error:
                with self.lock:
                    self.status["%s error" % step] += 1
                    if len(self.errors) < 50:
                        self.errors.append({"step": step, "status": 0, "body": repr(error)})
                return False, None
            ok = self.record(step, started, status, text, expected)
            if status != 503 or attempt == 3:
                return ok, text
            time.sleep(1)

    def arm_fault(self, index, client, fake, reservation):
        """Waits for the requester's intent, then arms capture faults on one side's intent. The wait
        outlasts a killed worker's lease (60 s) and the backoff after it."""
        deadline = time.monotonic() + 300
        state = {}
        while time.monotonic() < deadline:
            ok, text = self.call(client, "poll", (200,), "GET", "/v1/reservations/%s" % reservation, self.args.partner_key)
            state = json.loads(text) if ok else {}
            payment = state.get("paymentState") or {}
            if state.get("state") not in (None, "CONFIRMED_BY_VENDOR", "AWAITING_VENDOR_AUTH", "VENDOR_AUTHORIZED",
                                          "AWAITING_REQUESTER_AUTH"):
                break
            if payment.get("requesterPaymentIntentId") and payment.get("vendorPaymentIntentId"):
                side = "vendor" if (index // self.args.fault_every) % 2 else "requester"
                intent = payment[side + "PaymentIntentId"]
                status, text = fake.send("POST", "/_control/faults", body={
                    "operation": "capture", "fault": "api_error", "times": FAULT_TIMES, "paymentIntent": intent})
                if status != 200:
                    raise RuntimeError("arming a fault failed: %d %s" % (status, text[:200]))
                with self.lock:
                    self.faults.append({"index": index, "reservation": reservation, "side": side, "intent": intent})
                return
            time.sleep(0.02)
        with self.lock:
            self.faults_skipped += 1
            self.errors.append({"step": "fault", "status": 0, "body": "no intents for %s: %s" % (reservation, state.get("state"))})

    def booking(self, index, client, fake):
        vendor_id, vendor_key, start, end = self.slot(index)
        ok, text = self.call(client, "hold", (201,), "POST", "/v1/reservations", self.args.partner_key, {
            "vendorId": vendor_id, "slotStartTime": iso(start), "slotEndTime": iso(end), "requesterId": "bench-%d" % index})
        if not ok:
            return
        reservation = json.loads(text)["reservationId"]
        card = {"paymentMethodId": "pm_card_visa"}
        ok, _ = self.call(client, "confirm", (200,), "POST", "/v1/vendor/reservations/%s/confirm" % reservation, vendor_key)
        ok = ok and self.call(client, "vendor-authorize", (202,), "POST",
                              "/v1/vendor/reservations/%s/authorize" % reservation, vendor_key, card)[0]
        if not ok:
            return
        if fake is not None and index % self.args.fault_every == self.args.fault_every // 2:
            self.arm_fault(index, client, fake, reservation)
        ok, _ = self.call(client, "requester-authorize", (202,), "POST",
                          "/v1/reservations/%s/authorize" % reservation, self.args.partner_key, card)
        if ok:
            with self.lock:
                self.submitted += 1

    def client_loop(self):
        client = Client(self.args.base)
        fake = Client(self.args.fake) if self.args.fault_every else None
        try:
            while True:
                index = self.take_index()
                if index is None:
                    return
                self.booking(index, client, fake)
        except Exception as error:  # a driver bug must not pass as a quiet thread
            with self.lock:
                self.errors.append({"step": "driver", "status": 0, "body": repr(error)})
            self.stop.set()
            raise
        finally:
            client.close()

    def run(self):
        signal.signal(signal.SIGTERM, lambda *_: self.stop.set())
        signal.signal(signal.SIGINT, lambda *_: self.stop.set())
        poller = None
        if self.psql:
            poller = threading.Thread(target=self.poll_pending, daemon=True)
            poller.start()
        cpu0, wall0 = os.times(), time.time()
        threads = [threading.Thread(target=self.client_loop) for _ in range(self.args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(0.2)
        self.stop.set()
        if poller:
            poller.join(2)
            self.psql.close()
        cpu1, wall1 = os.times(), time.time()
        steps = {}
        for step, values in sorted(self.latency.items()):
            steps[step] = {"count": len(values), "p50_ms": round(percentile(values, 50) * 1000, 2),
                           "p99_ms": round(percentile(values, 99) * 1000, 2)}
        stats = {
            "started": wall0, "ended": wall1, "submitted": self.submitted,
            "next_index": self.next_index, "status": dict(self.status), "steps": steps,
            "errors": self.errors, "faults": self.faults, "faults_skipped": self.faults_skipped,
            "driver_cpu_s": round((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system), 2),
            "waited_for_pending_s": round(self.waited_for_pending, 1),
        }
        with open(self.args.out, "w") as f:
            json.dump(stats, f, indent=1)
        return 1 if any(e["step"] == "driver" for e in self.errors) else 0


# MARK: check


def check(args):
    url, fake_base = args.database, args.fake
    reservations = {r[0]: {"state": r[1], "reason": r[2]} for r in copy_rows(
        url, "SELECT id::text, state, failure_reason FROM reservations")}
    legs = copy_rows(url, """
        SELECT reservation_id::text, side, intent_id, status, capture_id, refund_id, capture_attempts::text,
               capture_failed::text, (create_started_at IS NOT NULL)::text, amount_minor::text
        FROM payment_legs""")
    event_intents = {r[0] for r in copy_rows(url, """
        SELECT DISTINCT CASE WHEN payload #>> '{data,object,object}' = 'payment_intent' THEN payload #>> '{data,object,id}'
                             ELSE payload #>> '{data,object,payment_intent}' END
        FROM stripe_events""") if r[0]}
    (pending_rows, dead_rows, unapplied_events) = copy_rows(url, """
        SELECT (SELECT count(*) FROM outbox WHERE topic IN ('payment.advance', 'stripe.event')
                   AND delivered_at IS NULL AND dead_at IS NULL)::text,
               (SELECT count(*) FROM outbox WHERE topic IN ('payment.advance', 'stripe.event') AND dead_at IS NOT NULL)::text,
               (SELECT count(*) FROM stripe_events WHERE applied_at IS NULL)::text""")[0]
    double_captures = copy_rows(url, """
        SELECT reservation_id::text, operation, count(*)::text FROM operation_records
        WHERE operation LIKE '%-capture' AND status = 'succeeded' GROUP BY 1, 2 HAVING count(*) > 1""")
    (open_records,) = copy_rows(url, "SELECT count(*)::text FROM operation_records WHERE status = 'started'")[0]
    faults, faults_skipped = [], 0
    if args.faults:
        with open(args.faults) as f:
            load = json.load(f)
        faults, faults_skipped = load.get("faults", []), load.get("faults_skipped", 0)

    by_reservation = collections.defaultdict(dict)
    leg_of_intent = {}
    unresolved_creations = []
    for (rid, side, intent, status, capture, refund, attempts, failed, started, amount) in legs:
        by_reservation[rid][side] = {"intent": intent, "status": status, "capture": capture, "refund": refund,
                                     "attempts": int(attempts), "capture_failed": failed == "true",
                                     "amount": int(amount)}
        if intent:
            leg_of_intent[intent] = (rid, side)
        elif started == "true":
            unresolved_creations.append(rid)

    intents = sorted(set(leg_of_intent) | event_intents)
    fake_state = {}
    lock = threading.Lock()
    work = list(intents)

    def fetch():
        client = Client(fake_base)
        headers = {"Authorization": "Bearer " + STRIPE_KEY}
        while True:
            with lock:
                if not work:
                    break
                intent = work.pop()
            status, text = client.send("GET", "/v1/payment_intents/" + urllib.parse.quote(intent), headers=headers)
            pi = json.loads(text) if status == 200 else None
            refunds = []
            if pi is not None and pi.get("status") == "succeeded":
                status, text = client.send("GET", "/v1/refunds?limit=100&payment_intent=" + urllib.parse.quote(intent),
                                           headers=headers)
                refunds = json.loads(text)["data"] if status == 200 else None
            with lock:
                fake_state[intent] = (pi, refunds)
        client.close()

    started = time.monotonic()
    threads = [threading.Thread(target=fetch) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fetch_s = time.monotonic() - started

    violations = collections.defaultdict(list)

    def violation(name, detail):
        violations[name].append(detail)

    def holds_money(pi, refunds):
        refunded = sum(r["amount"] for r in refunds or [])
        return pi["status"] == "succeeded" and pi["amount_received"] - refunded > 0

    counts = collections.Counter()
    mirror = collections.Counter()
    for intent in intents:
        pi, refunds = fake_state.get(intent, (None, None))
        if pi is None or refunds is None:
            violation("intent readable at the fake", intent)
            continue
        counts["intents " + pi["status"]] += 1
        counts["refunds"] += len(refunds)
        if pi["status"] == "canceled":
            counts["cancels"] += 1
        refunded = sum(r["amount"] for r in refunds)
        if pi["amount_received"] > pi["amount"] or len(refunds) > 1 or refunded > pi["amount_received"]:
            violation("no intent captured twice", "%s received %d of %d, %d refunds totalling %d" % (
                intent, pi["amount_received"], pi["amount"], len(refunds), refunded))
        if pi["amount_capturable"] != 0:
            violation("no authorization left open", "%s %s amount_capturable %d" % (intent, pi["status"], pi["amount_capturable"]))
        if intent not in leg_of_intent:
            violation("every intent the fake reported belongs to a leg", "%s (%s, metadata %s)" % (
                intent, pi["status"], pi.get("metadata")))
            continue
        rid, side = leg_of_intent[intent]
        meta = pi.get("metadata") or {}
        if meta.get("reservation_id") != rid or meta.get("side") != side:
            violation("every intent the fake reported belongs to a leg", "%s metadata %s, leg %s/%s" % (intent, meta, rid, side))
        leg = by_reservation[rid][side]
        if leg["status"] != pi["status"]:
            mirror["status %s in the database, %s at the fake" % (leg["status"], pi["status"])] += 1
        if bool(leg["refund"]) != bool(refunds):
            mirror["refund id %s in the database, %d refunds at the fake" % ("set" if leg["refund"] else "unset", len(refunds))] += 1

    for rid, operation, n in double_captures:
        violation("no intent captured twice", "%s: %s succeeded %s times in operation_records" % (rid, operation, n))
    states = collections.Counter(r["state"] for r in reservations.values())
    for rid, reservation in reservations.items():
        state = reservation["state"]
        if state not in TERMINAL:
            violation("nothing non-terminal", "%s %s" % (rid, state))
            continue
        sides = by_reservation.get(rid, {})
        fake_legs = {side: fake_state.get(leg["intent"], (None, None)) for side, leg in sides.items() if leg["intent"]}
        if state == "COMMITTED":
            ok = set(fake_legs) == {"vendor", "requester"} and all(
                pi is not None and pi["status"] == "succeeded" and pi["amount_received"] == pi["amount"] and not refunds
                for pi, refunds in fake_legs.values())
            if not ok:
                violation("money captured <=> COMMITTED", "%s COMMITTED but legs %s" % (rid, {
                    s: (pi or {}).get("status") for s, (pi, _) in fake_legs.items()}))
        else:
            for side, (pi, refunds) in fake_legs.items():
                if pi is None:
                    continue
                if holds_money(pi, refunds):
                    violation("money captured <=> COMMITTED", "%s %s but the %s's %s is captured, not refunded" % (
                        rid, state, side, pi["id"]))
                fully_refunded = pi["status"] == "succeeded" and refunds and sum(r["amount"] for r in refunds) == pi["amount_received"]
                if pi["status"] != "canceled" and not fully_refunded:
                    violation("failed intents end canceled or refunded", "%s %s: %s intent %s is %s" % (
                        rid, state, side, pi["id"], pi["status"]))
    for rid in unresolved_creations:
        violation("failed intents end canceled or refunded", "%s: an intent creation whose outcome is unknown" % rid)
    if int(pending_rows) or int(unapplied_events):
        violation("nothing non-terminal", "%s payment.advance/stripe.event outbox rows pending, %s stored events unapplied" % (
            pending_rows, unapplied_events))

    fault_outcomes = collections.Counter()
    for fault in faults:
        state = reservations.get(fault["reservation"], {}).get("state", "missing")
        leg = by_reservation.get(fault["reservation"], {}).get(fault["side"], {})
        fault_outcomes["%s (%s capture attempts %s)" % (state, fault["side"], leg.get("attempts"))] += 1

    other = sum(n for s, n in states.items() if s in TERMINAL and s not in ("COMMITTED", "FAILED_COMMIT"))
    print("reservations %d: committed %d, failed_commit %d, other terminal %d, non-terminal %d" % (
        len(reservations), states["COMMITTED"], states["FAILED_COMMIT"], other,
        sum(n for s, n in states.items() if s not in TERMINAL)))
    print("  by state: " + ", ".join("%s %d" % (s, n) for s, n in sorted(states.items())))
    print("intents at the fake %d (%s): refunds %d, cancels %d; read in %.1fs" % (
        len(intents), ", ".join("%s %d" % (k[8:], v) for k, v in sorted(counts.items()) if k.startswith("intents ")),
        counts["refunds"], counts["cancels"], fetch_s))
    print("outbox: %s payment/event rows pending, %s dead letters; stored events unapplied %s; "
          "operation records still started %s" % (pending_rows, dead_rows, unapplied_events, open_records))
    if faults:
        print("capture faults armed: %d (api_error x%d on one intent each; %d not armed: no intents within 300 s or the "
              "booking left the authorization states); outcomes: %s" % (len(faults), FAULT_TIMES, faults_skipped,
                                                            ", ".join("%s %d" % (k, v) for k, v in sorted(fault_outcomes.items()))))
    if mirror:
        print("database vs fake (information): " + "; ".join("%s: %d" % (k, v) for k, v in sorted(mirror.items())))
    names = ["money captured <=> COMMITTED", "failed intents end canceled or refunded", "no intent captured twice",
             "nothing non-terminal", "no authorization left open", "every intent the fake reported belongs to a leg",
             "intent readable at the fake"]
    failed = False
    for name in names:
        found = violations.get(name, [])
        print("invariant  %-50s %s" % (name, "held" if not found else "FAILED (%d)" % len(found)))
        for detail in found[:10]:
            print("    " + detail)
        failed = failed or bool(found)
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load")
    load.add_argument("--base", required=True)
    load.add_argument("--partner-key", required=True)
    load.add_argument("--vendors", required=True, help="file of 'vendor-id vendor-key' lines")
    load.add_argument("--first-day", type=int, required=True, help="midnight UTC of the first day, epoch seconds")
    load.add_argument("--open", type=int, default=6 * 3600)
    load.add_argument("--slot", type=int, default=1800)
    load.add_argument("--slots", type=int, default=32)
    load.add_argument("--start-index", type=int, default=0)
    load.add_argument("--count", type=int, default=0, help="bookings to submit (0: until SIGTERM)")
    load.add_argument("--clients", type=int, default=8)
    load.add_argument("--database", required=True)
    load.add_argument("--max-pending", type=int, default=0)
    load.add_argument("--fault-every", type=int, default=0)
    load.add_argument("--fake")
    load.add_argument("--out", required=True)
    chk = sub.add_parser("check")
    chk.add_argument("--database", required=True)
    chk.add_argument("--fake", required=True)
    chk.add_argument("--faults")
    chk.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    if args.command == "load":
        if args.fault_every and not args.fake:
            parser.error("--fault-every needs --fake")
        return Load(args).run()
    return check(args)


if __name__ == "__main__":
    sys.exit(main())
