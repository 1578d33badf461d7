"""The gunicorn settings every server started from the checkout reads."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

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
