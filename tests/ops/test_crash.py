"""Issue 9 item 11: a series booking killed mid-transaction leaves nothing.

The app runs under gunicorn (one worker) on this test's database file
(SQLite) or database (PostgreSQL). A 12-session series is booked through the
pages; the crash hook (clinic/crashpoint.py, on only with BENCH_MODE and
CRASH_PAUSE_SERIES) stops the booking once its 12 sessions are flushed, with
the transaction open, and tells the test, which SIGKILLs the worker and the
master: no handler, no rollback, no clean shutdown. Afterwards every table is
as it was before the request, the database is sound, a new server books the
whole series, and the audit chain verifies.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
import urllib.error
from datetime import timedelta

import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from clinic import audit
from clinic.extensions import db
from clinic.roles import Role
from clinic.scheduling.models import Appointment, Series
from tests.helpers import DEFAULT_PASSWORD, login, submit
from tests.ops.support import differences, snapshot
from tests.scheduling.support import (
    add_client,
    build_clinic,
    forms_of,
    next_weekday,
    overlaps,
    today,
)
from tests.servers import Browser, gunicorn

TUE, FRI = 1, 4
WAIT_SECONDS = 60


def server_env(database_uri: str, instance, **extra) -> dict:
    env = {
        **os.environ,
        "CLINIC_INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_uri,
        "SECRET_KEY": "crash-test-secret-key",
        "SESSION_COOKIE_SECURE": "false",
        "CLINIC_TIMEZONE": "Europe/London",
        **extra,
    }
    for name in ("BENCH_MODE", "CRASH_PAUSE_SERIES", "CRASH_PAUSE_SIGNAL_FILE"):
        if name not in extra:
            env.pop(name, None)
    return env


def propose_series(browser, client_id: int, clinic, first_day) -> dict:
    """Plan the 12-session protocol through the page; the confirm form's fields."""
    response = submit(
        browser,
        f"/clients/{client_id}/series/new",
        {
            "protocol": str(clinic.protocol_ids[1]),
            "esthetician": str(clinic.estheticians[0]),
            "first_day": first_day.isoformat(),
            "weekdays": [str(TUE), str(FRI)],
            "preferred_time": "10:00",
        },
    )
    assert response.status_code == 200, response.status_code
    form = next(f for f in forms_of(response) if f["action"].endswith("/confirm"))
    fields = dict(form["fields"])
    assert sum(key.endswith("-day") for key in fields) == 12
    return {**fields, "confirm": "1"}


def write_lock_held(app, database_uri: str) -> bool:
    """Is a write transaction open in the database right now?"""
    if app_dialect(app) == "sqlite":
        conn = sqlite3.connect(make_url(database_uri).database, timeout=0)
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()
        return False
    dsn = make_url(database_uri).set(drivername="postgresql")
    with psycopg.connect(dsn.render_as_string(hide_password=False)) as conn:
        open_writers = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'idle in transaction' AND backend_xid IS NOT NULL"
        ).fetchone()[0]
    return open_writers > 0


def app_dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


def wait_for(predicate, what: str, seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def database_sound(app, database_uri: str) -> None:
    if app_dialect(app) == "sqlite":
        conn = sqlite3.connect(make_url(database_uri).database)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        finally:
            conn.close()
    else:
        dsn = make_url(database_uri).set(drivername="postgresql")
        with psycopg.connect(dsn.render_as_string(hide_password=False)) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)


def committed_counts(app, database_uri: str) -> tuple[int, int]:
    """Series and appointments another connection sees (no BEGIN IMMEDIATE:
    the app's SQLite transactions would wait for the paused writer)."""
    query = "SELECT (SELECT count(*) FROM series), (SELECT count(*) FROM appointment)"
    if app_dialect(app) == "sqlite":
        conn = sqlite3.connect(make_url(database_uri).database)
        try:
            return conn.execute(query).fetchone()
        finally:
            conn.close()
    dsn = make_url(database_uri).set(drivername="postgresql")
    with psycopg.connect(dsn.render_as_string(hide_password=False)) as conn:
        return conn.execute(query).fetchone()


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Series)),
            db.session.scalar(select(func.count()).select_from(Appointment)),
        )


