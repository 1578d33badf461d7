"""Helpers shared by the client tests: forms, page parsing, database reads.

Every read opens its own, short app context, so what it returns is what the
database holds after the request's commit (or rollback), never a cached object,
and no app context is ever open while the test client sends a request.
"""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from clinic.audit import AuditEvent
from clinic.clients.models import Client
from clinic.extensions import db

NEW = "/clients/new"
LIST = "/clients"


def client_form(**overrides) -> dict:
    """A valid "Register a client" form with every field filled in."""
    data = {
        "given_name": "Anna",
        "family_name": "Karlsson",
        "date_of_birth": "1985-06-15",
        "phone": "+44 7700 900123",
        "email": "Anna.Karlsson@Example.org",
        "address": "12 Rosemary Lane\nLondon N1 2AB",
        "emergency_contact_name": "Erik Karlsson",
        "emergency_contact_phone": "020 7946 0000",
        "notes": "Prefers morning appointments.",
    }
    data.update(overrides)
    return data


def client_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Client))


def all_clients(app) -> list[Client]:
    """Every client row as stored now, oldest first, detached."""
    with app.app_context():
        rows = db.session.scalars(select(Client).order_by(Client.id)).all()
        db.session.expunge_all()
        return list(rows)


def load_client(app, client_id: int) -> Client:
    with app.app_context():
        row = db.session.get(Client, client_id)
        assert row is not None, f"client {client_id} is gone"
        db.session.expunge(row)
        return row


def audit_rows(app, action: str) -> list[AuditEvent]:
    """The audit events of ``action``, oldest first, detached."""
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.seq)
        ).all()
        db.session.expunge_all()
        return list(rows)


def page_text(response) -> str:
    """The response body with HTML entities decoded (for message checks)."""
    return html.unescape(response.get_data(as_text=True))


def field_error(response, field_id: str) -> str:
    """The error text rendered next to the field ``field_id`` ("" if none)."""
    match = re.search(
        rf'<div id="{re.escape(field_id)}-error"[^>]*>(.*?)</div>',
        response.get_data(as_text=True),
        re.DOTALL,
    )
    if not match:
        return ""
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def _result_links(response) -> list[tuple[str, str]]:
    """(id, name) of each client linked in the list page's table, in order."""
    body = response.get_data(as_text=True)
    if "<tbody>" not in body:
        return []
    table = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<a href="/clients/(\d+)">([^<]*)</a>', table)


def listed_ids(response) -> list[int]:
    """Ids of the clients in the result table of the list page, in order."""
    return [int(client_id) for client_id, _ in _result_links(response)]


def listed_names(response) -> list[str]:
    """Full names of the clients in the result table, in order."""
    return [html.unescape(name) for _, name in _result_links(response)]


def search(client, query: str, **params):
    return client.get(LIST, query_string={"q": query, **params})


def profile_id(response) -> int:
    """The client id a successful registration redirected to."""
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.fullmatch(r"/clients/(\d+)", response.location)
    assert match, response.location
    return int(match.group(1))


def badge(response) -> tuple[str, str]:
    """(data-status, text) of the profile's screening badge."""
    match = re.search(
        r'<span class="[^"]*eligibility-badge" data-status="([^"]+)">([^<]*)</span>',
        response.get_data(as_text=True),
    )
    assert match, "no screening badge on the page"
    return match.group(1), match.group(2)
