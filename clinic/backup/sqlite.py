"""SQLite: the online backup API, and a restore by renaming a checked copy."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from clinic.backup import (
    BackupError,
    Report,
    check_revision,
    fsync_path,
    private_temp_file,
    publish,
    sha256_of,
)
from clinic.db import SEARCH_INDEX_TABLE

# A restore waits this long for the live database; a running app holds it.
IN_USE_TIMEOUT_SECONDS = 2
# A backup, run from the command line, may wait longer for the app's writers
# than a request may (DB_LOCK_TIMEOUT_MS): no worker timeout bounds it.
BACKUP_BUSY_TIMEOUT_SECONDS = 10.0


def _connect(path: Path, *, read_only: bool = False, timeout: float = 10.0):
    target = f"file:{path}?mode=ro" if read_only else f"file:{path}"
    conn = sqlite3.connect(target, uri=True, timeout=timeout, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    return conn


def _tables(conn: sqlite3.Connection) -> list[str]:
    """User tables, without SQLite's own and the derived search index."""
    names = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    ).fetchall()
    return [
        name
        for (name,) in names
        if not name.startswith("sqlite_")
        and name != SEARCH_INDEX_TABLE
        and not name.startswith(SEARCH_INDEX_TABLE + "_")
    ]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {
        name: conn.execute(f"SELECT count(*) FROM {_quoted(name)}").fetchone()[0]  # noqa: S608
        for name in _tables(conn)
    }


def counts_of(path: Path) -> dict[str, int]:
    with closing(_connect(path, read_only=True)) as conn:
        return _counts(conn)


def _checked(conn: sqlite3.Connection, what: Path) -> str | None:
    """The Alembic revision of a sound clinic database (raises otherwise)."""
    try:
        result = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{what} is not an SQLite database ({exc}).") from exc
    if result != [("ok",)]:
        problems = "; ".join(row[0] for row in result[:5])
        raise BackupError(f"{what} fails SQLite's integrity check: {problems}")
    if "alembic_version" not in _tables(conn):
        raise BackupError(f"{what} has no alembic_version table: not a clinic backup.")
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def backup(database: Path, dest: Path, *, force: bool) -> Report:
    if not database.is_file():
        raise BackupError(f"the database {database} does not exist.")
    live = {database.resolve(), *(Path(f"{database}{s}") for s in ("-wal", "-shm"))}
    if dest.resolve() in live:
        raise BackupError("the backup must not be written over the database itself.")
    temp = private_temp_file(dest)
    try:
        with (
            closing(_connect(database, timeout=BACKUP_BUSY_TIMEOUT_SECONDS)) as src,
            closing(_connect(temp)) as copy,
        ):
            # One step: a read snapshot of the whole database. Under WAL the
            # app's writers carry on meanwhile; their commits are not in it.
            src.backup(copy)
            # A single self-contained file, no -wal beside it.
            copy.execute("PRAGMA journal_mode = DELETE")
            revision = _checked(copy, dest)
            counts = _counts(copy)
        publish(temp, dest, force=force)
    finally:
        temp.unlink(missing_ok=True)
    return Report(
        path=dest,
        database="SQLite",
        size=dest.stat().st_size,
        sha256=sha256_of(dest),
        revision=revision,
        row_counts=counts,
    )


def restore(source: Path, database: Path, *, force: bool) -> Report:
    with closing(_connect(source, read_only=True)) as conn:
        revision = _checked(conn, source)
    check_revision(revision)
    sha256 = sha256_of(source)
    if database.exists() and not force:
        with closing(_connect(database, read_only=True)) as conn:
            if _tables(conn):
                raise BackupError(
                    f"the database {database} holds tables; use --force to replace "
                    "it with the backup (stop the app first)."
                )
    database.parent.mkdir(parents=True, exist_ok=True)
    temp = private_temp_file(database)
    try:
        with (
            closing(_connect(source, read_only=True)) as src,
            closing(_connect(temp)) as copy,
        ):
            src.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
            _checked(copy, temp)
            counts = _counts(copy)
        _same_owner_and_mode(temp, database)
        fsync_path(temp)
        _swap_in(temp, database)
    finally:
        temp.unlink(missing_ok=True)
    return Report(
        path=source,
        database="SQLite",
        size=source.stat().st_size,
        sha256=sha256,
        revision=revision,
        row_counts=counts,
    )


def _same_owner_and_mode(temp: Path, database: Path) -> None:
    """The app's user must still open the database: keep the old file's owner
    and mode (0600 for a new one)."""
    if not database.exists():
        os.chmod(temp, 0o600)
        return
    old = database.stat()
    os.chmod(temp, old.st_mode & 0o777)
    if (old.st_uid, old.st_gid) != (temp.stat().st_uid, temp.stat().st_gid):
        try:
            os.chown(temp, old.st_uid, old.st_gid)
        except PermissionError as exc:
            raise BackupError(
                f"cannot give the restored database the owner of {database}: run "
                "the restore as the app's user (or as root)."
            ) from exc


def _swap_in(temp: Path, database: Path) -> None:
    """Rename ``temp`` over ``database``, refusing if anyone has it open.

    Leaving WAL mode needs the only connection to the database: it fails when
    the app is running, and it checkpoints and removes the -wal file, whose
    frames would otherwise be replayed onto the new file. The exclusive lock
    is held across the rename so that nobody writes the old file meanwhile.
    """
    if not database.exists():
        os.replace(temp, database)
        fsync_path(database.parent)
        return
    try:
        with closing(_connect(database, timeout=IN_USE_TIMEOUT_SECONDS)) as old:
            mode = old.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            if mode != "delete":
                raise sqlite3.OperationalError(f"journal mode stayed {mode}")
            old.execute("BEGIN EXCLUSIVE")
            os.replace(temp, database)
            fsync_path(database.parent)
            old.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        raise BackupError(
            f"the database {database} is in use ({exc}): stop the app, then restore."
        ) from exc
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
