"""Fixtures: a real database per test, an app with CSRF on, users per role.

The schema is built once per run by the Alembic migrations (so every run also
proves that they work) into a template database; each test then gets its own
copy: a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL
(when ``TEST_DATABASE_URL`` is set). Tests commit for real, as the app does.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid

import psycopg
import pytest
from sqlalchemy.engine import make_url

from clinic import create_app
from clinic.extensions import db
from clinic.roles import Role
from tests.helpers import DEFAULT_PASSWORD, login

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def pytest_report_header(config):
    where = TEST_DATABASE_URL and make_url(TEST_DATABASE_URL).render_as_string()
    return f"database: {'PostgreSQL ' + where if where else 'SQLite'}"


def base_config(database_uri: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "SESSION_COOKIE_SECURE": False,
        "WTF_CSRF_ENABLED": True,
        "CLINIC_NAME": "Test Clinic",
        "CLINIC_TIMEZONE": "Europe/London",
        # Cheap argon2 parameters keep hundreds of sign-ins fast; production
        # keeps the library's defaults (tests/auth checks the upgrade path).
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
    }


def migrate_to_head(database_uri: str) -> None:
    from flask_migrate import upgrade

    app = create_app(base_config(database_uri))
    with app.app_context():
        upgrade()
        db.engine.dispose()


class PostgresServer:
    """Creates and drops the run's databases on the server under test."""

    def __init__(self, url: str):
        self.url = make_url(url).set(drivername="postgresql+psycopg")
        self.prefix = f"clinic_test_{uuid.uuid4().hex[:8]}"
        self.counter = itertools.count()

    def _admin(self, sql: str) -> None:
        dsn = self.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql)

    def uri(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def create(self, name: str, template: str | None = None) -> str:
        template_sql = f" TEMPLATE {template}" if template else ""
        self._admin(f"CREATE DATABASE {name}{template_sql}")
        return self.uri(name)

    def drop(self, name: str) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory):
    """Returns ``new_database(empty=False) -> (uri, cleanup)``.

    Each database is a copy of the migrated template, or empty when asked.
    """
    if TEST_DATABASE_URL:
        server = PostgresServer(TEST_DATABASE_URL)
        template = f"{server.prefix}_template"
        migrate_to_head(server.create(template))

        def new_database(empty: bool = False):
            name = f"{server.prefix}_{next(server.counter)}"
            uri = server.create(name, None if empty else template)
            return uri, lambda: server.drop(name)

        yield new_database
        server.drop(template)
    else:
        folder = tmp_path_factory.mktemp("db")
        template = folder / "template.sqlite3"
        migrate_to_head(f"sqlite:///{template}")
        counter = itertools.count()

        def new_database(empty: bool = False):
            path = folder / f"test_{next(counter)}.sqlite3"
            if not empty:
                shutil.copyfile(template, path)
            return f"sqlite:///{path}", lambda: None

        yield new_database


@pytest.fixture
def database_uri(database_factory):
    uri, cleanup = database_factory()
    yield uri
    cleanup()


@pytest.fixture
def empty_database_uri(database_factory):
    uri, cleanup = database_factory(empty=True)
    yield uri
    cleanup()


@pytest.fixture
def app(database_uri, request):
    """The application on this test's own database.

    ``@pytest.mark.app_config(KEY=value)`` overrides settings for one test.
    """
    config = base_config(database_uri)
    marker = request.node.get_closest_marker("app_config")
    if marker:
        config.update(marker.kwargs)
    app = create_app(config)
    # No app context is held open here: each request must get its own, as in
    # production, or state would leak between requests through the session.
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db_session(app):
    """The app's session inside an app context, for arranging and asserting.

    Do not send requests while using it: Flask reuses an open app context for
    test-client requests, so the session, ``g`` and the signed-in user would
    leak between them. Tests that mix requests and queries open a short
    ``with app.app_context():`` per query instead.
    """
    with app.app_context():
        yield db.session


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create a staff account directly: ``make_user(role=..., **overrides)``."""
    from clinic.admin.services import create_user

    counter = itertools.count(1)

    def factory(role: Role = Role.FRONT_DESK, password: str = DEFAULT_PASSWORD, **kw):
        n = next(counter)
        email = kw.pop("email", f"{role.value}{n}@test.clinic")
        name = kw.pop("name", f"{role.label} {n}")
        with app.app_context():
            user = create_user(email, name, role, password)
            for key, value in kw.items():
                setattr(user, key, value)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return factory


@pytest.fixture
def login_as(client, make_user):
    """Sign in through the real form as a new user of ``role``; returns the user."""

    def do_login(role: Role, **kw):
        user = make_user(role, **kw)
        response = login(client, user.email, kw.get("password", DEFAULT_PASSWORD))
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return do_login


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


@pytest.fixture
def front_desk(login_as):
    return login_as(Role.FRONT_DESK)


@pytest.fixture
def esthetician(login_as):
    return login_as(Role.ESTHETICIAN)
