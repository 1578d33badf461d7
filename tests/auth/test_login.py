"""Signing in: a fresh server-side session, safe redirects, one generic failure."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import timedelta

import argon2
import pytest
from sqlalchemy import select

from clinic.audit import AuditEvent
from clinic.auth.models import StaffSession, User
from clinic.clock import utcnow
from clinic.roles import Role
from tests.auth.support import (
    GENERIC_FAILURE,
    database,
    field_error,
    load_user,
    sessions_of,
    signed_in,
    text,
)
from tests.helpers import DEFAULT_PASSWORD, login, logout, submit

WRONG_PASSWORD = "not the right password at all"


def sid_of(client) -> str:
    """The random session token the browser holds in its (signed) cookie."""
    with client.session_transaction() as flask_session:
        return flask_session["sid"]


# --- success -----------------------------------------------------------------


def test_login_opens_a_server_side_session_and_redirects_to_dashboard(
    app, client, make_user
):
    """A good login stores one open StaffSession and lands on the dashboard."""
    user = make_user(Role.FRONT_DESK, name="Ana Lopez")
    assert sessions_of(app, user.id) == []

    response = login(client, user.email, DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    (row,) = sessions_of(app, user.id)
    assert row.ended_at is None
    assert row.ip == "127.0.0.1"
    # Only a hash of the browser's token is stored, and it is this browser's.
    token = sid_of(client)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200
    assert "Welcome, Ana Lopez." in text(dashboard)
    stored = load_user(app, user.id)
    assert stored.last_login_at is not None
    assert stored.failed_login_count == 0


def test_login_drops_everything_the_old_cookie_held(app, client, make_user):
    """Session fixation: nothing planted in the cookie before login survives it."""
    user = make_user()
    client.get("/login")
    with client.session_transaction() as flask_session:
        flask_session["sid"] = "planted-by-an-attacker"
        flask_session["planted"] = "value"

    assert login(client, user.email, DEFAULT_PASSWORD).status_code == 302

    with client.session_transaction() as flask_session:
        assert "planted" not in flask_session
        assert flask_session["sid"] != "planted-by-an-attacker"


def test_every_login_gets_a_new_session_token(app, client, make_user):
    """Signing in again after signing out never reuses the earlier session."""
    user = make_user()
    login(client, user.email, DEFAULT_PASSWORD)
    first_token = sid_of(client)
    logout(client)
    login(client, user.email, DEFAULT_PASSWORD)

    assert sid_of(client) != first_token
    first, second = sessions_of(app, user.id)
    assert first.ended_at is not None
    assert second.ended_at is None
    assert first.token_hash != second.token_hash


def test_login_sets_an_httponly_samesite_cookie(client, make_user):
    """The session cookie cannot be read by scripts nor sent cross-site on POST."""
    user = make_user()
    response = login(client, user.email, DEFAULT_PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("clinic_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_email_is_case_insensitive(app, make_user):
    """Any capitalisation (and stray spaces) of the email signs in."""
    user = make_user(email="Ana.Lopez@Example.ORG")
    assert user.email == "ana.lopez@example.org"

    for typed in (
        "ANA.LOPEZ@EXAMPLE.ORG",
        "ana.lopez@example.org",
        " Ana.Lopez@example.org ",
    ):
        client = app.test_client()
        response = login(client, typed, DEFAULT_PASSWORD)
        assert response.status_code == 302, typed
        assert signed_in(client)


def test_login_page_sends_a_signed_in_user_to_the_dashboard(client, front_desk):
    """GET /login while signed in does not show the form again."""
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


def test_successful_and_failed_logins_are_audited(app, client, make_user):
    """Both outcomes leave an audit row naming the account (not the password)."""
    user = make_user()
    login(client, user.email, WRONG_PASSWORD)
    login(client, user.email, DEFAULT_PASSWORD)

    with database(app) as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(["login", "login.failed"]))
            .order_by(AuditEvent.seq)
        ).all()
        summary = [(e.action, e.entity_id, e.details) for e in events]
    assert summary == [
        ("login.failed", str(user.id), "wrong password"),
        ("login", str(user.id), ""),
    ]
    assert all(WRONG_PASSWORD not in details for _, _, details in summary)


# --- where a login leads -----------------------------------------------------


def test_next_leads_to_a_local_page(client, make_user):
    """``next=/admin/staff`` is followed after signing in."""
    admin = make_user(Role.ADMIN)
    response = login(
        client, admin.email, DEFAULT_PASSWORD, query_string={"next": "/admin/staff"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/staff"


def test_protected_page_leads_through_login_and_back(client, make_user):
    """An anonymous visit to a page asks to sign in, then returns to that page."""
    admin = make_user(Role.ADMIN)
    response = client.get("/admin/staff")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/login?next=")

    # The sign-in form posts back to its own URL, query string included.
    response = submit(
        client, login_url, {"email": admin.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/staff"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "https://evil.com",
        "/\\evil.com",
        "javascript:alert(1)",
        "///evil.com",
        "\\\\evil.com",
        "/\t/evil.com",
        "evil.com",
    ],
)
def test_next_never_leads_off_site(client, make_user, target):
    """Any ``next`` that is not a plain local path is ignored: dashboard."""
    user = make_user()
    response = login(
        client, user.email, DEFAULT_PASSWORD, query_string={"next": target}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


# --- failure ------------------------------------------------------------------


def _failure_cases(make_user):
    """(label, email, password) for every way a login can fail."""
    make_user(email="good@test.clinic")
    make_user(email="gone@test.clinic", active=False)
    make_user(email="locked@test.clinic", locked_until=utcnow() + timedelta(minutes=10))
    return [
        ("wrong password", "good@test.clinic", WRONG_PASSWORD),
        ("unknown email", "nobody@test.clinic", DEFAULT_PASSWORD),
        ("deactivated account", "gone@test.clinic", DEFAULT_PASSWORD),
        ("locked account", "locked@test.clinic", DEFAULT_PASSWORD),
    ]


def _without_variable_parts(body: str, email: str) -> str:
    """The page minus what legitimately varies: CSRF token and the typed email."""
    body = re.sub(r'(name="csrf_token"[^>]*value=")[^"]*"', r'\1"', body)
    return body.replace(email, "EMAIL")


def test_every_kind_of_failure_reads_the_same(app, make_user):
    """Wrong password, unknown email, deactivated and locked: one 401 page.

    The pages are compared whole (CSRF token and typed email aside), so no
    wording, markup or field state can tell the cases apart.
    """
    pages = {}
    for label, email, password in _failure_cases(make_user):
        client = app.test_client()
        response = login(client, email, password)
        assert response.status_code == 401, label
        assert field_error(response, "password") == GENERIC_FAILURE, label
        assert not signed_in(client), label
        pages[label] = _without_variable_parts(response.get_data(as_text=True), email)

    reference = pages["wrong password"]
    assert GENERIC_FAILURE in html.unescape(reference)
    for label, page in pages.items():
        assert page == reference, f"{label} reads differently from a wrong password"
    for hint in ("locked", "deactivated", "disabled", "unknown", "no account"):
        assert hint not in reference.lower()


def test_failures_open_no_session(app, make_user):
    """No failure of any kind creates a StaffSession row."""
    for _label, email, password in _failure_cases(make_user):
        login(app.test_client(), email, password)
    with database(app) as session:
        assert session.scalars(select(StaffSession)).all() == []


def test_incomplete_form_is_422_and_not_counted_as_a_failure(app, client, make_user):
    """A missing password is a form error by the field, not a failed attempt."""
    user = make_user()
    response = login(client, user.email, "")
    assert response.status_code == 422
    assert field_error(response, "password")
    assert load_user(app, user.id).failed_login_count == 0


def test_login_without_csrf_token_is_refused(app, client, make_user):
    """A POST without the form's CSRF token is the 400 page; nothing happens."""
    user = make_user()
    response = client.post(
        "/login", data={"email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 400
    assert "This form has expired" in text(response)
    assert sessions_of(app, user.id) == []


# --- rehash ---------------------------------------------------------------------


# The production parameters (the suite's base config uses cheap ones).
PRODUCTION_ARGON2 = {
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,
    "ARGON2_PARALLELISM": 4,
}


@pytest.mark.app_config(**PRODUCTION_ARGON2)
def test_login_rehashes_a_password_hashed_with_old_parameters(app, client, make_user):
    """A hash made with weaker argon2 parameters is upgraded at the next login."""
    user = make_user()
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8192)
    old_hash = weak.hash(DEFAULT_PASSWORD)
    with database(app) as session:
        session.get(User, user.id).password_hash = old_hash

    assert login(client, user.email, DEFAULT_PASSWORD).status_code == 302

    new_hash = load_user(app, user.id).password_hash
    assert new_hash != old_hash
    default = argon2.PasswordHasher()
    params = argon2.extract_parameters(new_hash)
    assert params.type is argon2.Type.ID
    assert (params.time_cost, params.memory_cost, params.parallelism) == (
        default.time_cost,
        default.memory_cost,
        default.parallelism,
    )
    assert default.verify(new_hash, DEFAULT_PASSWORD)
    assert not default.check_needs_rehash(new_hash)


def test_login_keeps_a_current_hash(app, client, make_user):
    """A hash that already uses today's parameters is not rewritten."""
    user = make_user()
    before = load_user(app, user.id).password_hash
    login(client, user.email, DEFAULT_PASSWORD)
    assert load_user(app, user.id).password_hash == before


def test_wrong_password_does_not_rehash(app, client, make_user):
    """Only a verified password may replace the stored hash."""
    user = make_user()
    old_hash = argon2.PasswordHasher(time_cost=1, memory_cost=8192).hash(
        DEFAULT_PASSWORD
    )
    with database(app) as session:
        session.get(User, user.id).password_hash = old_hash
    assert login(client, user.email, WRONG_PASSWORD).status_code == 401
    assert load_user(app, user.id).password_hash == old_hash
