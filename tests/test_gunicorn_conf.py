"""The gunicorn settings every server started from the checkout reads."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

from clinic.config import Defaults

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_workers_freeze_their_start_up_objects():
    settings = runpy.run_path(str(CONF))
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        settings["post_worker_init"](worker=None)
        # The objects alive now (this test session's modules and apps) are
        # out of the collector's way.
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def test_a_lock_wait_ends_long_before_the_worker_timeout():
    """A request that waits for a lock gets a "busy" page; one that outlived
    the worker timeout would be killed without any answer."""
    timeout_ms = runpy.run_path(str(CONF))["timeout"] * 1000
    lock_wait_ms = Defaults.DB_LOCK_TIMEOUT_MS
    assert lock_wait_ms <= timeout_ms / 5
