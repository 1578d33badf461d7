"""A pause inside a transaction, for the crash-safety test only (issue 9, 11).

Inert unless the app runs with ``BENCH_MODE`` on (never in production) *and*
``CRASH_PAUSE_SERIES=1`` is set: then series booking stops once its sessions
are flushed (written, not committed), writes its process id to
``CRASH_PAUSE_SIGNAL_FILE`` (the test's cue to SIGKILL the server) and waits,
the transaction still open. If
nobody kills it within ``CRASH_PAUSE_SECONDS`` (default 120) it raises, so
the request rolls back instead of hanging for ever.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask import Flask, current_app

CONFIG_KEY = "CRASH_PAUSE"


def init_app(app: Flask, bench_mode: bool) -> None:
    if not (bench_mode and os.environ.get("CRASH_PAUSE_SERIES") == "1"):
        return
    app.config[CONFIG_KEY] = (
        Path(os.environ["CRASH_PAUSE_SIGNAL_FILE"]),
        float(os.environ.get("CRASH_PAUSE_SECONDS", "120")),
    )
    app.logger.warning("CRASH_PAUSE_SERIES=1: series booking will stall.")


def series_flushed() -> None:
    setting = current_app.config.get(CONFIG_KEY)
    if not setting:
        return
    signal_file, seconds = setting
    partial = signal_file.with_suffix(".partial")
    partial.write_text(str(os.getpid()))
    partial.replace(signal_file)
    time.sleep(seconds)
    raise RuntimeError("crash pause: nobody killed the server")
