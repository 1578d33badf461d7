"""Guessing passwords is slow: a limit on failures per IP and per account,
then lockout. Right passwords are never counted.

Time is frozen with time-machine (the limiter's in-memory storage sees the
same clock), so "within a minute" and "after 15 minutes" are exact.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from clinic.roles import Role
from tests.auth.support import (
    GENERIC_FAILURE,
    START,
    field_error,
    load_user,
    signed_in,
    text,
)
from tests.helpers import DEFAULT_PASSWORD, login

WRONG_PASSWORD = "not the right password at all"


def from_ip(number: int) -> dict:
    return {"environ_base": {"REMOTE_ADDR": f"10.0.0.{number}"}}


def assert_too_many_attempts(response) -> None:
    """429, shown as the app's own error page in the site layout."""
    assert response.status_code == 429
    page = text(response)
    assert "Too many attempts" in page
    assert "Please wait a minute and try again." in page
    assert "Error 429." in page
    assert "Test Clinic" in page  # the layout, not a bare error body
    assert int(response.headers["Retry-After"]) > 0


# --- rate limits (default LOGIN_RATE_LIMIT "5 per minute") ---------------------


def test_sixth_attempt_from_one_ip_within_a_minute_is_429(app, client, make_user):
    """Five attempts (on five different accounts) pass; the sixth is refused.

    The sixth uses the right password of an account never tried before, so
    only the per-IP limit can be what refuses it.
    """
    user = make_user()
    with time_machine.travel(START, tick=False) as traveller:
        for n in range(5):
            response = login(client, f"nobody{n}@test.clinic", WRONG_PASSWORD)
            assert response.status_code == 401, n
            traveller.shift(timedelta(seconds=10))

        response = login(client, user.email, DEFAULT_PASSWORD)
        assert_too_many_attempts(response)
        assert not signed_in(client)
        # Showing the form is not an attempt and is not refused.
        assert client.get("/login").status_code == 200

        # Once the minute is over, the same IP may try again.
        traveller.shift(timedelta(seconds=60))
        assert login(client, user.email, DEFAULT_PASSWORD).status_code == 302
        assert signed_in(client)


def test_sixth_attempt_on_one_account_from_many_ips_is_429(app, client, make_user):
    """Spreading guesses over IPs does not help: the account itself is limited.

    The email is typed with other capitals on the sixth attempt: still the
    same account. Meanwhile another account from a fresh IP is not affected.
    """
    user = make_user(email="target@test.clinic")
    other = make_user(email="other@test.clinic")
    with time_machine.travel(START, tick=False) as traveller:
        for n in range(1, 6):
            response = login(client, user.email, WRONG_PASSWORD, **from_ip(n))
            assert response.status_code == 401, n
            traveller.shift(timedelta(seconds=5))

        response = login(client, "Target@Test.Clinic", DEFAULT_PASSWORD, **from_ip(6))
        assert_too_many_attempts(response)
        assert not signed_in(client)

        other_client = app.test_client()
        response = login(other_client, other.email, DEFAULT_PASSWORD, **from_ip(7))
        assert response.status_code == 302

        traveller.shift(timedelta(seconds=60))
        response = login(client, user.email, DEFAULT_PASSWORD, **from_ip(8))
        assert response.status_code == 302


def test_correct_sign_ins_behind_one_ip_are_never_refused(app, make_user):
    """Twenty colleagues behind the clinic's one IP sign in within a minute:
    none is refused (was: from the sixth on, a 429). Failures still count:
    five wrong passwords from that IP, and then even a right one waits."""
    colleagues = [make_user() for _ in range(20)]
    with time_machine.travel(START, tick=False):
        for user in colleagues:
            response = login(app.test_client(), user.email, DEFAULT_PASSWORD)
            assert response.status_code == 302, user.email
        browser = app.test_client()
        for n in range(5):
            response = login(browser, f"nobody{n}@test.clinic", WRONG_PASSWORD)
            assert response.status_code == 401, n
        assert_too_many_attempts(
            login(app.test_client(), colleagues[0].email, DEFAULT_PASSWORD)
        )


def test_signing_in_often_on_one_account_is_never_refused(app, make_user):
    """Tablets, the desk computer, a phone: eight sign-ins of one account in a
    minute, each with the right password."""
    user = make_user()
    with time_machine.travel(START, tick=False):
        statuses = [
            login(
                app.test_client(), user.email, DEFAULT_PASSWORD, **from_ip(n)
            ).status_code
            for n in range(8)
        ]
    assert statuses == [302] * 8


