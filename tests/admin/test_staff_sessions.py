"""Deactivating, reactivating, resetting passwords and ending sessions.

Each test signs the affected person in on a second test client first, so it
proves what happens to a session that is already open, not only to new ones.
"""

from __future__ import annotations

from clinic.auth.views import GENERIC_FAILURE
from clinic.roles import Role
from tests.admin.staff import (
    NEW_PASSWORD,
    audit_rows,
    field_error,
    is_signed_out,
    open_sessions,
    page_text,
    sign_in_elsewhere,
    user_state,
)
from tests.helpers import DEFAULT_PASSWORD, login, submit

TEMPORARY = "harbour lantern quietly glows"


def act(client, user, action: str, data: dict | None = None):
    """POST one of the account actions from the account's own page."""
    return submit(
        client,
        f"/admin/staff/{user.id}/{action}",
        data,
        page=f"/admin/staff/{user.id}",
    )


def failed_sign_in(app, email: str, password: str) -> str:
    """Try to sign in on a fresh client; assert it fails and return the message."""
    response = login(app.test_client(), email, password)
    assert response.status_code == 401
    return field_error(response.get_data(as_text=True), "password")


class TestDeactivate:
    def test_deactivated_account_cannot_sign_in(self, app, client, admin, make_user):
        """Sign-in is refused with the same message as a wrong password."""
        desk = make_user(Role.FRONT_DESK)

        response = act(client, desk, "deactivate")

        assert response.status_code == 302
        assert response.location == f"/admin/staff/{desk.id}"
        assert not user_state(app, desk.id)["active"]
        refused = failed_sign_in(app, desk.email, DEFAULT_PASSWORD)
        assert refused == GENERIC_FAILURE
        assert refused == failed_sign_in(app, desk.email, "not the password at all")
        assert refused == failed_sign_in(app, "nobody@test.clinic", DEFAULT_PASSWORD)

    def test_open_session_ends_at_once(self, app, client, admin, make_user):
        """The person's open session is sent to sign-in on its very next request."""
        desk = make_user(Role.FRONT_DESK)
        their_browser = sign_in_elsewhere(app, desk)

        response = act(client, desk, "deactivate")

        assert response.status_code == 302
        assert "was deactivated; 1 session(s) ended." in page_text(
            client.get(response.location)
        )
        assert open_sessions(app, desk.id) == 0
        assert is_signed_out(their_browser)
        assert audit_rows(app)[-1] == (
            "user.deactivated",
            admin.id,
            "user",
            str(desk.id),
            "sessions ended: 1",
        )

    def test_account_page_offers_reactivation(self, client, admin, make_user):
        """A deactivated account's page says so and offers to reactivate it."""
        desk = make_user(Role.FRONT_DESK)
        act(client, desk, "deactivate")
        page = client.get(f"/admin/staff/{desk.id}").get_data(as_text=True)
        assert "Deactivated" in page
        assert f'action="/admin/staff/{desk.id}/reactivate"' in page
        assert f'action="/admin/staff/{desk.id}/deactivate"' not in page


class TestReactivate:
    def test_reactivated_account_can_sign_in_again(self, app, client, admin, make_user):
        """Reactivation restores sign-in with the account's existing password."""
        desk = make_user(Role.FRONT_DESK)
        act(client, desk, "deactivate")
        failed_sign_in(app, desk.email, DEFAULT_PASSWORD)

        response = act(client, desk, "reactivate")

        assert response.status_code == 302
        assert "can sign in again." in page_text(client.get(response.location))
        assert user_state(app, desk.id)["active"]
        sign_in_elsewhere(app, desk)
        assert audit_rows(app)[-1][:4] == (
            "user.reactivated",
            admin.id,
            "user",
            str(desk.id),
        )


