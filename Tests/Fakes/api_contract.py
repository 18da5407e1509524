"""Checks of the API contract (openapi/openapi.json) with tools from PyPI, in their own virtual
environment ($CONTRACT_VENV, or .run/venv-contract in the repository), created on first use:

    python3 Tests/Fakes/api_contract.py validate [openapi/openapi.json]
        openapi-spec-validator: the document is valid OpenAPI 3.1.

    python3 Tests/Fakes/api_contract.py fuzz --url http://127.0.0.1:PORT [--max-examples N] [--seed S]
        schemathesis against a live stack (nginx in front of the responder): the document is read
        from the stack's own GET /v1/openapi.json, every check (`--checks all`) in every phase,
        the stateful one included (the document's links: a hold, then reads and answers on it).
        The keys come from the environment: PARTNER_KEY, VENDOR_KEY (the vendor's own key).
        Exit status 0 only with no failure. EndToEndTests' SchemathesisTests runs it.
"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
VENV = os.path.abspath(os.environ.get("CONTRACT_VENV") or os.path.join(ROOT, ".run", "venv-contract"))
# Pinned: a new release adds checks and changes generation, and a run should change only with
# the code it tests.
PACKAGES = ["schemathesis==4.32.5", "openapi-spec-validator==0.9.0"]
PROBE = "import schemathesis, openapi_spec_validator; assert schemathesis.__version__ == '4.32.5'"


def ensure_venv():
    """Outside the environment: create it if needed (under a lock) and re-run this script in it."""
    if os.path.abspath(sys.prefix) == VENV:
        return
    python = os.path.join(VENV, "bin", "python")

    def ready():
        return os.path.exists(python) and subprocess.call(
            [python, "-c", PROBE], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0

    if not ready():
        import fcntl
        os.makedirs(os.path.dirname(VENV), exist_ok=True)
        with open(VENV + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not ready():
                print(f"creating {VENV} with {' '.join(PACKAGES)} from PyPI", file=sys.stderr, flush=True)
                subprocess.check_call([sys.executable, "-m", "venv", "--clear", VENV])
                subprocess.check_call([os.path.join(VENV, "bin", "pip"), "install", "--quiet"] + PACKAGES)
    os.execv(python, [python] + sys.argv)


def validate(path):
    from openapi_spec_validator import validate as check
    from openapi_spec_validator.readers import read_from_filename

    document, _ = read_from_filename(path)
    check(document)
    print(f"{path}: valid OpenAPI {document['openapi']}")
    return 0


# Which answers count as acceptance of schema-valid input (positive_data_acceptance). The default
# (2xx, 401, 403, 404) assumes the schema says everything; ours cannot say the rules that relate
# fields to each other or to stored data: a window of at most 62 days after its start, a slot on
# the vendor's grid and free, a reservation in a state that allows the step, at most 10 webhook
# endpoints, a public webhook host; nor can a generated Stripe event carry a valid signature.
# Those answers are 400 (invalid_parameter, invalid_request, invalid_signature)
# and 409 with the error shape, which the other checks still hold to the document.
CONFIG = """
# The stateful phase follows the document's links (a hold, then reads, answers and payments on
# it; an endpoint, then its actions): longer scenarios, more of them, than the defaults.
[phases.stateful]
max-steps = 30
generation.max-examples = 150

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409"]

[auth.openapi.partnerKey]
bearer = "${PARTNER_KEY}"

[auth.openapi.vendorKey]
bearer = "${VENDOR_KEY}"

[[operations]]
include-operation-id = ["getAvailability", "createReservation", "createWebhookEndpoint", "listReservations", "listVendorReservations", "receiveStripeEvent"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409"]
"""


def fuzz(args):
    for name in ("PARTNER_KEY", "VENDOR_KEY"):
        if not os.environ.get(name):
            print(f"api_contract fuzz: set {name}", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory() as work:
        config = os.path.join(work, "schemathesis.toml")
        with open(config, "w") as f:
            f.write(CONFIG)
        command = [
            os.path.join(VENV, "bin", "schemathesis"), "--config-file", config, "run",
            args.document or args.url.rstrip("/") + "/v1/openapi.json", "--url", args.url,
            "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful",
            "--max-examples", str(args.max_examples), "--seed", str(args.seed), "--workers", "1",
            "--request-timeout", "15", "--no-color", "--generation-database", "none",
        ] + args.extra
        print("running: " + " ".join(command), flush=True)
        return subprocess.call(command, cwd=work)


def main():
    ensure_venv()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate")
    v.add_argument("path", nargs="?", default=os.path.join(ROOT, "openapi", "openapi.json"))
    f = sub.add_parser("fuzz")
    f.add_argument("--url", required=True, help="the stack's base URL (nginx)")
    f.add_argument("--document", help="a document file instead of the stack's GET /v1/openapi.json")
    f.add_argument("--max-examples", type=int, default=25)
    f.add_argument("--seed", type=int, default=14)
    f.add_argument("extra", nargs=argparse.REMAINDER, help="more schemathesis arguments after --")
    args = parser.parse_args()
    if args.command == "validate":
        return validate(args.path)
    if args.extra and args.extra[0] == "--":
        args.extra = args.extra[1:]
    return fuzz(args)


if __name__ == "__main__":
    sys.exit(main())
