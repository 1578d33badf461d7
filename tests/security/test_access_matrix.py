"""The access matrix: every route, every method it accepts, every role.

Each role (and a visitor who is not signed in) sends every URL rule of the app
each of its methods (GET, HEAD, OPTIONS, POST), with real ids from the world
fixture and a valid CSRF token, over https behind a trusted proxy as in
production. A request gets through only where ``access_policy()`` allows it;
elsewhere the visitor is sent to /login and a signed-in user gets a 403.
"Through" means the view ran: for a POST a 400 (bad form), 404, 409 or 422 is
fine, the point is the gate. Every response, whatever its status, must also
carry the security headers and, if it sets the session cookie, its flags.
"""

from __future__ import annotations

import pytest

from clinic.access import access_policy
from tests.security.conftest import ROLES
from tests.security.crawl import (
    PUBLIC_REDIRECTS_TO_LOGIN,
    expected_verdict,
    form_token,
    header_problems,
    send,
    verdict,
)
from tests.security.world import methods_of, routes, url_for_rule

HTTPS_BEHIND_PROXY = {"SESSION_COOKIE_SECURE": True, "TRUSTED_PROXIES": 1}


def https(browser):
    """Requests arrive from the TLS-terminating proxy (ProxyFix trusts it).

    Over https Flask-WTF also wants a same-origin Referer on every POST (a
    browser sends one from the clinic's own pages).
    """
    browser.environ_base["HTTP_X_FORWARDED_PROTO"] = "https"
    browser.environ_base["HTTP_REFERER"] = "https://localhost/"
    return browser


def test_every_route_declares_an_access_rule(app):
    """A route without a declared rule would be refused; none may be missing."""
    policy = access_policy()
    missing = sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in policy
    )
    assert missing == []


def test_undeclared_endpoint_is_refused(app, client):
    """Fail closed: an endpoint nobody declared is a 403, even for anonymous users."""
    app.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    response = client.get("/undeclared")
    assert response.status_code == 403
    assert "secret" not in response.get_data(as_text=True)


def run_matrix(app, world, browser, role) -> tuple[int, list[str]]:
    """(requests sent, what went wrong) for one role over the whole app."""
    policy = access_policy()
    token = form_token(browser, role)
    sent, failures = 0, []
    for rule in routes(app):
        if rule.endpoint not in policy:
            failures.append(f"{rule.endpoint}: not in the access policy")
            continue
        url = url_for_rule(app, world, rule)
        for method in methods_of(rule):
            data = {"csrf_token": token} if method == "POST" else None
            response = send(browser, method, url, data)
            sent += 1
            where = f"{role and role.value} {method} {url} ({rule.endpoint})"
            got, wanted = (
                verdict(response),
                expected_verdict(rule.endpoint, role, method),
            )
            if got != wanted:
                failures.append(f"{where}: {response.status_code} {got}, not {wanted}")
            elif (
                got == "login"
                and role is None
                and wanted != "through"
                and ("next=" not in response.location)
                and rule.endpoint not in PUBLIC_REDIRECTS_TO_LOGIN
            ):
                failures.append(f"{where}: sent to sign in without coming back")
            elif got == "through" and method != "POST" and response.status_code >= 400:
                failures.append(f"{where}: {response.status_code} for a real object")
            failures += [
                f"{where}: {problem}"
                for problem in header_problems(response, rule.endpoint, https=True)
            ]
    return sent, failures


@pytest.mark.app_config(**HTTPS_BEHIND_PROXY)
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_every_route_and_method_answers_per_the_policy(app, world, browser_as, role):
    browser = https(browser_as(role))
    sent, failures = run_matrix(app, world, browser, role)
    assert failures == [], "\n".join(failures)
    assert sent == sum(len(methods_of(rule)) for rule in routes(app))


def test_a_route_with_an_unknown_kind_of_id_stops_the_matrix(app, world):
    """A new route whose parameter ARGUMENTS cannot fill fails loudly, naming it."""
    app.add_url_rule("/widgets/<int:widget_id>", "widget", lambda widget_id: "")
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "widget")
    with pytest.raises(pytest.fail.Exception, match="widget_id"):
        url_for_rule(app, world, rule)
