"""The locks a PostgreSQL booking transaction takes on what it touches.

Two bookings of one esthetician, client, room or device queue on an advisory
lock instead of meeting inside the exclusion constraints (where racing inserts
deadlock); bookings that share nothing never wait for each other. SQLite
needs none: every write transaction there begins with ``BEGIN IMMEDIATE``.
Each lock is held to the end of the transaction.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from sqlalchemy import text

from clinic.db import once_per_transaction
from clinic.extensions import db
from clinic.scheduling.models import ResourceKind


class LockSpace(enum.IntEnum):
    """The first key of a booking's PostgreSQL advisory locks (the second is
    the row's id): arbitrary constants, apart from any other lock's."""

    CLIENT = 724_501_201
    ESTHETICIAN = 724_501_202
    ROOM = 724_501_203
    DEVICE = 724_501_204


LockKey = tuple[LockSpace, int]


_SPACE_OF = {
    ResourceKind.ESTHETICIAN: LockSpace.ESTHETICIAN,
    ResourceKind.ROOM: LockSpace.ROOM,
    ResourceKind.DEVICE: LockSpace.DEVICE,
}


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _held_locks() -> set:
    return once_per_transaction(db.session(), ("booking", "locks"), set)


def lock_for_booking(keys: Iterable[LockKey]) -> None:
    """Wait for, then hold to the end of the transaction, a lock per key.

    PostgreSQL only: SQLite serialises every write transaction already
    (``BEGIN IMMEDIATE``). Two bookings of one esthetician, client, room or
    device queue here instead of meeting inside the exclusion constraints
    (where racing inserts deadlock); bookings that share nothing never wait.
    A transaction takes its keys in one sorted batch (a series passes all of
    its sessions' at once), so two bookings cannot each hold what the other
    waits for; a wait is bounded by the connection's ``lock_timeout``.
    """
    if not _postgresql():
        return
    held = _held_locks()
    wanted = sorted(set(keys) - held)
    if not wanted:
        return
    # One statement: PostgreSQL calls a volatile function of a sorted query's
    # output after the sort, so the locks are taken in this order.
    db.session.execute(
        text(
            "SELECT pg_advisory_xact_lock(space, key) "
            "FROM unnest(CAST(:spaces AS integer[]), CAST(:keys AS integer[])) "
            "AS wanted(space, key) ORDER BY space, key"
        ),
        {"spaces": [int(space) for space, _ in wanted], "keys": [k for _, k in wanted]},
    ).all()
    held.update(wanted)


def try_lock(kind: ResourceKind, resource_id: int) -> bool:
    """Take the lock of a room or device picked as the first free one, unless
    another booking holds it (never waits, so it cannot deadlock)."""
    if not _postgresql():
        return True
    key = (_SPACE_OF[kind], resource_id)
    held = _held_locks()
    if key not in held:
        if not db.session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:space, :key)"),
            {"space": int(key[0]), "key": key[1]},
        ):
            return False
        held.add(key)
    return True
