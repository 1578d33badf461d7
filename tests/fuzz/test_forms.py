"""Every POST form of the app, fed hostile input: never a 500, never live markup.

The table of targets is tests/fuzz/targets.py; FUZZ_EXAMPLES sets how many
examples each form gets (default in tests/fuzz/strategies.py).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic.access import access_policy
from tests.fuzz.harness import (
    check_page,
    follow,
    fresh_token,
    send,
    submissions,
    the_form,
)
from tests.fuzz.strategies import FUZZ_SETTINGS
from tests.fuzz.targets import TARGETS
from tests.fuzz.world import build_world
from tests.visits.support import frozen_clock

# Sign-in throttling would answer 429 to most examples and hide the form.
pytestmark = pytest.mark.app_config(RATELIMIT_ENABLED=False)


def post_endpoints(app) -> set[str]:
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or ())
    }


def test_every_post_route_has_a_target(app):
    missing = sorted(post_endpoints(app) - set(TARGETS))
    assert not missing, (
        f"POST routes without a fuzz target: {missing}. Add a row for each to "
        "TARGETS in tests/fuzz/targets.py (role, URL, the page showing the form)."
    )
    stale = sorted(set(TARGETS) - post_endpoints(app))
    assert not stale, f"fuzz targets for routes that no longer exist: {stale}"
    assert set(TARGETS) <= set(access_policy())


@pytest.mark.parametrize("endpoint", sorted(TARGETS))
def test_form_survives_hostile_input(endpoint, app, make_user):
    target = TARGETS[endpoint]
    with frozen_clock():
        world = build_world(app, make_user)
        browser = world.browser(app, target.role)
        form = the_form(browser, target, world)
        base = target.data(world)
        url = target.url(world)
        token = None if target.fresh_browser else fresh_token(browser, target, world)

        @FUZZ_SETTINGS
        @given(st.data())
        def fuzz(data):
            nonlocal browser
            sent = data.draw(submissions(form, base), label="form")
            if target.fresh_browser:
                browser = world.browser(app, target.role)
                current = fresh_token(browser, target, world)
            else:
                current = token
            response = send(browser, url, sent, current)
            check_page(response, f"POST {url}")
            follow(browser, response)

        fuzz()