def test_series_killed_mid_transaction_leaves_nothing(
    app, database_uri, make_user, tmp_path
):
    clinic = build_clinic(app)
    desk = make_user(Role.FRONT_DESK)
    clara = add_client(app, "Clara Client")
    first_day = next_weekday(today(app) + timedelta(days=7), TUE)
    signal_file = tmp_path / "paused"
    instance = tmp_path / "instance"
    instance.mkdir()
    env = server_env(
        database_uri,
        instance,
        BENCH_MODE="1",
        CRASH_PAUSE_SERIES="1",
        CRASH_PAUSE_SIGNAL_FILE=str(signal_file),
    )

    outcome = {}
    with gunicorn(env, tmp_path / "gunicorn-1.log", workers=1) as served:
        browser = Browser(served.base_url)
        assert login(browser, desk.email, DEFAULT_PASSWORD).status_code == 302
        fields = propose_series(browser, clara, clinic, first_day)
        before = snapshot(app)

        def confirm():
            try:
                outcome["page"] = browser.post(
                    f"/clients/{clara}/series/confirm", fields
                )
            except (OSError, urllib.error.URLError) as exc:  # the server died
                outcome["error"] = exc

        request = threading.Thread(target=confirm, daemon=True)
        request.start()
        wait_for(signal_file.exists, "the booking to pause inside its transaction")
        worker = int(signal_file.read_text())
        assert worker != served.process.pid
        # The sessions are flushed, not committed: the write transaction is open.
        assert write_lock_held(app, database_uri)
        assert committed_counts(app, database_uri) == (0, 0)

        os.kill(worker, signal.SIGKILL)
        os.killpg(served.process.pid, signal.SIGKILL)
        served.process.wait(timeout=10)
        request.join(WAIT_SECONDS)
    assert "page" not in outcome, "the request finished: it was not interrupted"
    assert served.process.returncode == -signal.SIGKILL

    # PostgreSQL ends the dead client's transaction when it sees the socket close.
    wait_for(lambda: not write_lock_held(app, database_uri), "the transaction to end")
    database_sound(app, database_uri)
    assert counts(app) == (0, 0)
    assert differences(before, snapshot(app)) == []
    with app.app_context():
        assert audit.verify_chain().ok
        db.session.remove()

    # A new server on the same database books the whole series.
    signal_file.unlink()
    env = server_env(database_uri, instance)
    with gunicorn(env, tmp_path / "gunicorn-2.log", workers=1) as served:
        browser = Browser(served.base_url)
        assert login(browser, desk.email, DEFAULT_PASSWORD).status_code == 302
        fields = propose_series(browser, clara, clinic, first_day)
        response = browser.post(f"/clients/{clara}/series/confirm", fields)
        assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    assert not signal_file.exists()
    assert counts(app) == (1, 12)
    assert overlaps(app) == []
    database_sound(app, database_uri)
    with app.app_context():
        report = audit.verify_chain()
        assert report.ok, report
        booked = db.session.scalar(
            select(func.count())
            .select_from(audit.AuditEvent)
            .where(audit.AuditEvent.action == "series.booked")
        )
        assert booked == 1
    print(
        f"\n{app_dialect(app)}: killed with 12 sessions flushed, not committed; "
        f"nothing kept; retry booked 12; audit chain {report.rows} rows intact"
    )


def test_crash_pause_is_inert_without_bench_mode(monkeypatch, database_uri, tmp_path):
    from clinic import create_app
    from clinic.crashpoint import CONFIG_KEY
    from tests.conftest import base_config

    monkeypatch.setenv("CRASH_PAUSE_SERIES", "1")
    monkeypatch.setenv("CRASH_PAUSE_SIGNAL_FILE", str(tmp_path / "never"))
    monkeypatch.setenv("BENCH_MODE", "1")  # a testing app reads it from config only
    assert CONFIG_KEY not in create_app(base_config(database_uri)).config
    on = create_app({**base_config(database_uri), "BENCH_MODE": True})
    assert on.config[CONFIG_KEY][0] == tmp_path / "never"
