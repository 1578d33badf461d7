"""Two-factor on the member's own account: required for admins, turning it
off, new recovery codes; and the sealing and code checks underneath."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from flask import url_for

from clinic.auth import totp
from clinic.roles import Role
from tests.auth.support import START, load_user, signed_in, text
from tests.auth.two_factor_support import (
    SETUP,
    audit_actions,
    code_for,
    enrol,
    recovery_rows,
    shown_codes,
    shown_secret,
    sign_in_with_code,
)
from tests.helpers import DEFAULT_PASSWORD, login, logout, submit
from tests.security.world import routes

NEXT_STEP = timedelta(seconds=30)
REQUIRED = pytest.mark.app_config(TWO_FACTOR_REQUIRED_FOR_ADMINS=True)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


# --- required for admins ---------------------------------------------------------


def every_get_url(app) -> list[tuple[str, str]]:
    """(endpoint, url) of every GET page but static files. The ids are
    placeholders: the gate answers before any view looks them up."""
    with app.test_request_context():
        return [
            (rule.endpoint, url_for(rule.endpoint, **dict.fromkeys(rule.arguments, 1)))
            for rule in routes(app)
            if "GET" in rule.methods and not rule.endpoint.endswith("static")
        ]


@REQUIRED
def test_admin_without_two_factor_must_enrol_before_any_page(app, client, make_user):
    user = make_user(Role.ADMIN)
    response = login(client, user.email, DEFAULT_PASSWORD)
    assert response.location == SETUP
    allowed = {"auth.two_factor_setup", "auth.recovery_codes", "auth.logout"}
    for endpoint, url in every_get_url(app):
        if endpoint in allowed:
            continue
        page = client.get(url)
        assert page.status_code == 302, (url, page.status_code)
        assert page.location == SETUP, url
    # Posting elsewhere is turned away too.
    blocked = submit(
        client, "/admin/staff/new", {"name": "X", "email": "x@test.clinic"}, page=SETUP
    )
    assert blocked.location == SETUP
    page = client.get(SETUP)
    assert page.status_code == 200
    assert "requires two-factor sign-in for admins" in text(page)

    enrol(client)
    assert client.get("/dashboard").status_code == 200
    assert client.get("/admin/staff").status_code == 200


@REQUIRED
def test_required_setting_leaves_other_roles_free(client, front_desk):
    assert client.get("/dashboard").status_code == 200
    assert "Set up two-factor sign-in" in text(client.get("/account"))


@REQUIRED
def test_forced_password_change_comes_before_enrolment(app, client, make_user):
    user = make_user(Role.ADMIN, must_change_password=True)
    login(client, user.email, DEFAULT_PASSWORD)
    assert client.get("/dashboard").location == "/account/password"
    assert client.get("/account/password").status_code == 200
    changed = submit(
        client,
        "/account/password",
        {
            "current_password": DEFAULT_PASSWORD,
            "password": "amber meadow copper kettle",
            "confirm": "amber meadow copper kettle",
        },
    )
    assert changed.status_code == 302
    assert client.get("/dashboard").location == SETUP


@REQUIRED
def test_admin_cannot_turn_off_required_two_factor(app, client, admin, clock):
    secret, _ = enrol(client)
    clock.shift(NEXT_STEP)
    response = submit(
        client,
        "/account/two-factor/disable",
        {"disable-password": DEFAULT_PASSWORD, "disable-code": code_for(secret)},
        page="/account",
    )
    assert response.status_code == 409
    assert "required for your role" in text(response)
    assert load_user(app, admin.id).two_factor_enabled


def test_setting_is_read_from_the_environment(monkeypatch, tmp_path):
    from clinic import create_app

    monkeypatch.setenv("CLINIC_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("TWO_FACTOR_REQUIRED_FOR_ADMINS", "true")
    assert create_app().config["TWO_FACTOR_REQUIRED_FOR_ADMINS"] is True
    monkeypatch.setenv("TWO_FACTOR_REQUIRED_FOR_ADMINS", "maybe")
    with pytest.raises(RuntimeError, match="TWO_FACTOR_REQUIRED_FOR_ADMINS"):
        create_app()


# --- turning it off, new recovery codes --------------------------------------------


def test_turning_off_needs_password_and_a_code(app, client, esthetician, clock):
    secret, _ = enrol(client)
    clock.shift(NEXT_STEP)
    url = "/account/two-factor/disable"
    wrong = submit(
        client,
        url,
        {"disable-password": DEFAULT_PASSWORD, "disable-code": "000000"},
        page="/account",
    )
    assert wrong.status_code == 422
    assert "That code is not valid." in text(wrong)
    no_password = submit(
        client,
        url,
        {"disable-password": "nope nope nope", "disable-code": code_for(secret)},
        page="/account",
    )
    assert no_password.status_code == 422
    assert load_user(app, esthetician.id).two_factor_enabled

    done = submit(
        client,
        url,
        {"disable-password": DEFAULT_PASSWORD, "disable-code": code_for(secret)},
        page="/account",
    )
    assert done.location == "/account"
    user = load_user(app, esthetician.id)
    assert not user.two_factor_enabled
    assert user.totp_secret is None
    assert recovery_rows(app, esthetician.id) == []
    actions = [action for action, _ in audit_actions(app, esthetician.id)]
    assert actions.count("two_factor.failed") == 2
    assert "two_factor.disabled" in actions
    # The password alone signs in again.
    logout(client)
    assert login(client, user.email, DEFAULT_PASSWORD).location == "/dashboard"


def test_new_recovery_codes_replace_the_old(app, client, esthetician, clock):
    _, old = enrol(client)
    url = "/account/two-factor/recovery-codes/new"
    refused = submit(
        client, url, {"codes-password": "wrong wrong wrong"}, page="/account"
    )
    assert refused.status_code == 422
    response = submit(
        client, url, {"codes-password": DEFAULT_PASSWORD}, page="/account"
    )
    assert response.location == "/account/two-factor/recovery-codes"
    new = shown_codes(client.get(response.location))
    assert len(new) == 10
    assert not set(new) & set(old)
    assert ("two_factor.recovery_codes_regenerated", "") in audit_actions(
        app, esthetician.id
    )
    logout(client)
    clock.shift(NEXT_STEP)
    assert sign_in_with_code(client, esthetician.email, old[0]).status_code == 401
    assert submit(client, "/login/code", {"code": new[0]}).status_code == 302


# --- the pure pieces -------------------------------------------------------------


def test_sealed_secret_opens_only_with_its_key_and_account():
    key = totp.derive_key("one key")
    sealed = totp.seal("JBSWY3DPEHPK3PXP", key, "user:1")
    assert totp.unseal(sealed, key, "user:1") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(totp.SealError):
        totp.unseal(sealed, key, "user:2")
    with pytest.raises(totp.SealError):
        totp.unseal(sealed, totp.derive_key("another key"), "user:1")
    with pytest.raises(totp.SealError):
        totp.unseal(sealed[:-4] + "AAAA", key, "user:1")


def test_matching_step_window_and_replay():
    secret = totp.new_secret()
    now = START
    step = totp.time_step(now)
    for offset in (-1, 0, 1):
        code = totp.code_at(secret, step + offset)
        assert totp.matching_step(secret, code, now, None) == step + offset
        assert totp.matching_step(secret, code, now, step + offset) is None
    for offset in (-2, 2):
        assert (
            totp.matching_step(secret, totp.code_at(secret, step + offset), now, None)
            is None
        )
    assert totp.matching_step(secret, "12345", now, None) is None
    assert totp.matching_step(secret, "١٢٣٤٥٦", now, None) is None  # non-ASCII digits


def test_recovery_codes_are_random_and_forgiving_to_type():
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == 10
    for code in codes:
        assert totp.looks_like_recovery_code(code.upper().replace("-", " "))
        assert totp.hash_recovery_code(code) == totp.hash_recovery_code(
            f" {code.upper()} "
        )


def test_setup_key_survives_reloads_but_not_a_new_browser(app, client, esthetician):
    first = shown_secret(client.get(SETUP))
    assert shown_secret(client.get(SETUP)) == first
    other = app.test_client()
    login(other, esthetician.email, DEFAULT_PASSWORD)
    assert shown_secret(other.get(SETUP)) != first
    assert signed_in(other)
