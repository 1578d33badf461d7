"""Browser journeys: the app under gunicorn, driven by Chromium (Playwright).

Collected only when ``CLINIC_E2E=1`` (``make e2e`` sets it), so ``make test``
never starts a browser. For each viewport the session builds a fresh
instance folder (SQLite database, secret key, config), migrates it, loads the
demo data, starts gunicorn on a free port and stops it whatever the outcome.

Environment: ``E2E_CHROMIUM`` (default /usr/bin/chromium), ``E2E_SCREENSHOTS``
(default e2e-screenshots/ at the repository root).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.helpers import CLINIC_TIMEZONE, Journey, Server

if os.environ.get("CLINIC_E2E") != "1":
    collect_ignore_glob = ["test_*.py"]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS", ROOT / "e2e-screenshots"))
VIEWPORTS = {"1280x800": (1280, 800), "768x1024": (768, 1024)}
# seed-demo prints "  Front desk     desk@demo.clinic          <password>".
_ACCOUNT_LINE = re.compile(r"^\s{2}\S.*?\s{2,}(\S+@\S+)\s+(\S+)\s*$")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _flask(env: dict, *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own venv's flask
        [str(BIN / "flask"), "--app", "clinic", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (
        f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


def _wait_until_up(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer {url} within 30 s:\n{log.read_text()}")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM gunicorn's process group (master and workers), then SIGKILL."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@pytest.fixture(scope="session", params=list(VIEWPORTS))
def server(request, tmp_path_factory):
    """A fresh clinic per viewport: migrate, seed-demo, gunicorn; always stopped."""
    width, height = VIEWPORTS[request.param]
    instance = tmp_path_factory.mktemp(f"instance-{request.param}")
    # Many sign-ins from one IP in a few seconds: lift the per-minute limit.
    (instance / "config.py").write_text('LOGIN_RATE_LIMIT = "1000 per minute"\n')
    env = {
        **os.environ,
        "FLASK_APP": "clinic",
        "CLINIC_INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'clinic.sqlite3'}",
        "SESSION_COOKIE_SECURE": "false",
        "CLINIC_TIMEZONE": CLINIC_TIMEZONE,
        "TRUSTED_PROXIES": "0",
    }
    env.pop("SECRET_KEY", None)
    _flask(env, "db", "upgrade")
    seeded = _flask(env, "seed-demo")
    passwords = {}
    for line in seeded.splitlines():
        match = _ACCOUNT_LINE.match(line)
        if match:
            passwords[match.group(1)] = match.group(2)
    assert len(passwords) == 4, f"demo passwords not found in:\n{seeded}"

    port = _free_port()
    log = instance / "gunicorn.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(  # noqa: S603 - fixed command line
            [
                str(BIN / "gunicorn"),
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{port}",
                "--no-control-socket",
                "clinic:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as one
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_up(process, base_url + "/login", log)
        yield Server(
            base_url=base_url,
            passwords=passwords,
            viewport={"width": width, "height": height},
            instance=instance,
        )
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make e2e` installs it with apt-get")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    journey = getattr(item, "funcargs", {}).get("journey")
    if report.when == "call" and report.failed and journey and journey.problems:
        # Stopped early: show what the pages had collected until then too.
        report.sections.append(("axe and page problems", "\n".join(journey.problems)))
    return report


@pytest.fixture
def journey(request, server, browser):
    """A journey's pages, with screenshots in e2e-screenshots/<test>/."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    shots = SCREENSHOTS / name
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    journey = Journey(server=server, browser=browser, shots=shots)
    yield journey
    report = getattr(request.node, "report_call", None)
    if report is None or report.failed:
        journey.failure_screenshots()
    journey.close()
