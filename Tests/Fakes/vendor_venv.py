"""The virtual environment the vendor-notification fakes run in (smtp_sink.py, vendor_page_browser.py):
`aiosmtpd` (an SMTP server) and `selenium` (a WebDriver client for Debian's chromium-driver), both
from PyPI, created once at $VENDOR_VENV or Tests/Fakes/.venv-vendor. A script calls
`ensure_venv()` first: outside the environment it creates it if needed and re-runs itself inside.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.abspath(os.environ.get("VENDOR_VENV") or os.path.join(HERE, ".venv-vendor"))
PACKAGES = ["aiosmtpd", "selenium"]


def ensure_venv():
    if os.path.abspath(sys.prefix) == VENV:
        return
    python = os.path.join(VENV, "bin", "python")
    probe = "import aiosmtpd, selenium"
    ready = os.path.exists(python) and subprocess.call(
        [python, "-c", probe], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0
    if not ready:
        # Two fakes may start at once: one creates, the other waits on the lock.
        import fcntl
        os.makedirs(os.path.dirname(VENV), exist_ok=True)
        with open(VENV + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            ready = os.path.exists(python) and subprocess.call(
                [python, "-c", probe], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0
            if not ready:
                print(f"creating {VENV} with {' '.join(PACKAGES)} from PyPI", file=sys.stderr, flush=True)
                subprocess.check_call([sys.executable, "-m", "venv", VENV])
                subprocess.check_call([os.path.join(VENV, "bin", "pip"), "install", "--quiet"] + PACKAGES)
    os.execv(python, [python] + sys.argv)
