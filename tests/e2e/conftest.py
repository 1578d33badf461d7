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
from pathlib import Path

import pytest

from tests.e2e.helpers import CLINIC_TIMEZONE, Journey, Server
from tests.servers import ROOT, gunicorn
from tests.servers import flask_command as _flask

if os.environ.get("CLINIC_E2E") != "1":
    collect_ignore_glob = ["test_*.py"]

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


@pytest.fixture(scope="session", params=list(VIEWPORTS))
def server(request, tmp_path_factory):
    """A fresh clinic per viewport: migrate, seed-demo, gunicorn; always stopped."""
    width, height = VIEWPORTS[request.param]
    instance = tmp_path_factory.mktemp(f"instance-{request.param}")
    # Many sign-ins from one IP in a few seconds: lift the per-minute limit.
    # The demo's appointments are at fixed hours today and the journeys run
    # at any hour: check-in opens at midnight of the day (its window has
    # tests of its own).
    (instance / "config.py").write_text(
        'LOGIN_RATE_LIMIT = "1000 per minute"\nCHECK_IN_OPENS_MINUTES = 1440\n'
    )
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

    with gunicorn(env, instance / "gunicorn.log") as served:
        yield Server(
            base_url=served.base_url,
            passwords=passwords,
            viewport={"width": width, "height": height},
            instance=instance,
        )


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
