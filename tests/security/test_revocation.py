"""A copied session cookie is dead after each of the four ways a session ends.

The user signs in, the cookie is copied (a thief's copy, or a backup of the
browser profile), and the session is ended by: the user signing out, the user
changing their password, an admin deactivating the account, or an admin's
"end sessions". The copy, replayed in another browser, must reach nothing:
pages send it to sign in and a form post does not get through. The copy is
checked to work before the revocation, so the replay itself is sound.

tests/auth/test_sessions.py and tests/admin/test_staff_sessions.py test the
rest of each action (rows ended, reasons, messages, other devices).
"""

from __future__ import annotations

import pytest

from clinic.roles import Role
from tests.admin.staff import sign_in_elsewhere
from tests.auth.support import SESSION_COOKIE
from tests.auth.test_change_password import NEW_PASSWORD, change
from tests.helpers import DEFAULT_PASSWORD, csrf_token, logout, submit


def by_admin(action: str):
    def revoke(app, browser, user, admin_browser):
        response = submit(
            admin_browser,
            f"/admin/staff/{user.id}/{action}",
            page=f"/admin/staff/{user.id}",
        )
        assert response.status_code == 302

    return revoke


def sign_out(app, browser, user, admin_browser):
    assert logout(browser).status_code == 302


def change_password(app, browser, user, admin_browser):
    assert change(browser, DEFAULT_PASSWORD, NEW_PASSWORD).status_code == 302


REVOCATIONS = {
    "logout": sign_out,
    "password change": change_password,
    "deactivation": by_admin("deactivate"),
    "admin ends sessions": by_admin("end-sessions"),
}


def replay(app, cookie: str):
    browser = app.test_client()
    browser.set_cookie(SESSION_COOKIE, cookie)
    return browser


def sent_to_sign_in(response) -> bool:
    return response.status_code == 302 and response.location.startswith("/login")


@pytest.mark.parametrize("how", REVOCATIONS)
def test_a_replayed_cookie_is_refused(app, make_user, how):
    user = make_user(Role.ESTHETICIAN)
    browser = sign_in_elsewhere(app, user)
    admin_browser = sign_in_elsewhere(app, make_user(Role.ADMIN))
    cookie = browser.get_cookie(SESSION_COOKIE).value
    # While the session is open the copy works, and yields a form token.
    token = csrf_token(replay(app, cookie), "/account/password")

    REVOCATIONS[how](app, browser, user, admin_browser)

    thief = replay(app, cookie)
    assert sent_to_sign_in(thief.get("/dashboard"))
    assert sent_to_sign_in(thief.get("/clients"))
    takeover = {
        "csrf_token": token,
        "current_password": DEFAULT_PASSWORD,
        "password": "thief chose this passphrase",
        "confirm": "thief chose this passphrase",
    }
    assert sent_to_sign_in(thief.post("/account/password", data=takeover))
