"""Two admins removing each other at the same moment must leave one admin.

Each checks "is there another active admin?" and sees the other one. Unless the
check locks what it counts, both changes pass and the clinic is left with no
admin at all. SQLite serialises writers (``BEGIN IMMEDIATE``); on PostgreSQL
the rows counted must be locked. The test holds the first change open until
the second one is provably waiting, so the interleaving is forced, not hoped
for.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

from clinic.admin import services
from clinic.auth.models import User
from clinic.extensions import db
from clinic.roles import Role

WAIT_SECONDS = 10


def wait_until_blocked_or_done(app, worker: threading.Thread) -> None:
    """Return once ``worker`` has finished or waits on a database lock."""
    deadline = time.monotonic() + WAIT_SECONDS
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        while worker.is_alive() and time.monotonic() < deadline:
            if not postgres:
                # SQLite: the worker waits in BEGIN IMMEDIATE; nothing to see.
                worker.join(0.3)
                return
            with db.engine.connect() as conn:
                waiting = conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock'"
                    )
                )
            if waiting:
                return
            time.sleep(0.02)


CHANGES = {
    "deactivate": lambda user, by: services.deactivate_user(user, by=by),
    "demote": lambda user, by: services.update_user(
        user, name=user.name, role=Role.ESTHETICIAN, by=by
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_admins_removing_each_other_at_once_leave_one_admin(app, make_user, change):
    """Of two concurrent "remove the other admin" changes, one is refused."""
    first = make_user(Role.ADMIN)
    second = make_user(Role.ADMIN)
    apply = CHANGES[change]
    outcome = {}

    def second_removes_first() -> None:
        with app.app_context():
            try:
                apply(db.session.get(User, first.id), db.session.get(User, second.id))
                db.session.commit()
                outcome["second"] = "done"
            except services.StaffError as exc:
                db.session.rollback()
                outcome["second"] = str(exc)

    with app.app_context():
        apply(db.session.get(User, second.id), db.session.get(User, first.id))
        worker = threading.Thread(target=second_removes_first)
        worker.start()
        wait_until_blocked_or_done(app, worker)
        db.session.commit()
    worker.join(WAIT_SECONDS)
    assert not worker.is_alive()

    with app.app_context():
        admins = db.session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN, User.active.is_(True))
        )
    assert admins == 1
    assert outcome["second"] == "The clinic needs at least one active admin."
