"""Issue 9 item 9: ``flask backup`` and ``flask restore`` round-trip the database.

Real data goes in through the services; after the backup the data is changed
and deleted; the restore must give back every table exactly as it was at
backup time (row counts and a checksum per table over every column in
primary-key order), with an intact audit chain that records the restore.
Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import stat
import time
from datetime import time as clock_time
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, text, update

from clinic import audit
from clinic.audit import AuditEvent
from clinic.backup import BackupError
from clinic.backup.postgres import find_tool
from clinic.clients.models import Client
from clinic.extensions import db
from clinic.scheduling.models import ALLOCATION_EXCLUSION, Appointment
from clinic.visits.models import ZoneNote
from tests.helpers import audit_log_unlocked
from tests.ops.support import differences, fingerprint, populate, snapshot
from tests.scheduling.support import book_directly, local, today


def run(runner, *args):
    result = runner.invoke(args=list(args))
    return result.exit_code, result.output


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq))
        )


def damage(app, ids) -> None:
    """What a bad day does: rows edited, deleted, added, the audit log cut."""
    with app.app_context():
        db.session.execute(update(Client).values(given_name="Overwritten"))
        db.session.execute(delete(ZoneNote))
        db.session.execute(
            update(Appointment)
            .where(Appointment.id == ids["series_appointments"][-1])
            .values(cancel_reason="tampered")
        )
        db.session.commit()
        with audit_log_unlocked(db.session):  # as an intruder would
            db.session.execute(delete(AuditEvent).where(AuditEvent.seq > 5))
    book_directly(
        app,
        ids["clients"][1],
        ids["clinic"].service_id,
        ids["clinic"].estheticians[1],
        local(today(app) + timedelta(days=9), clock_time(11)),
    )


def test_round_trip_restores_every_table_as_it_was(app, runner, tmp_path):
    ids = populate(app)
    at_backup = snapshot(app)
    path = tmp_path / "clinic.backup"

    started = time.perf_counter()
    code, output = run(runner, "backup", str(path))
    backup_seconds = time.perf_counter() - started
    assert code == 0, output

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".*partial")), "temporary file left behind"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert f"SHA-256 {digest}" in output
    assert f"{path.stat().st_size:,} bytes" in output
    for name, table in at_backup.items():
        assert re.search(rf"^  {name} +{len(table.rows):,}$", output, re.M), name
    assert audit_actions(app)[-1] == "backup.created"

    damage(app, ids)
    assert differences(at_backup, snapshot(app))

    started = time.perf_counter()
    code, output = run(runner, "restore", "--force", str(path))
    restore_seconds = time.perf_counter() - started
    assert code == 0, output
    assert f"SHA-256 {digest}" in output

    restored = snapshot(app)
    # The restore appends one audit event to the restored chain; nothing else
    # differs from the moment of the backup.
    events = restored["audit_event"]
    action = events.columns.index("action")
    assert events.rows[-1][action] == "database.restored"
    restored["audit_event"] = type(events)(events.columns, events.rows[:-1])
    assert differences(at_backup, restored, tables=sorted(at_backup)) == []
    assert set(restored) == set(at_backup)
    for name, table in at_backup.items():
        assert restored[name].checksum() == table.checksum(), name

    code, output = run(runner, "verify-audit")
    assert code == 0, output
    assert_guarantees_survive(app)

    # The restored database takes new work (sequences restored on PostgreSQL).
    book_directly(
        app,
        ids["clients"][1],
        ids["clinic"].service_id,
        ids["clinic"].estheticians[1],
        local(today(app) + timedelta(days=9), clock_time(11)),
    )
    with app.app_context():
        assert audit.verify_chain().ok
        dialect = db.engine.dialect.name

    rows = sum(len(t.rows) for t in at_backup.values())
    print(
        f"\n{dialect}: {len(at_backup)} tables, {rows} rows round-tripped; "
        f"backup {backup_seconds:.2f} s ({path.stat().st_size:,} bytes), "
        f"restore {restore_seconds:.2f} s\n{fingerprint(at_backup)}"
    )


def assert_guarantees_survive(app) -> None:
    """Constraints and triggers come back with the data, not only the rows."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            found = db.session.scalar(
                text("SELECT count(*) FROM pg_constraint WHERE conname = :name"),
                {"name": ALLOCATION_EXCLUSION},
            )
            assert found == 1
        else:
            triggers = db.session.scalar(
                text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
            )
            assert triggers >= 3  # the client search index's
            assert db.session.scalar(text("PRAGMA foreign_key_check")) is None
        db.session.remove()


