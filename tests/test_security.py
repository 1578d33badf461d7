"""The security baseline: access rules, headers, CSRF, redirects, error pages."""

from __future__ import annotations

import re

import pytest

from clinic.access import PUBLIC, access_policy
from clinic.roles import Role
from tests.helpers import csrf_token, submit

EXPECTED_CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def concrete_get_urls(app) -> list[tuple[str, str]]:
    """(endpoint, url) for every GET rule, with 1 for each URL parameter."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        values = {
            arg: "css/app.css" if arg == "filename" else 1 for arg in rule.arguments
        }
        with app.test_request_context():
            from flask import url_for

            urls.append((rule.endpoint, url_for(rule.endpoint, **values)))
    return urls


def fetch(client, url, **kwargs):
    """GET and close the response (static files hold an open file)."""
    with client.get(url, **kwargs) as response:
        response.get_data()
        return response


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


@pytest.mark.parametrize("role", [None, *Role])
def test_access_matrix_matches_the_policy(app, client, login_as, role):
    """Every GET page answers per the declared policy for every role."""
    if role is not None:
        login_as(role)
    policy = access_policy()
    for endpoint, url in concrete_get_urls(app):
        if endpoint.endswith("static"):
            continue
        response = fetch(client, url)
        rule = policy[endpoint]
        if rule == PUBLIC or (role is not None and role in rule):
            assert response.status_code in (200, 302, 404, 410), (
                url,
                response.status_code,
            )
            if response.status_code == 302:
                # The root and the sign-in code step (without a password step
                # first) send to the sign-in form by design.
                assert "/login" not in response.location or endpoint in (
                    "dashboard.root",
                    "auth.login_code",
                )
        elif role is None:
            assert response.status_code == 302, url
            assert response.location.startswith("/login?next="), url
        else:
            assert response.status_code == 403, (url, role)


def assert_baseline_headers(response, *, static: bool = False) -> None:
    headers = response.headers
    assert headers["Content-Security-Policy"] == EXPECTED_CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    if not static:
        assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("role", [None, Role.ADMIN])
def test_security_headers_on_every_route(app, client, login_as, role):
    if role is not None:
        login_as(role)
    for endpoint, url in concrete_get_urls(app):
        response = fetch(client, url)
        assert_baseline_headers(response, static=endpoint.endswith("static"))
        assert "Strict-Transport-Security" not in response.headers


def test_error_pages_carry_the_headers_too(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert_baseline_headers(response)
    assert "Page not found" in response.get_data(as_text=True)


def test_hsts_only_over_https(client):
    response = client.get("/login", base_url="https://clinic.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.app_config(SESSION_COOKIE_SECURE=True)
def test_session_cookie_flags(client):
    response = client.get("/login", base_url="https://clinic.example")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=Lax" in cookie


def test_pages_have_no_inline_script(app, client, login_as):
    """The CSP forbids inline scripts, so no page may rely on one."""
    login_as(Role.ADMIN)
    for _endpoint, url in concrete_get_urls(app):
        html = fetch(client, url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"\son[a-z]+=", html), url


def test_post_without_csrf_token_is_refused(client, make_user):
    user = make_user(Role.ADMIN)
    response = client.post("/login", data={"email": user.email, "password": "x" * 12})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_post_with_a_stale_csrf_token_is_refused(app, client, make_user):
    """A token from another session (or a forged one) is refused."""
    user = make_user(Role.ADMIN)
    other = app.test_client()
    token = csrf_token(other, "/login")
    response = client.post(
        "/login",
        data={"email": user.email, "password": "irrelevant", "csrf_token": token},
    )
    assert response.status_code == 400
    assert "submit the form again" in response.get_data(as_text=True)


def test_oversized_request_gets_the_413_page(client):
    response = client.post("/login", data={"email": "a" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)


def test_unexpected_error_shows_the_500_page_without_a_trace(app, client):
    from clinic.access import declare_public

    def boom():
        raise RuntimeError("database password is hunter2")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/boom", "boom", boom)
    declare_public("boom")
    response = client.get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in body
    assert "hunter2" not in body and "Traceback" not in body


def test_method_not_allowed_page(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert_baseline_headers(response)


def test_login_page_is_reachable_and_labelled(client):
    html = client.get("/login").get_data(as_text=True)
    for field_id in ("email", "password"):
        assert f'<label class="form-label" for="{field_id}"' in html
    assert '<main id="main"' in html
    assert 'href="#main"' in html


def test_bootstrap_is_served_locally(client):
    html = client.get("/login").get_data(as_text=True)
    assert "cdn" not in html.lower()
    assert fetch(client, "/bootstrap/static/css/bootstrap.min.css").status_code == 200


def test_logged_in_form_redirects_only_locally(client, make_user):
    user = make_user(Role.ADMIN)
    response = submit(
        client,
        "/login?next=https://evil.example/",
        {"email": user.email, "password": "violet tulip harbour lantern"},
        page="/login",
    )
    assert response.status_code == 302
    assert response.location == "/dashboard"
