"""The dashboard runs from a folder it may not write to, started by a user who owns nothing there.

Root ignores file permissions, so as root (CI) the server runs as `nobody` through runuser, with an
interpreter `nobody` can read (/usr/bin/python3 in a venv that sees this run's installed packages).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest
from browser_support import REPO, SCREENSHOTS, TIMEOUT_MS, Watched, dashboard_server

pytestmark = pytest.mark.browser
UNPRIVILEGED = "nobody"


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    return [name for name in out.decode().split("\0") if name and (REPO / name).exists()]


def read_only_tree(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(
            (mode | stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH | (0o555 if path.is_dir() else 0))
            & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        )


def readable_packages(top: Path) -> Path:
    """This run's installed packages, where the unprivileged user can read them (a copy if this venv sits
    in a folder it may not enter, such as /root)."""
    installed = Path(sysconfig.get_paths()["purelib"])
    probe = subprocess.run(
        ["runuser", "-u", UNPRIVILEGED, "--", "test", "-r", str(installed / "streamlit" / "__init__.py")]
    )
    if probe.returncode == 0:
        return installed
    copy = top / "site-packages"
    shutil.copytree(installed, copy, symlinks=True)
    return copy


@pytest.fixture(scope="module")
def read_only_install():
    """A copy of the project (its tracked files), read-only for everyone, and how to start it."""
    if os.geteuid() == 0 and not shutil.which("runuser"):
        pytest.skip("runuser is needed to run the server as an unprivileged user")
    top = Path(tempfile.mkdtemp(prefix="dashboard-readonly-"))
    top.chmod(0o755)
    clone = top / "dashboard-install"
    for name in tracked_files():
        target = clone / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    prefix: tuple[str, ...] = ()
    python = sys.executable
    if os.geteuid() == 0:
        venv = top / "venv"
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(venv)], check=True)
        site = next((venv / "lib").glob("python3*/site-packages"))
        (site / "installed.pth").write_text(str(readable_packages(top)) + "\n")
        python = str(venv / "bin" / "python")
        prefix = ("runuser", "-u", UNPRIVILEGED, "--")
        read_only_tree(venv)
    read_only_tree(clone)
    before = sorted(str(p.relative_to(clone)) for p in clone.rglob("*"))
    yield clone, python, prefix
    after = sorted(str(p.relative_to(clone)) for p in clone.rglob("*"))
    for path in [top, *top.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    shutil.rmtree(top)
    assert before == after, "the server created files in the install folder"


def test_the_page_works_from_a_read_only_folder(browser, read_only_install):
    clone, python, prefix = read_only_install
    SCREENSHOTS.mkdir(exist_ok=True)
    log = SCREENSHOTS / "server-readonly.log"
    home = Path(tempfile.mkdtemp(prefix="nobody-home-"))  # like a real user's home, and nothing more
    home.chmod(0o777)
    with dashboard_server(
        cwd=clone, python=python, prefix=prefix, log_path=log, env_extra={"HOME": str(home), "DASHBOARD_CACHE_DIR": ""}
    ) as server:
        if prefix:  # the server itself (runuser's child) really runs as the unprivileged user
            users = subprocess.run(
                ["ps", "-o", "user=", "--ppid", str(server.pid)], capture_output=True, text=True
            ).stdout.split()
            assert users == [UNPRIVILEGED], users
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = Watched(context.new_page(), server.url)
        try:
            painted = page.open("?start=2024-11-28&end=2024-12-12").painted()
            assert painted["count"] == page.summary()[0] > 0
            page.map().locator(".dm-stop-label", has_text=re.compile(r"^3$")).click()
            page.map().locator(".dm-card-popup a.dm-source").wait_for(timeout=TIMEOUT_MS)
            page.page.get_by_role("heading", name=re.compile("Marshall Islands")).wait_for(timeout=TIMEOUT_MS)
            with page.page.expect_download(timeout=TIMEOUT_MS) as info:
                page.page.get_by_role("button", name="Download map (HTML)").click()
            assert "L.map(" in open(info.value.path(), encoding="utf-8").read()
            page.shot("09-read-only-install")
        finally:
            context.close()
        page.check_clean()
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text and "PermissionError" not in text, text[-2000:]
    shutil.rmtree(home, ignore_errors=True)


def test_the_command_line_reads_a_read_only_folder(read_only_install):
    """`validate` and `export` to standard output only read: they work where nothing may be written
    (this replaces a test that root always skipped)."""
    clone, python, prefix = read_only_install
    for command in (["validate"], ["export", "--types", "tour_stop"]):
        result = subprocess.run(
            [*prefix, python, "-m", "dashboard", *command],
            cwd=clone,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "DASHBOARD_CACHE_DIR": ""},  # the default: a cache this user may write
        )
        assert result.returncode == 0, result.stderr
    assert '"FeatureCollection"' in result.stdout
