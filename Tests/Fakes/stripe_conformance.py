#!/usr/bin/env python3
"""Checks the fake Stripe (Sources/fake-stripe) with Stripe's own Python library.

    python3 Tests/Fakes/stripe_conformance.py --fake-stripe .build/debug/fake-stripe

Creates (once) a virtual environment with `stripe` from PyPI, at $STRIPE_VENV or
Tests/Fakes/.venv, and re-runs itself inside it. Starts the fake on a free port, points
`stripe.api_base` at it and runs each check against it; prints PASS/FAIL per check and exits 1
when any failed. The fake's webhooks go to a receiver on a thread here and are verified with
`stripe.Webhook.construct_event`, Stripe's own verifier.
"""
import argparse
import json
import os
import queue
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.abspath(os.environ.get("STRIPE_VENV") or os.path.join(HERE, ".venv"))
SECRET = "whsec_conformance_secret"
API_KEY = "sk_test_conformance"


def ensure_venv():
    """Re-executes this script with the venv's python, creating the venv first when needed."""
    if os.path.abspath(sys.prefix) == VENV:
        return
    python = os.path.join(VENV, "bin", "python")
    ready = os.path.exists(python) and subprocess.call(
        [python, "-c", "import stripe"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0
    if not ready:
        print(f"creating {VENV} with stripe from PyPI", flush=True)
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "stripe>=8"])
    os.execv(python, [python, os.path.abspath(__file__)] + sys.argv[1:])


