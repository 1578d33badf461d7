"""Shared helpers for the staff-management tests: forms, page parsing, DB reads.

Every read opens its own app context, so what it returns is what the database
holds after the request's commit (or rollback), not a cached object.
"""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from clinic.audit import AuditEvent
from clinic.auth.models import StaffSession, User
from clinic.extensions import db
from tests.helpers import DEFAULT_PASSWORD, login

NEW_PASSWORD = "copper kettle morning drizzle"


def new_staff_form(**overrides) -> dict:
    """A valid "Add a staff member" form; ``overrides`` replace fields."""
    data = {
        "name": "Nora Jones",
        "email": "nora.jones@test.clinic",
        "role": "esthetician",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def field_error(page: str, field_id: str) -> str:
    """The error text shown next to the field ``field_id`` ("" if none)."""
    match = re.search(
        rf'<div id="{re.escape(field_id)}-error"[^>]*>(.*?)</div>', page, re.DOTALL
    )
    if not match:
        return ""
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def page_text(response) -> str:
    """The response body with HTML entities decoded (for message checks)."""
    return html.unescape(response.get_data(as_text=True))


def sign_in_elsewhere(app, user, password: str = DEFAULT_PASSWORD):
    """Sign ``user`` in on a fresh test client: a second, independent browser."""
    other = app.test_client()
    response = login(other, user.email, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert other.get("/dashboard").status_code == 200
    return other


def is_signed_out(browser) -> bool:
    """True when the browser's next page view is sent to the sign-in page."""
    response = browser.get("/dashboard")
    return response.status_code == 302 and response.location.startswith("/login")


def user_state(app, user_id: int) -> dict:
    """Everything a staff-management action could change about one account."""
    with app.app_context():
        user = db.session.get(User, user_id)
        return {
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "active": user.active,
            "must_change_password": user.must_change_password,
            "password_hash": user.password_hash,
            "open_sessions": _count_open_sessions(user_id),
        }


def open_sessions(app, user_id: int) -> int:
    with app.app_context():
        return _count_open_sessions(user_id)


def _count_open_sessions(user_id: int) -> int:
    # Never nest app contexts here: on SQLite a second context is a second
    # connection, which would wait for the first one's write lock.
    return db.session.scalar(
        select(func.count())
        .select_from(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
    )


def find_user(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def staff_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def audit_rows(app, prefix: str = "user.") -> list[tuple]:
    """``(action, user_id, entity_type, entity_id, details)`` in chain order."""
    with app.app_context():
        rows = db.session.execute(
            select(
                AuditEvent.action,
                AuditEvent.user_id,
                AuditEvent.entity_type,
                AuditEvent.entity_id,
                AuditEvent.details,
            )
            .where(AuditEvent.action.startswith(prefix))
            .order_by(AuditEvent.seq)
        ).all()
        return [tuple(row) for row in rows]
