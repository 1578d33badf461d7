"""The admin side of two-factor: who has it, and a reset for a lost phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from clinic.roles import Role
from tests.auth.support import START, load_user, sessions_of, signed_in, text
from tests.auth.two_factor_support import (
    SETUP,
    audit_actions,
    enrol,
    recovery_rows,
    sign_in_with_code,
)
from tests.helpers import DEFAULT_PASSWORD, login, submit


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def member(app, make_user):
    """An esthetician signed in with two-factor on, on their own browser."""
    user = make_user(Role.ESTHETICIAN, name="Maya Lin")
    browser = app.test_client()
    login(browser, user.email, DEFAULT_PASSWORD)
    secret, _ = enrol(browser)
    return user, browser, secret


def reset(client, user):
    return submit(
        client,
        f"/admin/staff/{user.id}/two-factor/reset",
        page=f"/admin/staff/{user.id}",
    )


def test_staff_list_shows_who_has_two_factor(client, member, admin):
    page = client.get("/admin/staff").get_data(as_text=True)
    table = page[page.index("<tbody>") :]
    row = table[table.index("Maya Lin") :].split("</tr>")[0]
    assert '<span class="badge text-bg-success">On</span>' in row
    own_row = table[table.index(admin.name) :].split("</tr>")[0]
    assert ">Off</span>" in own_row


@pytest.mark.app_config(TWO_FACTOR_REQUIRED_FOR_ADMINS=True)
def test_staff_list_flags_admins_who_must_still_set_it_up(app, client, make_user):
    make_user(Role.ADMIN, name="Second Admin")
    owner = make_user(Role.ADMIN, name="Owner")
    login(client, owner.email, DEFAULT_PASSWORD)
    enrol(client)
    page = client.get("/admin/staff").get_data(as_text=True)
    row = page[page.index("Second Admin") :].split("</tr>")[0]
    assert "Required, not set up" in row


def test_admin_reset_removes_two_factor_and_ends_sessions(
    app, client, member, admin, clock
):
    user, browser, _ = member
    assert signed_in(browser)
    response = reset(client, user)
    assert response.status_code == 302
    assert "Two-factor sign-in of Maya Lin was reset; 1 session(s) ended." in text(
        client.get(response.location)
    )
    assert not signed_in(browser)
    assert not load_user(app, user.id).two_factor_enabled
    assert recovery_rows(app, user.id) == []
    assert all(row.ended_at is not None for row in sessions_of(app, user.id))
    assert ("two_factor.reset", "sessions ended: 1") in audit_actions(app, user.id)
    # The member signs in with the password alone and can set it up again.
    clock.shift(timedelta(seconds=30))
    assert login(browser, user.email, DEFAULT_PASSWORD).location == "/dashboard"
    assert browser.get(SETUP).status_code == 200


def test_admin_cannot_reset_their_own_two_factor_here(app, client, admin):
    enrol(client)
    response = reset(client, admin)
    assert response.status_code == 409
    assert "use your account page" in text(response)
    assert load_user(app, admin.id).two_factor_enabled


def test_reset_of_a_member_without_two_factor_is_refused(client, make_user, admin):
    user = make_user(Role.FRONT_DESK)
    response = reset(client, user)
    assert response.status_code == 409
    assert "has no two-factor sign-in to reset" in text(response)


def test_only_admins_can_reset(app, client, member, login_as):
    user, _, _ = member
    login_as(Role.ESTHETICIAN)
    response = submit(
        client, f"/admin/staff/{user.id}/two-factor/reset", page="/dashboard"
    )
    assert response.status_code == 403
    assert load_user(app, user.id).two_factor_enabled


def test_signed_out_member_needs_the_code_until_reset(
    app, client, member, admin, clock
):
    user, _, _ = member
    clock.shift(timedelta(seconds=30))
    stranger = app.test_client()
    assert sign_in_with_code(stranger, user.email, "000000").status_code == 401
    reset(client, user)
    assert login(stranger, user.email, DEFAULT_PASSWORD).location == "/dashboard"
