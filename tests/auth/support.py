"""Small helpers shared by the sign-in tests.

Every database read here opens its own, short app context: the test client's
requests must never share an app context (and so ``g``, the SQLAlchemy session
and Flask-Login's cached user) with the test's own reads.
"""

from __future__ import annotations

import html
import re
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import select

from clinic.auth.models import StaffSession, User
from clinic.extensions import db

GENERIC_FAILURE = "The email or password is incorrect."
SESSION_COOKIE = "clinic_session"

# A fixed, ordinary weekday morning to travel to (no daylight-saving change).
START = datetime(2030, 3, 5, 9, 0, tzinfo=UTC)


@contextmanager
def database(app):
    """``with database(app) as session:`` read or arrange rows, then commit."""
    with app.app_context():
        yield db.session
        db.session.commit()


def load_user(app, user_id: int) -> User:
    """The user row as stored now, detached from any session."""
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def sessions_of(app, user_id: int) -> list[StaffSession]:
    """Every StaffSession row of the user, oldest first, detached."""
    with app.app_context():
        rows = db.session.scalars(
            select(StaffSession)
            .where(StaffSession.user_id == user_id)
            .order_by(StaffSession.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def session_cookie(client) -> str:
    cookie = client.get_cookie(SESSION_COOKIE)
    assert cookie is not None, "no session cookie was set"
    return cookie.value


def signed_in(client) -> bool:
    """True when /dashboard is shown, False when it redirects to sign in."""
    response = client.get("/dashboard")
    if response.status_code == 200:
        return True
    assert response.status_code == 302, response.status_code
    assert response.headers["Location"].startswith("/login")
    return False


def text(response) -> str:
    """The page's text with HTML entities decoded (``&#39;`` -> ``'``)."""
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
