"""Whole-chain checks are kept; the page's status continues from the last one."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from clinic import audit
from clinic.audit import AuditCheckpoint, AuditEvent, chain_status, verify_chain
from clinic.extensions import db
from tests.helpers import audit_log_unlocked
from tests.test_audit import write_events


def edit_row(session, seq: int, rehash: bool = False) -> None:
    """Change a row behind the app's back (rehashed: its own hash matches)."""
    with audit_log_unlocked(session):
        if rehash:
            row = session.scalar(select(AuditEvent).where(AuditEvent.seq == seq))
            row.details = "forged"
            row.row_hash = row.compute_hash()
            session.flush()
        else:
            session.execute(
                update(AuditEvent).where(AuditEvent.seq == seq).values(details="x")
            )


def checkpoint(app, by_user_id=None) -> AuditCheckpoint:
    with app.app_context():
        result = audit.check_whole_chain(by_user_id=by_user_id)
        db.session.commit()
        db.session.refresh(result)
        db.session.expunge(result)
        return result


def status(app, **kwargs) -> audit.ChainStatus:
    with app.app_context():
        result = chain_status(**kwargs)
        db.session.expunge_all()  # the checkpoint, read after the context
        db.session.rollback()
        return result


def test_a_whole_chain_check_is_kept(app, db_session):
    write_events(app, 3)
    kept = checkpoint(app, by_user_id=7)
    head = db_session.scalar(select(AuditEvent).where(AuditEvent.seq == 3))
    assert kept.ok and kept.through_seq == 3 and kept.head_hash == head.row_hash
    assert kept.by_user_id == 7 and kept.milliseconds >= 0
    assert kept.checked_at.tzinfo is not None


def test_a_failed_check_is_kept_with_the_bad_row(app, db_session):
    write_events(app, 4)
    edit_row(db_session, 3)
    kept = checkpoint(app)
    assert not kept.ok and kept.first_bad_seq == 3 and kept.through_seq == 2
    assert "changed" in kept.problem


def test_without_a_check_a_small_log_is_checked_whole(app):
    write_events(app, 3)
    found = status(app)
    assert found.ok is True and found.checkpoint is None
    assert found.checked_now == 3 and found.through_seq == 3 and found.rows == 3


def test_the_status_checks_only_rows_after_the_checkpoint(app):
    write_events(app, 3)
    checkpoint(app)
    write_events(app, 2)
    found = status(app)
    assert found.ok is True and found.checkpoint.through_seq == 3
    assert found.checked_now == 2 and found.through_seq == 5 and found.unchecked == 0


def test_a_row_changed_after_the_checkpoint_is_found(app, db_session):
    write_events(app, 3)
    checkpoint(app)
    write_events(app, 2)
    edit_row(db_session, 5)
    found = status(app)
    assert found.ok is False and found.first_bad_seq == 5


def test_the_checkpoints_own_last_row_is_rehashed(app, db_session):
    """A swapped anchor row would pass the next row's link test: it is re-hashed."""
    write_events(app, 3)
    checkpoint(app)
    write_events(app, 1)
    edit_row(db_session, 3, rehash=True)
    found = status(app)
    assert found.ok is False and found.first_bad_seq == 3


def test_older_rows_are_trusted_until_the_next_whole_check(app, db_session):
    """The trade-off of a fast page: an edit before the checkpoint's last row
    is found by the next whole-chain check (nightly, or the page's button)."""
    write_events(app, 4)
    checkpoint(app)
    edit_row(db_session, 2)
    assert status(app).ok is True
    assert not checkpoint(app).ok
    found = status(app)
    assert found.ok is False and found.first_bad_seq == 2
    assert found.checkpoint.first_bad_seq == 2


def test_too_many_new_rows_are_left_unchecked(app):
    write_events(app, 5)
    found = status(app, limit=4)
    assert found.ok is None and found.checked_now == 0 and found.unchecked == 5
    checkpoint(app)
    write_events(app, 4)
    found = status(app, limit=4)
    assert found.ok is True and found.checked_now == 4


def test_the_walk_can_end_its_transaction_between_batches(app, db_session):
    write_events(app, 5)
    calls = []
    report = verify_chain(batch_size=2, between_batches=lambda: calls.append(1))
    assert report.ok and report.rows == 5 and report.through_seq == 5
    assert len(calls) == 2  # after each full batch; the short one is the end


def test_a_walk_from_a_trusted_row_starts_past_it(app, db_session):
    write_events(app, 5)
    third = db_session.scalar(select(AuditEvent).where(AuditEvent.seq == 3))
    report = verify_chain(after=(3, third.row_hash))
    assert report.ok and report.rows == 2 and report.through_seq == 5
    assert not verify_chain(after=(3, audit.GENESIS_HASH)).ok


def test_a_check_sees_the_newest_rows_removed_since_the_last_one(app, db_session):
    """Removing the newest rows leaves a chain that walks clean; the last
    check saw them, so the next one fails."""
    write_events(app, 4)
    checkpoint(app)
    with audit_log_unlocked(db_session):
        db_session.execute(delete(AuditEvent).where(AuditEvent.seq >= 3))
    assert verify_chain().ok
    db_session.rollback()  # SQLite: a read holds the write lock (BEGIN IMMEDIATE)
    kept = checkpoint(app)
    assert not kept.ok and kept.first_bad_seq == 4 and kept.through_seq == 3
    assert "missing" in kept.problem


def test_a_check_sees_the_newest_row_rewritten_since_the_last_one(app, db_session):
    write_events(app, 3)
    checkpoint(app)
    edit_row(db_session, 3, rehash=True)
    assert verify_chain().ok
    db_session.rollback()  # SQLite: a read holds the write lock (BEGIN IMMEDIATE)
    kept = checkpoint(app)
    assert not kept.ok and kept.first_bad_seq == 3
    second = db_session.scalar(select(AuditEvent).where(AuditEvent.seq == 2))
    assert kept.through_seq == 2 and kept.head_hash == second.row_hash
