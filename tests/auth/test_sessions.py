"""Server-side sessions: logout revokes, idle and lifetime limits, no GET logout."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from clinic.auth.models import User
from clinic.roles import Role
from tests.auth.support import (
    SESSION_COOKIE,
    START,
    database,
    session_cookie,
    sessions_of,
    signed_in,
    text,
)
from tests.helpers import DEFAULT_PASSWORD, login, logout

EXPIRED = "You were signed out because your session expired."


def fresh_client_with_cookie(app, value: str):
    """Another browser that holds a copy of ``value`` as its session cookie."""
    other = app.test_client()
    other.set_cookie(SESSION_COOKIE, value)
    return other


# --- logout --------------------------------------------------------------------


def test_logout_ends_the_session_row(app, client, front_desk):
    """POST /logout marks the StaffSession ended and shows the sign-in page."""
    (row,) = sessions_of(app, front_desk.id)
    assert row.ended_at is None

    response = logout(client)

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    (row,) = sessions_of(app, front_desk.id)
    assert row.ended_at is not None
    assert row.end_reason == "logout"
    assert "You have signed out." in text(client.get("/login"))
    assert not signed_in(client)


def test_a_copied_cookie_is_useless_after_logout(app, client, front_desk):
    """Replaying the session cookie saved before logout does not sign in.

    The copy works while the session is open (so the replay itself is sound);
    after logout the server refuses it, whatever the cookie still says.
    """
    saved = session_cookie(client)
    assert signed_in(fresh_client_with_cookie(app, saved))

    logout(client)

    replay = fresh_client_with_cookie(app, saved)
    response = replay.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert replay.get("/admin/staff").status_code == 302


def test_get_logout_is_405_and_changes_nothing(app, client, front_desk):
    """Signing out needs a POST: a link or image cannot sign anyone out."""
    response = client.get("/logout")
    assert response.status_code == 405
    assert "Error 405." in text(response)
    assert signed_in(client)
    (row,) = sessions_of(app, front_desk.id)
    assert row.ended_at is None


def test_logout_without_csrf_token_is_refused(app, client, front_desk):
    """A cross-site form cannot sign the user out: no token, 400, still in."""
    response = client.post("/logout")
    assert response.status_code == 400
    assert signed_in(client)
    (row,) = sessions_of(app, front_desk.id)
    assert row.ended_at is None


def test_logout_ends_only_this_session(app, client, make_user):
    """Signing out on one device leaves the user's other devices signed in."""
    user = make_user()
    other = app.test_client()
    login(client, user.email, DEFAULT_PASSWORD)
    login(other, user.email, DEFAULT_PASSWORD)

    logout(client)

    assert not signed_in(client)
    assert signed_in(other)
    ended = [row.ended_at is not None for row in sessions_of(app, user.id)]
    assert ended == [True, False]


# --- what identifies the user ----------------------------------------------------


def test_an_unknown_session_token_is_anonymous(app, client, front_desk):
    """A validly signed cookie whose token matches no open session is ignored."""
    with client.session_transaction() as flask_session:
        flask_session["sid"] = "not-a-token-the-server-issued"
    assert not signed_in(client)


def test_flask_login_user_id_in_the_cookie_is_not_trusted(app, client, make_user):
    """Identity comes only from the server-side session, never from ``_user_id``."""
    user = make_user(Role.ADMIN)
    client.get("/login")
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = str(user.id)
        flask_session["_fresh"] = True
    assert not signed_in(client)


def test_a_deactivated_account_is_signed_out_at_its_next_request(
    app, client, front_desk
):
    """Deactivation takes effect at once, even if the sessions were left open."""
    with database(app) as session:
        session.get(User, front_desk.id).active = False

    assert not signed_in(client)
    (row,) = sessions_of(app, front_desk.id)
    assert row.end_reason == "deactivated"


# --- idle timeout (default 15 minutes) -------------------------------------------


def test_fourteen_idle_minutes_keep_the_session(app, client, make_user):
    """Just under the idle timeout the user is still signed in."""
    with time_machine.travel(START, tick=False) as traveller:
        user = make_user()
        login(client, user.email, DEFAULT_PASSWORD)
        traveller.shift(timedelta(minutes=14))
        assert signed_in(client)
        (row,) = sessions_of(app, user.id)
        assert row.last_seen_at == START + timedelta(minutes=14)


def test_sixteen_idle_minutes_end_the_session(app, client, make_user):
    """Past the idle timeout: redirected to sign in, told why, session ended."""
    with time_machine.travel(START, tick=False) as traveller:
        user = make_user()
        login(client, user.email, DEFAULT_PASSWORD)
        traveller.shift(timedelta(minutes=14))
        assert signed_in(client)

        traveller.shift(timedelta(minutes=16))
        response = client.get("/dashboard")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
        assert EXPIRED in text(client.get(response.headers["Location"]))
        (row,) = sessions_of(app, user.id)
        assert row.end_reason == "idle"
        assert row.ended_at == START + timedelta(minutes=30)

        # The ended session stays ended, even if activity resumes at once.
        assert not signed_in(client)


def test_activity_keeps_pushing_the_idle_timeout_back(app, client, make_user):
    """A request every 14 minutes for two hours never hits the idle timeout."""
    with time_machine.travel(START, tick=False) as traveller:
        user = make_user()
        login(client, user.email, DEFAULT_PASSWORD)
        for _ in range(9):
            traveller.shift(timedelta(minutes=14))
            assert signed_in(client)


@pytest.mark.app_config(SESSION_IDLE_TIMEOUT_MINUTES=5)
def test_idle_timeout_is_a_setting(app, client, make_user):
    """SESSION_IDLE_TIMEOUT_MINUTES is read from the configuration."""
    with time_machine.travel(START, tick=False) as traveller:
        user = make_user()
        login(client, user.email, DEFAULT_PASSWORD)
        traveller.shift(timedelta(minutes=6))
        assert not signed_in(client)


# --- absolute lifetime (default 12 hours) ----------------------------------------


def test_a_session_ends_after_twelve_hours_however_active(app, client, make_user):
    """Active every 10 minutes: still in at 12 h, signed out just past 12 h."""
    with time_machine.travel(START, tick=False) as traveller:
        user = make_user()
        login(client, user.email, DEFAULT_PASSWORD)
        for minutes in range(10, 12 * 60 + 1, 10):
            traveller.shift(timedelta(minutes=10))
            assert signed_in(client), f"signed out after {minutes} minutes"

        traveller.shift(timedelta(minutes=10))  # 12 h 10 min after login
        response = client.get("/dashboard")
        assert response.status_code == 302
        assert EXPIRED in text(client.get(response.headers["Location"]))
        (row,) = sessions_of(app, user.id)
        assert row.end_reason == "lifetime"

        # Signing in again starts a new 12 hours.
        assert login(client, user.email, DEFAULT_PASSWORD).status_code == 302
        assert signed_in(client)


def test_expired_sessions_are_closed_in_the_database(app, client, make_user):
    """An expired session cannot be revived by a copy of its cookie either."""
    with time_machine.travel(START, tick=False) as traveller:
        user = make_user()
        login(client, user.email, DEFAULT_PASSWORD)
        saved = session_cookie(client)
        traveller.shift(timedelta(minutes=16))
        assert not signed_in(client)
        assert not signed_in(fresh_client_with_cookie(app, saved))
        assert [row.end_reason for row in sessions_of(app, user.id)] == ["idle"]
