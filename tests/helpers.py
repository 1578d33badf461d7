"""Helpers that drive the app the way a browser does: real forms, real CSRF."""

from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import text

DEFAULT_PASSWORD = "violet tulip harbour lantern"

_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_token(client, url: str) -> str:
    """GET ``url`` and return the CSRF token of its first form."""
    html = client.get(url).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {url}"
    return next(group for group in match.groups() if group)


def submit(
    client, url: str, data: dict | None = None, *, page: str | None = None, **kwargs
):
    """POST a form to ``url`` with the CSRF token of ``page`` (default: ``url``)."""
    token = csrf_token(client, page or url)
    return client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


def login(client, email: str, password: str, **kwargs):
    return submit(client, "/login", {"email": email, "password": password}, **kwargs)


def logout(client):
    return submit(client, "/logout", page="/dashboard")


@contextmanager
def audit_log_unlocked(session):
    """Lift the database's append-only guard on ``audit_event`` for a tamper test.

    Migration 5f1c2a7e9b10 makes the database refuse UPDATE and DELETE on the
    audit table. Tests that prove ``verify-audit`` catches tampering must first
    do what an attacker with full control of the database would: disable the
    triggers (PostgreSQL, as the superuser the tests run as) or drop and later
    recreate them (SQLite, whoever holds the file). That this is possible is
    why the hash chain exists as well. Commits the session on the way out.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        yield
        session.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
    else:
        triggers = session.execute(
            text(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name = 'audit_event'"
            )
        ).all()
        assert triggers, "the audit table has no append-only triggers"
        for name, _sql in triggers:
            session.execute(text(f'DROP TRIGGER "{name}"'))
        yield
        for _name, sql in triggers:
            session.execute(text(sql))
    session.commit()
