"""Helpers of the audit log page tests: staff who leave traces, page parsing."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from clinic import audit
from clinic.audit import AuditEvent
from clinic.extensions import db
from tests.helpers import DEFAULT_PASSWORD, login

_ROW = re.compile(r"<tr>\s*(<td.*?)</tr>", re.DOTALL)
_CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.DOTALL)


def _text(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def entries(response) -> list[dict]:
    """The table's rows: each cell's text, and the lines of the two-line cells."""
    page = response.get_data(as_text=True)
    found = []
    for row in _ROW.findall(page):
        seq, when, staff, what, client, details = _CELL.findall(row)
        time, _, ip = when.partition("<br>")
        action, _, record = what.partition("<br>")
        found.append(
            {
                "seq": int(_text(seq)),
                "time": _text(time),
                "ip": _text(ip),
                "staff": _text(staff),
                "action": _text(action),
                "record": _text(record),
                "client": _text(client),
                "details": _text(details),
            }
        )
    return found


def seqs(response) -> list[int]:
    return [entry["seq"] for entry in entries(response)]


def browser_for(app, user):
    """A second, independent browser signed in as ``user``."""
    browser = app.test_client()
    assert login(browser, user.email, DEFAULT_PASSWORD).status_code == 302
    return browser


def write_rows(app, count: int, action: str = "test.event", **kw) -> None:
    with app.app_context():
        for n in range(count):
            audit.record(action, details=f"n={n}", **kw)
        db.session.commit()


def actions_since(app, seq: int) -> list[tuple]:
    """``(action, user_id, client_id, details)`` of the rows after ``seq``."""
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                select(
                    AuditEvent.action,
                    AuditEvent.user_id,
                    AuditEvent.client_id,
                    AuditEvent.details,
                )
                .where(AuditEvent.seq > seq)
                .order_by(AuditEvent.seq)
            )
        ]


def head(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(AuditEvent.seq))) or 0
