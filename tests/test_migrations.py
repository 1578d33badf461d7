"""Migrations: build the schema from nothing, match the models, step both ways."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from clinic import create_app
from clinic.auth.models import User
from clinic.db import Base, include_object_for
from clinic.extensions import db, migrate
from tests.conftest import base_config
from tests.ops.support import differences, populate, snapshot


def revisions_base_to_head(app) -> list[str]:
    config = migrate.get_config()
    script = ScriptDirectory.from_config(config)
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def model_diff() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": include_object_for(connection.dialect.name),
            },
        )
        return compare_metadata(context, Base.metadata)


def test_upgrade_from_empty_matches_the_models(empty_database_uri):
    app = create_app(base_config(empty_database_uri))
    with app.app_context():
        upgrade()
        assert model_diff() == []
        tables = set(inspect(db.engine).get_table_names())
        assert {"user", "staff_session", "audit_event", "alembic_version"} <= tables
        db.engine.dispose()


def test_each_revision_steps_up_and_down_with_data(empty_database_uri, make_app_user):
    """Upgrade one revision at a time, down to base and up again, data present."""
    app = create_app(base_config(empty_database_uri))
    with app.app_context():
        revisions = revisions_base_to_head(app)
        assert revisions, "no migrations found"
        for revision in revisions:
            upgrade(revision=revision)
        make_app_user()
        for _ in revisions:
            downgrade(revision="-1")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        make_app_user()
        assert db.session.scalar(select(User.email)) == "owner@step.test"
        db.session.remove()  # end the read transaction before inspecting
        assert model_diff() == []
        db.engine.dispose()


def test_each_revision_keeps_real_data_down_and_up(empty_database_uri):
    """From head down, each revision steps down, up and down again over a full
    clinic; tables that survive a step keep every row and shared column.

    Generic on purpose (no per-revision cases): a new migration is checked the
    day it lands. A downgrade may drop its own tables or columns; it must not
    touch the data it leaves in place, and the upgrade back must not either.
    """
    app = create_app(base_config(empty_database_uri))
    with app.app_context():
        upgrade()
        revisions = revisions_base_to_head(app)
        db.session.remove()
    populate(app)
    current = snapshot(app)
    assert current["zone_note"].rows and current["aftercare_print"].rows
    steps = []
    for revision in reversed(revisions):
        with app.app_context():
            downgrade(revision="-1")
        down = snapshot(app)
        assert differences(current, down) == [], f"downgrade of {revision}"
        with app.app_context():
            upgrade(revision=revision)
        assert differences(down, snapshot(app), tables=sorted(down)) == [], (
            f"upgrade to {revision} again"
        )
        with app.app_context():
            downgrade(revision="-1")
        current = snapshot(app)
        assert differences(down, current) == [], f"second downgrade of {revision}"
        assert set(current) == set(down)
        steps.append((revision, sum(len(t.rows) for t in current.values())))
    assert current == {}  # base: nothing but alembic_version

    with app.app_context():
        upgrade()
        db.session.remove()
    populate(app)
    with app.app_context():
        assert model_diff() == []
        db.engine.dispose()
    print(f"\nrows left after each downgrade (head first): {steps}")


def test_only_one_head():
    app = create_app(base_config("sqlite://"))
    with app.app_context():
        script = ScriptDirectory.from_config(migrate.get_config())
        assert len(script.get_heads()) == 1


@pytest.fixture
def make_app_user():
    def create():
        from clinic.admin.services import create_user
        from clinic.roles import Role

        create_user(
            "owner@step.test", "Owner", Role.ADMIN, "violet tulip harbour lantern"
        )
        db.session.commit()

    return create
