"""The append-only, hash-chained audit log.

Every row stores the hash of the previous row and its own hash over its
content, so editing or removing any row breaks the chain from that point on;
``verify_chain`` (``flask --app clinic verify-audit``) finds the first bad row.
Rows get consecutive ``seq`` numbers under a lock (``BEGIN IMMEDIATE`` on
SQLite, a transaction-level advisory lock on PostgreSQL), so two requests
can never fork the chain.

Details are short and never hold health data: ids and field names, not values.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import BigInteger, CheckConstraint, String, Text, select, text
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
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str | None] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    client_id: Mapped[int | None] = mapped_column(index=True)
    details: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))

    def compute_hash(self) -> str:
        payload = {
            "seq": self.seq,
            "occurred_at": self.occurred_at.isoformat(timespec="microseconds"),
            "user_id": self.user_id,
            "ip": self.ip,
            "action": self.action,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "client_id": self.client_id,
            "details": self.details,
            "prev_hash": self.prev_hash,
        }
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


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Walk the chain in order; report the first row that was edited or removed."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    rows = 0
    last_seq = 0
    while True:
        batch = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.seq > last_seq)
            .order_by(AuditEvent.seq)
            .limit(batch_size)
        ).all()
        if not batch:
            return ChainReport(True, rows, expected_prev)
        for event in batch:
            if event.seq != expected_seq:
                return ChainReport(
                    False,
                    rows,
                    expected_prev,
                    expected_seq,
                    f"row {expected_seq} is missing (next row is {event.seq})",
                )
            if event.prev_hash != expected_prev:
                return ChainReport(
                    False,
                    rows,
                    expected_prev,
                    event.seq,
                    f"row {event.seq} does not follow row {event.seq - 1}",
                )
            if event.compute_hash() != event.row_hash:
                return ChainReport(
                    False,
                    rows,
                    expected_prev,
                    event.seq,
                    f"row {event.seq} was changed after it was written",
                )
            expected_prev = event.row_hash
            expected_seq += 1
            rows += 1
            last_seq = event.seq
        db.session.expunge_all()
