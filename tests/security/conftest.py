"""Fixtures of the security proofs: one of everything, browsers per role."""

from __future__ import annotations

import pytest

from clinic.roles import Role
from tests.helpers import DEFAULT_PASSWORD, login
from tests.security.world import World, build_world

# Every role, and None for a visitor who is not signed in.
ROLES = [None, *Role]


@pytest.fixture
def world(app) -> World:
    return build_world(app)


@pytest.fixture
def browser_as(app, make_user, world):
    """``browser_as(role, **client_kwargs)``: a fresh test client signed in.

    The esthetician is the world's esthetician 1, who owns Ada's visits, so a
    refusal seen in a role-level test comes from the role gate, not from the
    object-level rule that only a visit's own esthetician may change it.
    """

    def make(role: Role | None, **kwargs):
        browser = app.test_client(**kwargs)
        if role is None:
            return browser
        if role is Role.ESTHETICIAN:
            email = world.esthetician_email
        else:
            email = make_user(role).email
        response = login(browser, email, DEFAULT_PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)
        return browser

    return make
