"""The append-only, hash-chained audit log.

Every row stores the hash of the previous row and its own hash over its
content, so editing or removing any row breaks the chain from that point on;
``verify_chain`` (``flask --app clinic verify-audit``) finds the first bad row.
Rows get consecutive ``seq`` numbers under a lock (``BEGIN IMMEDIATE`` on
SQLite, a transaction-level advisory lock on PostgreSQL), so two requests
can never fork the chain.

Details are short and never hold health data: ids and field names, not values.

Walking the whole chain costs about 30 microseconds a row (200,000 rows: 3.5 s
on the reference guest), so it is not done per page: each whole-chain check
(the command, or an admin's button) is kept as an ``AuditCheckpoint``, and the
admin page checks only the rows written since the last good one
(``chain_status``), anchored on the hash that check saw.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Index,
    String,
    Text,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from clinic.clock import utcnow
from clinic.db import UTCDateTime, once_per_transaction
from clinic.extensions import db

GENESIS_HASH = "0" * 64
# An arbitrary constant naming the audit chain's PostgreSQL advisory lock.
_PG_LOCK_KEY = 724_501_113


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (
        CheckConstraint("seq > 0", name="seq_positive"),
        CheckConstraint("length(row_hash) = 64", name="row_hash_length"),
        # The admin page filters by one of these and lists newest first: led
        # by the filter and ending in seq, each is read in order from the
        # newest match, however many rows match (the single-column indexes
        # made the database sort every match: 45 ms for 28,000 sign-ins in a
        # 200,000-row log on SQLite, 0.3 ms with these).
        Index("ix_audit_event_user_id_seq", "user_id", "seq"),
        Index("ix_audit_event_client_id_seq", "client_id", "seq"),
        Index("ix_audit_event_action_seq", "action", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    user_id: Mapped[int | None]
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str | None] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    client_id: Mapped[int | None]
    details: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))

    def compute_hash(self) -> str:
        return _hash_of(*(getattr(self, name) for name in _HASHED))


# The columns a row's hash covers, in the order ``_hash_of`` takes them.
_HASHED = (
    "seq",
    "occurred_at",
    "user_id",
    "ip",
    "action",
    "entity_type",
    "entity_id",
    "client_id",
    "details",
    "prev_hash",
)


def _hash_of(*values) -> str:
    """The hash of a row from its ``_HASHED`` values, in that order."""
    payload = dict(zip(_HASHED, values, strict=True))
    payload["occurred_at"] = payload["occurred_at"].isoformat(timespec="microseconds")
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_chain() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY}
        )


def _chain_head() -> list:
    """[seq, row_hash] of the newest row, under the chain's lock."""
    _lock_chain()
    last = db.session.execute(
        select(AuditEvent.seq, AuditEvent.row_hash)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    return [last.seq, last.row_hash] if last else [0, GENESIS_HASH]


def record(
    action: str,
    *,
    entity_type: str | None = None,
    entity_id: object = None,
    client_id: int | None = None,
    details: str = "",
    user_id: int | None = None,
) -> AuditEvent:
    """Append one event to the chain (the caller's commit keeps it).

    ``user_id`` defaults to the signed-in user and the IP to the request's.
    The lock and the chain's head are taken once per transaction: the lock is
    held to its end, so the head only moves by this transaction's own rows,
    which are then inserted together at the next flush.
    """
    if user_id is None and has_request_context() and current_user.is_authenticated:
        user_id = current_user.id
    ip = request.remote_addr if has_request_context() else None
    head = once_per_transaction(db.session(), ("audit", "head"), _chain_head)
    event = AuditEvent(
        seq=head[0] + 1,
        occurred_at=utcnow(),
        user_id=user_id,
        ip=ip,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        client_id=client_id,
        details=details[:500],
        prev_hash=head[1],
    )
    event.row_hash = event.compute_hash()
    head[:] = [event.seq, event.row_hash]
    db.session.add(event)
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None
    through_seq: int = 0  # the last row found good


def verify_chain(
    batch_size: int = 5000,
    *,
    after: tuple[int, str] = (0, GENESIS_HASH),
    between_batches: Callable[[], object] | None = None,
) -> ChainReport:
    """Walk the chain in order; report the first row that was edited or removed.

    ``after`` (seq, row hash) starts the walk past a row already trusted (a
    checkpoint) instead of at the first row. ``between_batches`` runs after
    each batch: the whole-chain checks end the transaction there, because on
    SQLite every transaction holds the write lock (``BEGIN IMMEDIATE``) and a
    walk of a large log must not stop the clinic writing for seconds.
    Rows are read as tuples, not objects: half the time of loading them.
    """
    last_seq, expected_prev = after
    expected_seq = last_seq + 1
    rows = 0
    columns = [getattr(AuditEvent, name) for name in _HASHED]
    while True:
        batch = db.session.execute(
            select(*columns, AuditEvent.row_hash)
            .where(AuditEvent.seq > last_seq)
            .order_by(AuditEvent.seq)
            .limit(batch_size)
        ).all()
        for row in batch:
            seq, prev_hash, row_hash = row[0], row[-2], row[-1]
            problem = None
            if seq != expected_seq:
                problem = f"row {expected_seq} is missing (next row is {seq})"
                seq = expected_seq
            elif prev_hash != expected_prev:
                problem = f"row {seq} does not follow row {seq - 1}"
            elif _hash_of(*row[:-1]) != row_hash:
                problem = f"row {seq} was changed after it was written"
            if problem:
                return ChainReport(False, rows, expected_prev, seq, problem, last_seq)
            expected_prev = row_hash
            expected_seq += 1
            rows += 1
            last_seq = seq
        if len(batch) < batch_size:  # the end (rows added since: next time)
            return ChainReport(True, rows, expected_prev, through_seq=last_seq)
        if between_batches is not None:
            between_batches()


class AuditCheckpoint(db.Model):
    """The result of one whole-chain check, kept so a page need not redo it.

    Rows are only added. A checkpoint is no stronger than the database it is
    in: whoever can rewrite the log can rewrite this too, which is why the
    head hash should also be kept elsewhere (README, "Audit log").
    """

    __tablename__ = "audit_checkpoint"
    __table_args__ = (
        CheckConstraint("through_seq >= 0", name="through_seq_not_negative"),
        CheckConstraint("length(head_hash) = 64", name="head_hash_length"),
        CheckConstraint(
            "(ok AND first_bad_seq IS NULL AND problem IS NULL) OR "
            "(NOT ok AND first_bad_seq IS NOT NULL AND problem IS NOT NULL)",
            name="ok_or_names_the_bad_row",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ok: Mapped[bool]
    # Rows 1..through_seq were found good; head_hash is row through_seq's hash.
    through_seq: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    first_bad_seq: Mapped[int | None] = mapped_column(BigInteger)
    problem: Mapped[str | None] = mapped_column(String(200))
    milliseconds: Mapped[int]
    by_user_id: Mapped[int | None]  # None: the command line


def check_whole_chain(by_user_id: int | None = None) -> AuditCheckpoint:
    """Verify every row and keep the result (the caller commits).

    The last good check's row is checked again too: the walk alone cannot
    see that the newest rows were removed, or the newest one rewritten with
    its hash, and that check saw them. Ends the session's transaction
    between batches (see ``verify_chain``): call it before changing
    anything else in the session.
    """
    started = time.perf_counter()
    previous = db.session.scalar(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.ok.is_(True))
        .order_by(AuditCheckpoint.id.desc())
        .limit(1)
    )
    anchor = (previous.through_seq, previous.head_hash) if previous else None
    report = verify_chain(between_batches=db.session.rollback)
    if report.ok and anchor:
        report = _check_anchor(*anchor) or report
    checkpoint = AuditCheckpoint(
        ok=report.ok,
        through_seq=report.through_seq,
        head_hash=report.head_hash,
        first_bad_seq=report.first_bad_seq,
        problem=report.problem,
        milliseconds=round((time.perf_counter() - started) * 1000),
        by_user_id=by_user_id,
    )
    db.session.add(checkpoint)
    db.session.flush()
    return checkpoint


# A page checks at most this many rows newer than the last whole-chain check
# as it loads (one batch: about 0.1 s); past that it offers the full check.
PAGE_CHECK_LIMIT = 5000


@dataclass(frozen=True)
class ChainStatus:
    """What is known of the chain now, for the admin page.

    ``ok`` is None when it is unknown: no whole-chain check yet, or more than
    ``PAGE_CHECK_LIMIT`` rows written since the last one.
    """

    ok: bool | None
    rows: int  # rows in the log (the newest seq)
    checkpoint: AuditCheckpoint | None  # the last whole-chain check
    checked_now: int = 0  # rows newer than it, checked for this page
    through_seq: int = 0  # the last row known good
    head_hash: str = GENESIS_HASH  # its hash
    first_bad_seq: int | None = None
    problem: str | None = None

    @property
    def unchecked(self) -> int:
        return self.rows - self.through_seq


def chain_status(limit: int = PAGE_CHECK_LIMIT) -> ChainStatus:
    """The last whole-chain check, continued over the rows written since.

    The continuation trusts the checkpoint's rows (only a whole-chain check
    re-reads them) but re-hashes the checkpoint's own last row, so that row
    cannot be swapped either. Reads only: nothing is stored.
    """
    checkpoint = db.session.scalar(
        select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
    )
    rows = db.session.scalar(select(func.max(AuditEvent.seq))) or 0
    if checkpoint is not None and not checkpoint.ok:
        return ChainStatus(
            False,
            rows,
            checkpoint,
            through_seq=checkpoint.through_seq,
            head_hash=checkpoint.head_hash,
            first_bad_seq=checkpoint.first_bad_seq,
            problem=checkpoint.problem,
        )
    start = (
        (checkpoint.through_seq, checkpoint.head_hash)
        if checkpoint
        else (0, GENESIS_HASH)
    )
    if rows - start[0] > limit:
        return ChainStatus(None, rows, checkpoint, 0, *start)
    report = _check_anchor(*start) or verify_chain(limit, after=start)
    return ChainStatus(
        report.ok,
        rows,
        checkpoint,
        report.rows,
        report.through_seq,
        report.head_hash,
        report.first_bad_seq,
        report.problem,
    )


def _check_anchor(seq: int, row_hash: str) -> ChainReport | None:
    """A failing report if row ``seq`` is no longer the row a check saw."""
    if seq == 0:
        return None
    row = db.session.execute(
        select(
            *(getattr(AuditEvent, name) for name in _HASHED), AuditEvent.row_hash
        ).where(AuditEvent.seq == seq)
    ).first()
    if row is None:
        problem = f"row {seq} is missing (an earlier check saw it)"
    elif row[-1] != row_hash or _hash_of(*row[:-1]) != row_hash:
        problem = f"row {seq} was changed after an earlier check"
    else:
        return None
    before = db.session.scalar(
        select(AuditEvent.row_hash).where(AuditEvent.seq == seq - 1)
    )
    return ChainReport(False, 0, before or GENESIS_HASH, seq, problem, seq - 1)
