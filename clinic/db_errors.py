"""Which database errors are the database's state rather than a bug.

A lock wait that ran out means "busy, try again in a moment"; a database that
cannot be reached, opened or written means "unavailable". Both are answered
with a 503 and Retry-After (clinic/errors.py) instead of a 500, and neither
left anything half-written: the request's transaction is rolled back.
"""

from __future__ import annotations

import enum
import sqlite3

from sqlalchemy.exc import DBAPIError, OperationalError


class Trouble(enum.Enum):
    BUSY = "busy"
    UNAVAILABLE = "unavailable"


# SQLite's primary result codes (the low byte of an extended code).
_SQLITE_BUSY = 5  # another connection holds the write lock: busy_timeout ran out
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8  # the file (or its directory) cannot be written
_SQLITE_IOERR = 10
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
SQLITE_UNUSABLE = frozenset(
    {_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN}
)

# PostgreSQL SQLSTATEs: lock_timeout ran out; the server is shutting down,
# starting up or has no connection left (class 08 is any connection failure).
_PG_LOCK_NOT_AVAILABLE = "55P03"
_PG_UNAVAILABLE = frozenset({"57P01", "57P02", "57P03", "53300"})


def sqlite_primary_code(error: BaseException | None) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def database_trouble(exc: BaseException) -> Trouble | None:
    """BUSY, UNAVAILABLE, or None for any other error (a bug: a 500)."""
    if not isinstance(exc, DBAPIError):
        return None
    if exc.connection_invalidated:
        return Trouble.UNAVAILABLE
    if isinstance(exc.orig, sqlite3.Error):
        code = sqlite_primary_code(exc.orig)
        if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
            return Trouble.BUSY
        return Trouble.UNAVAILABLE if code in SQLITE_UNUSABLE else None
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate == _PG_LOCK_NOT_AVAILABLE:
        return Trouble.BUSY
    if sqlstate in _PG_UNAVAILABLE or (sqlstate or "").startswith("08"):
        return Trouble.UNAVAILABLE
    # psycopg's own failures (connection refused, server gone) carry no
    # SQLSTATE: the server never answered.
    if sqlstate is None and isinstance(exc, OperationalError):
        return Trouble.UNAVAILABLE
    return None
