"""Database foundations: UTC datetimes, SQLite tuning, named constraints."""

from __future__ import annotations

import traceback
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    OperationalError,
    StatementError,
)

from clinic.auth.models import User
from clinic.db import Base
from clinic.extensions import db
from clinic.roles import Role


def test_datetimes_come_back_aware_utc(app, make_user, db_session):
    user = make_user(Role.ADMIN)
    loaded = db_session.get(User, user.id)
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.utcoffset() == timedelta(0)


def test_other_offsets_are_stored_as_utc(app, make_user, db_session):
    user = db_session.get(User, make_user(Role.ADMIN).id)
    paris = timezone(timedelta(hours=1))
    user.locked_until = datetime(2026, 3, 29, 3, 30, tzinfo=paris)
    db_session.commit()
    db_session.expire_all()
    assert db_session.get(User, user.id).locked_until == datetime(
        2026, 3, 29, 2, 30, tzinfo=UTC
    )


def test_naive_datetimes_are_refused(app, make_user, db_session):
    user = db_session.get(User, make_user(Role.ADMIN).id)
    user.locked_until = datetime(2026, 1, 1, 12, 0)
    with pytest.raises(StatementError, match="naive datetime"):
        db_session.commit()
    db_session.rollback()


def test_enum_check_constraint_is_in_the_database(app, make_user, db_session):
    user = make_user(Role.ADMIN)
    with pytest.raises(IntegrityError):
        db_session.execute(
            text("UPDATE \"user\" SET role = 'janitor' WHERE id = :id"), {"id": user.id}
        )
        db_session.flush()
    db_session.rollback()


def test_constraints_follow_the_naming_convention():
    names = {
        constraint.name
        for table in Base.metadata.tables.values()
        for constraint in table.constraints
    }
    assert "pk_user" in names
    assert "uq_user_email" in names
    assert "ck_user_role" in names
    assert "fk_staff_session_user_id_user" in names


def test_sqlite_is_tuned_for_several_users(app, db_session):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas only apply to SQLite")
    assert db_session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db_session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_lock_waits_are_bounded_on_every_connection(app, db_session):
    """DB_LOCK_TIMEOUT_MS: SQLite's busy timeout, PostgreSQL's lock_timeout."""
    assert app.config["DB_LOCK_TIMEOUT_MS"] == 5000
    if db.engine.dialect.name == "sqlite":
        assert db_session.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    else:
        assert db_session.execute(text("SHOW lock_timeout")).scalar() == "5s"
        db_session.commit()  # still set once the transaction is over
        assert db_session.execute(text("SHOW lock_timeout")).scalar() == "5s"


def test_postgresql_sessions_run_in_utc(app, make_user, db_session):
    """psycopg's fast path for timestamptz needs the zone spelled "UTC"."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the session time zone is a PostgreSQL setting")
    assert db_session.execute(text("SHOW TimeZone")).scalar() == "UTC"
    assert db_session.execute(text("SHOW DateStyle")).scalar().startswith("ISO")
    user = make_user(Role.ADMIN)
    loaded = db_session.execute(
        text('SELECT created_at FROM "user" WHERE id = :id'), {"id": user.id}
    ).scalar()
    assert loaded.tzinfo is UTC
    # Still UTC after a transaction ends and the connection is reused.
    db_session.commit()
    assert db_session.execute(text("SHOW TimeZone")).scalar() == "UTC"


def test_sqlite_write_lock_is_taken_at_begin(app, db_session):
    """BEGIN IMMEDIATE: a second transaction waits until the first ends."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("BEGIN IMMEDIATE is the SQLite mechanism")
    engine = db.engine
    first = engine.connect()
    first.begin()
    first.execute(text("SELECT 1"))
    second = engine.connect()
    # Shorten the wait on the raw connection (executing through SQLAlchemy
    # would itself begin a transaction and wait for the lock).
    second.connection.dbapi_connection.execute("PRAGMA busy_timeout = 50")
    with pytest.raises(OperationalError, match="locked"):
        second.execute(text("SELECT 1"))
    second.close()
    first.rollback()
    first.close()


def refuse_inserts_into_client(app) -> None:
    """A trigger that makes every INSERT INTO client fail, with its values."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(
                text(
                    "CREATE FUNCTION refuse_row() RETURNS trigger LANGUAGE plpgsql "
                    "AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
                )
            )
            db.session.execute(
                text(
                    "CREATE TRIGGER refuse_client BEFORE INSERT ON client "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_row()"
                )
            )
        else:
            db.session.execute(
                text(
                    "CREATE TRIGGER refuse_client BEFORE INSERT ON client "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                )
            )
        db.session.commit()


def test_a_failed_insert_shows_no_client_data_in_its_error(app, client, front_desk):
    """Was: the error of a failed INSERT, and so the log line with its
    traceback, listed every value sent ([parameters: ('Zelda',
    'Quixotic-Marsh', ...)]): client data in the log."""
    from tests.clients.support import NEW, client_count, client_form
    from tests.helpers import submit

    refuse_inserts_into_client(app)
    form = client_form(
        given_name="Zelda",
        family_name="Quixotic-Marsh",
        email="zelda.quixotic@example.org",
        phone="+44 7700 900456",
        notes="Pacemaker fitted in 2019",
    )
    # The test client raises what the app would log with its traceback.
    with pytest.raises(DBAPIError) as raised:
        submit(client, NEW, form)
    logged = "".join(traceback.format_exception(raised.value))
    assert client_count(app) == 0
    assert "refused by the test" in logged  # the failure itself
    assert "INSERT INTO client" in logged  # with its statement
    assert "SQL parameters hidden" in logged
    for value in ("Zelda", "Quixotic", "zelda.quixotic", "900456", "Pacemaker"):
        assert value not in logged, value
