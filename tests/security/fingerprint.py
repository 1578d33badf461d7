"""A fingerprint of the whole database: every row of every table.

Two fingerprints are equal when no table gained, lost or changed a row, apart
from what ``IGNORED`` says a read may legitimately write.
"""

from __future__ import annotations

from sqlalchemy import select

from clinic.audit import AuditEvent
from clinic.db import Base
from clinic.extensions import db

# Audit actions that record a read (or a reprint) of health data: written on
# GET by design (DESIGN.md guarantee 4), so a crawl of GET pages adds them.
# Reading the audit log itself (page and CSV) is recorded the same way: it
# shows who looked at which client.
READ_AUDIT_ACTIONS = frozenset(
    {
        "client.viewed",
        "intake.answers_viewed",
        "intake.compared",
        "visit.viewed",
        "screening.viewed",
        "aftercare.reprinted",
        "audit.viewed",
        "audit.exported",
    }
)
# Columns a signed-in request may touch: the staff session's last-seen time
# (the idle timeout, written at most once a minute).
IGNORED_COLUMNS = {"staff_session": {"last_seen_at"}}


def fingerprint(app) -> dict[str, list[tuple]]:
    """Table name -> its rows (all columns but the ignored ones), in key order."""
    found = {}
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            ignored = IGNORED_COLUMNS.get(table.name, set())
            columns = [c for c in table.columns if c.name not in ignored]
            stmt = select(*columns).order_by(*table.primary_key.columns)
            if table.name == AuditEvent.__tablename__:
                stmt = stmt.where(AuditEvent.action.not_in(READ_AUDIT_ACTIONS))
            found[table.name] = [tuple(row) for row in db.session.execute(stmt)]
        db.session.rollback()
    return found


def differences(before: dict, after: dict) -> list[str]:
    """Tables whose rows differ, with a short account of how."""
    changed = []
    for name in before:
        old, new = set(before[name]), set(after[name])
        if old != new:
            added, removed = sorted(new - old, key=str), sorted(old - new, key=str)
            changed.append(f"{name}: +{added[:3]} -{removed[:3]}")
    return changed
