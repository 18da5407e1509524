#!/usr/bin/env python3
"""multihost-client — the partner side of scripts/multihost-test.

Places holds (POST /v1/reservations, each with its own Idempotency-Key and slot) and reads
availability through several front doors (nginx on different hosts) from several threads, for a
fixed time. Each logical request is tried until it gets a final answer: a door that cannot be
connected to is left for the next one (nothing was sent), and an answer of 502, 503 or 504, a 409
idempotency_key_in_progress, or a connection lost after sending, is retried with the same
Idempotency-Key (the API's contract: the first attempt may or may not have been applied). Every attempt carries its own X-Request-Id,
so the responders' logs show how often each attempt was served.

Writes the requests, attempts and answers as JSON to --out. `multihost-client.py check ...`
then compares them with the database and the responders' logs.
"""
import argparse
import http.client
import json
import os
import random
import socket
import sys
import threading
import time
import uuid

RETRY_STATUSES = {502, 503, 504}


def attempt(door, method, path, headers, body, connect_timeout, read_timeout):
    """One HTTP exchange. Returns (status or None, body bytes, phase of a failure)."""
    host, port = door.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=connect_timeout)
    try:
        try:
            conn.connect()
        except OSError as error:
            return None, b"", "connect: %s" % type(error).__name__
        conn.sock.settimeout(read_timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read(), ""
        except OSError as error:
            return None, b"", "sent: %s" % type(error).__name__
        except http.client.HTTPException as error:
            return None, b"", "sent: %s" % type(error).__name__
    finally:
        conn.close()


def check(args):
    """Compares what the client was answered with the reservations the database holds and the
    requests the responders logged; prints the figures and returns the number of problems."""
    requests = json.load(open(args.requests))["requests"]
    rows = [line.split("|") for line in open(args.reservations).read().split("\n") if line.strip()]
    logged = {}
    served_by = {}  # request id -> the responders' log directories that logged it
    for path in args.log:
        for line in open(path, errors="replace"):
            if '"message":"request"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            request_id = entry.get("requestId")
            if request_id and request_id.startswith("mh-"):
                logged[request_id] = logged.get(request_id, 0) + 1
                served_by.setdefault(request_id, []).append(os.path.basename(os.path.dirname(path)))
    problems = []
    holds = [r for r in requests if r["kind"] == "hold"]
    reads = [r for r in requests if r["kind"] == "availability"]
    attempts = [a for r in requests for a in r["attempts"]]

    def by_status(records):
        counts = {}
        for record in records:
            counts[str(record["final"])] = counts.get(str(record["final"]), 0) + 1
        return ", ".join("%s: %d" % item for item in sorted(counts.items()))

    unanswered = [r for r in requests if r["final"] is None]
    if unanswered:
        problems.append("%d requests got no final answer (first: %s)" % (len(unanswered), unanswered[0]))
    not_placed = [r for r in holds if r["final"] != 201]
    if not_placed:
        problems.append("%d holds did not end 201 (first: %s)" % (len(not_placed), not_placed[0]))
    by_key = {}
    for reservation_id, key in rows:
        by_key.setdefault(key, []).append(reservation_id)
    duplicated = {k: v for k, v in by_key.items() if len(v) > 1}
    if duplicated:
        problems.append("idempotency keys with more than one reservation: %s" % list(duplicated.items())[:3])
    answered = {r["key"]: r.get("reservationId") for r in holds if r["final"] == 201}
    for key, reservation_id in answered.items():
        if by_key.get(key) != [reservation_id]:
            problems.append("hold %s answered %s but the database has %s" % (key, reservation_id, by_key.get(key)))
    unanswered_rows = [k for k in by_key if k not in answered]
    if unanswered_rows:
        problems.append("reservations whose hold was never answered 201: %s" % unanswered_rows[:3])
    # nginx passes an idempotent request (a GET) to the next responder when the first fails or
    # times out (fastcgi_next_upstream error timeout), so a read cut off on a dead link may be
    # served twice: allowed, and counted. A hold (a POST) is never passed on: served twice is a bug.
    kind_of = {a["requestId"]: r["kind"] for r in requests for a in r["attempts"]}
    served_twice = {k: n for k, n in logged.items() if n > 1}
    holds_served_twice = {k: n for k, n in served_twice.items() if kind_of.get(k) != "availability"}
    if holds_served_twice:
        problems.append("holds served more than once by the responders: %s" % list(holds_served_twice.items())[:3])
    for a in attempts:
        times = logged.get(a["requestId"], 0)
        if a["status"] is not None and a["status"] < 500 and (times < 1 or (times > 1 and kind_of[a["requestId"]] != "availability")):
            problems.append("attempt %s answered %s but logged %d times" % (a["requestId"], a["status"], times))
            break
    bad_shape = [a for a in attempts if a["status"] in RETRY_STATUSES
                 and not {"code", "message", "retryable"} <= set(a.get("errorShape") or [])]
    if bad_shape:
        problems.append("5xx answers not in the API's error shape: %s" % bad_shape[:2])

    down, up = args.down_at, args.up_at
    during = [r for r in requests if down <= r["started"] < up]
    survivor = [a for a in attempts if a["door"] == args.survivor and down <= a["began"] < up and a["status"] is not None]
    dead_door = [a for a in attempts if a["door"] != args.survivor and down <= a["began"] < up]
    retried_5xx = [a for a in attempts if a["status"] in RETRY_STATUSES]
    lost_after_send = [a for a in attempts if a["failure"].startswith("sent")]
    print("requests: %d (%d holds, %d availability reads), %d attempts" % (len(requests), len(holds), len(reads), len(attempts)))
    print("final answers: holds %s; availability %s" % (by_status(holds), by_status(reads)))
    print("holds: %d answered 201, %d reservations in the database for them, %d idempotency keys with duplicates"
          % (len(answered), sum(len(by_key.get(k, [])) for k in answered), len(duplicated)))
    print("attempts served by a responder: %d, of which served twice: %d holds, %d availability reads (passed on by nginx)"
          % (len(logged), len(holds_served_twice), len(served_twice) - len(holds_served_twice)))
    kinds = {}
    for a in retried_5xx:
        kinds["%s %s" % (a["status"], a["door"])] = kinds.get("%s %s" % (a["status"], a["door"]), 0) + 1
    waited = [r for r in holds if any(a.get("code") == "idempotency_key_in_progress" for a in r["attempts"])]
    if waited:
        longest = max(r["finished"] - r["started"] for r in waited)
        print("holds whose retry found their key still claimed by a responder cut off mid-hold (409"
              " idempotency_key_in_progress, retried until the claim was abandoned): %d, longest %.1f s"
              % (len(waited), longest))
    print("attempts answered 502/503/504 and retried with the same key: %d%s; lost after sending: %d"
          % (len(retried_5xx), " (%s)" % ", ".join("%s: %d" % k for k in sorted(kinds.items())) if kinds else "",
             len(lost_after_send)))
    print("outage (%.1f s): %d requests started, answers %s" % (up - down, len(during), by_status(during)))
    if survivor:
        # A request nginx had not yet sent to the dead responder fails its connect (2 s) and goes
        # to the other one. One already sent there waits: a POST is never passed on, so it is
        # answered when the link returns, or 504 after fastcgi_read_timeout.
        slowest = max(a["seconds"] for a in survivor)
        failed = [a["status"] for a in survivor if a["status"] >= 500]
        print("failover through the surviving door: %d answers during the outage, %d below 500%s, slowest %.2f s"
              % (len(survivor), len(survivor) - len(failed),
                 " and %d answered %s (retried with the same key)" % (len(failed), sorted(set(failed))) if failed else "",
                 slowest))
        stuck = sorted((a for a in survivor if a["seconds"] > 2.5), key=lambda a: -a["seconds"])
        for a in stuck[:3]:
            print("  %.2f s: %s %s answered %s, served by %s"
                  % (a["seconds"], kind_of[a["requestId"]], a["requestId"], a["status"],
                     " and ".join(served_by.get(a["requestId"], ["no responder"]))))
    late = [a for a in dead_door if a["status"] is not None]
    print("attempts on the dead host's door during the outage: %d, answered: %d (all once the link was back: %s)"
          % (len(dead_door), len(late), all(a["began"] + a["seconds"] >= up for a in late)))
    if any(a["began"] + a["seconds"] < up for a in late):
        problems.append("the dead host's door answered while its link was down")
    for problem in problems:
        print("PROBLEM: " + problem)
    return len(problems)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "check":
        parser = argparse.ArgumentParser()
        parser.add_argument("--requests", required=True)
        parser.add_argument("--reservations", required=True, help="'id|idempotency_key' lines")
        parser.add_argument("--log", action="append", required=True)
        parser.add_argument("--down-at", type=float, required=True)
        parser.add_argument("--up-at", type=float, required=True)
        parser.add_argument("--survivor", required=True, help="the door whose host stayed up")
        sys.exit(1 if check(parser.parse_args(sys.argv[2:])) else 0)
    parser = argparse.ArgumentParser()
    parser.add_argument("--door", action="append", required=True, help="HOST:PORT of an nginx front door")
    parser.add_argument("--key", required=True)
    parser.add_argument("--vendors", required=True, help="file of 'vendor-id key' lines")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between a thread's requests")
    parser.add_argument("--first-day", type=int, required=True, help="epoch day of the first slot day")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    vendors = [line.split()[0] for line in open(args.vendors) if line.strip()]
    lock = threading.Lock()
    counter = [0]
    requests = []
    deadline = time.time() + args.seconds

    def next_slot():
        with lock:
            n = counter[0]
            counter[0] += 1
        vendor = vendors[n % len(vendors)]
        index = n // len(vendors)
        start = (args.first_day + index // 32) * 86400 + 6 * 3600 + (index % 32) * 1800
        return n, vendor, start

    def iso(epoch):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))

    def run_request(kind, door_index):
        headers = {"Authorization": "Bearer " + args.key}
        if kind == "hold":
            n, vendor, start = next_slot()
            key = "mh-%d-%s" % (n, uuid.uuid4().hex[:8])
            headers["Idempotency-Key"] = key
            headers["Content-Type"] = "application/json"
            body = json.dumps({
                "vendorId": vendor, "slotStartTime": iso(start), "slotEndTime": iso(start + 1800),
                "requesterId": "multihost-%d" % n,
            }).encode()
            method, path = "POST", "/v1/reservations"
        else:
            vendor = random.choice(vendors)
            day = args.first_day + random.randrange(0, 7)
            key = None
            body = None
            method = "GET"
            path = "/v1/vendors/%s/availability?startTime=%s&endTime=%s&slotDuration=30" % (
                vendor, iso(day * 86400), iso(day * 86400 + 86400))
        record = {"kind": kind, "key": key, "started": time.time(), "attempts": []}
        final = None
        # A request is given up on only after two minutes: a key claimed by a responder that lost
        # its database mid-hold answers 409 idempotency_key_in_progress (retryable) until the
        # claim is abandoned (IdempotencyStore.abandonedAfterSeconds, 60 s).
        give_up = time.time() + 120
        number = 0
        while time.time() < give_up:
            door = args.door[(door_index + number) % len(args.door)]
            number += 1
            request_id = "mh-%s" % uuid.uuid4().hex
            headers["X-Request-Id"] = request_id
            began = time.time()
            status, payload, failure = attempt(door, method, path, headers, body, 2.0, 20.0)
            record["attempts"].append({
                "door": door, "requestId": request_id, "status": status, "failure": failure,
                "began": began, "seconds": round(time.time() - began, 3),
            })
            error = {}
            if status is not None and status >= 400:
                try:
                    error = json.loads(payload).get("error", {})
                    record["attempts"][-1]["errorShape"] = sorted(error.keys())
                    record["attempts"][-1]["code"] = error.get("code")
                except (ValueError, AttributeError):
                    record["attempts"][-1]["errorShape"] = None
            in_progress = status == 409 and error.get("code") == "idempotency_key_in_progress"
            if status is not None and status not in RETRY_STATUSES and not in_progress:
                final = status
                if kind == "hold" and status == 201:
                    record["reservationId"] = json.loads(payload).get("reservationId")
                break
            time.sleep(min(max(float(error.get("retryAfter", 0.2) or 0.2), 0.2), 5.0) if in_progress else 0.2)
        record["final"] = final
        record["finished"] = time.time()
        with lock:
            requests.append(record)

    def loop(thread_index):
        n = 0
        while time.time() < deadline:
            run_request("hold" if n % 2 == 0 else "availability", thread_index + n)
            n += 1
            time.sleep(args.pause)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with open(args.out, "w") as out:
        json.dump({"requests": requests}, out)


if __name__ == "__main__":
    socket.setdefaulttimeout(30)
    main()
