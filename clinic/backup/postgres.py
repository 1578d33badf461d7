"""PostgreSQL: ``pg_dump`` (custom format) and a one-transaction restore.

The client programs are looked for in ``/usr/lib/postgresql/<server major>/bin``
first (Debian and Ubuntu install every version there), then on PATH, then in
the other versions' folders; ``pg_dump`` must be at least the server's major
version (it refuses an older one), the restore tools at least the dump's.

The restore replaces the database's ``public`` schema whole: the schema is
dropped and made again, and ``pg_restore``'s script runs after it in one
``psql`` transaction, so a failure (a bad file, a locked table) leaves the
database as it was. Dropping the schema, rather than ``pg_restore --clean``,
also removes tables the dump does not have (those of a newer migration), which
``flask db upgrade`` would otherwise trip over.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL

from clinic.backup import (
    BackupError,
    Report,
    check_revision,
    private_temp_file,
    publish,
    sha256_of,
)

TOOL_TIMEOUT_SECONDS = 3600
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")
_COPY_VERSION = re.compile(
    r"^COPY public\.alembic_version \(version_num\) FROM stdin;\n(.*?)^\\\.$",
    re.MULTILINE | re.DOTALL,
)


def _dsn(url: URL) -> str:
    """A libpq URI without the password (that goes in PGPASSWORD)."""
    return url.set(drivername="postgresql", password=None).render_as_string()


def _env(url: URL) -> dict[str, str]:
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return env


def _connect(url: URL, **kw) -> psycopg.Connection:
    return psycopg.connect(
        url.set(drivername="postgresql").render_as_string(hide_password=False), **kw
    )


def server_major(url: URL) -> int:
    with _connect(url) as conn:
        return int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000


def tool_major(path: str) -> int | None:
    try:
        out = subprocess.run(  # noqa: S603 - a PostgreSQL client program
            [path, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        return None
    match = _VERSION.search(out)
    return int(match.group(1)) if match else None


def find_tool(name: str, at_least: int) -> str:
    """The first ``name`` of major version ``at_least`` or newer (raises if none)."""
    candidates = [
        f"/usr/lib/postgresql/{at_least}/bin/{name}",
        shutil.which(name),
        *sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True),
    ]
    seen = []
    for candidate in candidates:
        if not candidate or candidate in seen or not os.access(candidate, os.X_OK):
            continue
        seen.append(candidate)
        major = tool_major(candidate)
        if major is not None and major >= at_least:
            return candidate
    found = ", ".join(f"{c} ({tool_major(c)})" for c in seen) or "none"
    raise BackupError(
        f"{name} of PostgreSQL {at_least} or newer is needed (found: {found}). "
        f"Install the PostgreSQL {at_least} client programs "
        f"(Debian/Ubuntu: apt-get install postgresql-client-{at_least})."
    )


def _run(args: list[str], url: URL, what: str, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("stdout", subprocess.PIPE)
    result = subprocess.run(  # noqa: S603 - PostgreSQL client programs, no shell
        args,
        env=_env(url),
        stderr=subprocess.PIPE,
        timeout=TOOL_TIMEOUT_SECONDS,
        check=False,
        **kw,
    )
    if result.returncode != 0:
        stderr = result.stderr.decode(errors="replace").strip()
        raise BackupError(f"{what} failed ({result.returncode}): {stderr}")
    return result


def _tables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' "
        "ORDER BY table_name"
    ).fetchall()
    return [name for (name,) in rows]


def _counts(conn: psycopg.Connection) -> dict[str, int]:
    return {
        name: conn.execute(
            sql.SQL("SELECT count(*) FROM public.{}").format(sql.Identifier(name))
        ).fetchone()[0]
        for name in _tables(conn)
    }


def counts_of(url: URL) -> dict[str, int]:
    with _connect(url) as conn:
        return _counts(conn)


def backup(url: URL, dest: Path, *, force: bool) -> Report:
    pg_dump = find_tool("pg_dump", server_major(url))
    temp = private_temp_file(dest)
    try:
        # pg_dump reads the snapshot this transaction exports: the counts
        # printed are those of the file, even while the app keeps writing.
        with _connect(url) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            tables = _tables(conn)
            if "alembic_version" not in tables:
                raise BackupError("the database has no alembic_version table.")
            revision = conn.execute(
                "SELECT version_num FROM alembic_version"
            ).fetchone()[0]
            counts = _counts(conn)
            with temp.open("wb") as out:
                _run(
                    [pg_dump, "--format=custom", f"--snapshot={snapshot}", _dsn(url)],
                    url,
                    "pg_dump",
                    stdout=out,
                )
        publish(temp, dest, force=force)
    finally:
        temp.unlink(missing_ok=True)
    return Report(
        path=dest,
        database="PostgreSQL",
        size=dest.stat().st_size,
        sha256=sha256_of(dest),
        revision=revision,
        row_counts=counts,
    )


def backup_revision(source: Path, url: URL, pg_restore: str) -> str | None:
    """Check ``source`` is a clinic dump; its Alembic revision."""
    listing = subprocess.run(  # noqa: S603
        [pg_restore, "--list", str(source)],
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT_SECONDS,
        check=False,
    )
    if listing.returncode != 0:
        raise BackupError(
            f"{source} is not a pg_dump archive this pg_restore can read: "
            f"{listing.stderr.strip()}"
        )
    if "TABLE DATA public alembic_version" not in listing.stdout:
        raise BackupError(f"{source} has no alembic_version data: not a clinic backup.")
    data = _run(
        [pg_restore, "--data-only", "--table=alembic_version", "-f", "-", str(source)],
        url,
        "pg_restore (reading the schema revision)",
    ).stdout.decode()
    match = _COPY_VERSION.search(data)
    versions = match.group(1).split() if match else []
    return versions[0] if versions else None


def restore(source: Path, url: URL, *, force: bool) -> Report:
    major = server_major(url)
    pg_restore = find_tool("pg_restore", major)
    psql = find_tool("psql", major)
    revision = backup_revision(source, url, pg_restore)
    check_revision(revision)
    with _connect(url) as conn:
        existing = _tables(conn)
    if existing and not force:
        raise BackupError(
            f"the database {url.database} holds {len(existing)} tables; use --force "
            "to replace its public schema with the backup (stop the app first)."
        )
    script = subprocess.Popen(  # noqa: S603
        [pg_restore, "--no-owner", "--no-privileges", "-f", "-", str(source)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(url),
    )
    try:
        loaded = subprocess.run(  # noqa: S603
            [
                psql,
                "--no-psqlrc",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                "--single-transaction",
                "--command=DROP SCHEMA IF EXISTS public CASCADE",
                "--command=CREATE SCHEMA public",
                "--file=-",
                _dsn(url),
            ],
            stdin=script.stdout,
            capture_output=True,
            env=_env(url),
            timeout=TOOL_TIMEOUT_SECONDS,
            check=False,
        )
    finally:
        script.stdout.close()
        script_err = script.stderr.read().decode(errors="replace").strip()
        script.stderr.close()
        script.wait(timeout=TOOL_TIMEOUT_SECONDS)
    if script.returncode != 0 or loaded.returncode != 0:
        problem = script_err or loaded.stderr.decode(errors="replace").strip()
        raise BackupError(f"restore failed; the database was left as it was: {problem}")
    with _connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")  # pg_restore leaves the planner no statistics
        counts = _counts(conn)
    return Report(
        path=source,
        database="PostgreSQL",
        size=source.stat().st_size,
        sha256=sha256_of(source),
        revision=revision,
        row_counts=counts,
    )
