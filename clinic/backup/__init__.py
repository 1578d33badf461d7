"""Backup and restore of the whole database: ``flask --app clinic backup PATH``.

SQLite is copied with the online backup API (a consistent snapshot while the
app keeps running: WAL lets writers go on); PostgreSQL with ``pg_dump`` in its
custom format, inside an exported snapshot so that the printed row counts are
those of the file. A backup holds health data: it is written to a private
temporary file next to PATH (mode 0600), made durable, then moved into place,
so PATH is either absent or a whole backup, never half of one.

Restore checks that the file is a backup of this app (SQLite: integrity check
and an Alembic revision; PostgreSQL: ``pg_restore --list`` and the revision in
its ``alembic_version`` data), refuses a backup from a newer schema than the
code knows, refuses to replace a database that holds tables unless forced,
then replaces the database in one step (SQLite: a file renamed over the
database; PostgreSQL: one transaction) and upgrades an older schema to the
code's head. The app must be stopped while a restore runs.

Backups and restores are recorded in the audit log (no user: the command line).
"""

from __future__ import annotations

import errno
import getpass
import hashlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from clinic import audit
from clinic.extensions import db, migrate


class BackupError(Exception):
    """A backup or restore refused or failed; nothing was replaced."""


@dataclass
class Report:
    """What a backup wrote or a restore put back."""

    path: Path
    database: str  # "SQLite" or "PostgreSQL"
    size: int
    sha256: str
    revision: str
    row_counts: dict[str, int]
    seconds: float = 0.0
    upgraded_to: str | None = None  # restore of an older schema
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.row_counts.values())


# --- schema revisions -----------------------------------------------------------


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(migrate.get_config())


def code_head() -> str:
    return _script().get_current_head()


def check_revision(revision: str | None) -> bool:
    """True if ``revision`` is the code's head, False if older; raises if newer.

    A revision this code does not know comes from a newer version of the app
    (or another app): restoring it would run code against a schema it does
    not understand.
    """
    if not revision:
        raise BackupError("the backup has no schema revision: not a clinic backup.")
    known = {script.revision for script in _script().walk_revisions()}
    if revision not in known:
        raise BackupError(
            f"the backup's schema revision {revision} is unknown to this code: it "
            "comes from a newer version of the app. Install that version (or newer) "
            "to restore it."
        )
    return revision == code_head()


# --- files ------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def private_temp_file(beside: Path) -> Path:
    """An empty file only the owner can read (mkstemp: 0600) next to ``beside``."""
    if not beside.parent.is_dir():
        raise BackupError(f"the folder {beside.parent} does not exist.")
    fd, name = tempfile.mkstemp(
        dir=beside.parent, prefix=f".{beside.name}.", suffix=".partial"
    )
    os.close(fd)
    return Path(name)


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(temp: Path, dest: Path, *, force: bool) -> None:
    """Move the finished ``temp`` to ``dest`` atomically (never over it unless
    ``force``); ``temp`` is gone afterwards whatever happens."""
    try:
        os.chmod(temp, 0o600)
        fsync_path(temp)
        if force:
            os.replace(temp, dest)
        else:
            try:
                # link() fails if dest exists, even if it appeared just now.
                os.link(temp, dest)
            except FileExistsError:
                raise BackupError(
                    f"{dest} exists; use --force to replace it."
                ) from None
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV):
                    raise
                if dest.exists():  # a filesystem without hard links (FAT, SMB)
                    raise BackupError(
                        f"{dest} exists; use --force to replace it."
                    ) from None
                os.replace(temp, dest)
        fsync_path(dest.parent)
    finally:
        temp.unlink(missing_ok=True)


def refuse_existing(dest: Path, force: bool) -> None:
    if dest.exists() and not force:
        raise BackupError(f"{dest} exists; use --force to replace it.")
    if dest.is_dir():
        raise BackupError(f"{dest} is a folder; give a file name.")


# --- the two commands ---------------------------------------------------------


def _database_url():
    return make_url(db.engine.url.render_as_string(hide_password=False))


def create_backup(dest: Path, *, force: bool = False) -> Report:
    """Write a backup of the configured database to ``dest``."""
    from clinic.backup import postgres, sqlite

    dest = Path(dest).expanduser().absolute()
    refuse_existing(dest, force)
    url = _database_url()
    started = time.perf_counter()
    if url.get_backend_name() == "sqlite":
        report = sqlite.backup(Path(url.database), dest, force=force)
    elif url.get_backend_name() == "postgresql":
        report = postgres.backup(url, dest, force=force)
    else:
        raise BackupError(f"no backup for {url.get_backend_name()} databases.")
    report.seconds = time.perf_counter() - started
    _audit(
        "backup.created",
        f"{report.size} bytes, sha256 {report.sha256}, {report.rows} rows",
    )
    return report


def restore_backup(
    source: Path, *, force: bool = False, upgrade: bool = True
) -> Report:
    """Replace the configured database with the backup ``source``."""
    from clinic.backup import postgres, sqlite

    source = Path(source).expanduser().absolute()
    if not source.is_file():
        raise BackupError(f"{source} is not a file.")
    url = _database_url()
    started = time.perf_counter()
    db.session.remove()
    db.engine.dispose()  # the restore must not race this process's own pool
    if url.get_backend_name() == "sqlite":
        report = sqlite.restore(source, Path(url.database), force=force)
    elif url.get_backend_name() == "postgresql":
        report = postgres.restore(source, url, force=force)
    else:
        raise BackupError(f"no restore for {url.get_backend_name()} databases.")
    db.engine.dispose()
    if report.revision != code_head():
        if upgrade:
            from flask_migrate import upgrade as upgrade_schema

            upgrade_schema()
            report.upgraded_to = code_head()
        else:
            report.notes.append(
                f"The schema is at {report.revision}, older than the code "
                f"({code_head()}): run `flask --app clinic db upgrade` before "
                "starting the app."
            )
    if report.upgraded_to or report.revision == code_head():
        # Only a schema the code knows how to write to (an old audit table
        # may differ); the restored chain continues with this event.
        _audit(
            "database.restored",
            f"from backup sha256 {report.sha256} (schema {report.revision})",
        )
    report.row_counts = row_counts()
    report.seconds = time.perf_counter() - started
    return report


def row_counts() -> dict[str, int]:
    """Rows per table of the configured database now."""
    from clinic.backup import postgres, sqlite

    url = _database_url()
    if url.get_backend_name() == "sqlite":
        return sqlite.counts_of(Path(url.database))
    return postgres.counts_of(url)


def _audit(action: str, details: str) -> None:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    audit.record(
        action, entity_type="database", details=f"{details}; by {who} (command line)"
    )
    db.session.commit()
