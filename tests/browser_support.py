"""Starting the real dashboard and a real Chromium for the end-to-end tests (no pytest fixtures here)."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "screenshots"
CHROMIUM_ENV = "DASHBOARD_CHROMIUM"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
INSTALL_HINT = "install it with `apt-get install -y chromium` (Debian/Ubuntu) or set DASHBOARD_CHROMIUM"


def find_chromium() -> str | None:
    """$DASHBOARD_CHROMIUM, then Debian's /usr/bin/chromium, then the usual names on the PATH."""
    candidates = [os.environ.get(CHROMIUM_ENV), "/usr/bin/chromium"]
    candidates += [shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def dashboard_server(data_dir: Path | None = None, timeout: float = 60.0) -> Iterator[str]:
    """Run `streamlit run dashboard/app.py` on 127.0.0.1:<free port>; stop its process group afterwards."""
    port = free_port()
    env = dict(os.environ)
    if data_dir is not None:
        env["DASHBOARD_DATA_DIR"] = str(data_dir)
    log = open(REPO / "screenshots" / f"server-{port}.log", "w") if SCREENSHOTS.is_dir() else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the dashboard did not start on {base} (exit code {proc.poll()})")
            time.sleep(0.3)
        yield base
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if log is not subprocess.DEVNULL:
            log.close()
