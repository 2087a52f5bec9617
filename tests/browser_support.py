"""The real dashboard and a real Chromium for the end-to-end tests: server, browser fixtures, a watched page."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import TimeoutError as PlaywrightTimeout

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "screenshots"
CHROMIUM_ENV = "DASHBOARD_CHROMIUM"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "install it with `apt-get install -y chromium` (Debian/Ubuntu) or set DASHBOARD_CHROMIUM"
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
SUMMARY = re.compile(r"([\d,]+) of ([\d,]+) events")  # 1,000,000 of 1,000,000
TIMEOUT_MS = 45_000


def find_chromium() -> str | None:
    """$DASHBOARD_CHROMIUM, then Debian's /usr/bin/chromium, then the usual names on the PATH."""
    candidates = [os.environ.get(CHROMIUM_ENV), "/usr/bin/chromium"]
    candidates += [shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


@contextmanager
def dashboard_server(
    data_dir: Path | None = None,
    timeout: float = 60.0,
    script: str = "dashboard/app.py",
    log_path: Path | None = None,
    cwd: Path = REPO,
    python: str = sys.executable,
    prefix: tuple[str, ...] = (),
    env_extra: dict | None = None,
) -> Iterator[Server]:
    """Run `streamlit run <script>` on 127.0.0.1:<free port> from `cwd` (as `prefix` says, e.g. as another
    user); stop its process group afterwards."""
    port = free_port()
    env = dict(os.environ)
    if data_dir is not None:
        env["DASHBOARD_DATA_DIR"] = str(data_dir)
    env.update(env_extra or {})
    if log_path is None and SCREENSHOTS.is_dir():
        log_path = SCREENSHOTS / f"server-{port}.log"
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    proc = subprocess.Popen(
        [
            *prefix,
            python,
            "-m",
            "streamlit",
            "run",
            script,
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
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
        yield Server(base, proc.pid)
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


class Watched:
    """A page whose off-host requests are blocked and whose errors are collected."""

    def __init__(self, page, base):
        self.page, self.base = page, base
        self.blocked: list[str] = []
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on(
            "console", lambda msg: self.errors.append(f"console error: {msg.text}") if msg.type == "error" else None
        )
        page.on("dialog", self._dialog)
        page.route("**/*", self._route)

    def _dialog(self, dialog):
        self.errors.append(f"a dialog opened (script ran): {dialog.message}")
        dialog.dismiss()

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.base + "/") or url == self.base or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def open(self, query: str = ""):
        self.page.goto(self.base + "/" + query, wait_until="domcontentloaded")
        self.wait_for_map()
        return self

    def map(self):
        return self.page.frame_locator(MAP_IFRAME).last

    def map_frame(self):
        """The map iframe's document (for evaluate and wait_for_function)."""
        self.page.locator(MAP_IFRAME).last.wait_for(timeout=TIMEOUT_MS)
        return self.page.locator(MAP_IFRAME).last.element_handle().content_frame()

    def painted(self) -> dict | None:
        """What the map last announced it drew: {view, count, at} (window.__dmPainted)."""
        return self.map_frame().evaluate("() => window.__dmPainted || null")

    def wait_for_map(self, after: dict | None = None) -> dict:
        """Wait until the map has drawn a view (a different one than `after`, if given) with its layers and
        the basemap, and the summary is on the page; return what it drew."""
        self.map().locator(".leaflet-container").wait_for(timeout=TIMEOUT_MS)
        view = (after or {}).get("view")
        self.map_frame().wait_for_function(
            "(v) => window.__dmPainted && window.__dmPainted.view !== v", arg=view, timeout=TIMEOUT_MS
        )
        self.map().locator(".leaflet-dmBasemap-pane canvas").first.wait_for(timeout=TIMEOUT_MS, state="attached")
        self.summary()
        return self.painted()

    def summary(self) -> tuple[int, int]:
        locator = self.page.get_by_text(SUMMARY).first
        locator.wait_for(timeout=TIMEOUT_MS)
        shown, total = SUMMARY.search(locator.inner_text()).groups()
        return int(shown.replace(",", "")), int(total.replace(",", ""))

    def wait_until(self, condition, message: str, timeout_s: float = 30):
        """Poll a condition while the page re-renders. Only a Playwright timeout inside the condition counts
        as 'not yet'; any other error (a mistake in the condition) fails at once."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if condition():
                    return
            except PlaywrightTimeout:
                pass
            self.page.wait_for_timeout(100)
        raise AssertionError(message)

    def wait_for_summary(self, predicate, timeout_s: float = 30):
        self.wait_until(lambda: predicate(self.summary()), "the summary never changed as expected", timeout_s)
        return self.summary()

    def query(self) -> dict:
        return {k: v[-1] for k, v in parse_qs(urlparse(self.page.url).query).items()}

    def shot(self, name: str):
        self.page.wait_for_timeout(400)  # let the map's pan and zoom transitions end
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def check_clean(self):
        assert not self.errors, self.errors
        assert not self.blocked, f"the page tried to reach other hosts: {self.blocked[:5]}"


def serious_accessibility_problems(frame) -> list[str]:
    """axe-core (bundled in the axe-playwright-python wheel, nothing from a CDN) on a page or frame: every
    violation of impact serious or critical, as 'rule: element'."""
    import axe_playwright_python

    script = Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text(encoding="utf-8")
    frame.evaluate(script)
    violations = frame.evaluate("() => axe.run(document, {iframes: false}).then(r => r.violations)")
    return [
        f"{v['id']} ({v['impact']}): {n['target']}"
        for v in violations
        if v["impact"] in ("serious", "critical")
        for n in v["nodes"]
    ]
