"""Helpers for the two-factor tests: enrol through the pages, make codes.

Codes are computed with pyotp from the key the set-up page shows, exactly as
a phone would. Tests that depend on which 30-second step it is freeze time
with time-machine.
"""

from __future__ import annotations

import html
import re
from datetime import datetime

import pyotp
from sqlalchemy import select

from clinic.audit import AuditEvent
from clinic.auth.models import RecoveryCode
from clinic.extensions import db
from tests.helpers import DEFAULT_PASSWORD, login, submit

SETUP = "/account/two-factor"
CODE_STEP = "/login/code"

_SECRET = re.compile(r'<code class="otp-secret">([A-Z2-7 ]+)</code>')
_CODES = re.compile(r'<ul class="recovery-codes"[^>]*>(.*?)</ul>', re.DOTALL)


def shown_secret(response) -> str:
    match = _SECRET.search(response.get_data(as_text=True))
    assert match, "no key on the set-up page"
    return match.group(1).replace(" ", "")


def shown_codes(response) -> list[str]:
    match = _CODES.search(response.get_data(as_text=True))
    assert match, "no recovery codes on the page"
    return [html.unescape(code) for code in re.findall(r"<li>([^<]+)</li>", match[1])]


def code_for(secret: str, at: datetime | None = None) -> str:
    totp = pyotp.TOTP(secret)
    return totp.at(at) if at is not None else totp.now()


def enrol(client, password: str = DEFAULT_PASSWORD) -> tuple[str, list[str]]:
    """Set up two-factor for the signed-in member; returns (key, recovery codes)."""
    page = client.get(SETUP)
    assert page.status_code == 200, page.status_code
    secret = shown_secret(page)
    response = submit(client, SETUP, {"code": code_for(secret), "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location == "/account/two-factor/recovery-codes"
    codes = shown_codes(client.get(response.location))
    return secret, codes


def sign_in_with_code(client, email: str, code: str, **kwargs):
    """Password step, then the code step; returns the code step's response."""
    first = login(client, email, DEFAULT_PASSWORD, **kwargs)
    assert first.status_code == 302, first.status_code
    assert first.location == CODE_STEP
    return submit(client, CODE_STEP, {"code": code}, **kwargs)


def audit_actions(app, user_id: int | None = None) -> list[tuple[str, str]]:
    """(action, details) of every audit row, optionally about one user."""
    with app.app_context():
        stmt = select(AuditEvent).order_by(AuditEvent.seq)
        if user_id is not None:
            stmt = stmt.where(
                AuditEvent.entity_type == "user",
                AuditEvent.entity_id == str(user_id),
            )
        return [(row.action, row.details) for row in db.session.scalars(stmt)]


def recovery_rows(app, user_id: int) -> list[RecoveryCode]:
    with app.app_context():
        rows = db.session.scalars(
            select(RecoveryCode).where(RecoveryCode.user_id == user_id)
        ).all()
        db.session.expunge_all()
        return list(rows)
