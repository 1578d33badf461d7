"""Every POST route refuses a form without a valid CSRF token (400).

Each POST rule is sent, by a role the policy lets through (so the refusal can
only come from the token check), a form with no token, with a forged token
and with a genuine token of another browser's session. All must be 400 with
the "form has expired" page, and the database must not change at all.
"""

from __future__ import annotations

from clinic.access import allowed
from clinic.roles import Role
from tests.helpers import csrf_token
from tests.security.crawl import send
from tests.security.fingerprint import differences, fingerprint
from tests.security.world import routes, url_for_rule

FORGED = "IjBhZGY5ZGM4ZTRkMWE0N2YzYTVhMjYyYjQ5MjQxMDYi.Zz9YbA.forged-signature"


def post_rules(app) -> list:
    return [rule for rule in routes(app) if "POST" in rule.methods]


def test_every_post_refuses_a_missing_or_wrong_token(app, world, browser_as):
    browsers = {role: browser_as(role) for role in (None, Role.ADMIN)}
    other_session = csrf_token(app.test_client(), "/login")
    tokens = {"missing": None, "forged": FORGED, "another session's": other_session}
    before = fingerprint(app)
    refused, failures = 0, []
    for rule in post_rules(app):
        role = None if allowed(rule.endpoint, None) else Role.ADMIN
        assert allowed(rule.endpoint, role), f"{rule.endpoint}: who may post it?"
        url = url_for_rule(app, world, rule)
        for name, token in tokens.items():
            data = {} if token is None else {"csrf_token": token}
            response = send(browsers[role], "POST", url, data)
            body = response.get_data(as_text=True)
            if response.status_code != 400 or "This form has expired" not in body:
                failures.append(f"{url} with {name} token: {response.status_code}")
            refused += 1
    assert failures == []
    assert refused == 3 * len(post_rules(app))
    assert differences(before, fingerprint(app)) == []