def test_rate_limited_attempts_are_not_checked_at_all(app, client, make_user):
    """A 429 attempt neither signs in nor counts towards the lockout."""
    user = make_user()
    with time_machine.travel(START, tick=False):
        for _ in range(5):
            login(client, user.email, WRONG_PASSWORD)
        assert_too_many_attempts(login(client, user.email, WRONG_PASSWORD))
    assert load_user(app, user.id).failed_login_count == 5


# --- lockout (LOCKOUT_THRESHOLD 10, LOCKOUT_MINUTES 15) -------------------------

no_rate_limit = pytest.mark.app_config(LOGIN_RATE_LIMIT="1000 per minute")


def fail_times(app, email: str, times: int) -> None:
    """``times`` wrong passwords; each, the locking one too, reads the same."""
    for n in range(times):
        response = login(app.test_client(), email, WRONG_PASSWORD)
        assert response.status_code == 401, n
        assert field_error(response, "password") == GENERIC_FAILURE, n


@no_rate_limit
def test_ten_failures_lock_the_account_for_fifteen_minutes(app, make_user):
    """After 10 failures even the right password fails, generically, for 15 min."""
    user = make_user(Role.ESTHETICIAN)
    with time_machine.travel(START, tick=False) as traveller:
        fail_times(app, user.email, 10)
        stored = load_user(app, user.id)
        assert stored.locked_until == START + timedelta(minutes=15)

        wrong = login(app.test_client(), user.email, WRONG_PASSWORD)
        traveller.shift(timedelta(minutes=1))
        client = app.test_client()
        locked = login(client, user.email, DEFAULT_PASSWORD)
        assert locked.status_code == 401
        assert field_error(locked, "password") == GENERIC_FAILURE
        assert "locked" not in text(locked).lower()
        # The right password while locked reads exactly like a wrong one.
        assert field_error(locked, "password") == field_error(wrong, "password")
        assert not signed_in(client)

        traveller.shift(timedelta(minutes=13))  # 14 minutes after the lock
        assert login(client, user.email, DEFAULT_PASSWORD).status_code == 401

        traveller.shift(timedelta(minutes=1, seconds=1))  # 15 min 1 s
        assert login(client, user.email, DEFAULT_PASSWORD).status_code == 302
        assert signed_in(client)
        stored = load_user(app, user.id)
        assert stored.locked_until is None
        assert stored.failed_login_count == 0


@no_rate_limit
def test_nine_failures_do_not_lock(app, client, make_user):
    """The lock starts at the tenth consecutive failure, not before."""
    user = make_user()
    fail_times(app, user.email, 9)
    assert load_user(app, user.id).failed_login_count == 9
    assert load_user(app, user.id).locked_until is None
    assert login(client, user.email, DEFAULT_PASSWORD).status_code == 302


@no_rate_limit
def test_a_success_resets_the_failure_count(app, client, make_user):
    """9 failures, a success, 9 more failures: not locked (not consecutive)."""
    user = make_user()
    fail_times(app, user.email, 9)
    assert login(client, user.email, DEFAULT_PASSWORD).status_code == 302
    assert load_user(app, user.id).failed_login_count == 0

    fail_times(app, user.email, 9)
    stored = load_user(app, user.id)
    assert stored.failed_login_count == 9
    assert stored.locked_until is None
    assert login(app.test_client(), user.email, DEFAULT_PASSWORD).status_code == 302


@no_rate_limit
def test_lockout_is_per_account(app, make_user):
    """Locking one account does not lock another."""
    target = make_user()
    bystander = make_user()
    fail_times(app, target.email, 10)
    assert login(app.test_client(), target.email, DEFAULT_PASSWORD).status_code == 401
    response = login(app.test_client(), bystander.email, DEFAULT_PASSWORD)
    assert response.status_code == 302


@pytest.mark.app_config(
    LOGIN_RATE_LIMIT="1000 per minute", LOCKOUT_THRESHOLD=3, LOCKOUT_MINUTES=2
)
def test_lockout_threshold_and_duration_are_settings(app, make_user):
    """LOCKOUT_THRESHOLD and LOCKOUT_MINUTES are read from the configuration."""
    user = make_user()
    with time_machine.travel(START, tick=False) as traveller:
        fail_times(app, user.email, 3)
        assert load_user(app, user.id).locked_until == START + timedelta(minutes=2)
        traveller.shift(timedelta(minutes=2, seconds=1))
        response = login(app.test_client(), user.email, DEFAULT_PASSWORD)
        assert response.status_code == 302


def test_current_password_guessing_on_the_change_form_is_throttled(client, login_as):
    """A stolen session cannot guess the current password without limit."""
    from tests.helpers import submit

    login_as(Role.FRONT_DESK)
    data = {
        "current_password": "not my password at all",
        "password": "a brand new passphrase here",
        "confirm": "a brand new passphrase here",
    }
    statuses = [submit(client, "/account/password", data).status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]