def test_backup_refuses_to_overwrite_an_existing_file(app, runner, tmp_path):
    path = tmp_path / "there.backup"
    path.write_bytes(b"keep me")
    code, output = run(runner, "backup", str(path))
    assert code != 0
    assert "exists; use --force" in output
    assert path.read_bytes() == b"keep me"

    code, output = run(runner, "backup", "--force", str(path))
    assert code == 0, output
    assert path.read_bytes() != b"keep me"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_backup_into_a_missing_folder_is_refused(app, runner, tmp_path):
    code, output = run(runner, "backup", str(tmp_path / "nowhere" / "x.backup"))
    assert code != 0
    assert "does not exist" in output


def test_restore_refuses_what_is_not_a_clinic_backup(app, runner, tmp_path):
    before = snapshot(app)
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup\n" * 100)
    code, output = run(runner, "restore", "--force", str(junk))
    assert code != 0
    assert "not a" in output, output

    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE something (id INTEGER PRIMARY KEY)")
    conn.close()
    code, output = run(runner, "restore", "--force", str(other))
    assert code != 0
    assert "not a" in output, output
    assert differences(before, snapshot(app)) == []


def test_restore_refuses_a_database_with_tables_unless_forced(app, runner, tmp_path):
    path = tmp_path / "clinic.backup"
    assert run(runner, "backup", str(path))[0] == 0
    before = snapshot(app)
    code, output = run(runner, "restore", str(path))
    assert code != 0
    assert "holds" in output and "--force" in output
    assert differences(before, snapshot(app)) == []


def test_restore_into_an_empty_database_needs_no_force(
    app, runner, tmp_path, empty_database_uri
):
    from clinic import create_app
    from tests.conftest import base_config

    populate(app)
    at_backup = snapshot(app)
    path = tmp_path / "clinic.backup"
    assert run(runner, "backup", str(path))[0] == 0

    fresh = create_app(base_config(empty_database_uri))
    code, output = run(fresh.test_cli_runner(), "restore", str(path))
    assert code == 0, output
    restored = snapshot(fresh)
    assert (
        restored["audit_event"].rows[-1][
            restored["audit_event"].columns.index("action")
        ]
        == "database.restored"
    )
    tables = sorted(set(at_backup) - {"audit_event"})
    assert differences(at_backup, restored, tables=tables) == []
    with fresh.app_context():
        db.engine.dispose()


def test_restore_refuses_a_backup_of_a_newer_schema(app, runner, tmp_path):
    with app.app_context():
        db.session.execute(
            text("UPDATE alembic_version SET version_num = 'ffff0000ffff'")
        )
        db.session.commit()
    path = tmp_path / "newer.backup"
    code, output = run(runner, "backup", str(path))
    assert code == 0, output  # a backup is taken whatever the schema
    with app.app_context():
        db.session.execute(
            text("UPDATE alembic_version SET version_num = :v"), {"v": _head()}
        )
        db.session.commit()
    before = snapshot(app)

    code, output = run(runner, "restore", "--force", str(path))
    assert code != 0
    assert "ffff0000ffff is unknown to this code" in output
    assert "newer version of the app" in output
    assert differences(before, snapshot(app)) == []


def test_restore_upgrades_a_backup_of_an_older_schema(app, runner, tmp_path):
    from flask_migrate import downgrade, upgrade

    head = _head()
    with app.app_context():
        downgrade(revision="-1")
        older = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.session.remove()
    assert older != head
    path = tmp_path / "older.backup"
    assert run(runner, "backup", str(path))[0] == 0
    with app.app_context():
        upgrade()
        db.session.remove()

    code, output = run(runner, "restore", "--force", "--no-upgrade", str(path))
    assert code == 0, output
    assert "db upgrade" in output
    with app.app_context():
        assert (
            db.session.scalar(text("SELECT version_num FROM alembic_version")) == older
        )
        db.session.remove()

    code, output = run(runner, "restore", "--force", str(path))
    assert code == 0, output
    assert f"Schema upgraded from {older} to {head}." in output
    with app.app_context():
        assert (
            db.session.scalar(text("SELECT version_num FROM alembic_version")) == head
        )
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) >= 1
    assert run(runner, "verify-audit")[0] == 0


def test_missing_or_old_postgresql_tools_are_named():
    with pytest.raises(BackupError) as refused:
        find_tool("pg_dump", 99)
    assert "PostgreSQL 99 or newer is needed" in str(refused.value)
    assert "postgresql-client-99" in str(refused.value)


def _head() -> str:
    from alembic.script import ScriptDirectory

    from clinic import create_app
    from clinic.extensions import migrate
    from tests.conftest import base_config

    with create_app(base_config("sqlite://")).app_context():
        return ScriptDirectory.from_config(migrate.get_config()).get_current_head()
