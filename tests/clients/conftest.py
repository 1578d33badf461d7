"""Fixtures of the client tests: clients arranged directly in the database."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from clinic.clients.models import Client
from clinic.clients.services import archive_client, create_client
from clinic.extensions import db


@pytest.fixture
def make_client(app):
    """Store a client without the web form: ``make_client(**overrides)``.

    Returns the detached row. ``archived_by`` (a user id) archives it too.
    """
    counter = itertools.count(1)

    def factory(archived_by: int | None = None, **overrides) -> Client:
        n = next(counter)
        data = {
            "given_name": f"Given{n}",
            "family_name": f"Family{n}",
            "date_of_birth": date(1980, 1, n % 28 + 1),
            "phone": "",
            "email": "",
            "address": "",
            "emergency_contact_name": "",
            "emergency_contact_phone": "",
            "notes": "",
        }
        data.update(overrides)
        with app.app_context():
            row = create_client(data, by_user_id=None)
            if archived_by is not None:
                archive_client(row, by_user_id=archived_by, reason="Moved away")
            db.session.commit()
            db.session.refresh(row)
            db.session.expunge(row)
        return row

    return factory
