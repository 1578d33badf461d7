"""Changing one's own password, and the forced change after an admin reset."""

from __future__ import annotations

import pytest

from clinic.auth.models import User
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

NEW_PASSWORD = "copper kettle meadow sparrow"
COMMON = "This password is too common; choose one that is hard to guess."
PERSONAL = "Do not use your email address or name as your password."
URL = "/account/password"


def change(client, current: str, new: str, confirm: str | None = None):
    data = {
        "current_password": current,
        "password": new,
        "confirm": new if confirm is None else confirm,
    }
    return submit(client, URL, data)


def test_the_page_needs_a_signed_in_user(client):
    """Anonymous visitors are sent to sign in first."""
    response = client.get(URL)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_wrong_current_password_changes_nothing(app, client, front_desk):
    """Without the current password: 422, a message by that field, same hash."""
    before = load_user(app, front_desk.id)

    response = change(client, "this is not my password", NEW_PASSWORD)

    assert response.status_code == 422
    assert field_error(response, "current_password") == (
        "The current password is incorrect."
    )
    after = load_user(app, front_desk.id)
    assert after.password_hash == before.password_hash
    assert after.password_changed_at == before.password_changed_at
    assert signed_in(client)


@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("elevenchars", "Use at least 12 characters."),
        ("x" * 100 + " long but repetitive?" * 2, "Use at most 128 characters."),
        ("password1234", COMMON),
        ("Password2024!", COMMON),
        ("EMAIL", PERSONAL),
    ],
    ids=["too-short", "too-long", "common", "common-decorated", "email"],
)
def test_new_password_must_follow_the_policy(
    app, client, login_as, new_password, message
):
    """A weak new password: 422, the reason next to the field, nothing changed."""
    user = login_as(Role.ESTHETICIAN, email="maria.garcia@test.clinic")
    if new_password == "EMAIL":
        new_password = user.email
    before = load_user(app, user.id).password_hash

    response = change(client, DEFAULT_PASSWORD, new_password)

    assert response.status_code == 422
    assert field_error(response, "password") == message
    assert load_user(app, user.id).password_hash == before


def test_the_name_is_not_a_password(app, client, login_as):
    """The user's own name, however long, is refused too."""
    user = login_as(Role.FRONT_DESK, name="Maximiliana Oberhausen")
    response = change(client, DEFAULT_PASSWORD, "maximiliana oberhausen")
    assert response.status_code == 422
    assert field_error(response, "password") == PERSONAL
    assert load_user(app, user.id).must_change_password is False


def test_the_two_new_passwords_must_match(app, client, front_desk):
    """A typo in the repeated password is caught before anything changes."""
    before = load_user(app, front_desk.id).password_hash
    response = change(client, DEFAULT_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert response.status_code == 422
    assert field_error(response, "confirm") == "The passwords do not match."
    assert load_user(app, front_desk.id).password_hash == before


def test_the_new_password_must_differ_from_the_current_one(app, client, make_user):
    """Re-entering the admin's temporary password does not count as a change."""
    user = make_user()
    reset_by_admin(app, user.id)
    login(client, user.email, TEMPORARY)

    response = change(client, TEMPORARY, TEMPORARY)

    assert response.status_code == 422
    assert field_error(response, "password") == (
        "Choose a password different from your current one."
    )
    assert load_user(app, user.id).must_change_password is True
    assert client.get("/dashboard").headers["Location"] == URL


def test_success_keeps_this_session_and_ends_the_others(app, client, make_user):
    """The device that changed the password stays in; every other one is out."""
    user = make_user()
    elsewhere = app.test_client()
    assert login(elsewhere, user.email, DEFAULT_PASSWORD).status_code == 302
    assert login(client, user.email, DEFAULT_PASSWORD).status_code == 302
    before = load_user(app, user.id)
    old_cookie = client.get_cookie("clinic_session").value

    response = change(client, DEFAULT_PASSWORD, NEW_PASSWORD)

    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    page = text(client.get("/dashboard"))
    assert "Your password was changed. 1 other session(s) were signed out." in page
    assert signed_in(client)
    assert not signed_in(elsewhere)
    other_row, this_row, new_row = sessions_of(app, user.id)
    assert other_row.end_reason == "password changed"
    # This device keeps going on a fresh token; its old cookie is dead.
    assert this_row.end_reason == "rotated"
    assert new_row.ended_at is None
    replay = app.test_client()
    replay.set_cookie("clinic_session", old_cookie)
    assert not signed_in(replay)
    after = load_user(app, user.id)
    assert after.password_hash != before.password_hash
    assert after.password_changed_at > before.password_changed_at


def test_the_new_password_works_and_the_old_one_no_longer_does(app, client, front_desk):
    """At the next sign-in only the new password is accepted."""
    assert change(client, DEFAULT_PASSWORD, NEW_PASSWORD).status_code == 302
    logout(client)

    old = login(client, front_desk.email, DEFAULT_PASSWORD)
    assert old.status_code == 401
    assert field_error(old, "password") == GENERIC_FAILURE
    assert login(client, front_desk.email, NEW_PASSWORD).status_code == 302
    assert signed_in(client)


# --- forced change after an admin reset --------------------------------------------


TEMPORARY = "temporary harbour password"


def reset_by_admin(app, user_id: int) -> None:
    """What the admin's "reset password" does (the admin pages are tested apart)."""
    from clinic.admin.services import reset_password

    with database(app) as session:
        reset_password(session.get(User, user_id), TEMPORARY)


def test_after_a_reset_every_page_leads_to_the_password_form(app, client, make_user):
    """Until a new password is chosen, only the password form (and logout) work."""
    admin = make_user(Role.ADMIN)
    make_user(Role.ADMIN)  # someone else keeps the clinic administered
    reset_by_admin(app, admin.id)

    response = login(
        client, admin.email, TEMPORARY, query_string={"next": "/admin/staff"}
    )
    assert response.status_code == 302
    for page in ("/dashboard", "/", "/admin/staff", "/admin/staff/new"):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response.headers["Location"] == URL, page
    # A POST elsewhere is turned away as well, before it can change anything.
    response = submit(client, "/admin/staff/new", {"name": "X"}, page=URL)
    assert response.status_code == 302
    assert response.headers["Location"] == URL

    form = client.get(URL)
    assert form.status_code == 200
    assert "Your password was reset by an administrator." in text(form)
    assert "Please choose a new password to continue." in text(form)


def test_choosing_a_new_password_lifts_the_requirement(app, client, make_user):
    """After the change the user goes on normally and the flag is cleared."""
    user = make_user()
    reset_by_admin(app, user.id)
    login(client, user.email, TEMPORARY)

    response = change(client, TEMPORARY, NEW_PASSWORD)

    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    assert load_user(app, user.id).must_change_password is False


def test_a_user_who_must_change_can_still_sign_out(app, client, make_user):
    """Logout is not blocked by the forced password change."""
    user = make_user(must_change_password=True)
    login(client, user.email, DEFAULT_PASSWORD)
    assert client.get("/dashboard").headers["Location"] == URL

    response = submit(client, "/logout", page=URL)

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert sessions_of(app, user.id)[0].end_reason == "logout"
    assert load_user(app, user.id).must_change_password is True


def test_the_reset_signs_out_the_users_open_sessions(app, client, front_desk):
    """An admin reset ends the sessions the user had open."""
    reset_by_admin(app, front_desk.id)
    assert not signed_in(client)
    (row,) = sessions_of(app, front_desk.id)
    assert row.end_reason == "password reset"
