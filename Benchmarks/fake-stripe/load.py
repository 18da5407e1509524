#!/usr/bin/env python3
"""What one API call costs fake-stripe, and whether its webhooks keep up (standard library only).

  swift build -c release --product fake-stripe --build-path /tmp/fake-bench
  python3 Benchmarks/fake-stripe/load.py --bin /tmp/fake-bench/release/fake-stripe \
      [--threads 8] [--levels 1000,20000] [--window 1000] [--hook-ms 5]

Starts the fake (port 0) with --webhook-url pointing at a receiver in a child process, then for
each level L: walks bookings (POST create manual intent, confirm with pm_card_visa, capture; an
Idempotency-Key on each, as StripeClient sends) on T keep-alive connections until L intents are
held, then measures a window of --window more bookings. Per level it prints API requests/s, the
fake's CPU ms per request (utime+stime from /proc/PID/stat, from the window's start until every
webhook of the window has arrived, so posting them is counted) and how long after the last
answer the last webhook arrived. The receiver takes --hook-ms per webhook, as the responder
behind nginx would. CPU is what matters on a shared machine; the client is Python.

2026-12-02, 2-core machine shared with builds (load 2-5), defaults:
  before (fake as of 081b4a9): 1,000 held: 969-1,175 req/s, 1.5-1.8 ms CPU/req, last webhook 11 s late;
                              20,000 held: 114 req/s, 8.0 ms CPU/req
  after:                       1,000 held: 3,400-4,100 req/s, 0.27-0.31 ms CPU/req;
                              20,000 held: 3,500-3,600 req/s, 0.24-0.30 ms; last webhook 0.1 s late
"""

import argparse
import http.client
import http.server
import json
import multiprocessing
import os
import subprocess
import threading
import time
import uuid

TICK = os.sysconf("SC_CLK_TCK")


def receiver(port_pipe, delay):
    """Answers 200 to every webhook after `delay` seconds; GET returns how many arrived."""
    count = [0]
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(delay)
            with lock:
                count[0] += 1
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            body = str(count[0]).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_pipe.send(server.server_address[1])
    server.serve_forever()


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def call(conn, method, path, body=None):
    headers = {"Authorization": "Bearer sk_test_bench"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Idempotency-Key"] = uuid.uuid4().hex
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError("%s %s: %d %s" % (method, path, response.status, data[:200]))
    return json.loads(data)


def booking(conn):
    intent = call(conn, "POST", "/v1/payment_intents",
                  "amount=5000&currency=eur&capture_method=manual&metadata[reservation_id]=res_bench")
    call(conn, "POST", "/v1/payment_intents/%s/confirm" % intent["id"], "payment_method=pm_card_visa")
    call(conn, "POST", "/v1/payment_intents/%s/capture" % intent["id"], "amount_to_capture=5000")


def run_bookings(port, threads, count):
    """`count` bookings over `threads` connections; returns the wall time."""
    remaining = [count]
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port)
        while True:
            with lock:
                if remaining[0] == 0:
                    break
                remaining[0] -= 1
            booking(conn)
        conn.close()

    start = time.monotonic()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.monotonic() - start


def delivered(port):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/")
    return int(conn.getresponse().read())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--levels", default="1000,20000")
    parser.add_argument("--window", type=int, default=1000)
    parser.add_argument("--hook-ms", type=float, default=5)
    args = parser.parse_args()

    parent, child = multiprocessing.Pipe()
    hook = multiprocessing.Process(target=receiver, args=(child, args.hook_ms / 1000), daemon=True)
    hook.start()
    hook_port = parent.recv()
    fake = subprocess.Popen([args.bin, "--port", "0", "--webhook-url", "http://127.0.0.1:%d/" % hook_port],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(fake.stdout.readline().strip().rsplit(":", 1)[1])
    held = 0
    expected_hooks = 0
    try:
        for level in [int(x) for x in args.levels.split(",")]:
            if level > held:
                run_bookings(port, args.threads, level - held)
                expected_hooks += 2 * (level - held)
                held = level
            deadline = time.monotonic() + 600
            while delivered(hook_port) < expected_hooks and time.monotonic() < deadline:
                time.sleep(0.05)
            cpu0 = cpu_seconds(fake.pid)
            wall = run_bookings(port, args.threads, args.window)
            answered = time.monotonic()
            held += args.window
            expected_hooks += 2 * args.window  # amount_capturable_updated, succeeded
            while delivered(hook_port) < expected_hooks and time.monotonic() < deadline:
                time.sleep(0.01)
            lag = time.monotonic() - answered
            cpu = cpu_seconds(fake.pid) - cpu0
            requests = 3 * args.window
            print("intents held %6d: %7.0f requests/s, %.3f ms CPU/request, last webhook %.2f s after last answer%s"
                  % (level, requests / wall, 1000 * cpu / requests, lag,
                     "" if delivered(hook_port) >= expected_hooks else " (TIMED OUT)"), flush=True)
    finally:
        fake.terminate()
        fake.wait()
        hook.terminate()


if __name__ == "__main__":
    main()
