"""Database foundations shared by every domain.

The declarative base carries a naming convention so that Alembic sees stable
constraint names on SQLite and PostgreSQL; ``UTCDateTime`` guarantees that
every datetime stored is timezone-aware UTC; ``enum_column`` stores a Python
``enum.Enum`` as its value with a named CHECK constraint.

SQLite is tuned for a multi-user clinic: WAL, a busy timeout, foreign keys, and
transactions that begin with ``BEGIN IMMEDIATE`` so that a check-then-insert
cannot interleave with another writer (DESIGN.md, guarantee 1).

Every lock wait is bounded (``DB_LOCK_TIMEOUT_MS``): SQLite's busy timeout,
PostgreSQL's ``lock_timeout``. A request that waits longer is answered "busy,
try again" (clinic/db_errors.py) long before gunicorn would kill the worker.
"""

from __future__ import annotations

import enum
import sqlite3
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum, MetaData, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from clinic.db_errors import SQLITE_UNUSABLE, sqlite_primary_code

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The range of PostgreSQL's ``integer``, the type of every id and whole-number
# column. SQLite would hold more, but a clinic must be able to move to
# PostgreSQL, so ids beyond it are refused on both (never looked up).
INTEGER_LIMIT = 2**31 - 1


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database.

    PostgreSQL stores ``timestamptz``; SQLite stores UTC text. Naive values are
    refused on the way in: a naive datetime is a bug (whose local time?).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware UTC")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum], name: str) -> Enum:
    """An Enum column type storing ``.value`` with a named CHECK constraint."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        validate_strings=True,
        values_callable=lambda cls: [m.value for m in cls],
    )


def changed_columns(mapper, target) -> list[str]:
    """Column attributes of ``target`` with pending changes (not relationships)."""
    state = inspect(target)
    return [
        attr.key
        for attr in mapper.column_attrs
        if state.attrs[attr.key].history.has_changes()
    ]


def make_immutable(models, error: type[Exception], what: str) -> None:
    """Refuse ORM updates and deletes of ``models`` by raising ``error``.

    ``before_update`` also fires for an object whose relationships changed (a
    new child pointing at it); only a changed column counts as an edit.
    """

    def refuse_update(mapper, _connection, target) -> None:
        changed = changed_columns(mapper, target)
        if changed:
            raise error(
                f"{type(target).__name__} {target.id} is {what}; "
                f"refused change to {', '.join(changed)}"
            )

    def refuse_delete(_mapper, _connection, target) -> None:
        raise error(f"{type(target).__name__} {target.id} is {what}; not deleted")

    for model in models:
        event.listen(model, "before_update", refuse_update)
        event.listen(model, "before_delete", refuse_delete)


def once_per_transaction(session, key, load):
    """``load()`` at most once per database transaction of ``session``.

    For what cannot change under a transaction that holds the lock it took
    (the booking lock, the audit chain's head) and would otherwise be read
    again for every session of a series or every audit row. A savepoint
    rolled back would also release a lock taken inside it and discard rows
    flushed inside it: the memo belongs to the transaction and the savepoint
    it was filled in, and any other scope reads again.
    """
    scope = (session.get_transaction(), session.get_nested_transaction())
    memo = session.info.get("transaction_memo")
    if memo is None or memo[0] != scope:
        memo = session.info["transaction_memo"] = (scope, {})
    if key not in memo[1]:
        memo[1][key] = load()
    return memo[1][key]


def postgresql_only(index):
    """Mark an index that exists on PostgreSQL only (e.g. a trigram index)."""
    index.info["postgresql_only"] = True
    return index.ddl_if(dialect="postgresql")


# SQLite's trigram index of client search (an FTS5 table and its shadow
# tables, made by a migration): not models, so autogenerate must not drop them.
SEARCH_INDEX_TABLE = "client_search"


def include_object_for(dialect_name: str):
    """Alembic ``include_object``: skip PostgreSQL-only indexes elsewhere, and
    the SQLite search index tables."""

    def include_object(obj, name, type_, _reflected, _compare_to) -> bool:
        if type_ == "table" and (
            name == SEARCH_INDEX_TABLE or name.startswith(SEARCH_INDEX_TABLE + "_")
        ):
            return False
        return not (
            type_ == "index"
            and obj.info.get("postgresql_only")
            and dialect_name != "postgresql"
        )

    return include_object


def configure_postgresql(engine: Engine, lock_timeout_ms: int) -> None:
    """Sessions in UTC, dates in ISO, lock waits bounded, on PostgreSQL
    (no-op elsewhere).

    Every time is stored and compared in UTC; psycopg turns each timestamptz
    into a datetime in the session's time zone, and only a zone spelled
    "UTC" gets its fast path: a server set to "Etc/UTC" (Debian's default)
    or a local zone made reading a month of bookings twice as slow.
    Availability reads times as ISO text (``scheduling.queries``), whatever
    date style the server was given. ``lock_timeout`` ends any wait for a
    row, table or advisory lock after ``lock_timeout_ms`` (SQLSTATE 55P03).
    """
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # a SET outside any transaction
        dbapi_connection.execute("SET TIME ZONE 'UTC'")
        dbapi_connection.execute("SET DateStyle = 'ISO'")
        dbapi_connection.execute(f"SET lock_timeout = {int(lock_timeout_ms)}")
        dbapi_connection.autocommit = autocommit


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """Install the connection recipe for SQLite (no-op on other databases).

    pysqlite's own transaction handling is switched off so that SQLAlchemy's
    ``begin`` event can emit ``BEGIN IMMEDIATE``: the write lock is taken at
    the start of the transaction, so two requests can never both pass a check
    and then both insert. This is the recipe of the SQLAlchemy SQLite dialect
    documentation ("Serializable isolation / Savepoints / Transactional DDL").

    A connection that met a file it cannot write, open or read is thrown away
    with the rest of the pool: SQLite opens a file it may not write read-only
    and keeps it so, which kept writes failing after the file was writable
    again, until a restart.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "handle_error")
    def _discard_unusable(context) -> None:
        if sqlite_primary_code(context.original_exception) in SQLITE_UNUSABLE:
            context.is_disconnect = True
