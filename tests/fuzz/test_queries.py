"""Query strings are input too: search terms and dates in the URL."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.fuzz.harness import TALLY, check_page
from tests.fuzz.strategies import EXAMPLES, FUZZ_SETTINGS, value_for
from tests.fuzz.world import build_world
from tests.visits.support import frozen_clock

# path (formatted with the world) -> {parameter: kind}
PAGES = {
    "/clients": {"q": "text", "archived": "choice"},
    "/calendar": {"date": "date", "by": "choice"},
    "/calendar/week": {"date": "date", "esthetician": "number"},
    "/calendar/print": {"date": "date", "by": "choice"},
    "/clients/{w.client_id}/book": {
        "service": "number",
        "esthetician": "number",
        "day": "date",
    },
    "/aftercare": {"date": "date"},
    "/clients/{w.client_id}/intakes/compare": {"older": "number", "newer": "number"},
    "/login": {"next": "text"},
    **{
        path: {
            "person": "number",
            "client": "text",
            "action": "text",
            "date_from": "date",
            "date_to": "date",
            "before": "number",
            "after": "number",
        }
        for path in ("/admin/audit", "/admin/audit/export.csv")
    },
}


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
def test_query_parameters_never_fail(app, make_user):
    with frozen_clock():
        world = build_world(app, make_user)
        browser = world.browser(app, "admin")

        @FUZZ_SETTINGS.__class__(FUZZ_SETTINGS, max_examples=EXAMPLES * 6)
        @given(st.data())
        def fuzz(data):
            path = data.draw(st.sampled_from(sorted(PAGES)), label="page")
            params = {
                name: data.draw(value_for(kind), label=name)
                for name, kind in PAGES[path].items()
                if data.draw(st.booleans())
            }
            url = path.format(w=world) + "?" + urlencode(params)
            response = browser.get(url)
            TALLY.add(response.status_code)
            event(f"{path} {response.status_code}")
            assert response.status_code < 500, url
            check_page(response, url)
            if path == "/login" and response.status_code == 302:
                assert response.location.startswith("/"), response.location

        fuzz()
