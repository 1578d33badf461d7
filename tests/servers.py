"""Start the app under gunicorn for tests that need a real server process.

Shared by the browser tests (tests/e2e) and the crash-safety test
(tests/ops): a free port, gunicorn in its own process group (so master and
workers stop, or die, as one), a wait until it answers, and a stop that
always happens.
"""

from __future__ import annotations

import http.cookiejar
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REQUEST_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flask_command(env: dict, *args: str) -> str:
    """Run ``flask --app clinic ARGS`` with ``env``; its output (fails the test
    if it fails)."""
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


def wait_until_up(process: subprocess.Popen, url: str, log: Path) -> None:
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


def stop(process: subprocess.Popen) -> None:
    """SIGTERM gunicorn's process group (master and workers), then SIGKILL."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@dataclass
class Gunicorn:
    process: subprocess.Popen
    base_url: str
    log: Path


@contextmanager
def gunicorn(
    env: dict,
    log: Path,
    *,
    workers: int = 2,
    ready_path: str = "/login",
    extra_args: tuple[str, ...] = (),
):
    """Serve ``clinic:create_app()`` with ``env``; stopped whatever the outcome.

    Threaded workers: Chromium opens spare connections ahead of need, and a
    sync worker waits on such an idle socket (until its 30 s timeout) while
    the real request queues; in production a buffering proxy absorbs them.
    """
    port = free_port()
    with log.open("w") as log_file:
        process = subprocess.Popen(  # noqa: S603 - fixed command line
            [
                str(BIN / "gunicorn"),
                "-w",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "-b",
                f"127.0.0.1:{port}",
                "--no-control-socket",
                *extra_args,
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
        wait_until_up(process, base_url + ready_path, log)
        yield Gunicorn(process=process, base_url=base_url, log=log)
    finally:
        stop(process)


class Page:
    """Enough of a Flask test response for tests/helpers and forms_of."""

    def __init__(self, status: int, headers, body: bytes):
        self.status_code = status
        self.headers = headers
        self._body = body

    def get_data(self, as_text: bool = False):
        return self._body.decode() if as_text else self._body


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A cookie-keeping HTTP client with the test client's get/post (one new
    connection per request, as urllib makes them)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            _NoRedirect(),
        )

    def _open(self, request, timeout) -> Page:
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return Page(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Page(error.code, error.headers, error.read())

    def get(self, url: str, timeout: float = REQUEST_SECONDS) -> Page:
        return self._open(self.base_url + url, timeout)

    def post(self, url: str, data: dict, timeout: float = REQUEST_SECONDS) -> Page:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(self.base_url + url, body)  # noqa: S310
        return self._open(request, timeout)
