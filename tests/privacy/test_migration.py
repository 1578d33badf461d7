"""The erasure migration steps down and up with clients present, and keeps
SQLite's client search triggers (a rebuild of ``client`` would drop them)."""

from __future__ import annotations

from datetime import date

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from clinic import create_app
from clinic.clients.models import Client
from clinic.clients.services import create_client, search_clients
from clinic.extensions import db
from tests.conftest import base_config

BEFORE = "5f1c2a7e9b10"


def _triggers() -> int:
    if db.engine.dialect.name != "sqlite":
        return 3
    return db.session.scalar(
        text(
            "SELECT count(*) FROM sqlite_master "
            "WHERE type = 'trigger' AND name LIKE 'client_search_%'"
        )
    )


def test_erasure_columns_step_down_and_up_with_clients(empty_database_uri):
    app = create_app(base_config(empty_database_uri))
    with app.app_context():
        upgrade()
        create_client(
            {
                "given_name": "Wilhelmina",
                "family_name": "Stepwise",
                "date_of_birth": date(1980, 1, 2),
            },
            by_user_id=None,
        )
        db.session.commit()
        downgrade(revision=BEFORE)
        db.session.remove()
        assert db.session.scalar(text("SELECT given_name FROM client")) == "Wilhelmina"
        assert _triggers() == 3
        db.session.remove()
        upgrade()
        client = db.session.scalar(select(Client))
        assert client.erased_at is None and client.erasure_reason == ""
        assert _triggers() == 3
        assert [c.id for c in search_clients("stepwise").clients] == [client.id]
        db.session.remove()
        db.engine.dispose()