class TestResetPassword:
    def test_reset_forces_a_new_password_at_next_sign_in(
        self, app, client, admin, make_user
    ):
        """Temporary password set, sessions ended, then a new password is required."""
        desk = make_user(Role.FRONT_DESK)
        their_browser = sign_in_elsewhere(app, desk)

        response = act(
            client,
            desk,
            "password",
            {"reset-password": TEMPORARY, "reset-confirm": TEMPORARY},
        )

        assert response.status_code == 302
        assert "they must choose a new one at next sign-in. 1 session(s) ended." in (
            page_text(client.get(response.location))
        )
        assert is_signed_out(their_browser)
        assert failed_sign_in(app, desk.email, DEFAULT_PASSWORD) == GENERIC_FAILURE
        assert audit_rows(app)[-1] == (
            "user.password_reset",
            admin.id,
            "user",
            str(desk.id),
            "sessions ended: 1",
        )

        # Signing in with the temporary password leads only to the change page.
        browser = app.test_client()
        response = login(browser, desk.email, TEMPORARY, follow_redirects=True)
        assert response.request.path == "/account/password"
        for path in ("/dashboard", "/"):
            forced = browser.get(path)
            assert forced.status_code == 302
            assert forced.location == "/account/password"

        response = submit(
            browser,
            "/account/password",
            {
                "current_password": TEMPORARY,
                "password": NEW_PASSWORD,
                "confirm": NEW_PASSWORD,
            },
        )
        assert response.status_code == 302
        assert browser.get("/dashboard").status_code == 200
        assert not user_state(app, desk.id)["must_change_password"]

    def test_weak_temporary_password_is_refused(self, app, client, admin, make_user):
        """A too-short temporary password: 422 by the field, nothing changes."""
        desk = make_user(Role.FRONT_DESK)
        their_browser = sign_in_elsewhere(app, desk)
        before = user_state(app, desk.id)
        audit_before = audit_rows(app)

        response = act(
            client,
            desk,
            "password",
            {"reset-password": "too short", "reset-confirm": "too short"},
        )

        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), "reset-password") == (
            "Use at least 12 characters."
        )
        assert user_state(app, desk.id) == before
        assert audit_rows(app) == audit_before
        assert not is_signed_out(their_browser)

    def test_temporary_password_must_not_be_the_persons_email(
        self, app, client, admin, make_user
    ):
        """The policy's personal-word check uses the account being reset."""
        desk = make_user(Role.FRONT_DESK, email="dana.desk@test.clinic")
        before = user_state(app, desk.id)
        response = act(
            client,
            desk,
            "password",
            {
                "reset-password": "dana.desk@test.clinic",
                "reset-confirm": "dana.desk@test.clinic",
            },
        )
        assert response.status_code == 422
        assert "Do not use your email address" in field_error(
            response.get_data(as_text=True), "reset-password"
        )
        assert user_state(app, desk.id) == before

    def test_mismatched_confirmation_is_refused(self, app, client, admin, make_user):
        """The two password fields must match; nothing changes otherwise."""
        desk = make_user(Role.FRONT_DESK)
        before = user_state(app, desk.id)
        response = act(
            client,
            desk,
            "password",
            {"reset-password": TEMPORARY, "reset-confirm": TEMPORARY + "!"},
        )
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), "reset-confirm") == (
            "The passwords do not match."
        )
        assert user_state(app, desk.id) == before


class TestEndSessions:
    def test_sign_out_everywhere_ends_every_session_of_that_person(
        self, app, client, admin, make_user
    ):
        """All of the person's browsers are signed out; other people's are not."""
        desk = make_user(Role.FRONT_DESK)
        colleague = make_user(Role.ESTHETICIAN)
        at_desk = sign_in_elsewhere(app, desk)
        on_tablet = sign_in_elsewhere(app, desk)
        colleague_browser = sign_in_elsewhere(app, colleague)

        response = act(client, desk, "end-sessions")

        assert response.status_code == 302
        assert "2 session(s) of" in page_text(client.get(response.location))
        assert is_signed_out(at_desk)
        assert is_signed_out(on_tablet)
        assert not is_signed_out(colleague_browser)
        assert client.get("/admin/staff").status_code == 200
        assert audit_rows(app)[-1] == (
            "user.sessions_ended",
            admin.id,
            "user",
            str(desk.id),
            "sessions ended: 2",
        )

    def test_account_stays_usable(self, app, client, admin, make_user):
        """Ending sessions is not a lock-out: the person can sign in again."""
        desk = make_user(Role.FRONT_DESK)
        sign_in_elsewhere(app, desk)
        act(client, desk, "end-sessions")
        state = user_state(app, desk.id)
        assert state["active"]
        assert state["open_sessions"] == 0
        sign_in_elsewhere(app, desk)
