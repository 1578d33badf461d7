"""The hash-chained audit log: written by one helper, verified by a walk."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError

from clinic import audit
from clinic.audit import AuditEvent, verify_chain
from clinic.extensions import db
from tests.helpers import audit_log_unlocked


def write_events(app, count: int) -> None:
    with app.app_context():
        for n in range(count):
            audit.record(
                "test.event", entity_type="thing", entity_id=n, details=f"n={n}"
            )
        db.session.commit()


def test_rows_chain_to_each_other(app, db_session):
    write_events(app, 3)
    rows = db_session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert [row.seq for row in rows] == [1, 2, 3]
    assert rows[0].prev_hash == audit.GENESIS_HASH
    assert rows[1].prev_hash == rows[0].row_hash
    assert rows[2].prev_hash == rows[1].row_hash
    assert all(row.occurred_at.tzinfo is not None for row in rows)
    report = verify_chain()
    assert report.ok and report.rows == 3 and report.head_hash == rows[2].row_hash


def test_empty_log_verifies(app, db_session):
    report = verify_chain()
    assert report.ok and report.rows == 0


def test_an_edited_row_is_found(app, db_session):
    write_events(app, 4)
    with audit_log_unlocked(db_session):
        db_session.execute(
            update(AuditEvent).where(AuditEvent.seq == 2).values(details="n=99")
        )
    report = verify_chain()
    assert not report.ok
    assert report.first_bad_seq == 2
    assert "changed" in report.problem


def test_a_rehashed_edit_is_found_at_the_next_row(app, db_session):
    """Recomputing the edited row's own hash does not hide it: the chain breaks."""
    write_events(app, 4)
    with audit_log_unlocked(db_session):
        row = db_session.scalar(select(AuditEvent).where(AuditEvent.seq == 2))
        row.details = "forged"
        row.row_hash = row.compute_hash()
        db_session.flush()
    report = verify_chain()
    assert not report.ok and report.first_bad_seq == 3


def test_a_deleted_row_is_found(app, db_session):
    write_events(app, 5)
    with audit_log_unlocked(db_session):
        db_session.execute(delete(AuditEvent).where(AuditEvent.seq == 3))
    report = verify_chain()
    assert not report.ok
    assert report.first_bad_seq == 3
    assert "missing" in report.problem


def test_verify_walks_in_batches(app, db_session):
    write_events(app, 7)
    report = verify_chain(batch_size=2)
    assert report.ok and report.rows == 7


def test_parallel_writers_never_fork_the_chain(app):
    """Concurrent requests append one after another (lock), never on the same row."""
    errors: list[BaseException] = []

    def worker():
        try:
            write_events(app, 5)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        report = verify_chain()
        assert report.ok and report.rows == 30


def test_audit_rows_carry_the_request_ip(app, client, make_user):
    from clinic.roles import Role
    from tests.helpers import login

    user = make_user(Role.ADMIN)
    login(client, user.email, "violet tulip harbour lantern")
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "login")
        )
        assert event.user_id == user.id
        assert event.ip == "127.0.0.1"
        assert event.entity_type == "user" and event.entity_id == str(user.id)


# --- the database refuses to change the log (migration 5f1c2a7e9b10) ----------


TAMPERING = [
    "UPDATE audit_event SET details = 'forged' WHERE seq = 2",
    "DELETE FROM audit_event WHERE seq = 2",
    "DELETE FROM audit_event",
]


@pytest.mark.parametrize("statement", TAMPERING)
def test_the_database_refuses_to_change_or_remove_rows(app, db_session, statement):
    """Raw SQL on the app's own connection is refused; nothing changes."""
    write_events(app, 3)
    with pytest.raises(DatabaseError, match="append-only"):
        db_session.execute(text(statement))
    db_session.rollback()
    report = verify_chain()
    assert report.ok and report.rows == 3


def test_truncate_is_refused_on_postgresql(app, db_session):
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (a bare DELETE is refused above)")
    write_events(app, 2)
    with pytest.raises(DatabaseError, match="append-only"):
        db_session.execute(text("TRUNCATE audit_event"))
    db_session.rollback()
    assert verify_chain().rows == 2


def test_appending_still_works_after_a_refused_tamper(app, db_session):
    write_events(app, 2)
    with pytest.raises(DatabaseError):
        db_session.execute(text("DELETE FROM audit_event WHERE seq = 1"))
    db_session.rollback()
    write_events(app, 2)
    report = verify_chain()
    assert report.ok and report.rows == 4


def test_the_guard_is_back_after_a_tamper_test(app, db_session):
    """``audit_log_unlocked`` restores the triggers, so tests cannot leak it."""
    write_events(app, 2)
    with audit_log_unlocked(db_session):
        db_session.execute(text("DELETE FROM audit_event WHERE seq = 2"))
    with pytest.raises(DatabaseError, match="append-only"):
        db_session.execute(text("DELETE FROM audit_event WHERE seq = 1"))
    db_session.rollback()
