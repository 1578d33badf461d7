"""Two-factor sign-in through the pages, as a member and their phone would.

Time is frozen at START for every test (an autouse fixture, so sign-ins made
by fixtures happen in the same frozen time); a test moves on by 30 seconds to
get the next code.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from clinic.auth.models import StaffSession
from clinic.extensions import db
from clinic.roles import Role
from tests.auth.support import (
    START,
    load_user,
    sessions_of,
    signed_in,
    text,
)
from tests.auth.two_factor_support import (
    CODE_STEP,
    SETUP,
    audit_actions,
    code_for,
    enrol,
    recovery_rows,
    shown_secret,
    sign_in_with_code,
)
from tests.helpers import DEFAULT_PASSWORD, login, logout, submit

GENERIC_CODE_FAILURE = "That code is not valid. Enter the newest code from your app."
NEXT_STEP = timedelta(seconds=30)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def enrolled(client, login_as, clock):
    """A signed-out esthetician with two-factor on: (user, key, recovery codes)."""
    user = login_as(Role.ESTHETICIAN)
    secret, codes = enrol(client)
    logout(client)
    clock.shift(NEXT_STEP)
    return user, secret, codes


# --- enrolment -------------------------------------------------------------------


def test_setup_page_shows_a_qr_code_and_the_key(client, esthetician):
    page = client.get(SETUP)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    svg = body[body.index("<svg") : body.index("</svg>")]
    assert 'class="qr-code"' in svg
    assert "style" not in svg  # the CSP forbids inline styles
    assert "<script>" not in body  # only the layout's script files
    secret = shown_secret(page)
    assert len(secret) == 32
    # A reload shows the same key: the phone may already have scanned it.
    assert shown_secret(client.get(SETUP)) == secret


def test_enrolment_needs_a_current_code_and_the_password(app, client, esthetician):
    secret = shown_secret(client.get(SETUP))
    wrong_code = submit(client, SETUP, {"code": "000000", "password": DEFAULT_PASSWORD})
    assert wrong_code.status_code == 422
    assert "That code does not match" in text(wrong_code)
    wrong_password = submit(
        client, SETUP, {"code": code_for(secret), "password": "not my password"}
    )
    assert wrong_password.status_code == 422
    assert "The password is incorrect." in text(wrong_password)
    assert not load_user(app, esthetician.id).two_factor_enabled
    failures = [
        a for a in audit_actions(app, esthetician.id) if a[0].endswith("failed")
    ]
    assert failures == [
        ("two_factor.failed", "enrol: wrong code"),
        ("two_factor.failed", "enrol: wrong password"),
    ]

    done = submit(
        client, SETUP, {"code": code_for(secret), "password": DEFAULT_PASSWORD}
    )
    assert done.status_code == 302
    user = load_user(app, esthetician.id)
    assert user.two_factor_enabled
    assert secret not in user.totp_secret  # sealed, not stored in clear
    assert ("two_factor.enabled", "other sessions ended: 0") in audit_actions(
        app, esthetician.id
    )


def test_recovery_codes_are_shown_once_and_stored_hashed(app, client, esthetician):
    secret, codes = enrol(client)
    assert len(codes) == len(set(codes)) == 10
    stored = {row.code_hash for row in recovery_rows(app, esthetician.id)}
    assert len(stored) == 10
    assert not stored & set(codes)
    again = client.get("/account/two-factor/recovery-codes")
    assert again.status_code == 302
    assert again.location == "/account"
    account = client.get("/account").get_data(as_text=True)
    assert "shown only once" in account
    assert "Unused recovery codes: <strong>10</strong>" in account
    for code in codes:
        assert code not in account
    # The key is not shown again either: the set-up page sends back.
    assert client.get(SETUP).status_code == 302
    assert secret.replace(" ", "") not in text(client.get("/account"))


def test_enrolling_signs_out_other_sessions(app, client, login_as):
    user = login_as(Role.FRONT_DESK)
    other = app.test_client()
    assert login(other, user.email, DEFAULT_PASSWORD).status_code == 302
    enrol(client)
    assert signed_in(client)
    assert not signed_in(other)


# --- the second sign-in step -------------------------------------------------------


def test_sign_in_asks_for_the_code_after_the_password(app, client, enrolled):
    user, secret, _ = enrolled
    first = login(client, user.email, DEFAULT_PASSWORD)
    assert first.status_code == 302
    assert first.location == CODE_STEP
    # Half signed in is not signed in: no page, no server-side session.
    before = len(sessions_of(app, user.id))
    assert not signed_in(client)
    assert client.get("/account").status_code == 302
    assert len(sessions_of(app, user.id)) == before
    page = client.get(CODE_STEP)
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.get_data(as_text=True)

    done = submit(client, CODE_STEP, {"code": code_for(secret)})
    assert done.status_code == 302
    assert done.location == "/dashboard"
    assert signed_in(client)
    assert len(sessions_of(app, user.id)) == before + 1
    assert load_user(app, user.id).last_login_at == START + NEXT_STEP


def test_codes_one_step_either_side_are_accepted(client, enrolled, clock):
    """Phones drift: one step (30 s) behind or ahead works, two do not."""
    user, secret, _ = enrolled

    def step(n):  # the n-th 30-second step after START (START is on a boundary)
        return START + n * NEXT_STEP

    clock.move_to(step(2))
    behind = code_for(secret, step(1))
    assert sign_in_with_code(client, user.email, behind).status_code == 302
    logout(client)
    clock.move_to(step(6))
    ahead = code_for(secret, step(7))
    assert sign_in_with_code(client, user.email, ahead).status_code == 302
    logout(client)
    clock.move_to(step(10))
    two_behind = code_for(secret, step(8))
    assert sign_in_with_code(client, user.email, two_behind).status_code == 401
    assert submit(client, CODE_STEP, {"code": code_for(secret)}).status_code == 302


def test_wrong_code_fails_generically_and_counts(app, client, enrolled):
    user, secret, _ = enrolled
    right = code_for(secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = sign_in_with_code(client, user.email, wrong)
    assert response.status_code == 401
    assert GENERIC_CODE_FAILURE in text(response)
    assert f'value="{wrong}"' not in text(response)  # the field starts empty
    assert not signed_in(client)
    assert load_user(app, user.id).failed_login_count == 1
    assert ("login.failed", "wrong two-factor code") in audit_actions(app, user.id)
    # Still pending: the right code now works.
    assert submit(client, CODE_STEP, {"code": right}).status_code == 302
    assert load_user(app, user.id).failed_login_count == 0


@pytest.mark.app_config(LOGIN_RATE_LIMIT="100/minute")
def test_a_used_code_cannot_be_replayed(app, client, enrolled):
    user, secret, _ = enrolled
    code = code_for(secret)
    assert sign_in_with_code(client, user.email, code).status_code == 302
    logout(client)
    # The same code, within the same 30 seconds, from another browser too.
    for browser in (client, app.test_client()):
        response = sign_in_with_code(browser, user.email, code)
        assert response.status_code == 401
        assert GENERIC_CODE_FAILURE in text(response)


def test_the_enrolment_code_cannot_be_reused_to_sign_in(app, client, login_as):
    user = login_as(Role.ESTHETICIAN)
    secret, _ = enrol(client)
    logout(client)
    assert sign_in_with_code(client, user.email, code_for(secret)).status_code == 401


def test_a_recovery_code_works_once(app, client, enrolled):
    user, _, codes = enrolled
    typed = codes[3].upper().replace("-", " ")  # case and spacing do not matter
    response = sign_in_with_code(client, user.email, typed)
    assert response.status_code == 302
    dashboard = text(client.get("/dashboard"))
    assert "You used a recovery code; 9 unused code(s) left." in dashboard
    assert ("two_factor.recovery_code_used", "unused codes left: 9") in (
        audit_actions(app, user.id)
    )
    logout(client)
    again = sign_in_with_code(client, user.email, codes[3])
    assert again.status_code == 401
    assert GENERIC_CODE_FAILURE in text(again)
    assert submit(client, CODE_STEP, {"code": codes[4]}).status_code == 302


def test_pending_sign_in_expires(client, enrolled, clock):
    user, secret, _ = enrolled
    assert login(client, user.email, DEFAULT_PASSWORD).location == CODE_STEP
    clock.shift(timedelta(minutes=5, seconds=1))
    response = submit(client, CODE_STEP, {"code": code_for(secret)}, page="/login")
    assert response.status_code == 302
    assert response.location == "/login"
    assert not signed_in(client)
    assert "not completed in time" in text(client.get("/login"))


def test_pending_sign_in_is_bound_to_the_browser(app, client, enrolled):
    user, secret, _ = enrolled
    assert login(client, user.email, DEFAULT_PASSWORD).location == CODE_STEP
    stranger = app.test_client()
    response = submit(stranger, CODE_STEP, {"code": code_for(secret)}, page="/login")
    assert response.location == "/login"
    assert not signed_in(stranger)
    assert submit(client, CODE_STEP, {"code": code_for(secret)}).status_code == 302


def test_next_page_survives_the_code_step(client, enrolled):
    user, secret, _ = enrolled
    first = submit(
        client,
        "/login?next=/account",
        {"email": user.email, "password": DEFAULT_PASSWORD},
        page="/login",
    )
    assert first.location == CODE_STEP
    assert submit(client, CODE_STEP, {"code": code_for(secret)}).location == "/account"


@pytest.mark.app_config(TWO_FACTOR_MAX_CODE_ATTEMPTS=3, LOGIN_RATE_LIMIT="100/minute")
def test_too_many_wrong_codes_ask_for_the_password_again(client, enrolled):
    user, _, _ = enrolled
    assert sign_in_with_code(client, user.email, "111111").status_code == 401
    assert submit(client, CODE_STEP, {"code": "222222"}).status_code == 401
    third = submit(client, CODE_STEP, {"code": "333333"})
    assert third.status_code == 302
    assert third.location == "/login"
    assert "Too many wrong codes" in text(client.get("/login"))
    assert client.get(CODE_STEP).location == "/login"


@pytest.mark.app_config(LOCKOUT_THRESHOLD=3, LOGIN_RATE_LIMIT="100/minute")
def test_wrong_codes_and_passwords_share_the_lockout(app, client, enrolled):
    """A right password does not wipe the count; the third failure locks."""
    user, _, _ = enrolled
    assert login(client, user.email, "wrong password entirely").status_code == 401
    assert sign_in_with_code(client, user.email, "123456").status_code == 401
    assert load_user(app, user.id).failed_login_count == 2
    assert sign_in_with_code(client, user.email, "654321").status_code == 401
    locked = load_user(app, user.id)
    assert locked.locked_until is not None
    assert ("login.failed", "wrong two-factor code; account locked") in audit_actions(
        app, user.id
    )
    # Locked: the right password is refused like a wrong one.
    assert login(client, user.email, DEFAULT_PASSWORD).status_code == 401


@pytest.mark.app_config(LOCKOUT_THRESHOLD=2, LOGIN_RATE_LIMIT="100/minute")
def test_account_locked_between_the_steps_refuses_the_right_code(app, client, enrolled):
    user, secret, _ = enrolled
    assert login(client, user.email, DEFAULT_PASSWORD).location == CODE_STEP
    intruder = app.test_client()
    for _ in range(2):
        login(intruder, user.email, "wrong password entirely")
    response = submit(client, CODE_STEP, {"code": code_for(secret)})
    assert response.status_code == 401
    assert not signed_in(client)
    assert ("login.failed", "second step: account locked") in audit_actions(
        app, user.id
    )


def test_code_attempts_share_the_rate_limit_with_passwords(client, enrolled):
    """Default 5 failures per minute: 3 wrong passwords and 2 wrong codes (the
    right password between them costs nothing); then even the right code
    gets a 429."""
    user, secret, _ = enrolled
    for _ in range(3):
        assert login(client, user.email, "wrong password entirely").status_code == 401
    assert sign_in_with_code(client, user.email, "000001").status_code == 401
    assert submit(client, CODE_STEP, {"code": "000002"}).status_code == 401
    blocked = submit(client, CODE_STEP, {"code": code_for(secret)})
    assert blocked.status_code == 429
    assert not signed_in(client)


def test_no_staff_session_is_created_before_the_code(app, client, enrolled):
    user, _, _ = enrolled
    before = len(sessions_of(app, user.id))
    login(client, user.email, DEFAULT_PASSWORD)
    with app.app_context():
        open_rows = db.session.scalars(
            select(StaffSession).where(StaffSession.ended_at.is_(None))
        ).all()
        assert all(row.user_id != user.id for row in open_rows)
    assert len(sessions_of(app, user.id)) == before


@pytest.mark.app_config(LOGIN_RATE_LIMIT="3 per 10 minutes")
def test_a_right_code_does_not_use_up_an_attempt(app, client, enrolled, clock):
    """Two-factor does not cut how often staff behind one IP can sign in:
    neither the right password nor the right code is counted, however often
    (here four sign-ins against a limit of three); three wrong codes are."""
    user, secret, _ = enrolled
    for _ in range(4):
        response = sign_in_with_code(client, user.email, code_for(secret))
        assert response.status_code == 302
        logout(client)
        clock.shift(NEXT_STEP)  # a code works once
    assert login(client, user.email, DEFAULT_PASSWORD).location == CODE_STEP
    for wrong in ("000001", "000002", "000003"):
        assert submit(client, CODE_STEP, {"code": wrong}).status_code == 401
    blocked = submit(client, CODE_STEP, {"code": code_for(secret)})
    assert blocked.status_code == 429


@pytest.mark.app_config(LOGIN_RATE_LIMIT="100/minute")
def test_password_reset_between_the_steps_voids_the_pending_sign_in(
    app, client, enrolled, make_user
):
    """An admin resets the password while someone sits at the code step."""
    user, secret, _ = enrolled
    assert login(client, user.email, DEFAULT_PASSWORD).location == CODE_STEP
    admin_browser = app.test_client()
    owner = make_user(Role.ADMIN)
    login(admin_browser, owner.email, DEFAULT_PASSWORD)
    temporary = "harbour lantern quietly glows"
    submit(
        admin_browser,
        f"/admin/staff/{user.id}/password",
        {"reset-password": temporary, "reset-confirm": temporary},
        page=f"/admin/staff/{user.id}",
    )
    response = submit(client, CODE_STEP, {"code": code_for(secret)})
    assert response.status_code == 401
    assert not signed_in(client)
    assert ("login.failed", "second step: password changed meanwhile") in (
        audit_actions(app, user.id)
    )
