"""Ids in URLs are input too: every ``<int:...>`` rule of the app, walked
from ``app.url_map``, with numbers around and far beyond the integer columns.

Beyond 2^31 PostgreSQL refused the lookup and beyond 2^63 SQLite could not
even bind the number: a 500 on every such URL. Now the rule does not match
(clinic/routing.py) and the answer is the 404 of any unknown id.
"""

from __future__ import annotations

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from clinic.db import INTEGER_LIMIT
from clinic.roles import Role
from clinic.routing import IdConverter
from tests.fuzz.harness import TALLY, check_page
from tests.fuzz.strategies import EXAMPLES, FUZZ_SETTINGS
from tests.helpers import csrf_token
from tests.security.crawl import header_problems

pytestmark = pytest.mark.app_config(RATELIMIT_ENABLED=False)

BEYOND = [2**31, 2**32, 2**63 - 1, 2**63, 2**64, 10**30]


def int_rules(app) -> list:
    """(rule, method) for every rule with an integer argument."""
    found = []
    for rule in app.url_map.iter_rules():
        converters = rule._converters.values()
        if any(isinstance(c, IntegerConverter) for c in converters):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((rule, method))
    return sorted(found, key=lambda pair: (pair[0].rule, pair[1]))


def url_for_rule(rule, value: str) -> str:
    """The rule's path with every argument set to ``value``."""
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<int:{name}>", value)
    assert "<" not in path, f"{rule.rule}: an argument that is not an int"
    return path


def beyond_the_columns(value: str) -> bool:
    digits = value.lstrip("0")
    return len(digits) > 10 or int(digits or "0") > INTEGER_LIMIT


def request(browser, method: str, url: str, token: str):
    if method == "POST":
        return browser.post(url, data={"csrf_token": token})
    return browser.open(url, method=method)


def test_every_int_argument_is_bounded_to_the_integer_columns(app):
    rules = int_rules(app)
    assert len(rules) > 50, "the walk found too few rules"
    loose = sorted(
        f"{rule.rule} ({name})"
        for rule, _method in rules
        for name, converter in rule._converters.items()
        if isinstance(converter, IntegerConverter)
        and not (
            isinstance(converter, IdConverter)
            and converter.max is not None
            and converter.max <= INTEGER_LIMIT
        )
    )
    assert not loose, f"int arguments beyond the integer columns: {loose}"


@pytest.mark.parametrize("value", [2**31, 2**63, 2**64])
def test_every_int_url_is_a_404_beyond_the_integer_columns(
    app, client, login_as, value
):
    """Was a 500: from 2^31 on PostgreSQL, from 2^63 on SQLite."""
    login_as(Role.ADMIN)
    token = csrf_token(client, "/account/password")
    wrong = {}
    for rule, method in int_rules(app):
        url = url_for_rule(rule, str(value))
        response = request(client, method, url, token)
        if response.status_code != 404:
            wrong[f"{method} {url}"] = response.status_code
    assert not wrong


def test_int_urls_survive_hostile_numbers(app, client, login_as):
    """Any number, in range (absent ids) or far beyond it: never a 500, the
    app's own page with every security header, a 404 beyond the columns."""
    login_as(Role.ADMIN)
    token = csrf_token(client, "/account/password")
    rules = int_rules(app)
    numbers = st.one_of(
        st.sampled_from([INTEGER_LIMIT, *BEYOND]).map(str),
        # Absent ids only: an existing one could sign this admin out.
        st.integers(min_value=10**6, max_value=2**80).map(str),
        st.sampled_from(["0" * 12 + str(2**31), "9" * 400, "9" * 5000, "0"]),
    )

    @FUZZ_SETTINGS.__class__(FUZZ_SETTINGS, max_examples=EXAMPLES * 8)
    @given(st.sampled_from(rules), numbers)
    def fuzz(rule_and_method, value):
        rule, method = rule_and_method
        url = url_for_rule(rule, value)
        response = request(client, method, url, token)
        TALLY.add(response.status_code)
        event(f"{method} {response.status_code}")
        assert response.status_code < 500, (method, url[:80])
        if beyond_the_columns(value):
            assert response.status_code == 404, (method, url[:80])
        endpoint = rule.endpoint
        assert not header_problems(response, endpoint, https=False), url[:80]
        check_page(response, url[:80])

    fuzz()