class Receiver(BaseHTTPRequestHandler):
    """Collects webhook deliveries: (raw body, Stripe-Signature header)."""
    deliveries = queue.Queue()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Receiver.deliveries.put((body, self.headers.get("Stripe-Signature", "")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Fake:
    """One running fake-stripe process."""

    def __init__(self, binary, *arguments):
        self.process = subprocess.Popen([binary, "--port", "0", *arguments], stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise RuntimeError(f"fake-stripe did not start: {line!r}")
        self.base = "http://" + line.split()[-1]

    def control(self, path, body):
        request = urllib.request.Request(self.base + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def raw(self, method, path, form=None, headers=None):
        """(status, headers, JSON body) of one API call, bypassing the library."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Authorization": f"Bearer {API_KEY}", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, error.headers, json.loads(error.read())

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def main():
    ensure_venv()
    import urllib.parse  # noqa: F401 (used by Fake.raw)
    import stripe

    parser = argparse.ArgumentParser()
    parser.add_argument("--fake-stripe", required=True)
    args = parser.parse_args()

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{receiver.server_address[1]}/webhooks/stripe"
    fake = Fake(args.fake_stripe, "--webhook-url", hook_url, "--webhook-secret", SECRET)
    slow = Fake(args.fake_stripe, "--latency-ms", "400")

    stripe.api_key = API_KEY
    stripe.api_base = fake.base
    stripe.max_network_retries = 0
    CardError = getattr(stripe, "CardError", None) or stripe.error.CardError
    IdempotencyError = getattr(stripe, "IdempotencyError", None) or stripe.error.IdempotencyError
    InvalidRequestError = getattr(stripe, "InvalidRequestError", None) or stripe.error.InvalidRequestError
    AuthenticationError = getattr(stripe, "AuthenticationError", None) or stripe.error.AuthenticationError
    APIError = getattr(stripe, "APIError", None) or stripe.error.APIError
    print(f"stripe-python {stripe.VERSION}, fake at {fake.base}", flush=True)

    def manual(**extra):
        return stripe.PaymentIntent.create(
            amount=5000, currency="usd", capture_method="manual",
            metadata={"reservation_id": "res_123"}, transfer_data={"destination": "acct_1Vendor"},
            application_fee_amount=500, **extra)

    def wait_event(event_type, object_id, seconds=10):
        """The first delivered event of this type about this object, verified by stripe-python."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                body, signature = Receiver.deliveries.get(timeout=max(0.05, deadline - time.time()))
            except queue.Empty:
                break
            event = stripe.Webhook.construct_event(body, signature, SECRET)
            data = json.loads(body)["data"]["object"]
            if event.type == event_type and object_id in (data["id"], data.get("payment_intent")):
                return event
        raise AssertionError(f"no {event_type} event for {object_id} within {seconds}s")

    def expect(condition, message):
        if not condition:
            raise AssertionError(message)

    checks = []

    def check(function):
        checks.append(function)
        return function

    @check
    def manual_capture_authorizes_then_captures():
        intent = manual()
        expect(intent.status == "requires_payment_method", intent.status)
        expect(intent.id.startswith("pi_") and intent.client_secret.startswith(intent.id + "_secret_"), intent.client_secret)
        expect(intent.metadata["reservation_id"] == "res_123", intent.metadata)
        expect(intent.transfer_data["destination"] == "acct_1Vendor", intent.transfer_data)
        intent = stripe.PaymentIntent.confirm(intent.id, payment_method="pm_card_visa")
        expect(intent.status == "requires_capture", intent.status)
        expect(intent.amount_capturable == 5000 and intent.latest_charge.startswith("ch_"), intent)
        intent = stripe.PaymentIntent.capture(intent.id, amount_to_capture=4000)
        expect(intent.status == "succeeded" and intent.amount_received == 4000, intent)
        expect(intent.amount_capturable == 0, intent.amount_capturable)
        expect(stripe.PaymentIntent.retrieve(intent.id).status == "succeeded", "retrieve")

    @check
    def create_with_confirm_and_cancel():
        intent = manual(payment_method="pm_card_visa", confirm=True)
        expect(intent.status == "requires_capture", intent.status)
        intent = stripe.PaymentIntent.cancel(intent.id, cancellation_reason="requested_by_customer")
        expect(intent.status == "canceled" and intent.cancellation_reason == "requested_by_customer", intent)
        try:
            stripe.PaymentIntent.capture(intent.id)
            raise AssertionError("capture of a canceled intent succeeded")
        except InvalidRequestError as error:
            expect(error.code == "payment_intent_unexpected_state" and error.http_status == 400, error)

    @check
    def refunds_and_refund_list():
        intent = manual(payment_method="pm_card_visa", confirm=True)
        stripe.PaymentIntent.capture(intent.id)
        first = stripe.Refund.create(payment_intent=intent.id, amount=1000)
        expect(first.id.startswith("re_") and first.amount == 1000 and first.status == "succeeded", first)
        second = stripe.Refund.create(payment_intent=intent.id)
        expect(second.amount == 4000, second.amount)
        expect(stripe.Refund.retrieve(first.id).payment_intent == intent.id, "retrieve refund")
        listed = stripe.Refund.list(payment_intent=intent.id)
        expect(listed.object == "list" and listed.has_more is False, listed)
        expect({r.id for r in listed.data} == {first.id, second.id}, listed)
        try:
            stripe.Refund.create(payment_intent=intent.id, amount=1)
            raise AssertionError("refund beyond the charge succeeded")
        except InvalidRequestError as error:
            expect(error.http_status == 400, error)
        wait_event("charge.refunded", intent.id)

    @check
    def decline_is_a_card_error():
        intent = manual()
        try:
            stripe.PaymentIntent.confirm(intent.id, payment_method="pm_card_chargeDeclinedInsufficientFunds")
            raise AssertionError("declined card confirmed")
        except CardError as error:
            expect(error.http_status == 402 and error.code == "card_declined", error)
            expect(error.error.decline_code == "insufficient_funds", error.error)
            expect(error.error.payment_intent.id == intent.id, error.error)
        intent = stripe.PaymentIntent.retrieve(intent.id)
        expect(intent.status == "requires_payment_method", intent.status)
        expect(intent.last_payment_error.decline_code == "insufficient_funds", intent.last_payment_error)
        wait_event("payment_intent.payment_failed", intent.id)

    @check
    def three_d_secure_requires_action():
        intent = manual(payment_method="pm_card_threeDSecure2Required", confirm=True)
        expect(intent.status == "requires_action" and intent.next_action is not None, intent)
        wait_event("payment_intent.requires_action", intent.id)

    @check
    def idempotent_replay_and_conflict():
        key = f"conformance-{time.time_ns()}"
        first = stripe.PaymentIntent.create(amount=700, currency="usd", capture_method="manual", idempotency_key=key)
        again = stripe.PaymentIntent.create(amount=700, currency="usd", capture_method="manual", idempotency_key=key)
        expect(again.id == first.id, (first.id, again.id))
        expect(again.last_response.headers.get("Idempotent-Replayed") == "true", dict(again.last_response.headers))
        try:
            stripe.PaymentIntent.create(amount=800, currency="usd", capture_method="manual", idempotency_key=key)
            raise AssertionError("key reused with other parameters succeeded")
        except IdempotencyError as error:
            expect(error.http_status == 400, error)

    @check
    def idempotency_key_in_use_while_first_runs():
        key = f"inflight-{time.time_ns()}"
        form = {"amount": "900", "currency": "usd"}
        results = []
        first = threading.Thread(target=lambda: results.append(
            slow.raw("POST", "/v1/payment_intents", form, {"Idempotency-Key": key})))
        first.start()
        time.sleep(0.15)
        status, _, body = slow.raw("POST", "/v1/payment_intents", form, {"Idempotency-Key": key})
        first.join()
        expect(status == 409 and body["error"]["code"] == "idempotency_key_in_use", (status, body))
        expect(results[0][0] == 200, results)

    @check
    def latency_does_not_serialize_requests():
        intent = slow.raw("POST", "/v1/payment_intents", {"amount": "100", "currency": "usd"})[2]
        started = time.time()
        threads = [threading.Thread(target=slow.raw, args=("GET", f"/v1/payment_intents/{intent['id']}"))
                   for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.time() - started
        expect(elapsed < 2.0, f"10 calls of 400 ms took {elapsed:.2f}s")

    @check
    def errors_have_stripes_shape():
        try:
            stripe.PaymentIntent.retrieve("pi_missing")
            raise AssertionError("missing intent found")
        except InvalidRequestError as error:
            expect(error.http_status == 404 and error.code == "resource_missing", error)
            expect((error.request_id or "").startswith("req_"), "an error names its request")
        try:
            stripe.PaymentIntent.create(amount=100)
            raise AssertionError("create without currency succeeded")
        except InvalidRequestError as error:
            expect(error.code == "parameter_missing" and error.param == "currency", error)
        try:
            stripe.PaymentIntent.create(amount=100, currency="usd", colour="blue")
            raise AssertionError("unknown parameter accepted")
        except InvalidRequestError as error:
            expect(error.code == "parameter_unknown" and error.param == "colour", error)
        try:
            stripe.PaymentIntent.retrieve("pi_x", api_key="rk_live_nope")
            raise AssertionError("bad key accepted")
        except AuthenticationError as error:
            expect(error.http_status == 401, error)
            expect((error.request_id or "").startswith("req_"), "a refused key's answer names its request")

    @check
    def webhook_is_signed_the_stripe_way():
        intent = manual(payment_method="pm_card_visa", confirm=True)
        event = wait_event("payment_intent.amount_capturable_updated", intent.id)
        expect(event.id.startswith("evt_") and event.livemode is False and event.api_version, event)
        expect(event.data.object.amount_capturable == 5000, event.data.object)
        body, signature = b'{"id":"evt_forged"}', f"t={int(time.time())},v1=" + "0" * 64
        try:
            stripe.Webhook.construct_event(body, signature, SECRET)
            raise AssertionError("forged signature verified")
        except stripe.SignatureVerificationError if hasattr(stripe, "SignatureVerificationError") \
                else stripe.error.SignatureVerificationError:
            pass

    @check
    def injected_faults():
        intent = manual(payment_method="pm_card_visa", confirm=True)
        fake.control("/_control/faults", {"operation": "capture", "paymentIntent": intent.id, "fault": "api_error", "times": 1})
        try:
            stripe.PaymentIntent.capture(intent.id)
            raise AssertionError("armed api_error did not fail")
        except APIError as error:
            expect(error.http_status == 500, error)
        expect(stripe.PaymentIntent.retrieve(intent.id).status == "requires_capture", "api_error applied the change")
        fake.control("/_control/faults", {"operation": "capture", "fault": "500_after_apply", "times": 1})
        key = f"after-apply-{time.time_ns()}"
        try:
            stripe.PaymentIntent.capture(intent.id, idempotency_key=key)
            raise AssertionError("armed 500_after_apply did not fail")
        except APIError:
            pass
        retried = stripe.PaymentIntent.capture(intent.id, idempotency_key=key)
        expect(retried.status == "succeeded", "the retry under the same key replays the applied capture")

    @check
    def faults_that_leave_the_intent_alone():
        intent = manual()
        expected = [("drop_connection", getattr(stripe, "APIConnectionError", None) or stripe.error.APIConnectionError),
                    ("lock_timeout", getattr(stripe, "RateLimitError", None) or stripe.error.RateLimitError),
                    ("card_error", CardError)]
        for fault, error_type in expected:
            fake.control("/_control/faults", {"operation": "confirm", "paymentIntent": intent.id, "fault": fault, "times": 1})
            try:
                stripe.PaymentIntent.confirm(intent.id, payment_method="pm_card_visa")
                raise AssertionError(f"armed {fault} did not fail")
            except error_type:
                pass
            expect(stripe.PaymentIntent.retrieve(intent.id).status == "requires_payment_method", f"{fault} applied the change")
        confirmed = stripe.PaymentIntent.confirm(intent.id, payment_method="pm_card_visa")
        expect(confirmed.status == "requires_capture", "the faults are used up")

    @check
    def authorization_lapses_after_seven_days():
        intent = manual(payment_method="pm_card_visa", confirm=True)
        fake.control("/_control/clock", {"advanceSeconds": 7 * 24 * 3600})
        intent = stripe.PaymentIntent.retrieve(intent.id)
        expect(intent.status == "canceled" and intent.cancellation_reason == "automatic", intent)
        wait_event("charge.expired", intent.id)

    failures = 0
    try:
        for function in checks:
            try:
                function()
                print(f"PASS {function.__name__}", flush=True)
            except Exception:
                failures += 1
                print(f"FAIL {function.__name__}\n{traceback.format_exc()}", flush=True)
    finally:
        fake.stop()
        slow.stop()
        receiver.shutdown()
    print(f"{len(checks) - failures}/{len(checks)} checks passed", flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
